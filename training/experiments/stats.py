"""Intervals for closed-loop results: how sure a success rate or a mean cost is.

Twenty episodes cannot separate a success rate of 0.25 from 0.35; these intervals say so.

* :func:`wilson_interval`: the Wilson score interval of a binomial proportion (Wilson, 1927).
  Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n successes.
* :func:`bootstrap_interval`: the percentile bootstrap of a mean, seeded, so a report is
  reproducible.
* :func:`paired_difference`: the mean of per-seed differences between two controllers run on
  the same episode seeds, with its bootstrap interval. Pairing removes the variation between
  start states, which dominates at small numbers of episodes.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% quantile of the standard normal


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of ``successes`` out of ``n`` (``(0, 1)`` for ``n = 0``)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(values, seed: int = 0, resamples: int = 2000,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (a point for one value)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan")
    if values.size == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, (resamples, values.size))].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference(a: dict[int, float], b: dict[int, float], seed: int = 0) -> dict:
    """Mean of ``a[s] - b[s]`` over the seeds ``s`` both have, with a bootstrap interval.

    Returns:
        ``{"pairs", "mean", "low", "high"}`` (``mean`` NaN when no seed is shared).
    """
    common = sorted(set(a) & set(b))
    diffs = np.array([a[s] - b[s] for s in common], dtype=np.float64)
    mean = float(diffs.mean()) if len(diffs) else float("nan")
    low, high = bootstrap_interval(diffs, seed)
    return {"pairs": len(common), "mean": mean, "low": low, "high": high}


def episode_intervals(episodes, seed: int = 0) -> tuple[tuple[float, float], tuple[float, float]]:
    """95% intervals of closed-loop episodes: ``(success (Wilson), mean final cost
    (bootstrap))``."""
    success = wilson_interval(sum(e.success for e in episodes), len(episodes))
    return success, bootstrap_interval([e.final_cost for e in episodes], seed)


def _by_seed(episodes, field: str) -> dict:
    """``{seed: episode.field}``: one field of episodes, keyed for :func:`paired_difference`."""
    return {e.seed: getattr(e, field) for e in episodes}


def paired_episodes(a, b, seed: int = 0) -> tuple[dict, dict]:
    """Episodes ``a`` minus episodes ``b`` on the seeds both ran: ``(final cost, success)``,
    each as :func:`paired_difference` returns it."""
    return (paired_difference(_by_seed(a, "final_cost"), _by_seed(b, "final_cost"), seed),
            paired_difference(_by_seed(a, "success"), _by_seed(b, "success"), seed))


def add_vs_best(rows: list[dict], episodes: list, labels: list[str], seed: int = 0) -> None:
    """Give every row ``vs_best``: it minus the best row (highest success, then lowest mean
    final cost) on the episode seeds both ran, final cost and success, with 95% intervals.
    ``episodes[i]`` are row ``i``'s episodes, ``labels[i]`` its name."""
    if not rows:
        return
    best = min(range(len(rows)), key=lambda i: (-rows[i]["success_rate"],
                                                rows[i]["final_cost_mean"]))
    for row, runs in zip(rows, episodes, strict=True):
        cost, success = paired_episodes(runs, episodes[best], seed)
        row["vs_best"] = {"best": labels[best], "pairs": cost["pairs"],
                          "final_cost_diff": cost["mean"],
                          "final_cost_diff_ci95": [cost["low"], cost["high"]],
                          "success_diff": success["mean"],
                          "success_diff_ci95": [success["low"], success["high"]]}


def add_vs_hold(rows: list[dict], episodes: list, labels: list[str], seed: int = 0) -> None:
    """Give every row but the ``hold`` rows ``vs_hold``: it minus doing nothing (the ``hold``
    row of the same model, else the first one) on the seeds both ran, in the env's own return
    (``None`` where the env gives none) and in final cost, with 95% intervals. Answers "did
    this planner beat standing still?". Rows are left as they are when no row is ``hold``."""
    holds = [i for i, r in enumerate(rows) if r["controller"] == "hold"]
    if not holds:
        return
    for i, row in enumerate(rows):
        if i in holds:
            continue
        h = next((j for j in holds if rows[j]["model"] == row["model"]), holds[0])
        cost = paired_difference(_by_seed(episodes[i], "final_cost"),
                                 _by_seed(episodes[h], "final_cost"), seed)
        rewards = _by_seed(episodes[i], "reward"), _by_seed(episodes[h], "reward")
        known = None not in (*rewards[0].values(), *rewards[1].values())
        ret = paired_difference(*rewards, seed) if known else None
        row["vs_hold"] = {"hold": labels[h], "pairs": cost["pairs"],
                          "reward_diff": None if ret is None else ret["mean"],
                          "reward_diff_ci95": None if ret is None else [ret["low"], ret["high"]],
                          "final_cost_diff": cost["mean"],
                          "final_cost_diff_ci95": [cost["low"], cost["high"]]}
