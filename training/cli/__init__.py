"""The ``mpcnet`` command line: the top of the house.

Each command family's parser sits beside its run functions: ``stages`` (collect, train,
sparsify, validate, report, demo), ``onnx`` (export, import), ``control`` (evaluate, compare,
improve, sweep) and ``bench``. ``options`` holds the pieces the parsers share; ``inputs`` reads
run directories named on the command line; ``flags`` shows the core's parameter names as
flags.

Rule: the cli imports everything below it (``training`` and its ``bench`` and ``experiments``,
``controllers``, ``envs``, ``mpcnet``); nothing imports the cli. Every user error ends in one
line on stderr, ``mpcnet <command>: error: ...``, and exit code 2. Long work shows progress
bars; each command ends by printing where its artefacts are. Heavy imports (torch, pybullet)
happen in the run functions, after the arguments are parsed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mpcnet.errors import MpcnetError
from training.cli import bench, control, onnx, stages
from training.cli.flags import flag_names, params_as_flags
from training.cli.inputs import resolve_env_id
from training.cli.options import EXIT_USAGE, Parser, SubParsers


def build_parser() -> argparse.ArgumentParser:
    """The ``mpcnet`` parser: every command family adds its own sub-commands."""
    parser = Parser(prog="mpcnet", description=(
        "Model-predictive control with sparse ReLU dynamics: collect data, train models, "
        "and plan with them."))
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.register("action", "parsers", SubParsers)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for family in (stages, onnx, control, bench):
        family.add_parsers(sub)
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
        resolve_env_id(args)
        module, name = args.run.split(":")  # looked up now, so a test can replace it
        getattr(importlib.import_module(module), name)(args)
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
