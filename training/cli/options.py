"""The pieces every command's parser is made of: argparse with one-line errors, checked
number types, one option per config field, and the options several commands share."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from mpcnet.errors import SEED_MAX
from training.config import config_fields

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_in(low: int, high: int):
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


def float_in(low: float, high: float, low_included: bool = False):
    """An argparse type: a number in ``(low, high]``, or ``[low, high]`` with
    ``low_included`` (NaN refused)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (low <= value if low_included else low < value) or not value <= high:
            raise argparse.ArgumentTypeError(
                f"expected a number {'>=' if low_included else '>'} {low:g} and <= {high:g}, "
                f"got {text!r}")
        return value
    return parse


SEED = int_in(0, SEED_MAX)
EPISODES = int_in(1, 100_000)
STEPS = int_in(1, 100_000)
STARTS = int_in(1, 10_000)
HORIZON = int_in(1, 1_000)
SECONDS = float_in(0.0, 86_400.0)


def add_config_args(parser: argparse.ArgumentParser, cls, skip=()) -> None:
    """One option per config field, help text from the field's metadata."""
    for f in config_fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata.get('help', '')} (default: {_fmt(f.default)}{_limit(f)})"
        if f.type in ("bool", bool, "bool | None"):
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=f.default, help=help_text)
        elif f.type in ("tuple[int, ...]", "tuple[int, ...] | None"):
            default = None if f.default is None else _fmt(f.default)  # None: auto
            parser.add_argument(flag, dest=f.name, default=default, help=help_text,
                                metavar="N,N,...")
        else:
            kind = {"int": int, "float": float, "str": str}[str(f.type).removesuffix(" | None")]
            parser.add_argument(flag, dest=f.name, type=kind, default=f.default, help=help_text)


def _limit(f) -> str:
    high = f.metadata.get("max")
    return f"; at most {high:,}" if high is not None else ""


def _fmt(value) -> str:
    if value is None:  # decided from the data or the env (see the field's help)
        return "auto"
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def add_output_args(parser: argparse.ArgumentParser, resumable: bool = False) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="run directory (default: runs/{env}__{stage}__s{seed}__{time})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out if it exists (otherwise an existing run is refused); "
                             "the old run is kept until the new one has finished")
    if resumable:
        parser.add_argument("--resume", action="store_true",
                            help="continue the interrupted run in --out (same settings): "
                                 "finished episodes are read, the others run; a larger "
                                 "--episodes extends a finished run (the first episodes "
                                 "keep their seeds)")


def add_planner_args(parser: argparse.ArgumentParser) -> None:
    """One option per :class:`PlannerConfig` field (``--samples``, ``--noise``, ...)."""
    from controllers.config import PlannerConfig

    kinds = {"int": int, "int | None": int, "float": float, "float | None": float, "str": str}
    for f in dataclasses.fields(PlannerConfig):
        flag = "--" + f.name.replace("_", "-")
        default = "the planner's" if f.default is None else f.default
        if f.name == "horizon":  # the env's (envs.default_horizon): filled once it is known
            default = "the env's, 12 on Push(T)-v2 and the hard v1 variants, else 6"
        default = "none" if default == "" else default
        help_text = f"{f.metadata['help']} (default: {default}{_limit(f)})"
        if str(f.type) == "bool":
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=f.default, help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, type=kinds[str(f.type)],
                                default=None if f.name == "horizon" else f.default,
                                help=help_text)


def add_control_args(parser: argparse.ArgumentParser) -> None:
    add_planner_args(parser)
    parser.add_argument("--steps", type=STEPS, default=40,
                        help="maximum control steps per episode (default 40; at most 100,000)")
    parser.add_argument("--bounds", default="symbolic", choices=["interval", "symbolic", "lp"],
                        help="MIP bound method (default symbolic)")
    parser.add_argument("--num-objects", type=int_in(0, 6), default=0,
                        help="objects in mpcnet/Sort-v0 (2 to 6; default: the env's 4)")
    parser.add_argument("--approach-weight", type=float_in(0.0, 1.0, low_included=True),
                        default=None,
                        help="Push envs: weight of the pusher's L1 distance to each keypoint in "
                             "every planner's cost, which keeps the pusher by the object when "
                             "nothing in the horizon pays (default: the env's, 0.05 on "
                             "Push(T)-v2 and the hard v1 variants, else 0)")


def backend_name(text: str) -> str:
    """``highs``, ``gurobi``, ``scip``, ``pyomo`` or ``pyomo:NAME`` (a Pyomo solver name)."""
    kind, colon, solver = text.partition(":")
    if kind in ("highs", "gurobi", "scip") and not colon or kind == "pyomo" and (
            not colon or solver):
        return text
    raise argparse.ArgumentTypeError(
        f"expected highs, gurobi, scip, pyomo or pyomo:NAME (e.g. pyomo:gurobi), got {text!r}")


def solver_param(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` -> ``(NAME, VALUE)`` (:func:`mpcnet.milp.solvers.parse_param`)."""
    from mpcnet.milp.solvers import parse_param

    try:
        return parse_param(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_env_args(parser: argparse.ArgumentParser) -> None:
    """``--env`` and ``--task`` (the task file of a gymnasium env; default: the one the
    model's data was collected with)."""
    parser.add_argument("--env", dest="env_id", default=None,
                        help="environment id: an mpcnet env, or a gymnasium env with a task "
                             "file (default: the env the model's data came from, else "
                             "mpcnet/Push-v1)")
    parser.add_argument("--task", default="",
                        help="task file or shipped task name for a gymnasium env (default: the "
                             "task the model's data was collected with)")


def threads_parent() -> argparse.ArgumentParser:
    """``--threads``, accepted by every command (see :mod:`mpcnet.threads`)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--threads", type=int_in(1, 1_024), default=None,
                        help="torch intra-op threads (default: $MPCNET_THREADS, else 1; one is "
                             "fastest for these small networks and immune to other jobs)")
    return parent


class SubParsers(argparse._SubParsersAction):
    """Sub-command parsers that all take the shared options (``--threads``)."""

    def add_parser(self, name, **kwargs):
        kwargs.setdefault("parents", [threads_parent()])
        return super().add_parser(name, **kwargs)


def config_from_args(cls, args: argparse.Namespace, **overrides):
    """The stage config ``cls`` of the parsed options named like its fields."""
    values = {f.name: getattr(args, f.name) for f in config_fields(cls) if hasattr(args, f.name)}
    values.update(overrides)
    return cls(**values)


def planner_config_from_args(args: argparse.Namespace, **overrides):
    """The :class:`PlannerConfig` of the parsed planner options."""
    from controllers.config import PLANNER_FIELDS, PlannerConfig

    values = {name: getattr(args, name) for name in PLANNER_FIELDS if hasattr(args, name)}
    if values.get("horizon") is None:
        import envs

        values["horizon"] = envs.default_horizon(getattr(args, "env_id", None))
    return PlannerConfig(**{**values, **overrides})
