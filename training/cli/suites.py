"""The runner of the named benchmark suites in ``benchmarks/<suite>/run.py``.

A suite is a list of ``mpcnet`` command lines, each with the path it writes, run in order in
one directory given on the command line (so nothing names a machine's own paths). The same
lines in the suite's README reproduce its tables by hand. ``--quick`` runs every step at toy
sizes (the test suite does, so a suite cannot rot); a step whose output already exists is
skipped, so an interrupted suite continues where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mpcnet.errors import ConfigError


@dataclass(frozen=True)
class Step:
    """One ``mpcnet`` command line of a suite (``{name}`` fields filled from the sizes) and
    the file or directory it writes, relative to the suite's directory."""

    command: str
    writes: str
    only: str = ""  # "quick" or "full": a step of that mode only (e.g. a toy model to use)

    def argv(self, sizes: dict) -> list[str]:
        try:
            words = shlex.split(self.command.format(**sizes))
        except KeyError as exc:
            raise ConfigError(f"suite step {self.command!r}: no size named {exc}.") from None
        if words[0] != "mpcnet":
            raise ConfigError(f"suite step {self.command!r}: expected an mpcnet command.")
        return words[1:]


@dataclass(frozen=True)
class Suite:
    """A named benchmark: its question, its steps, and their sizes in full and quick runs."""

    name: str
    question: str
    steps: tuple[Step, ...]
    full: dict
    quick: dict
    files: dict | None = None  # name -> text written into the directory first (sweep specs)


def _write_files(suite: Suite, sizes: dict) -> None:
    for name, text in (suite.files or {}).items():
        path = Path(name)
        if not path.exists():
            path.write_text(text.format(**sizes))


def run(suite: Suite, out: Path, quick: bool = False) -> list[str]:
    """Run the suite's steps in ``out`` (created if needed); the steps it ran, as text.

    Raises:
        ConfigError: a step failed (its exit code and command are named); the finished steps
            stay in ``out``, and running the suite again continues after them.
    """
    from training.cli import main as mpcnet

    sizes = suite.quick if quick else suite.full
    out.mkdir(parents=True, exist_ok=True)
    ran = []
    with contextlib.chdir(out):
        _write_files(suite, sizes)
        for step in suite.steps:
            if step.only and step.only != ("quick" if quick else "full"):
                continue
            argv = step.argv(sizes)
            line = "mpcnet " + shlex.join(argv)
            if Path(step.writes).exists():
                print(f"[{suite.name}] done already: {line}")
                continue
            print(f"[{suite.name}] {line}", flush=True)
            start = time.perf_counter()
            code = mpcnet(argv)
            if code:
                raise ConfigError(f"suite {suite.name}: `{line}` exited with {code}; the "
                                  f"finished steps are kept in {out}, run the suite again to "
                                  "continue after them.")
            ran.append(f"{line}  # {time.perf_counter() - start:.1f} s")
    return ran


def main(suite: Suite, argv: list[str] | None = None) -> int:
    """The command line of ``benchmarks/<suite>/run.py``: ``--out DIR [--quick]``."""
    parser = argparse.ArgumentParser(prog=f"benchmarks/{suite.name}/run.py",
                                     description=suite.question)
    parser.add_argument("--out", type=Path, required=True,
                        help="directory for the suite's data, models and results (reused: "
                             "finished steps are skipped)")
    parser.add_argument("--quick", action="store_true",
                        help="toy sizes: checks that every step still runs (the tests do)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPCNET_THREADS", "1")
    try:
        ran = run(suite, args.out.resolve(), args.quick)
    except ConfigError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"[{suite.name}] {len(ran)} steps ran; results in {args.out}")
    return 0
