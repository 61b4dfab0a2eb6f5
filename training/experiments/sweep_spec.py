"""The sweep spec: a TOML file whose lists are crossed into cells, each run for N episodes.

```toml
env = "mpcnet/Push-v0"
models = ["runs/push-model", "runs/push-16"]
controllers = ["mip", "mppi"]
budget_ms = [200, 1000]
horizon = [6]
execute = [1, 2]
episodes = 40
seed = 0
steps = 40
iterations = 0          # 0: the wall-clock budget decides; N: N planner iterations (reproducible)
# optional
num_objects = 0         # mpcnet/Sort-v0 only
bounds = "symbolic"     # MIP bound method
max_mip_relus = 32      # mip and mip-mppi only on models with at most this many ReLUs
[planner]               # any other PlannerConfig field, for every cell
samples = 256
```

Every ``(cell, episode)`` is one task; episode ``i`` of every cell has the same seed, so
cells are paired on start states.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from controllers.config import PLANNER_FIELDS, PlannerConfig
from mpcnet.errors import SEED_MAX, ConfigError

_LISTS = ("models", "controllers", "budget_ms", "horizon", "execute")
_REQUIRED = ("env", "models", "controllers", "budget_ms", "horizon", "episodes")
_CELL_FIELDS = ("horizon", "budget_ms", "execute", "iterations")


@dataclass(frozen=True)
class Cell:
    """One combination of the spec's lists."""

    model: str
    controller: str
    budget_ms: float
    horizon: int
    execute: int

    @property
    def key(self) -> str:
        """A file-name-safe, unique name (model directories must have distinct names)."""
        return (f"{self.controller}__{Path(self.model).name}__b{self.budget_ms:g}"
                f"__h{self.horizon}__x{self.execute}")


@dataclass(frozen=True)
class SweepSpec:
    env: str
    models: tuple[str, ...]
    controllers: tuple[str, ...]
    budget_ms: tuple[float, ...]
    horizon: tuple[int, ...]
    execute: tuple[int, ...] = (1,)
    episodes: int = 10
    seed: int = 0
    steps: int = 40
    iterations: int = 0
    num_objects: int = 0
    bounds: str = "symbolic"
    max_mip_relus: int = 32
    planner: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from controllers import CONTROLLER_NAMES
        from mpcnet.errors import unknown_name

        for name in _LISTS:
            if not getattr(self, name):
                raise ConfigError(f"sweep spec: {name}: expected a non-empty list.")
        for name in self.controllers:
            if name not in CONTROLLER_NAMES:
                raise unknown_name("controller", name, CONTROLLER_NAMES)
        names = [Path(m).name for m in self.models]
        if len(set(names)) < len(names):
            raise ConfigError(f"sweep spec: models: expected directories with distinct names "
                              f"(results are filed by name), got {list(self.models)}.")
        for name, low, high in (("episodes", 1, 100_000), ("steps", 1, 100_000),
                                ("seed", 0, SEED_MAX), ("iterations", 0, 1_000_000),
                                ("max_mip_relus", 0, 10**9)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"sweep spec: {name}: expected an integer from {low} to "
                                  f"{high:,}, got {value!r}.")
        allowed = set(PLANNER_FIELDS) - set(_CELL_FIELDS)
        unknown = sorted(set(self.planner) - allowed)
        if unknown:
            raise ConfigError(f"sweep spec: [planner]: unknown or per-cell keys {unknown}; "
                              f"expected keys from {sorted(allowed)}.")
        for cell in self.cells():
            self.planner_config(cell)  # every cell's settings are valid before anything runs

    @classmethod
    def load(cls, path: Path) -> SweepSpec:
        """Read and check a TOML spec (model paths relative to the current directory)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"sweep spec {path} does not exist; check the path.")
        try:
            raw = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"sweep spec {path} is not valid TOML ({exc}).") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "sweep spec") -> SweepSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; expected keys from "
                              f"{sorted(known)}.")
        missing = [k for k in _REQUIRED if k not in raw]
        if missing:
            raise ConfigError(f"{where}: missing keys {missing}.")
        values = dict(raw)
        kinds = {"models": str, "controllers": str, "budget_ms": float, "horizon": int,
                 "execute": int}
        for name, kind in kinds.items():
            if name in values:
                items = values[name] if isinstance(values[name], list) else [values[name]]
                if not all(_is(kind, v) for v in items):
                    raise ConfigError(f"{where}: {name}: expected a {kind.__name__} or a list "
                                      f"of them, got {values[name]!r}.")
                values[name] = tuple(kind(v) for v in items)
        if not isinstance(values.get("planner", {}), dict):
            raise ConfigError(f"{where}: [planner]: expected a table of planner settings.")
        return cls(**values)

    def cells(self) -> list[Cell]:
        return [Cell(m, c, b, h, x) for m, c, b, h, x in itertools.product(
            self.models, self.controllers, self.budget_ms, self.horizon, self.execute)]

    def planner_config(self, cell: Cell) -> PlannerConfig:
        if cell.execute > cell.horizon:
            raise ConfigError(f"sweep spec: execute {cell.execute} exceeds horizon "
                              f"{cell.horizon}; every execute value must be <= every horizon.")
        return PlannerConfig(horizon=cell.horizon, budget_ms=cell.budget_ms,
                             execute=cell.execute, iterations=self.iterations or None,
                             **self.planner)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


def _is(kind: type, value) -> bool:
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)
