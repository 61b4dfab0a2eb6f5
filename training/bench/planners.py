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
from mpcnet.nn.relunet import ReluNet
from training.bench.mip import start_states

GRID = {
    RandomShooting: {},
    MPPI: {"noise": [0.1, 0.3, 0.5], "temperature": [0.01, 0.05, 0.2]},
    CEM: {"noise": [0.3, 0.5, 1.0], "elite_fraction": [0.05, 0.1, 0.2]},
    GradientDescent: {"lr": [0.03, 0.1, 0.3], "restarts": [8, 16, 64]},
}


def bench_planners(net: ReluNet, env_id: str, starts: int, seed: int, horizon: int,
                   budget_ms: float, env_kwargs: dict | None = None) -> list[dict]:
    env = envs.task_of(envs.make(env_id, **(env_kwargs or {})))
    problems = start_states(env_id, starts, seed, env_kwargs)
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


def plan_quality(net: ReluNet, env_id: str, controllers: list[str], starts: int, seed: int,
                 horizon: int, budget_ms: float, env_kwargs: dict | None = None) -> list[dict]:
    """The model-predicted cost of each controller's first plan from the same seeded start
    states at the same budget, all re-scored by one float64 kernel: is the MIP's plan better
    *under the model*? (If it is and the MIP still loses in closed loop, the model is wrong
    where the MIP plans; if it is not, the optimiser is weak at this budget.)"""
    import torch

    from controllers import MIP_CONTROLLERS
    from mpcnet.plan_cost import PlanCost
    from training.evaluate import build_controller

    env = envs.task_of(envs.make(env_id, **(env_kwargs or {})))
    problems = start_states(env_id, starts, seed, env_kwargs)
    kernel = PlanCost(net, env.cost_spec, "float64")
    config = PlannerConfig(horizon=horizon, budget_ms=budget_ms)
    rows = []
    for name in controllers:  # a MIP controller may name its solver: "mip:gurobi"
        base, _, solver = name.partition(":")
        kwargs = {"bounds": "symbolic"} if base in MIP_CONTROLLERS else {}
        ctrl = build_controller(env_id, net, base, dataclasses.replace(
            config, mip_solver=solver or config.mip_solver), env_kwargs, **kwargs)
        costs, bounds, times = [], [], []
        for i, (x0, goal) in enumerate(problems):
            ctrl.reset(i, goal)
            step = ctrl.act(x0)
            kernel.set_goal(goal)
            with torch.no_grad():
                plan = kernel.tensor(step.plan)[None]
                costs.append(float(kernel(kernel.tensor(x0), plan)[0]))
            bounds.append(step.info.get("dual_bound", step.info.get("lower_bound")))
            times.append(step.plan_time_s)
        rows.append({"controller": name, "costs": costs, "mean_cost": float(np.mean(costs)),
                     "dual_bounds": bounds, "plan_time_max_s": float(np.max(times))})
    env.close()
    best = np.min([r["costs"] for r in rows], axis=0)
    for r in rows:  # how often each planner found the best plan of all (within 1e-6)
        r["best_of_all"] = int(np.sum(np.asarray(r["costs"]) <= best + 1e-6))
    return rows


def plan_quality_table(rows: list[dict]) -> str:
    lines = ["| controller | mean predicted cost | best plan of all (starts) | plan time max (s) |",
             "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['controller']} | {r['mean_cost']:.4f} | {r['best_of_all']}/"
                     f"{len(r['costs'])} | {r['plan_time_max_s']:.3f} |")
    return "\n".join(lines) + "\n"
