"""The convergence of `mpcnet bench mip`'s solves: gap, incumbent and bound over time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mpcnet.milp.solvers import relative_gap
from training.plotting import pyplot, save_png

GOAL_GAP, GOAL_SECONDS = 0.01, 1.0  # the target: a 1% gap within one second


def convergence_figure(record: dict, path: Path) -> None:
    """Two panels, one line per start: the relative gap (log scale) against the seconds a
    controller waits, and the incumbent and bound over the start's final incumbent, which
    shows whether the gap closes from above (better plans) or from below (a better bound)."""
    plt = pyplot()
    fig, (ax_gap, ax_val) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.get_cmap("tab10")
    for i, row in enumerate(record["rows"]):
        points = row.get("progress") or []
        if not points:
            continue
        t = np.array([p[0] for p in points])
        gap = np.array([relative_gap(*(np.nan if v is None else v for v in p[1:]))
                        for p in points])  # JSON's None: not found yet
        shown = np.isfinite(gap)
        colour = colours(i % 10)
        ax_gap.step(t[shown], np.maximum(100 * gap[shown], 1e-3), where="post", color=colour,
                    lw=1.2)
        final = points[-1][1]
        if final is None or final == 0:
            continue
        for k, style in ((1, "-"), (2, "--")):
            v = np.array([np.nan if p[k] is None else p[k] / final for p in points])
            ax_val.step(t, v, where="post", color=colour, ls=style, lw=1.2)
    ax_gap.axhline(100 * GOAL_GAP, color="k", lw=0.8, ls=":")
    ax_gap.axvline(GOAL_SECONDS, color="k", lw=0.8, ls=":")
    ax_gap.set_yscale("log")
    for ax in (ax_gap, ax_val):
        ax.set_xlim(left=0.0)  # the time before the first point is bound tightening
    ax_gap.set_xlabel("seconds (bound tightening and warm start included)")
    ax_gap.set_ylabel("relative gap (%)")
    ax_gap.set_title("gap; dotted: 1% and 1 s")
    ax_val.set_xlabel("seconds (bound tightening and warm start included)")
    ax_val.set_ylabel("value / final incumbent")
    ax_val.set_title("incumbent (solid) and bound (dashed)")
    fig.suptitle(f"{record['relus']} ReLUs per step, H = {record['horizon']}, "
                 f"{record['backend']}, bounds {record['bounds']}: "
                 f"{record['proven_optimal']} of {record['starts']} starts proven")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
