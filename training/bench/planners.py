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
from training.bench.mip import start_problems, start_states

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
                 horizon: int, budget_ms: float, env_kwargs: dict | None = None,
                 reference_s: float = 0.0) -> list[dict]:
    """The model-predicted cost of each controller's first plan from the same seeded start
    states at the same budget, all re-scored by one float64 kernel: is the MIP's plan better
    *under the model*? (If it is and the MIP still loses in closed loop, the model is wrong
    where the MIP plans; if it is not, the optimiser is weak at this budget.)

    ``reference_s > 0`` adds a last row, ``"reference"``: per start, the MILP solved for that
    many seconds from the best plan of all, with the dual bound it proved. Every row then gets
    its mean relative gap to that reference and the starts within 1 % of it: how far each
    planner's plan is from the model's optimum (or the best plan known, where the gap is not
    closed)."""
    from controllers import MIP_CONTROLLERS
    from mpcnet.plan_cost import PlanCost
    from training.evaluate import build_controller

    env = envs.task_of(envs.make(env_id, **(env_kwargs or {})))
    problems = start_problems(env_id, starts, seed, env_kwargs)
    kernel = PlanCost(net, env.cost_spec, "float64")
    config = PlannerConfig(horizon=horizon, budget_ms=budget_ms)
    rows, plans = [], []
    for name in controllers:  # a MIP controller may name its solver: "mip:gurobi"
        base, _, solver = name.partition(":")
        kwargs = {"bounds": "symbolic"} if base in MIP_CONTROLLERS else {}
        ctrl = build_controller(env_id, net, base, dataclasses.replace(
            config, mip_solver=solver or config.mip_solver), env_kwargs, **kwargs)
        costs, bounds, times, row_plans = [], [], [], []
        for i, (x0, goal, boxes) in enumerate(problems):
            if boxes is not None:  # this start's obstacles, before reset (as in an episode)
                ctrl.set_obstacles(boxes)
                kernel.set_obstacles(boxes)
            ctrl.reset(i, goal)
            step = ctrl.act(x0)
            costs.append(_rescored(kernel, x0, goal, step.plan))
            row_plans.append(step.plan)
            bounds.append(step.info.get("dual_bound", step.info.get("lower_bound")))
            times.append(step.plan_time_s)
        plans.append(row_plans)
        rows.append(_row(name, costs, bounds, times))
    if reference_s > 0:
        rows.append(_reference_row(net, env, kernel, problems, horizon, rows, plans,
                                   reference_s))
    env.close()
    best = np.min([r["costs"] for r in rows], axis=0)
    for r in rows:  # how often each planner found the best plan of all (within 1e-6)
        r["best_of_all"] = int(np.sum(np.asarray(r["costs"]) <= best + 1e-6))
        if reference_s > 0:
            costs = np.asarray(r["costs"])
            r["gap_to_reference"] = float(np.mean((costs - best) / np.maximum(best, 1e-9)))
            r["within_1pct_of_reference"] = int(np.sum(costs <= best * 1.01 + 1e-9))
    return rows


def _row(controller: str, costs: list, bounds: list, times: list) -> dict:
    return {"controller": controller, "costs": costs, "mean_cost": float(np.mean(costs)),
            "dual_bounds": bounds, "plan_time_max_s": float(np.max(times))}


def _rescored(kernel, x0, goal, plan) -> float:
    """The float64 cost of ``plan`` under the model from ``x0`` towards ``goal``."""
    import torch

    kernel.set_goal(goal)
    with torch.no_grad():
        return float(kernel(kernel.tensor(x0), kernel.tensor(plan)[None])[0])


def _reference_row(net, env, kernel, problems, horizon: int, rows: list[dict],
                   plans: list[list], seconds: float) -> dict:
    """The MILP from the best plan of all rows, ``seconds`` a start: its plan (never worse
    than that warm start) and the dual bound it proved, a lower bound on the model's optimum
    over the plans whose predicted states stay in the program's state box (the workspace)."""
    from mpcnet.milp.solvers import SolveOptions
    from training.bench.mip import build_mip

    mpc = build_mip(net, env, horizon, "symbolic")
    costs, bounds, times, proven = [], [], [], 0
    for i, (x0, goal, boxes) in enumerate(problems):
        if boxes is not None:
            mpc.set_obstacles(boxes)
            kernel.set_obstacles(boxes)
        source = int(np.argmin([r["costs"][i] for r in rows]))  # the best plan of all
        warm, warm_cost = plans[source][i], rows[source]["costs"][i]
        sol = mpc.solve(x0, goal, warm_start=warm,
                        options=SolveOptions(time_limit=seconds, threads=1))
        cost = _rescored(kernel, x0, goal, sol.actions) if sol.feasible else np.inf
        costs.append(float(min(cost, warm_cost)))
        bounds.append(float(sol.dual_bound) if np.isfinite(sol.dual_bound) else None)
        times.append(sol.solve_time_s + sol.update_time_s)
        proven += sol.status == "optimal"
    return {**_row("reference", costs, bounds, times), "proven_optimal": proven,
            "seconds": seconds}


def plan_quality_table(rows: list[dict]) -> str:
    reference = rows[-1] if rows and rows[-1]["controller"] == "reference" else None
    lines = ["| controller | mean predicted cost | best plan of all (starts) | plan time max (s) |"
             + (" mean gap to the reference | within 1% of it |" if reference else ""),
             "|---|---|---|---|" + ("---|---|" if reference else "")]
    for r in rows:
        extra = (f" {100 * r['gap_to_reference']:.1f}% | {r['within_1pct_of_reference']}/"
                 f"{len(r['costs'])} |" if reference else "")
        lines.append(f"| {r['controller']} | {r['mean_cost']:.4f} | {r['best_of_all']}/"
                     f"{len(r['costs'])} | {r['plan_time_max_s']:.3f} |{extra}")
    if reference:
        gaps = [(c - b) / max(abs(c), 1e-9) for c, b in
                zip(reference["costs"], reference["dual_bounds"], strict=True) if b is not None]
        gap = float(np.mean(gaps)) if gaps else float("nan")
        lines.append(f"\nreference: the MILP for {reference['seconds']:g} s a start from the "
                     f"best plan of all; proven optimal in {reference['proven_optimal']}/"
                     f"{len(reference['costs'])} starts, mean gap to its dual bound "
                     f"{100 * gap:.1f}%.")
    return "\n".join(lines) + "\n"
