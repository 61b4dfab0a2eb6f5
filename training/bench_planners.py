"""``mpcnet bench planners``: one-shot plan quality of the sampling planners over a grid.

For each setting, the mean model-predicted cost of one plan within the budget from seeded
start states (zero warm start). Used to check the defaults in ``controllers/sampling.py``.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

import envs
from controllers import PlannerConfig
from controllers.sampling import CEM, MPPI, GradientDescent, RandomShooting
from mpcnet.relunet import ReluNet
from training.bench_mip import start_states

GRID = {
    RandomShooting: {},
    MPPI: {"noise": [0.1, 0.3, 0.5], "temperature": [0.01, 0.05, 0.2]},
    CEM: {"noise": [0.3, 0.5, 1.0], "elite_fraction": [0.05, 0.1, 0.2]},
    GradientDescent: {"lr": [0.03, 0.1, 0.3], "restarts": [8, 16, 64]},
}


def bench_planners(net: ReluNet, env_id: str, starts: int, seed: int, horizon: int,
                   budget_ms: float) -> list[dict]:
    env = envs.make(env_id).unwrapped
    problems = start_states(env_id, starts, seed)
    rows, base = [], PlannerConfig(horizon=horizon, budget_ms=budget_ms)
    for cls, grid in GRID.items():
        names = list(grid)
        for values in itertools.product(*(grid[n] for n in names)) if names else [()]:
            settings = dict(zip(names, values, strict=True))
            config = dataclasses.replace(base, **settings)
            ctrl = cls(net, env.cost_spec, env.action_space.low, env.action_space.high, config)
            costs = []
            for i, (x0, goal) in enumerate(problems):
                ctrl.reset(i, goal)
                costs.append(ctrl.act(x0).predicted_cost)
            default = all(cls.defaults.get(n) == v for n, v in settings.items())
            rows.append({"planner": cls.name, "settings": settings,
                         "mean_predicted_cost": float(np.mean(costs)), "default": default})
    env.close()
    return rows
