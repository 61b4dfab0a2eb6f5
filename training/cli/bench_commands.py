"""The work behind ``mpcnet bench ...``: rollout kernels, MIP solve times, planners."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mpcnet.artifacts import write_json
from mpcnet.errors import ConfigError, unknown_name
from mpcnet.nn.model_io import load_model
from training.cli.run_inputs import (
    _control_env_kwargs,
    _env_kwargs,
    _load_control_net,
    _load_net,
    _num_objects,
)
from training.config import parse_int_list


def run_bench(args: argparse.Namespace) -> None:
    if args.bench == "mip":
        return _run_bench_mip(args)
    if args.bench == "mip-grid":
        return _run_bench_grid(args)
    if args.bench == "planners":
        return _run_bench_planners(args)
    if args.bench == "mip-objects":
        return _run_bench_objects(args)
    if args.bench == "bab":
        return _run_bench_bab(args)
    import torch

    from mpcnet.nn.relunet import ReluNet
    from training.bench import rollout as bench
    from training.rundirs import safe_name
    from training.train import resolve_device

    device = resolve_device(args.device)
    samples = list(parse_int_list(args.samples, "samples"))
    horizons = list(parse_int_list(args.horizons, "horizons"))
    if args.model is None:
        net, what = bench.random_push_net(), "random dense 2x128 push-shaped network"
    else:
        load_model(args.model)  # validates the directory with a clear error
        net, what = ReluNet.load(Path(args.model) / "relunet"), f"model {args.model}"
    rows = bench.bench_rollout(net, samples, horizons, device, args.compile, not args.no_loop)
    name = bench.device_name(device)
    flags = (f" --model {args.model}" if args.model else "") + (" --compile" if args.compile
                                                                   else "")
    header = (f"### Rollout kernel on {name}\n\n`mpcnet bench rollout{flags}` on the {what} "
              f"({net.relu_count} ReLUs, hidden {net.hidden_sizes}); torch {torch.__version__}"
              f"{', compiled' if args.compile else ''}, float32, {time.strftime('%Y-%m-%d')}.")
    table = bench.rollout_table(rows, header)
    print(table, end="")
    if args.json:
        write_json(args.json, {"device": name, "model": what, "rows": rows})
    if args.write:
        which = "random-dense" if args.model is None else safe_name(str(args.model))
        key = f"bench-rollout-{safe_name(name)}-{which}{'-compiled' if args.compile else ''}"
        bench.replace_section(args.write, key, table)
        print(f"table -> {args.write}")


def _check_warm_start(args: argparse.Namespace) -> None:
    """``--warm-from gd`` with ``--no-warm-start`` asks for two things at once: refuse it."""
    from mpcnet.errors import ConfigError

    if args.no_warm_start and args.warm_from != "random":
        raise ConfigError(f"--warm-from {args.warm_from}: expected no --no-warm-start with it "
                          "(one asks for a warm start, the other for none); drop one of them.")


def _mip_bounds(args: argparse.Namespace) -> str:
    """The MIP benches' bound method ('tight' is 'lp'); cuts in the tightening need it."""
    bounds = "lp" if args.bounds == "tight" else args.bounds
    if args.tighten_cuts and bounds != "lp":
        raise ConfigError(f"--tighten-cuts: the cuts go into the LP bound tightening, which "
                          f"--bounds {args.bounds} does not run; drop --bounds (LP is the "
                          "default) or --tighten-cuts.")
    return bounds


def _run_bench_mip(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from training.bench.mip import bench_mip, shuffled_like

    _check_warm_start(args)
    for name in ("horizon", "starts"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name}: expected >= 1, got {getattr(args, name)}.")
    if not args.time_limit > 0:
        raise ConfigError(f"--time-limit: expected > 0 seconds, got {args.time_limit}.")
    if args.plot is not None:
        _check_png(args.plot)
    env_kw = _control_env_kwargs(args, [args.model])
    net = _load_net(args.model, _num_objects(args.env_id, env_kw))
    if args.random_like is not None:
        net = shuffled_like(net, args.random_like)
    bounds = _mip_bounds(args)
    record = bench_mip(net, args.env_id, args.horizon, args.starts, args.seed, bounds,
                       not args.no_warm_start, args.time_limit, args.highs_threads, progress=True,
                       tighten_budget=args.tighten_budget, cuts=args.cuts,
                       tighten_cuts=args.tighten_cuts,
                       backend=args.backend, warm_from=args.warm_from,
                       solver_params=dict(args.solver_params), env_kwargs=env_kw)
    record.update({"model": str(args.model), "env_id": args.env_id,
                   "random_like": args.random_like})
    write_json(args.json, record)
    med = record["median_time_to_1pct_gap_s"]
    print(f"{record['relus']} ReLUs, H={args.horizon}, bounds={bounds}, "
          f"warm start {'off' if args.no_warm_start else args.warm_from}: median binaries "
          f"{int(np.median(record['binaries']))}, proven optimal {record['proven_optimal']}/"
          f"{args.starts}, median time to 1% gap "
          f"{'not reached' if med is None else f'{med:.2f} s'}, median final gap "
          f"{_median_gap_text(record['gap'])}, worst solve {record['worst_solve_time_s']:.2f} s")
    print(f"results -> {args.json}")
    if args.plot is not None:
        from training.bench.mip_plots import convergence_figure

        convergence_figure(record, args.plot)
        print(f"plot -> {args.plot}")


def _median_gap_text(gaps: list[float | None]) -> str:
    """``16.3%``; a start with no plan (gap ``None``) counts as an infinite gap."""
    median = float(np.median([np.inf if g is None else g for g in gaps]))
    return f"{100 * median:.1f}%" if np.isfinite(median) else "none (no plan on most starts)"


def _check_png(path: Path) -> None:
    """Refuse a plot name other than .png before any solve runs (where it can be written is
    checked with the other outputs, in ``cli.check_outputs``)."""
    from mpcnet.errors import ConfigError

    if path.suffix.lower() != ".png":
        raise ConfigError(f"--plot {path}: expected a .png file name, got "
                          f"{path.suffix or 'no suffix'}; end the name with .png.")


def _run_bench_bab(args: argparse.Namespace) -> None:
    from mpcnet.rollout import resolve_device
    from training.bench.bab import bench_bab

    resolve_device(args.device)  # a clear error before any work
    env_kw = _control_env_kwargs(args, [args.model])
    net = _load_net(args.model, _num_objects(args.env_id, env_kw))
    record = bench_bab(net, args.env_id, args.horizon, args.starts, args.seed,
                       args.time_limit, args.device, env_kw, args.milp, args.batch,
                       progress=True)
    record["model"] = str(args.model)
    write_json(args.json, record)

    def pct(v):
        return "none" if v is None else f"{100 * v:.1f}%"

    line = (f"{record['relus']} ReLUs, H={args.horizon}, {record['device']}: bab after "
            f"{args.time_limit:g} s: median gap {pct(record['median_gap'])}, proven "
            f"{record['proven']}/{args.starts}")
    if args.milp is not None:
        line += f"; MILP after {args.milp:g} s: median gap {pct(record['milp_median_gap'])}"
    print(line)
    print(f"results -> {args.json}")


def _run_bench_objects(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from mpcnet.nn.graphnet import GraphNet
    from training.bench import rollout as bench
    from training.bench.mip import bench_mip, objects_table

    _check_warm_start(args)
    if args.env_id == "mpcnet/Push-v0":  # the shared default of the MIP bench options
        args.env_id = "mpcnet/Sort-v0"
    counts = list(parse_int_list(args.object_counts, "objects"))
    if load_model(args.model).config()["type"] != "ReluGNN":
        raise ConfigError(f"--model: expected a graph model (trained with --model gnn), got "
                          f"the MLP in {args.model}.")
    graph = GraphNet.load(Path(args.model) / "graphnet")
    bounds = _mip_bounds(args)
    records = []
    for n in counts:
        kwargs = _env_kwargs(argparse.Namespace(env_id=args.env_id, num_objects=n))
        rec = bench_mip(graph.instantiate(n), args.env_id, args.horizon, args.starts, args.seed,
                        bounds, not args.no_warm_start, args.time_limit, progress=True,
                        tighten_budget=args.tighten_budget, cuts=args.cuts,
                        tighten_cuts=args.tighten_cuts,
                        backend=args.backend, warm_from=args.warm_from,
                        solver_params=dict(args.solver_params), env_kwargs=kwargs)
        rec["model"] = str(args.model)
        records.append(rec)
        write_json(args.json, records)  # finished rows stay readable if interrupted
        print(f"  N={n}: {rec['relus']} ReLUs per step, {rec['proven_optimal']}/{args.starts} "
              f"proven, median {rec['median_solve_time_s']:.2f} s")
    header = (f"### MIP size and solve time against the number of objects ({args.model}: "
              f"{graph.relation_relus} relation + {graph.object_relus} object ReLUs; H="
              f"{args.horizon}, bounds {bounds}, {args.time_limit:g} s per solve, {args.starts} "
              f"starts per N, {time.strftime('%Y-%m-%d')})\n\n")
    table = header + objects_table(records)
    print(table, end="")
    if args.write:
        bench.replace_section(args.write, "bench-mip-objects", table)
    print(f"results -> {args.json}")


def _run_bench_planners(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from training.bench.planners import bench_planners

    if args.peer:
        return _run_bench_peer(args)
    if args.model is None:
        raise ConfigError("--model: expected a model directory (only --peer trains its own).")
    if args.quality:
        return _run_plan_quality(args)
    env_kw = _control_env_kwargs(args, [args.model])
    net = _load_net(args.model, _num_objects(args.env_id, env_kw))
    rows = bench_planners(net, args.env_id, args.starts, args.seed, args.horizon or 6,
                          args.budget_ms, env_kw)
    write_json(args.json, rows)
    for r in rows:
        mark = "  (default)" if r["default"] else ""
        print(f"{r['planner']:7s} {r['settings']}: {r['mean_predicted_cost']:.4f}{mark}")
    print(f"results -> {args.json}")


def _run_plan_quality(args: argparse.Namespace) -> None:
    from controllers import CONTROLLER_NAMES, MIP_CONTROLLERS
    from controllers.config import MIP_SOLVERS
    from training.bench.planners import plan_quality, plan_quality_table

    names = [p.strip() for p in (args.planners or "mip,mip-mppi,mppi,cem,gd,random").split(",")
             if p.strip()]
    for name in names or [""]:
        base, _, solver = name.partition(":")
        if base not in CONTROLLER_NAMES:
            raise unknown_name("controller", base, CONTROLLER_NAMES)
        if solver and (base not in MIP_CONTROLLERS or solver not in MIP_SOLVERS):
            raise ConfigError(f"--planners: a solver suffix goes on a MIP controller "
                              f"({', '.join(MIP_CONTROLLERS)}) and names one of "
                              f"{', '.join(MIP_SOLVERS)} (e.g. mip:gurobi); got {name!r}.")
    env_kw = _control_env_kwargs(args, [args.model])
    net = _load_control_net(args.model, args.env_id, env_kw)
    rows = plan_quality(net, args.env_id, names, args.starts, args.seed, args.horizon or 6,
                        args.budget_ms, env_kw)
    write_json(args.json, rows)
    print(plan_quality_table(rows), end="")
    print(f"results -> {args.json}")


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    from mpcnet.errors import ConfigError

    try:
        sizes = [tuple(int(v) for v in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(len(s) != 2 or min(s) < 1 for s in sizes):
        raise ConfigError(f"--sizes: expected K x H pairs such as '1024x20,256x10', got {text!r}.")
    return sizes


def _run_bench_peer(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from mpcnet.nn.relunet import ReluNet
    from training.bench import peer as bench_peer

    bench_peer.load_peer()  # a clear message before any work when it is not installed
    sizes = _parse_sizes(args.sizes)
    try:
        budgets = [float(b) for b in args.budgets_ms.split(",")]
    except ValueError:
        budgets = []
    if not budgets or not all(0 <= b < float("inf") for b in budgets):
        raise ConfigError(f"--budgets-ms: expected comma-separated numbers >= 0 such as '0,50', "
                          f"got {args.budgets_ms!r}.")
    planners = [p.strip() for p in (args.planners or "mppi,mppi-best,cem,gd,pytorch_mppi"
                                     ).split(",") if p.strip()]
    known = ("mppi", "mppi-best", "cem", "gd", "random", "pytorch_mppi")
    for name in planners or [""]:
        if name not in known:
            raise unknown_name("planner", name, known)
    if args.samples < 1:
        raise ConfigError(f"--samples: expected >= 1, got {args.samples}.")
    if args.episodes < 0:
        raise ConfigError(f"--episodes: expected >= 0 (0 = throughput only), got "
                          f"{args.episodes}.")
    horizon = args.horizon or 10
    model_dir = args.model or bench_peer.train_pendulum_model(
        args.json.with_name(args.json.stem + "_model"), args.seed)
    load_model(model_dir)
    net = ReluNet.load(Path(model_dir) / "relunet")
    if (net.state_dim, net.action_dim) != (3, 1):
        raise ConfigError(f"--model: expected a Pendulum-v1 model (3 states, 1 action), got "
                          f"{net.state_dim} states and {net.action_dim} actions in {model_dir}.")
    print(f"throughput ({', '.join(f'{k}x{h}' for k, h in sizes)}), model {model_dir}")
    rows = bench_peer.throughput(net, sizes)
    print(bench_peer.throughput_table(rows), end="")
    loop = []
    if args.episodes:
        print(f"closed loop on Pendulum-v1: {args.episodes} episodes, K={args.samples}, "
              f"H={horizon}")
        loop = bench_peer.closed_loop(net, planners, budgets, args.samples, horizon,
                                      args.episodes, args.seed)
        print(bench_peer.closed_loop_table(loop), end="")
    write_json(args.json, {"model": str(model_dir), "throughput": rows, "closed_loop": loop})
    print(f"results -> {args.json}")


def _params_text(args: argparse.Namespace) -> str:
    """`` MIPFocus=2 Cuts=2`` for the solver parameters given, else nothing."""
    return "".join(f" {name}={value}" for name, value in dict(args.solver_params).items())


def _run_bench_grid(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from mpcnet.nn.relunet import ReluNet
    from training.bench import rollout as bench
    from training.bench.mip import bench_mip, check_solver_options, grid_table

    _check_warm_start(args)
    horizons = list(parse_int_list(args.horizons, "horizons"))
    nets = []
    for model_dir in args.models:
        load_model(model_dir)
        nets.append((model_dir, ReluNet.load(Path(model_dir) / "relunet")))
    smallest = min((net for _, net in nets), key=lambda net: net.relu_count)
    check_solver_options(smallest, args.env_id, args.backend, args.cuts,
                         dict(args.solver_params))
    bounds = _mip_bounds(args)
    records = []
    for model_dir, net in sorted(nets, key=lambda p: p[1].relu_count):
        for h in horizons:
            try:
                rec = bench_mip(net, args.env_id, h, args.starts, args.seed, bounds,
                                not args.no_warm_start, args.time_limit, progress=True,
                                tighten_budget=args.tighten_budget, cuts=args.cuts,
                                tighten_cuts=args.tighten_cuts,
                                backend=args.backend, warm_from=args.warm_from,
                                solver_params=dict(args.solver_params))
            except ConfigError as exc:  # e.g. a program too large for Gurobi's pip licence
                rec = {"relus": net.relu_count, "horizon": h, "starts": args.starts,
                       "proven_optimal": 0, "skipped": str(exc)}
                print(f"  {net.relu_count} ReLUs, H={h}: not run: {exc}")
            else:
                print(f"  {net.relu_count} ReLUs, H={h}: {rec['proven_optimal']}/{args.starts} "
                      f"proven, median {rec['median_solve_time_s']:.2f} s")
            rec["model"] = str(model_dir)
            records.append(rec)
            write_json(args.json, records)  # finished cells stay readable if interrupted
    header = (f"### MIP scalability grid ({args.env_id}, bounds {bounds}, warm start "
              f"{'off' if args.no_warm_start else args.warm_from}, "
              f"{args.time_limit:g} s per solve, "
              f"{args.starts} starts per cell, {args.backend}{_params_text(args)}, "
              f"{time.strftime('%Y-%m-%d')})\n\n")
    table = header + grid_table(records)
    print(table, end="")
    if args.write:
        bench.replace_section(args.write, f"bench-mip-grid-{bounds}", table)
    print(f"results -> {args.json}")
