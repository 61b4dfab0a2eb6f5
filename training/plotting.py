"""matplotlib without a screen, and PNGs written atomically: shared by the experiments' and
the benchmarks' figures."""

from __future__ import annotations

from pathlib import Path

from mpcnet.artifacts import atomic_write


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: Path) -> None:
    atomic_write(Path(path), lambda h: fig.savefig(h, format="png", dpi=110), "wb")
