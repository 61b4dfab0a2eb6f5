"""Solver backends. Exactly one module talks to each solver.

* :mod:`mpcnet.milp.solvers.highs_backend`: the default; the matrix form straight to ``highspy``.
* :mod:`mpcnet.milp.solvers.pyomo_backend`: the same program as a Pyomo model, for any MIP solver
  Pyomo finds (HiGHS through ``appsi_highs``; Gurobi, SCIP, CBC where installed).
* :mod:`mpcnet.milp.solvers.gurobi_backend`: the matrix form straight to ``gurobipy``
  (optional; size-limited pip licence), edited in place between solves like HiGHS.
* :mod:`mpcnet.milp.solvers.scip_backend`: SCIP through PySCIPOpt (optional), with the ideal ReLU
  cuts as a separator at every node.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from mpcnet.errors import ConfigError


@dataclass
class SolveOptions:
    """Options of one solve.

    Attributes:
        time_limit: Seconds (``None``: no limit).
        mip_gap: Relative MIP gap at which the solver stops.
        threads: Solver threads (``None``: the solver's default).
        track_gap: Record when the relative gap first reaches 1 %, and the incumbent and
            bound over time (costs a callback; HiGHS and Gurobi only).
        node_limit: Branch-and-bound nodes at most (``None``: no limit). Unlike a time limit
            it stops the search at the same point on every run (HiGHS only).
    """

    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = None
    track_gap: bool = False
    node_limit: int | None = None


@dataclass
class RawResult:
    """What a backend returns: status in mpcnet's words, column values, bounds, counters."""

    status: str
    values: np.ndarray | None
    objective: float
    dual_bound: float
    gap: float
    nodes: int
    solve_time_s: float
    time_to_1pct_gap_s: float | None
    warm_start_accepted: bool | None
    progress: list[tuple[float, float, float]] = field(default_factory=list)


def relative_gap(incumbent: float, bound: float) -> float:
    """``|incumbent - bound| / |incumbent|`` (``inf`` while either is missing or infinite)."""
    if not (np.isfinite(incumbent) and np.isfinite(bound)):
        return np.inf
    return abs(incumbent - bound) / max(abs(incumbent), 1e-10)


class ProgressTrace:
    """What a solver's progress callback saw: ``points``, ``(seconds, incumbent, bound)``
    whenever either changed (the convergence curve; ``inf``: none yet), and ``first_1pct``,
    the seconds at which the gap first reached 1 %."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float, float]] = []
        self.first_1pct: float | None = None

    def add(self, seconds: float, incumbent: float, bound: float,
            gap: float | None = None) -> None:
        """One callback's view; ``gap`` is the solver's own, else :func:`relative_gap`."""
        if self.first_1pct is None:
            if (relative_gap(incumbent, bound) if gap is None else gap) <= 0.01:
                self.first_1pct = float(seconds)
        if self.points and self.points[-1][1:] == (incumbent, bound):
            return
        self.points.append((float(seconds), float(incumbent), float(bound)))

    def time_to_1pct(self, elapsed: float, final_gap: float) -> float | None:
        """``first_1pct``, or ``elapsed`` for a solve that ended within 1 % unseen by the
        callback (not asked for, or never fired)."""
        if self.first_1pct is None and final_gap <= 0.01:
            return elapsed
        return self.first_1pct


BACKENDS = ("highs", "gurobi", "pyomo", "scip")


@contextlib.contextmanager
def c_output_discarded(fd: int = 1):
    """Point file descriptor ``fd`` (1: stdout, 2: stderr) at /dev/null for the block: what
    C libraries print there, past Python's streams."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):  # no handle on the C library here (e.g. Windows)
        libc = None
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        if libc is not None:
            libc.fflush(None)  # what C still buffered goes to /dev/null too
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def parse_param(text: str) -> tuple[str, object]:
    """``"NAME=VALUE"`` -> ``(NAME, VALUE)``, the value an int, a float, a bool (true/false) or
    else the text, as the solvers' typed parameter setters want it. ValueError (with the
    message to show) for text that is not ``NAME=VALUE``."""
    name, equals, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not equals or not name or not raw:
        raise ValueError(f"expected NAME=VALUE (e.g. MIPFocus=2 for gurobi), got {text!r}")
    for convert in (int, float):
        try:
            return name, convert(raw)
        except ValueError:
            pass
    if raw.lower() in ("true", "false"):
        return name, raw.lower() == "true"
    return name, raw


def refuse_reserved(backend: str, params: dict, reserved) -> None:
    """ConfigError for a solver parameter mpcnet sets itself at every solve (time limit, gap,
    threads, node limit: they come from :class:`SolveOptions`, and a value given here would be
    overwritten or would overwrite them unseen). Names compare case-insensitively, as in
    Gurobi."""
    taken = {name.lower() for name in reserved if name}
    for name in params:
        if name.lower() in taken:
            raise ConfigError(
                f"{backend} parameter {name}: mpcnet sets it at every solve from its own "
                "options (time limit, gap, threads, node limit); use those instead.")


def param_error(backend: str, name: str, value, why: str) -> ConfigError:
    """The one-line error for a solver parameter the solver refused."""
    return ConfigError(f"{backend} parameter {name}={value!r}: refused by the solver ({why}); "
                       "check the name and the value's type against the solver's manual.")
