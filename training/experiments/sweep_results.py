"""Rows, paired differences and tables of a sweep (and of any set of closed-loop cells)."""

from __future__ import annotations

import itertools

from training.evaluate import EpisodeResult, summarize
from training.experiments.stats import episode_intervals, paired_episodes
from training.experiments.sweep_spec import SweepSpec

ROW_FIELDS = ("episodes", "success_rate", "final_cost_mean", "final_cost_std", "reward_mean",
              "reward_std", "plan_time_median_s", "plan_time_p95_s", "plan_time_max_s",
              "steps_to_success_median", "violations_mean", "violated_rate")


def cell_rows(spec: SweepSpec, results: dict[str, list[EpisodeResult]],
              relus: dict[str, int]) -> list[dict]:
    """One row per cell with episodes: the ``compare`` row's fields, the cell's
    ``budget_ms``, ``horizon`` and ``execute``, and 95% intervals (success: Wilson; mean
    final cost: bootstrap)."""
    rows = []
    for cell in spec.cells():
        episodes = results.get(cell.key, [])
        if not episodes:
            continue
        summary = summarize(episodes)
        (s_low, s_high), (c_low, c_high) = episode_intervals(episodes, spec.seed)
        rows.append({"model": cell.model, "relus": relus[cell.model],
                     "controller": cell.controller, "budget_ms": cell.budget_ms,
                     "horizon": cell.horizon, "execute": cell.execute,
                     **{k: summary[k] for k in ROW_FIELDS},
                     "success_low": s_low, "success_high": s_high,
                     "final_cost_low": c_low, "final_cost_high": c_high,
                     "statuses": summary["statuses"], "cell": cell.key,
                     "complete": len(episodes) == spec.episodes})
    return rows


def paired_rows(spec: SweepSpec, results: dict[str, list[EpisodeResult]]) -> list[dict]:
    """Controller A minus controller B on the same model, budget, horizon and execute, over
    the episode seeds both finished: final cost and success, with bootstrap intervals."""
    rows = []
    cells = spec.cells()
    for a, b in itertools.combinations(cells, 2):
        same = (a.model, a.budget_ms, a.horizon, a.execute) == (b.model, b.budget_ms,
                                                                 b.horizon, b.execute)
        if not same or a.controller == b.controller:
            continue
        cost, success = paired_episodes(results.get(a.key, []), results.get(b.key, []),
                                        spec.seed)
        if cost["pairs"]:
            rows.append({"model": a.model, "budget_ms": a.budget_ms, "horizon": a.horizon,
                         "execute": a.execute, "a": a.controller, "b": b.controller,
                         "pairs": cost["pairs"], "final_cost_diff": cost["mean"],
                         "final_cost_diff_low": cost["low"],
                         "final_cost_diff_high": cost["high"],
                         "success_diff": success["mean"], "success_diff_low": success["low"],
                         "success_diff_high": success["high"]})
    return rows


def _model_name(path: str) -> str:
    return path.rstrip("/").split("/")[-1]


def results_markdown(rows: list[dict], paired: list[dict]) -> str:
    """The cells, then the paired differences, as markdown tables."""
    from training.experiments.compare_plots import vs_best_text

    lines = ["| model | ReLUs | controller | budget (ms) | H | execute | episodes | success "
             "[95% CI] | final cost [95% CI] | vs best cell: success, final cost [95% CI] | "
             "steps to success (median) | obstacle violations per episode, ended on one | "
             "plan time p95 (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        steps = r.get("steps_to_success_median")  # None: no success (or an older row)
        violations = (f"{r['violations_mean']:.1f}, {r['violated_rate']:.2f}"
                      if "violations_mean" in r else "-")
        lines.append(
            f"| {_model_name(r['model'])} | {'-' if r['relus'] is None else r['relus']} | "
            f"{r['controller']} | "
            f"{r['budget_ms']:g} | {r['horizon']} | {r['execute']} | {r['episodes']} | "
            f"{r['success_rate']:.2f} [{r['success_low']:.2f}, {r['success_high']:.2f}] | "
            f"{r['final_cost_mean']:.3f} [{r['final_cost_low']:.3f}, "
            f"{r['final_cost_high']:.3f}] | {vs_best_text(r)} | "
            f"{'-' if steps is None else f'{steps:g}'} | {violations} | "
            f"{r['plan_time_p95_s']:.3f} |")
    if rows and "vs_best" in rows[0]:
        lines.append(f"\nBest cell: {rows[0]['vs_best']['best']} (highest success, then lowest "
                     "mean final cost, over every model); differences are paired on the same "
                     "episode seeds.")
    if paired:
        lines += ["", "Paired differences (A - B, same episode seeds; an interval that excludes "
                  "0 separates the two):", "",
                  "| model | budget (ms) | H | execute | A | B | pairs | final cost A - B "
                  "[95% CI] | success A - B [95% CI] |", "|---|---|---|---|---|---|---|---|---|"]
        for p in paired:
            lines.append(
                f"| {_model_name(p['model'])} | {p['budget_ms']:g} | {p['horizon']} | "
                f"{p['execute']} | {p['a']} | {p['b']} | {p['pairs']} | "
                f"{p['final_cost_diff']:+.3f} [{p['final_cost_diff_low']:+.3f}, "
                f"{p['final_cost_diff_high']:+.3f}] | {p['success_diff']:+.2f} "
                f"[{p['success_diff_low']:+.2f}, {p['success_diff_high']:+.2f}] |")
    return "\n".join(lines) + "\n"

