"""The work behind ``mpcnet bench ...``: rollout kernels, MIP solve times, planners."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mpcnet.artifacts import write_json
from mpcnet.errors import ConfigError, unknown_name
from training.cli.inputs import (
    control_env_kwargs,
    env_kwargs_of,
    load_control_net,
    load_net,
    num_objects_of,
)
from training.cli.options import (
    HORIZON,
    SECONDS,
    SEED,
    STARTS,
    Parser,
    SubParsers,
    add_env_args,
    backend_name,
    float_in,
    int_in,
    solver_param,
)
from training.config import parse_int_list


def add_parsers(sub) -> None:
    """`mpcnet bench rollout | mip | planners | mip-objects | bab | mip-grid`."""
    p = sub.add_parser("bench", help="benchmarks (the suites in benchmarks/ run them; figures "
                       "in BENCHMARKS.md)", parents=[])
    p.register("action", "parsers", SubParsers)
    p.set_defaults(run=f"{__name__}:run_bench")
    bench = p.add_subparsers(dest="bench", required=True, parser_class=Parser)
    b = bench.add_parser("rollout", help="batched rollout kernel against a per-sample loop")
    b.add_argument("--model", type=Path, default=None,
                   help="model directory (default: a random dense 2x128 push-shaped network)")
    b.add_argument("--samples", default="256,1024,4096", help="numbers of sequences K")
    b.add_argument("--horizons", default="10,20", help="horizons H")
    b.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    b.add_argument("--compile", action="store_true", help="torch.compile the step function")
    b.add_argument("--no-loop", action="store_true", help="skip the slow per-sample loop")
    b.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    b.add_argument("--write", type=Path, default=None, metavar="MARKDOWN",
                   help="put the table into this file (a markdown page) under its device")

    b = bench.add_parser("mip", help="MILP solve times from seeded start states")
    b.add_argument("--model", type=Path, required=True, help="model directory")
    b.add_argument("--horizon", type=HORIZON, default=10,
                   help="MPC horizon H (default 10; at most 1,000)")
    b.add_argument("--starts", type=STARTS, default=10,
                   help="seeded start states (default 10; at most 10,000)")
    add_mip_solve_args(b)
    b.add_argument("--highs-threads", type=int_in(1, 1_024), default=None,
                   help="HiGHS threads (default: HiGHS chooses)")
    b.add_argument("--random-like", type=SEED, default=None, metavar="SEED",
                   help="solve a random network of the model's shape instead (entries permuted)")
    b.add_argument("--json", type=Path, required=True, help="output JSON file")
    b.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="also draw each start's gap, incumbent and bound over time "
                        "(HiGHS and Gurobi record them as they go; other backends: the end)")

    b = bench.add_parser("planners", help="plan quality of the sampling planners over a grid, "
                         "or (--peer) against pytorch_mppi on Pendulum-v1")
    b.add_argument("--model", type=Path, default=None,
                   help="model directory (required without --peer; with --peer, default: train "
                        "a 2x64 Pendulum model into JSON_STEM_model/)")
    add_env_args(b)
    b.add_argument("--starts", type=STARTS, default=8,
                   help="seeded start states (default 8; at most 10,000)")
    b.add_argument("--seed", type=SEED, default=1, help="seed of the start states (default 1)")
    b.add_argument("--horizon", type=HORIZON, default=None,
                   help="planning horizon (default 6; 10 with --peer; at most 1,000)")
    b.add_argument("--budget-ms", type=float_in(0.0, 3_600_000.0), default=200.0,
                   help="budget per plan (ms; default 200)")
    b.add_argument("--peer", choices=["pytorch_mppi"], default=None,
                   help="compare with this peer library on Pendulum-v1: throughput and "
                        "closed-loop reward on the same model and cost")
    b.add_argument("--samples", type=int_in(1, 1_000_000), default=256,
                   help="--peer: samples K (default 256; at most 1,000,000)")
    b.add_argument("--episodes", type=int_in(0, 10_000), default=10,
                   help="--peer: Pendulum episodes per planner and budget; 0 = throughput only "
                        "(default 10)")
    b.add_argument("--budgets-ms", default="0,50",
                   help="--peer: per-step budgets; 0 = one iteration per step (default 0,50)")
    b.add_argument("--planners", default=None,
                   help="--peer: planners in the closed loop (default "
                        "mppi,mppi-best,cem,gd,pytorch_mppi); --quality: controllers "
                        "(default mip,mip-mppi,mppi,cem,gd,random; mip:gurobi or "
                        "mip-mppi:scip pick the MIP's solver)")
    b.add_argument("--quality", action="store_true",
                   help="plan quality under the model: every controller's first plan from "
                        "the same start states at --budget-ms, re-scored in float64")
    b.add_argument("--reference-s", type=float_in(0.0, 86_400.0, low_included=True),
                   default=0.0,
                   help="--quality: also solve each start's MILP this many seconds from the "
                        "best plan of all, and give every controller's gap to it (0: off)")
    b.add_argument("--sizes", default="1024x20,256x10",
                   help="--peer: K x H sizes of the throughput table (default 1024x20,256x10)")
    b.add_argument("--json", type=Path, required=True, help="output JSON")

    b = bench.add_parser("mip-objects",
                         help="graph model: MIP size and solve time against the number of objects")
    b.add_argument("--model", type=Path, required=True, help="graph model directory")
    b.add_argument("--objects", dest="object_counts", default="2,3,4,5,6",
                   help="numbers of objects N (default 2,3,4,5,6)")
    b.add_argument("--horizon", type=HORIZON, default=2, help="MPC horizon H (default 2)")
    b.add_argument("--starts", type=STARTS, default=3, help="start states per N (default 3)")
    add_mip_solve_args(b)
    b.add_argument("--json", type=Path, required=True, help="output JSON (all N)")
    b.add_argument("--write", type=Path, default=None, metavar="MARKDOWN",
                   help="put the table into this file (a markdown page)")

    b = bench.add_parser("bab", help="action-space branch and bound: proven gap and plan cost "
                         "from seeded start states (--milp: the MILP on the same problems)")
    b.add_argument("--model", type=Path, required=True, help="model directory")
    add_env_args(b)
    b.add_argument("--num-objects", type=int_in(0, 6), default=0,
                   help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")
    b.add_argument("--horizon", type=HORIZON, default=10,
                   help="MPC horizon H (default 10; at most 1,000)")
    b.add_argument("--starts", type=STARTS, default=10,
                   help="seeded start states (default 10; at most 10,000)")
    b.add_argument("--seed", type=SEED, default=0, help="seed of the start states (default 0)")
    b.add_argument("--time-limit", type=SECONDS, default=1.0,
                   help="seconds of search per start (default 1)")
    b.add_argument("--batch", type=int_in(1, 1_000_000), default=16,
                   help="boxes split per iteration (default 16)")
    b.add_argument("--device", default="cpu", help="'cpu' (default), 'cuda' or 'auto'")
    b.add_argument("--milp", type=SECONDS, default=None, metavar="SEC",
                   help="also solve each start with the MILP (HiGHS, LP-tightened bounds) for "
                        "SEC seconds, from the same warm start")
    b.add_argument("--json", type=Path, required=True, help="output JSON file")

    b = bench.add_parser("mip-grid", help="scalability grid: ReLU budgets x horizons")
    b.add_argument("--models", type=Path, nargs="+", required=True,
                   help="model directories (e.g. the relus_* of a sparsify sweep)")
    b.add_argument("--horizons", default="2,4,6,8,10,15", help="horizons (default 2,...,15)")
    b.add_argument("--starts", type=STARTS, default=3, help="start states per cell (default 3)")
    add_mip_solve_args(b)
    b.add_argument("--json", type=Path, required=True, help="output JSON (all cells)")
    b.add_argument("--write", type=Path, default=None, metavar="MARKDOWN",
                   help="put the grid table into this file (a markdown page)")


def add_mip_solve_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by `bench mip` and `bench mip-grid`."""
    add_env_args(parser)
    parser.add_argument("--seed", type=SEED, default=0,
                        help="seed of the start states (default 0)")
    parser.add_argument("--bounds", default="tight",
                        choices=["interval", "symbolic", "lp", "tight"],
                        help="bound method; 'tight' = 'lp' (symbolic + LP tightening, default)")
    parser.add_argument("--no-warm-start", action="store_true",
                        help="no warm start (default: best of 1024 sampled plans and zero "
                             "actions)")
    parser.add_argument("--warm-from", default="random", choices=["random", "gd"],
                        help="warm start: the best of 1024 random plans (default) or gradient "
                             "descent's plan in 200 ms (its time counts in the solve's)")
    parser.add_argument("--time-limit", type=SECONDS, default=60.0,
                        help="seconds per solve (default 60; at most 86,400)")
    parser.add_argument("--backend", default="highs", type=backend_name,
                        help="MIP solver: highs (default), gurobi (gurobipy direct, edited "
                             "in place: pip install 'mpcnet[gurobi]', size-limited licence), "
                             "scip (pip install 'mpcnet[scip]'), pyomo (appsi_highs) or "
                             "pyomo:NAME for a Pyomo solver, e.g. pyomo:gurobi")
    parser.add_argument("--solver-param", type=solver_param, action="append", default=[],
                        metavar="NAME=VALUE", dest="solver_params",
                        help="a parameter of the --backend solver by its own name, e.g. "
                             "MIPFocus=2 (gurobi), mip_heuristic_effort=0.3 (highs), "
                             "separating/maxrounds=5 (scip); repeatable, the last of a name "
                             "wins; time limit, gap, threads and node limit are mpcnet's own "
                             "options")
    parser.add_argument("--cuts", default="none", choices=["none", "root", "separator"],
                        help="ideal-formulation ReLU cuts: 'root' (highs) runs a root cut loop "
                             "on the LP relaxation, 'separator' (scip) separates them at every "
                             "node (default none)")
    parser.add_argument("--tighten-cuts", type=int_in(0, 100), default=0, metavar="ROUNDS",
                        help="rounds of ideal ReLU cuts in each LP of the bound tightening "
                             "(needs LP bounds, the default; 0: plain LPs, default)")
    parser.add_argument("--tighten-budget", type=float_in(0.0, float("inf")),
                        default=float("inf"), metavar="SEC",
                        help="cap on the LP bound tightening per start (default: none)")
    parser.add_argument("--num-objects", type=int_in(0, 6), default=0,
                        help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")


def run_bench(args: argparse.Namespace) -> None:
    from mpcnet.nn.model_io import load_model
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
    from training.bench.mip import bench_mip, shuffled_like

    _check_warm_start(args)
    for name in ("horizon", "starts"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name}: expected >= 1, got {getattr(args, name)}.")
    if not args.time_limit > 0:
        raise ConfigError(f"--time-limit: expected > 0 seconds, got {args.time_limit}.")
    if args.plot is not None:
        _check_png(args.plot)
    env_kw = control_env_kwargs(args, [args.model])
    net = load_net(args.model, num_objects_of(args.env_id, env_kw))
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
    if path.suffix.lower() != ".png":
        raise ConfigError(f"--plot {path}: expected a .png file name, got "
                          f"{path.suffix or 'no suffix'}; end the name with .png.")


def _run_bench_bab(args: argparse.Namespace) -> None:
    from mpcnet.rollout import resolve_device
    from training.bench.bab import bench_bab

    resolve_device(args.device)  # a clear error before any work
    env_kw = control_env_kwargs(args, [args.model])
    net = load_net(args.model, num_objects_of(args.env_id, env_kw))
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
    from mpcnet.nn.graphnet import GraphNet
    from mpcnet.nn.model_io import load_model
    from training.bench import rollout as bench
    from training.bench.mip import bench_mip, objects_table

    _check_warm_start(args)
    if args.env_id.startswith("mpcnet/Push"):  # a graph model is for sorting
        args.env_id = "mpcnet/Sort-v0"
    counts = list(parse_int_list(args.object_counts, "objects"))
    if load_model(args.model).config()["type"] != "ReluGNN":
        raise ConfigError(f"--model: expected a graph model (trained with --model gnn), got "
                          f"the MLP in {args.model}.")
    graph = GraphNet.load(Path(args.model) / "graphnet")
    bounds = _mip_bounds(args)
    records = []
    for n in counts:
        kwargs = env_kwargs_of(argparse.Namespace(env_id=args.env_id, num_objects=n))
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
    from training.bench.planners import bench_planners

    if args.peer:
        return _run_bench_peer(args)
    if args.model is None:
        raise ConfigError("--model: expected a model directory (only --peer trains its own).")
    if args.reference_s and not args.quality:
        raise ConfigError(f"--reference-s {args.reference_s:g}: the reference MILP is part of "
                          "--quality; add --quality, or leave --reference-s out.")
    if args.quality:
        return _run_plan_quality(args)
    env_kw = control_env_kwargs(args, [args.model])
    net = load_net(args.model, num_objects_of(args.env_id, env_kw))
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
    env_kw = control_env_kwargs(args, [args.model])
    net = load_control_net(args.model, args.env_id, env_kw)
    rows = plan_quality(net, args.env_id, names, args.starts, args.seed, args.horizon or 6,
                        args.budget_ms, env_kw, reference_s=args.reference_s)
    write_json(args.json, rows)
    print(plan_quality_table(rows), end="")
    print(f"results -> {args.json}")


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    try:
        sizes = [tuple(int(v) for v in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(len(s) != 2 or min(s) < 1 for s in sizes):
        raise ConfigError(f"--sizes: expected K x H pairs such as '1024x20,256x10', got {text!r}.")
    return sizes


def _run_bench_peer(args: argparse.Namespace) -> None:
    from mpcnet.nn.model_io import load_model
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
    from mpcnet.nn.model_io import load_model
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
