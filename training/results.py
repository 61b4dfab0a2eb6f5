"""What the pipeline's stages return: one frozen dataclass per stage, with named fields.

Until 0.2 the stages returned tuples (``sparse, _, m, _ = sparsify(...)``). Unpacking a result
still works for one release, in the old order, with a ``DeprecationWarning``; use the fields.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mpcnet.data import TransitionData


class _Unpackable:
    """Tuple unpacking in the order the stage returned before 0.2, with a warning."""

    _legacy: ClassVar[tuple[str, ...]] = ()

    def __iter__(self):
        warnings.warn(f"unpacking a {type(self).__name__} as a tuple is deprecated and goes in "
                      f"0.3; use its fields ({', '.join(self._legacy)})", DeprecationWarning,
                      stacklevel=2)
        return iter([getattr(self, name) for name in self._legacy])


@dataclass(frozen=True)
class CollectResult(_Unpackable):
    """:func:`training.collect.collect`: the transitions and the collection's figures
    (``transitions``, ``episodes``, ``contact_fraction``, ``episodes_terminated_early``)."""

    data: TransitionData
    metrics: dict
    _legacy: ClassVar[tuple[str, ...]] = ("data", "metrics")


@dataclass(frozen=True)
class TrainResult(_Unpackable):
    """:func:`training.train.train`: the model (CPU, eval mode), its validation figures, the
    per-epoch history, and the config and episode split it was trained with (sparsification
    holds out the same episodes)."""

    model: Any
    metrics: dict
    history: dict
    config: Any = None
    train_data: TransitionData | None = field(default=None, repr=False)
    val_data: TransitionData | None = field(default=None, repr=False)
    _legacy: ClassVar[tuple[str, ...]] = ("model", "metrics", "history")


@dataclass(frozen=True)
class SparsifyResult(_Unpackable):
    """:func:`training.sparsify.sparsify`: the sparse model, the magnitude-pruning baseline
    (``None`` without it), the figures of both against the dense model, and the history."""

    model: Any
    baseline: Any
    metrics: dict
    history: list
    _legacy: ClassVar[tuple[str, ...]] = ("model", "baseline", "metrics", "history")


@dataclass(frozen=True)
class ProgressiveResult(_Unpackable):
    """:func:`training.sparsify.sparsify_progressive`: the sparse model and its history."""

    model: Any
    history: list
    _legacy: ClassVar[tuple[str, ...]] = ("model", "history")


@dataclass(frozen=True)
class EvaluationResult(_Unpackable):
    """:func:`training.evaluate.evaluate`: every episode (``EpisodeResult``), their summary
    (``success_rate``, ``final_cost_mean``, ...) and the RGB frames of the rendered ones."""

    episodes: list
    summary: dict
    frames: list
    _legacy: ClassVar[tuple[str, ...]] = ("episodes", "summary", "frames")


@dataclass(frozen=True)
class StageRun(_Unpackable):
    """A stage written to its run directory (``collect_to``, ``train_to``): where, and the
    figures it wrote to ``metrics.json``."""

    path: Path
    metrics: dict
    _legacy: ClassVar[tuple[str, ...]] = ("path", "metrics")


@dataclass(frozen=True)
class SparsifyRun(_Unpackable):
    """``sparsify_to``: the run directory and one metrics row per ReLU budget."""

    path: Path
    rows: list
    _legacy: ClassVar[tuple[str, ...]] = ("path", "rows")


@dataclass(frozen=True)
class DiagnosisResult:
    """:func:`training.diagnose.diagnose`: the episodes and their summary, the model's errors
    on the visited states with planned against realised cost (``measures``), the failed
    episodes counted by class, and one row per episode (seed, class, steps, costs)."""

    episodes: list
    summary: dict
    measures: dict
    failures: dict
    per_episode: list
