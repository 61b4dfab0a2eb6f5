"""The ``mpcnet`` command line.

Every user error ends in one line on stderr, ``mpcnet <command>: error: ...``, and exit code 2.
Long work shows progress bars; each command ends by printing where its artefacts are.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from mpcnet.errors import SEED_MAX, MpcnetError
from training.cli.flags import flag_names, params_as_flags
from training.config import CollectConfig, SparsifyConfig, TrainConfig, config_fields

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_in(low: int, high: int):
    """An argparse type: an integer in ``[low, high]`` (checked at parse time, before any
    work, so a typo cannot allocate a trillion episodes)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer from {low:,} to {high:,}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"expected an integer from {low:,} to {high:,}, got {value:,}")
        return value
    return parse


def _float_in(low: float, high: float):
    """An argparse type: a number in ``(low, high]`` (NaN refused)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low < value <= high:
            raise argparse.ArgumentTypeError(
                f"expected a number > {low:g} and <= {high:g}, got {text!r}")
        return value
    return parse


SEED = _int_in(0, SEED_MAX)
EPISODES = _int_in(1, 100_000)
STEPS = _int_in(1, 100_000)
STARTS = _int_in(1, 10_000)
HORIZON = _int_in(1, 1_000)
SECONDS = _float_in(0.0, 86_400.0)


def _add_config_args(parser: argparse.ArgumentParser, cls, skip=()) -> None:
    """One option per config field, help text from the field's metadata."""
    for f in config_fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata.get('help', '')} (default: {_fmt(f.default)}{_limit(f)})"
        if f.type in ("bool", bool, "bool | None"):
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=f.default, help=help_text)
        elif f.type in ("tuple[int, ...]",):
            parser.add_argument(flag, dest=f.name, default=_fmt(f.default), help=help_text,
                                metavar="N,N,...")
        else:
            kind = {"int": int, "float": float, "str": str}[str(f.type)]
            parser.add_argument(flag, dest=f.name, type=kind, default=f.default, help=help_text)


def _limit(f) -> str:
    high = f.metadata.get("max")
    return f"; at most {high:,}" if high is not None else ""


def _fmt(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _add_output_args(parser: argparse.ArgumentParser, resumable: bool = False) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="run directory (default: runs/{env}__{stage}__s{seed}__{time})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out if it exists (otherwise an existing run is refused); "
                             "the old run is kept until the new one has finished")
    if resumable:
        parser.add_argument("--resume", action="store_true",
                            help="continue the interrupted run in --out (same settings): "
                                 "finished episodes are read, the others run")


def _add_planner_args(parser: argparse.ArgumentParser) -> None:
    """One option per :class:`PlannerConfig` field (``--samples``, ``--noise``, ...)."""
    from controllers.config import PlannerConfig

    kinds = {"int": int, "int | None": int, "float": float, "float | None": float, "str": str}
    for f in dataclasses.fields(PlannerConfig):
        flag = "--" + f.name.replace("_", "-")
        default = "the planner's" if f.default is None else f.default
        default = "none" if default == "" else default
        help_text = f"{f.metadata['help']} (default: {default}{_limit(f)})"
        if str(f.type) == "bool":
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=f.default, help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, type=kinds[str(f.type)], default=f.default,
                                help=help_text)


def _add_control_args(parser: argparse.ArgumentParser) -> None:
    _add_planner_args(parser)
    parser.add_argument("--steps", type=STEPS, default=40,
                        help="maximum control steps per episode (default 40; at most 100,000)")
    parser.add_argument("--bounds", default="symbolic", choices=["interval", "symbolic", "lp"],
                        help="MIP bound method (default symbolic)")
    parser.add_argument("--num-objects", type=_int_in(0, 6), default=0,
                        help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")


def _backend_name(text: str) -> str:
    """``highs``, ``gurobi``, ``scip``, ``pyomo`` or ``pyomo:NAME`` (a Pyomo solver name)."""
    kind, colon, solver = text.partition(":")
    if kind in ("highs", "gurobi", "scip") and not colon or kind == "pyomo" and (
            not colon or solver):
        return text
    raise argparse.ArgumentTypeError(
        f"expected highs, gurobi, scip, pyomo or pyomo:NAME (e.g. pyomo:gurobi), got {text!r}")


def _solver_param(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` -> ``(NAME, VALUE)`` (:func:`mpcnet.milp.solvers.parse_param`)."""
    from mpcnet.milp.solvers import parse_param

    try:
        return parse_param(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_env_args(parser: argparse.ArgumentParser) -> None:
    """``--env`` and ``--task`` (the task file of a gymnasium env; default: the one the
    model's data was collected with)."""
    parser.add_argument("--env", dest="env_id", default="mpcnet/Push-v0",
                        help="environment id: an mpcnet env, or a gymnasium env with a task "
                             "file (default mpcnet/Push-v0)")
    parser.add_argument("--task", default="",
                        help="task file or shipped task name for a gymnasium env (default: the "
                             "task the model's data was collected with)")


def _add_mip_solve_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by `bench mip` and `bench mip-grid`."""
    _add_env_args(parser)
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
    parser.add_argument("--backend", default="highs", type=_backend_name,
                        help="MIP solver: highs (default), gurobi (gurobipy direct, edited "
                             "in place: pip install 'mpcnet[gurobi]', size-limited licence), "
                             "scip (pip install 'mpcnet[scip]'), pyomo (appsi_highs) or "
                             "pyomo:NAME for a Pyomo solver, e.g. pyomo:gurobi")
    parser.add_argument("--solver-param", type=_solver_param, action="append", default=[],
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
    parser.add_argument("--tighten-cuts", type=_int_in(0, 100), default=0, metavar="ROUNDS",
                        help="rounds of ideal ReLU cuts in each LP of the bound tightening "
                             "(needs LP bounds, the default; 0: plain LPs, default)")
    parser.add_argument("--tighten-budget", type=_float_in(0.0, float("inf")),
                        default=float("inf"), metavar="SEC",
                        help="cap on the LP bound tightening per start (default: none)")
    parser.add_argument("--num-objects", type=_int_in(0, 6), default=0,
                        help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")


def _add_bench_parsers(sub) -> None:
    """`mpcnet bench rollout | mip | planners | mip-objects | bab | mip-grid`."""
    p = sub.add_parser("bench", help="benchmarks (results go into BENCHMARKS.md)", parents=[])
    p.register("action", "parsers", _SubParsers)
    bench = p.add_subparsers(dest="bench", required=True, parser_class=_Parser)
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
                   help="put the table into this file (e.g. BENCHMARKS.md) under its device")

    b = bench.add_parser("mip", help="MILP solve times from seeded start states")
    b.add_argument("--model", type=Path, required=True, help="model directory")
    b.add_argument("--horizon", type=HORIZON, default=10,
                   help="MPC horizon H (default 10; at most 1,000)")
    b.add_argument("--starts", type=STARTS, default=10,
                   help="seeded start states (default 10; at most 10,000)")
    _add_mip_solve_args(b)
    b.add_argument("--highs-threads", type=_int_in(1, 1_024), default=None,
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
    _add_env_args(b)
    b.add_argument("--starts", type=STARTS, default=8,
                   help="seeded start states (default 8; at most 10,000)")
    b.add_argument("--seed", type=SEED, default=1, help="seed of the start states (default 1)")
    b.add_argument("--horizon", type=HORIZON, default=None,
                   help="planning horizon (default 6; 10 with --peer; at most 1,000)")
    b.add_argument("--budget-ms", type=_float_in(0.0, 3_600_000.0), default=200.0,
                   help="budget per plan (ms; default 200)")
    b.add_argument("--peer", choices=["pytorch_mppi"], default=None,
                   help="compare with this peer library on Pendulum-v1: throughput and "
                        "closed-loop reward on the same model and cost")
    b.add_argument("--samples", type=_int_in(1, 1_000_000), default=256,
                   help="--peer: samples K (default 256; at most 1,000,000)")
    b.add_argument("--episodes", type=_int_in(0, 10_000), default=10,
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
    _add_mip_solve_args(b)
    b.add_argument("--json", type=Path, required=True, help="output JSON (all N)")
    b.add_argument("--write", type=Path, default=None, metavar="MARKDOWN",
                   help="put the table into this file (e.g. BENCHMARKS.md)")

    b = bench.add_parser("bab", help="action-space branch and bound: proven gap and plan cost "
                         "from seeded start states (--milp: the MILP on the same problems)")
    b.add_argument("--model", type=Path, required=True, help="model directory")
    _add_env_args(b)
    b.add_argument("--num-objects", type=_int_in(0, 6), default=0,
                   help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")
    b.add_argument("--horizon", type=HORIZON, default=10,
                   help="MPC horizon H (default 10; at most 1,000)")
    b.add_argument("--starts", type=STARTS, default=10,
                   help="seeded start states (default 10; at most 10,000)")
    b.add_argument("--seed", type=SEED, default=0, help="seed of the start states (default 0)")
    b.add_argument("--time-limit", type=SECONDS, default=1.0,
                   help="seconds of search per start (default 1)")
    b.add_argument("--batch", type=_int_in(1, 1_000_000), default=16,
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
    _add_mip_solve_args(b)
    b.add_argument("--json", type=Path, required=True, help="output JSON (all cells)")
    b.add_argument("--write", type=Path, default=None, metavar="MARKDOWN",
                   help="put the grid table into this file (e.g. BENCHMARKS.md)")


def _threads_parent() -> argparse.ArgumentParser:
    """``--threads``, accepted by every command (see :mod:`mpcnet.threads`)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--threads", type=_int_in(1, 1_024), default=None,
                        help="torch intra-op threads (default: $MPCNET_THREADS, else 1; one is "
                             "fastest for these small networks and immune to other jobs)")
    return parent


class _SubParsers(argparse._SubParsersAction):
    """Sub-command parsers that all take the shared options (``--threads``)."""

    def add_parser(self, name, **kwargs):
        kwargs.setdefault("parents", [_threads_parent()])
        return super().add_parser(name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mpcnet", description=(
        "Model-predictive control with sparse ReLU dynamics: collect data, train models, "
        "and plan with them."))
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.register("action", "parsers", _SubParsers)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("collect", help="collect transitions from an environment")
    p.add_argument("--env", dest="env_id", default=CollectConfig.env_id,
                   help="environment id (default: mpcnet/Push-v0)")
    _add_config_args(p, CollectConfig, skip=("env_id",))
    _add_output_args(p)

    p = sub.add_parser("train", help="train a ReLU dynamics model on collected data")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    _add_config_args(p, TrainConfig)
    _add_output_args(p)

    p = sub.add_parser("sparsify", help="sparsify a trained model to a ReLU budget (or a sweep)")
    p.add_argument("--model", type=Path, required=True, help="directory written by `train`")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    p.add_argument("--relus", required=True, metavar="K[,K,...]",
                   help="ReLU budget, or a comma-separated list for a sweep (e.g. 64,32,16,8)")
    _add_config_args(p, SparsifyConfig, skip=("relus",))
    _add_output_args(p)

    p = sub.add_parser("export", help="write a model's network as ONNX ([state; action] rows "
                       "to the next state, residual included)")
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--onnx", type=Path, required=True, help="ONNX file to write")
    p.add_argument("--num-objects", type=_int_in(2, 6), default=None,
                   help="graph models: the number of objects to instantiate it for")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float32 (default, what runtimes expect) or float64 (exact weights)")
    p.add_argument("--overwrite", action="store_true", help="replace --onnx if it exists")

    p = sub.add_parser("import", help="a ReLU MLP trained elsewhere (ONNX: Gemm/MatMul, Add, "
                       "Relu) as a model directory for evaluate, compare and bench")
    p.add_argument("--onnx", type=Path, required=True, help="ONNX file: one input [state; "
                   "action] of shape (batch, n + m), one output: the next state (batch, n)")
    p.add_argument("--residual", action="store_true",
                   help="the network predicts the state change (x' = x + net); default: as "
                        "the graph says")
    _add_env_args(p)
    _add_output_args(p)

    p = sub.add_parser("validate", help="prediction error of a model on a dataset "
                       "(e.g. held-out episodes, or more objects than in training)")
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    p.add_argument("--rollout-horizon", type=HORIZON, default=None,
                   help="open-loop rollout length (default: the model's training horizon)")
    p.add_argument("--json", type=Path, default=None, help="also write the metrics as JSON")

    p = sub.add_parser("evaluate", help="closed-loop episodes with one controller")
    _add_env_args(p)
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--controller", default="mip",
                   help="mip, mip-mppi (MPPI for 40%% of the budget, then the MIP from its "
                        "plan), mppi, cem, gd or random")
    p.add_argument("--episodes", type=EPISODES, default=10,
                   help="episodes (default 10; at most 100,000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    _add_control_args(p)
    _add_output_args(p, resumable=True)

    p = sub.add_parser("compare", help="every (model, controller) pair on the same episodes")
    _add_env_args(p)
    p.add_argument("--models", type=Path, nargs="+", required=True,
                   help="model directories, e.g. DENSE_DIR SPARSE_DIR")
    p.add_argument("--controllers", default="mip,mppi,cem,gd,random",
                   help="comma-separated controllers (default mip,mppi,cem,gd,random; "
                        "also mip-mppi)")
    p.add_argument("--episodes", type=EPISODES, default=10,
                   help="episodes per pair (default 10; at most 100,000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    p.add_argument("--max-mip-relus", type=_int_in(0, 1_000_000), default=32,
                   help="run mip and mip-mppi only on models with at most this many ReLUs "
                        "per step (default 32)")
    p.add_argument("--render", action="store_true",
                   help="also save an animated GIF of the first episode of every pair")
    _add_control_args(p)
    _add_output_args(p, resumable=True)

    p = sub.add_parser("improve", help="rounds of: run the controller with the sparse model, "
                       "add its transitions, fine-tune the dense model, sparsify again")
    p.add_argument("--model", type=Path, required=True, help="dense model directory")
    p.add_argument("--data", type=Path, required=True, help="its data (from `collect`)")
    p.add_argument("--controller", default="mip", help="controller that gathers data (mip)")
    p.add_argument("--relus", type=_int_in(0, 100_000), default=16,
                   help="ReLU budget K of the sparse model (default 16)")
    p.add_argument("--rounds", type=_int_in(0, 100), default=3,
                   help="rounds after round 0 (default 3)")
    p.add_argument("--episodes", type=EPISODES, default=20,
                   help="controller episodes per round (default 20)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    p.add_argument("--train-epochs", type=_int_in(1, 100_000), default=30,
                   help="fine-tuning epochs of the dense model per round (default 30)")
    p.add_argument("--relaxed-epochs", type=_int_in(1, 100_000), default=40,
                   help="sparsification: relaxed epochs per round (default 40)")
    p.add_argument("--finetune-epochs", type=_int_in(0, 100_000), default=20,
                   help="sparsification: fine-tuning epochs per round (default 20)")
    _add_control_args(p)
    _add_output_args(p, resumable=True)

    p = sub.add_parser("sweep", help="closed-loop sweep of a TOML spec (models x controllers "
                       "x budgets x horizons x execute x seeded episodes), resumable")
    p.add_argument("spec", type=Path, help="the sweep spec (TOML; see README, 'Sweeps')")
    p.add_argument("--out", type=Path, required=True,
                   help="sweep directory; run the same spec into it again to continue")
    p.add_argument("--workers", type=_int_in(1, 1_024), default=None,
                   help="local worker processes, one torch thread each (default: the number "
                        "of cores)")
    p.add_argument("--ray", default=None, metavar="ADDRESS",
                   help="run on Ray instead: 'local' (start a local instance), 'auto' (the "
                        "running cluster) or a cluster address; needs pip install 'mpcnet[ray]'")

    p = sub.add_parser("report", help="the paper's figures from runs: one self-contained HTML "
                       "page and a markdown twin")
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN",
                   help="sparsify sweeps, sweep or compare runs, bench mip-grid JSON files")
    _add_output_args(p)

    _add_bench_parsers(sub)

    p = sub.add_parser("demo", help="the main job on built-in defaults (what `make demo` runs)")
    p.add_argument("--episodes", type=_int_in(2, 1_000_000), default=200,
                   help="episodes to collect (default 200)")
    p.add_argument("--epochs", type=_int_in(1, 100_000), default=100,
                   help="training epochs (default 100)")
    p.add_argument("--relus", type=_int_in(0, 1_000_000), default=16,
                   help="ReLU budget of the sparse model (default 16)")
    p.add_argument("--compare-episodes", type=EPISODES, default=3,
                   help="closed-loop episodes per controller (default 3)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="parent directory of the demo's runs (default: runs/demo__{time})")
    return parser


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, every output path that could not be written: ``--out`` (a
    file, under a file, unwritable, or an existing run without ``--overwrite``/``--resume``)
    and ``--json``/``--write``/``--plot`` (a directory, or unwritable)."""
    from training.rundirs import check_out_dir, check_out_file

    if hasattr(args, "overwrite") and hasattr(args, "out") and not getattr(args, "resume", False):
        check_out_dir(args.out, args.overwrite)
    elif args.command == "demo" or (args.command == "sweep"
                                    and not (args.out / "spec.json").is_file()):
        check_out_dir(args.out, can_overwrite=False)
    for flag in ("json", "write", "plot"):
        check_out_file(getattr(args, flag, None), f"--{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        from mpcnet.threads import configure_threads, pin_heap_thresholds
        from training.cli.packages import check_own_packages

        check_own_packages()  # a folder named envs/ here would otherwise be imported as ours

        configure_threads(getattr(args, "threads", None))
        pin_heap_thresholds()
        check_outputs(args)
        from training.cli import commands  # heavy imports (torch, pybullet) only after parsing

        getattr(commands, f"run_{args.command}")(args)
    except MpcnetError as exc:  # the core names parameters (relative=False): show flags
        message = params_as_flags(str(exc), flag_names(parser))
        print(f"mpcnet {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # disk full, permission denied, a path that vanished mid-run
        where = f" {exc.filename}" if exc.filename else ""
        print(f"mpcnet {args.command}: error: cannot read or write{where}: "
              f"{exc.strerror or exc}; check the path and the free space.", file=sys.stderr)
        return EXIT_USAGE
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and "allocate" not in str(exc):
            raise
        print(f"mpcnet {args.command}: error: out of memory ({str(exc).splitlines()[0][:120]}"
              "); use fewer samples, episodes or smaller layers.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"mpcnet {args.command}: interrupted; finished artefacts are kept.", file=sys.stderr)
        return 130
    return 0
