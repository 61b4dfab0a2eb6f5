"""``mpcnet bench bab``: the action-space branch and bound on seeded start states, and (with
``--milp``) the MILP on the same problems, warm starts and state box."""

from __future__ import annotations

import time

import numpy as np
import torch

import envs
from controllers.bab import ActionBranchAndBound
from mpcnet.bab.plan_bounds import PlanBounds
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.nn.relunet import ReluNet
from mpcnet.plan_cost import PlanCost
from mpcnet.sampling import best_sampled_plan
from training.bench.mip import json_row, start_states
from training.progress import Progress


def _median(values) -> float | None:
    finite = [v for v in values if v is not None]
    return float(np.median(finite)) if len(finite) == len(values) else None


def bench_bab(net: ReluNet, env_id: str, horizon: int, starts: int, seed: int,
              time_limit: float, device: str = "cpu", env_kwargs: dict | None = None,
              milp_time_limit: float | None = None, batch: int = 16,
              progress: bool = False) -> dict:
    """Solve each start with ``bab`` for ``time_limit`` s (and the MILP for ``milp_time_limit``
    s when given); return the JSON record. Both start from the same warm start (the best of
    1024 sampled plans and zero actions) and impose the env's state box."""
    env = envs.task_of(envs.make(env_id, **(env_kwargs or {})))
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    bounds = PlanBounds(net, env.cost_spec, horizon, env.state_low, env.state_high,
                        device=device)
    kernel = PlanCost(net, env.cost_spec, "float64", bounds.device)
    search = ActionBranchAndBound(bounds, kernel, low, high, batch=batch)
    mpc = None
    if milp_time_limit is not None:
        mpc = MipMpc(net, env.cost_spec, horizon, low, high, env.state_low, env.state_high,
                     bounds="lp")
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=bounds.device)
    gen.manual_seed(seed)
    rows = []
    problems = start_states(env_id, starts, seed, env_kwargs)
    # the first search pays one-off costs (allocations, kernels): run one short one first
    search.solve(*problems[0], np.zeros((horizon, len(low))), time.perf_counter() + 0.05, gen)
    for x0, goal in Progress(problems, desc=f"bench bab H={horizon}", disable=not progress,
                         leave=False):
        zero = np.zeros((1, horizon, len(low)))
        warm, warm_cost = best_sampled_plan(net, env.cost_spec, x0, goal, horizon, low, high,
                                            1024, rng, include=zero)
        result = search.solve(x0, goal, warm, time.perf_counter() + time_limit, gen)
        row = {"warm_start_cost": warm_cost, **result.to_dict()}
        if mpc is not None:
            sol = mpc.solve(x0, goal, warm_start=warm,
                            options=SolveOptions(time_limit=milp_time_limit))
            row.update({"milp_status": sol.status, "milp_objective": sol.objective,
                        "milp_dual_bound": sol.dual_bound, "milp_gap": sol.gap,
                        "milp_time_s": sol.solve_time_s + sol.update_time_s})
        rows.append(json_row(row))
    env.close()
    record = {
        "relus": net.relu_count, "horizon": horizon, "starts": starts, "seed": seed,
        "time_limit_s": time_limit, "device": str(bounds.device), "batch": batch,
        "env_id": env_id, "env_kwargs": env_kwargs or {},
        "gap": [r["gap"] for r in rows], "lower_bound": [r["lower_bound"] for r in rows],
        "objective": [r["objective"] for r in rows],
        "median_gap": _median([r["gap"] for r in rows]),
        "proven": sum(r["gap"] is not None and r["gap"] <= search.gap for r in rows),
        "gap_tolerance": search.gap, "rows": rows,
    }
    if mpc is not None:
        record.update({"milp_time_limit_s": milp_time_limit,
                       "milp_gap": [r["milp_gap"] for r in rows],
                       "milp_median_gap": _median([r["milp_gap"] for r in rows])})
    return record
