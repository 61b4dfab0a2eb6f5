"""``mpcnet bench mip``: MILP solve times on seeded push start states."""

from __future__ import annotations

import time

import numpy as np

import envs
from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.milp.tightening import root_lp_bound
from mpcnet.nn.relunet import Layer, ReluNet
from mpcnet.sampling import best_sampled_plan
from training.progress import Progress

# short names for --backend pyomo:NAME
PYOMO_SOLVERS = {"gurobi": "gurobi_direct", "highs": "appsi_highs"}
GD_WARM_MS = 200.0  # gradient descent's budget for a --warm-from gd start


def json_row(row: dict) -> dict:
    """``row`` with every infinite or NaN float as ``None`` (JSON has no infinity: a missing
    bound or gap is null)."""
    return {k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in row.items()}


def shuffled_like(net: ReluNet, seed: int) -> ReluNet:
    """A random network of the same shape, kinds and weight scale (entries permuted)."""
    rng = np.random.default_rng(seed)
    layers = tuple(Layer(rng.permutation(layer.weight.ravel()).reshape(layer.weight.shape),
                         rng.permutation(layer.bias), layer.kinds) for layer in net.layers)
    return ReluNet(layers, net.state_dim, net.action_dim, net.residual)


def start_states(env_id: str, starts: int, seed: int, env_kwargs: dict | None = None
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(x0, goal)`` of ``starts`` seeded resets."""
    return [(x0, goal) for x0, goal, _ in start_problems(env_id, starts, seed, env_kwargs)]


def start_problems(env_id: str, starts: int, seed: int, env_kwargs: dict | None = None
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """``(x0, goal, boxes)`` of ``starts`` seeded resets: ``boxes``, the episode's obstacle
    boxes ``(k, 4)`` on an env with obstacles (every planner must score plans by them, as in
    an episode), else ``None``."""
    env = envs.make(env_id, **(env_kwargs or {}))
    seeds = np.random.SeedSequence(seed).generate_state(starts)
    out = []
    for s in seeds:
        obs, info = env.reset(seed=int(s))
        spec = envs.task_of(env).cost_spec
        boxes = np.array(spec.obstacles, np.float64) if spec.has_obstacles else None
        out.append((obs.astype(np.float64), np.asarray(info["goal"], np.float64), boxes))
    env.close()
    return out


def build_mip(net: ReluNet, env, horizon: int, bounds: str = "lp", cuts: str = "none",
              backend: str = "highs", solver_params: dict | None = None,
              tighten_cuts: int = 0) -> MipMpc:
    """The MPC program of ``net`` on the task ``env`` with ``backend`` (``"pyomo:gurobi"``:
    Gurobi through Pyomo), the solver's own ``solver_params`` and ``tighten_cuts`` rounds of
    cuts in the bound tightening."""
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    kind, _, solver = backend.partition(":")
    return MipMpc(net, env.cost_spec, horizon, low, high, env.state_low, env.state_high,
                  bounds=bounds, cuts=cuts, backend=kind,
                  pyomo_solver=PYOMO_SOLVERS.get(solver, solver or "appsi_highs"),
                  solver_params=solver_params, tighten_cuts=tighten_cuts)


def check_solver_options(net: ReluNet, env_id: str, backend: str, cuts: str,
                         solver_params: dict) -> None:
    """Build ``net``'s one-step program with these options: a missing solver, a cut mode the
    backend lacks or a parameter the solver refuses is a ConfigError now, before a grid that
    would otherwise record each of its cells as not run."""
    env = envs.task_of(envs.make(env_id))
    try:
        build_mip(net, env, 1, "symbolic", cuts, backend, solver_params)
    finally:
        env.close()


def bench_mip(net: ReluNet, env_id: str, horizon: int, starts: int, seed: int,
              bounds: str = "lp", warm_start: bool = True, time_limit: float = 60.0,
              threads: int | None = None, progress: bool = False,
              tighten_budget: float = float("inf"), env_kwargs: dict | None = None,
              cuts: str = "none", backend: str = "highs", warm_from: str = "random",
              solver_params: dict | None = None, tighten_cuts: int = 0) -> dict:
    """Solve the MPC problem from ``starts`` seeded start states; return the JSON record.

    ``solver_params``: the backend solver's own parameters (:class:`MipMpc`);
    ``tighten_cuts``: cut rounds per tightening LP (:class:`MipMpc`). Each row records
    ``root_lp_bound``, the LP relaxation of the program the solver gets (after the bound
    update and, with root cuts, the cut loop), before the solver's own presolve and cuts.
    ``warm_from``: ``"random"`` (the best of 1024 random plans and zero actions) or ``"gd"``
    (gradient descent's plan in :data:`GD_WARM_MS`; that time counts in the solve's, as a
    controller would wait for it too)."""
    if warm_from not in ("random", "gd"):
        raise ConfigError(f"warm_from: expected 'random' or 'gd', got {warm_from!r}.")
    env = envs.task_of(envs.make(env_id, **(env_kwargs or {})))
    low, high = env.action_space.low.astype(float), env.action_space.high.astype(float)
    t0 = time.perf_counter()
    try:
        mpc = build_mip(net, env, horizon, bounds, cuts, backend, solver_params, tighten_cuts)
    except ConfigError:
        env.close()
        raise
    mpc.lp_time_budget = tighten_budget
    build_time = time.perf_counter() - t0
    gd = None
    if warm_start and warm_from == "gd":
        from controllers import PlannerConfig
        from training.evaluate import build_controller

        gd = build_controller(env_id, net, "gd", PlannerConfig(horizon=horizon,
                                                               budget_ms=GD_WARM_MS), env_kwargs)
    rng = np.random.default_rng(seed)
    rows = []
    problems = start_states(env_id, starts, seed, env_kwargs)
    if gd is not None and problems:
        _gd_plan(gd, net, env.cost_spec, *problems[0], 0)  # untimed: torch's slow first call
    for x0, goal in Progress(problems, desc=f"bench mip H={horizon}", disable=not progress,
                         leave=False):
        warm, warm_cost, warm_time = None, None, 0.0
        if gd is not None:
            warm, warm_cost, warm_time = _gd_plan(gd, net, env.cost_spec, x0, goal, len(rows))
        elif warm_start:
            zero = np.zeros((1, horizon, len(low)))
            warm, warm_cost = best_sampled_plan(net, env.cost_spec, x0, goal, horizon, low,
                                                high, 1024, rng, include=zero)
        sol = mpc.solve(x0, goal, warm_start=warm,
                        options=SolveOptions(time_limit=time_limit, threads=threads,
                                             track_gap=True))
        row = {"status": sol.status, "binaries": sol.binaries, "objective": sol.objective,
               "dual_bound": sol.dual_bound, "gap": sol.gap, "nodes": sol.nodes,
               "solve_time_s": sol.solve_time_s, "update_time_s": sol.update_time_s,
               "time_to_1pct_gap_s": sol.time_to_1pct_gap_s, "warm_start_cost": warm_cost,
               "warm_time_s": warm_time,
               "lps": sol.stats.get("lps", 0),
               "root_lp_bound": (sol.stats.get("root_bound_after") if cuts == "root"
                                 else root_lp_bound(mpc.encoding)),
               "tighten_cuts": sol.stats.get("tighten_cuts"),
               "progress": progress_points(sol, warm_time),
               **{k: sol.stats.get(k) for k in ("cuts", "cut_rounds", "root_bound_before",
                                                "root_bound_after", "cut_time_s")}}
        rows.append(json_row(row))
    env.close()
    t1 = [r["time_to_1pct_gap_s"] for r in rows]
    # bound tightening (and a GD warm start) is part of the time a controller waits for, so
    # it is added in
    t1_total = [np.inf if t is None else t + r["update_time_s"] + r["warm_time_s"]
                for t, r in zip(t1, rows, strict=True)]
    med = float(np.median(t1_total))
    solve_total = [r["solve_time_s"] + r["update_time_s"] + r["warm_time_s"] for r in rows]
    return {
        "relus": net.relu_count, "horizon": horizon, "env_kwargs": env_kwargs or {},
        "bounds": bounds, "cuts": cuts, "backend": backend,
        "solver_params": dict(solver_params or {}),
        "warm_start": warm_start, "warm_from": warm_from if warm_start else None,
        "time_limit_s": time_limit, "starts": starts, "seed": seed,
        "tighten_budget_s": None if np.isinf(tighten_budget) else tighten_budget,
        "tighten_cut_rounds": tighten_cuts,
        "build_time_s": build_time, "build_stats": mpc.build_stats,
        "binaries": [r["binaries"] for r in rows],
        "solve_time_s": solve_total,
        "time_to_1pct_gap_s": [None if np.isinf(t) else t for t in t1_total],
        "status": [r["status"] for r in rows],
        "gap": [r["gap"] for r in rows],
        "median_time_to_1pct_gap_s": None if np.isinf(med) else med,
        "worst_solve_time_s": float(max(solve_total)),
        "median_solve_time_s": float(np.median(solve_total)),
        "proven_optimal": sum(r["status"] == "optimal" for r in rows),
        "rows": rows,
    }


def progress_points(sol, warm_time: float) -> list[list[float | None]]:
    """``[seconds, incumbent, bound]`` of one solve as it went, then where it ended. Seconds
    count from when the controller would start waiting (bound tightening and a GD warm start
    included); ``None``: no incumbent or bound yet."""
    offset = sol.update_time_s + warm_time
    points = [*sol.progress, (sol.solve_time_s, sol.objective, sol.dual_bound)]
    return [[offset + t, *(float(v) if np.isfinite(v) else None for v in (best, bound))]
            for t, best, bound in points]


def _gd_plan(gd, net: ReluNet, cost, x0, goal, seed: int):
    """Gradient descent's plan from ``x0``: ``(plan, its float64 cost, seconds taken)``."""
    start = time.perf_counter()
    gd.reset(seed, goal)
    plan = np.asarray(gd.act(x0).plan, np.float64)
    seconds = time.perf_counter() - start
    return plan, float(cost.plan_cost(net.rollout(x0, plan), plan, goal)), seconds


def grid_cell_text(record: dict) -> str:
    """``3/3 ✓ 1.2 s`` (all proven, median time) or ``1/3, gap 4.1%`` (worst gap)."""
    if "skipped" in record:
        return "not run (too large)" if "too large" in record["skipped"] else "not run"
    n, proven = record["starts"], record["proven_optimal"]
    if proven == n:
        return f"{proven}/{n} opt, {record['median_solve_time_s']:.1f} s"
    gaps = [g for g in record["gap"] if g is not None]
    worst = f"gap <= {100 * max(gaps):.1f}%" if len(gaps) == n else "no plan"
    return f"{proven}/{n} opt, {worst}"


def grid_table(records: list[dict]) -> str:
    """Markdown table: one row per ReLU budget, one column per horizon."""
    horizons = sorted({r["horizon"] for r in records})
    relus = sorted({r["relus"] for r in records})
    cell = {(r["relus"], r["horizon"]): r for r in records}
    lines = ["| ReLUs per step | " + " | ".join(f"H={h}" for h in horizons) + " |",
             "|---|" + "---|" * len(horizons)]
    for k in relus:
        row = [grid_cell_text(cell[(k, h)]) if (k, h) in cell else "-" for h in horizons]
        lines.append(f"| {k} | " + " | ".join(row) + " |")
    proven = sum(r["proven_optimal"] == r["starts"] for r in records)
    lines.append("")
    lines.append(f"Cells with every start proven optimal: {proven} of {len(records)}.")
    return "\n".join(lines) + "\n"


def objects_table(records: list[dict]) -> str:
    """Markdown table of MIP size and solve time against the number of objects."""
    lines = ["| objects N | ReLUs per step (N^2 R + N O) | binaries per step | variables | "
             "constraints | proven optimal | median solve (s) | median gap |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        gaps = [g for g in r["gap"] if g is not None]
        gap = f"{100 * float(np.median(gaps)):.1f}%" if len(gaps) == r["starts"] else "no plan"
        stats = r["build_stats"]
        lines.append(
            f"| {r['env_kwargs'].get('num_objects')} | {r['relus']} | "
            f"{int(np.median(r['binaries'])) // r['horizon']} | "
            f"{stats['binaries'] + stats['continuous']} | {stats['constraints']} | "
            f"{r['proven_optimal']}/{r['starts']} | {r['median_solve_time_s']:.2f} | {gap} |")
    return "\n".join(lines) + "\n"
