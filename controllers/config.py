"""Planner settings: one frozen dataclass shared by every controller and the command line.

Light on purpose (no torch import), so the CLI can build its options from the fields.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from mpcnet.errors import ConfigError, check_field_limits

MIP_SOLVERS = ("highs", "gurobi", "scip")  # the direct backends a controller can step with


def _opt(text: str, default=None, high=None):
    """A field whose help text is the CLI help; ``high`` is an enforced upper limit."""
    return field(default=default, metadata={"help": text, "max": high})


@dataclass(frozen=True)
class PlannerConfig:
    """Settings of every planner; ``None`` means the planner's own default (see
    ``controllers/sampling.py``). Field help texts are the command-line help."""

    horizon: int = _opt("planning horizon H", 6, high=1_000)
    execute: int = _opt("actions applied from each plan before replanning (at most the "
                        "horizon)", 1, high=1_000)
    budget_ms: float = _opt("wall-clock planning budget per step, set-up included", 200.0,
                            high=3_600_000)
    iterations: int | None = _opt(
        "a fixed number of planner iterations instead of the time budget (the same seed then "
        "gives the same episode; the MIP: at most this many branch-and-bound nodes)",
        high=1_000_000)
    samples: int | None = _opt("sampled plans per iteration (random 512, mppi/cem 256)",
                               high=1_000_000)
    noise: float | None = _opt("sampling std as a fraction of the action range (mppi 0.3; "
                               "cem: initial std, 0.5)")
    temperature: float | None = _opt(
        "MPPI temperature as a fraction of the iteration's cost spread (0.05)")
    elite_fraction: float | None = _opt("CEM: fraction of samples kept as elites (0.1)")
    smoothing: float | None = _opt(
        "weight of the old mean (and CEM std) in each update (mppi 0, cem 0.2)")
    restarts: int | None = _opt("GD: parallel restarts (16)", high=100_000)
    lr: float | None = _opt("GD: Adam step as a fraction of the action range (0.1)")
    return_best: bool = _opt("MPPI/CEM: return the best sample seen instead of the mean", False)
    dtype: str = _opt("precision of the sampling planners' rollouts: float32 or float64",
                      "float32")
    device: str = _opt("device of the sampling planners' rollouts: cpu, cuda or auto", "cpu")
    mip_solver: str = _opt("MILP solver of the mip controllers: highs, gurobi (extra "
                           "'gurobi', size-limited licence) or scip (extra 'scip')", "highs")
    mip_params: str = _opt("the mip controllers' solver parameters by the solver's own names, "
                           "NAME=VALUE separated by commas, e.g. MIPFocus=2,Cuts=2 (gurobi)",
                           "")

    def __post_init__(self) -> None:
        if not isinstance(self.horizon, int | np.integer) or self.horizon < 1:
            raise ConfigError(f"horizon: expected an integer >= 1, got {self.horizon!r}.")
        if not (isinstance(self.budget_ms, int | float) and np.isfinite(self.budget_ms)
                and self.budget_ms > 0):
            raise ConfigError(f"budget_ms: expected a finite number > 0, got {self.budget_ms!r}.")
        if not isinstance(self.execute, int | np.integer) or not 1 <= self.execute <= self.horizon:
            raise ConfigError(f"execute: expected an integer from 1 to the horizon "
                              f"({self.horizon}), got {self.execute!r}.")
        for name in ("iterations", "samples", "restarts"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | np.integer) or value < 1):
                raise ConfigError(f"{name}: expected an integer >= 1 or None, got {value!r}.")
        for name, low, high in (("noise", 0.0, np.inf), ("temperature", 0.0, np.inf),
                                ("elite_fraction", 0.0, 1.0), ("lr", 0.0, np.inf)):
            value = getattr(self, name)
            if value is not None and not (low < value <= high):
                raise ConfigError(f"{name}: expected a value in ({low:g}, {high:g}], got "
                                  f"{value!r}.")
        if self.smoothing is not None and not 0.0 <= self.smoothing < 1.0:
            raise ConfigError(f"smoothing: expected a value in [0, 1), got {self.smoothing!r}.")
        check_field_limits(self)
        if self.dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype: expected 'float32' or 'float64', got {self.dtype!r}.")
        if self.mip_solver not in MIP_SOLVERS:
            raise ConfigError(f"mip_solver: expected one of {', '.join(MIP_SOLVERS)}, got "
                              f"{self.mip_solver!r}.")
        self.mip_solver_params()  # the format; the solver checks names and values
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", str(self.device)):
            raise ConfigError(f"device: expected 'auto', 'cpu' or 'cuda', got {self.device!r}.")

    def mip_solver_params(self) -> dict:
        """``mip_params`` as a dict; ConfigError for an item that is not ``NAME=VALUE``."""
        from mpcnet.milp.solvers import parse_param

        if not isinstance(self.mip_params, str):
            raise ConfigError(f"mip_params: expected text like 'MIPFocus=2,Cuts=2', got "
                              f"{self.mip_params!r}.")
        try:
            return dict(parse_param(item) for item in self.mip_params.split(",") if item.strip())
        except ValueError as exc:
            raise ConfigError(f"mip_params: {exc}.") from None

    def to_dict(self) -> dict:
        return asdict(self)


PLANNER_FIELDS = tuple(f.name for f in fields(PlannerConfig))
