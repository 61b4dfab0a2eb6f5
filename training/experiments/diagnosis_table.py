"""One table over many closed-loop runs of the same seeded episodes: how good each model is
where its planner goes, and whether that is what decides success.

A row is a ``mpcnet diagnose`` run (``diagnosis.json``) or an ``mpcnet evaluate`` run
(``metrics.json`` with its episodes, e.g. the simulator as the model, which has no error to
measure). It reads the model's own figures beside it: ReLUs, training transitions and the
held-out rollout error (over the explorer's episodes), each against "no change". Every row is
paired with the best one (highest success, then lowest final cost) on the episode seeds both
ran.
"""

from __future__ import annotations

import json
from pathlib import Path

from mpcnet.artifacts import read_json
from training.experiments.stats import bootstrap_interval, paired_difference, wilson_interval


def is_episode_run(path: Path) -> bool:
    """Whether ``path`` is a diagnose run or an evaluate run with per-episode results."""
    path = Path(path)
    if (path / "diagnosis.json").is_file():
        return True
    metrics = path / "metrics.json"
    return metrics.is_file() and "episodes_detail" in _json(metrics)


def _json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def _model_figures(model: str) -> dict:
    """ReLUs, training transitions and held-out rollout error over "no change" of a model
    directory (``sim`` and unreadable directories give ``None`` for each)."""
    metrics = _json(Path(model) / "metrics.json") if model != "sim" else {}
    relus = metrics.get("relus", metrics.get("relus_after"))
    zero = metrics.get("val_mse_rollout_zero")
    held_out = metrics["val_mse_rollout"] / zero if zero and "val_mse_rollout" in metrics else None
    data = _json(Path(model) / "config.json").get("data") if model != "sim" else None
    transitions = _json(Path(data) / "metrics.json").get("transitions") if data else None
    return {"relus": relus, "held_out_ratio": held_out, "transitions": transitions}


def episode_row(run: Path) -> dict:
    """The row of one run: its label, model figures, success and final cost with 95%
    intervals, on-policy errors (diagnose runs) and per-seed outcomes."""
    run = Path(run)
    if (run / "diagnosis.json").is_file():
        report = read_json(run / "diagnosis.json", "diagnosis")
        model, controller = report["model"], report["controller"]
        plan_time = report["summary"].get("plan_time_median_s")
        episodes = [{"seed": e["seed"], "success": e["class"] == "success",
                     "final_cost": e["final_cost"]} for e in report["episodes"]]
        m = report["measures"]
        ratio = lambda a, b: m[a] / m[b] if m.get(b) else None  # noqa: E731
        measures = {"on_policy_1step_ratio": ratio("visited_mse_1step", "visited_mse_1step_zero"),
                    "on_policy_rollout_ratio": ratio("visited_mse_rollout",
                                                     "visited_mse_rollout_zero"),
                    "planned_over_realised": m.get("planned_over_realised_median")}
    else:
        config = read_json(run / "config.json", "run config")
        model, controller = str(config["model"]), config["controller"]
        metrics = read_json(run / "metrics.json", "metrics")
        plan_time = metrics.get("plan_time_median_s")
        episodes = [{"seed": e["seed"], "success": bool(e["success"]),
                     "final_cost": e["final_cost"]} for e in metrics["episodes_detail"]]
        measures = dict.fromkeys(("on_policy_1step_ratio", "on_policy_rollout_ratio",
                                  "planned_over_realised"))
    n, wins = len(episodes), sum(e["success"] for e in episodes)
    costs = [e["final_cost"] for e in episodes]
    return {"run": str(run), "model": model, "controller": controller, "episodes": n,
            "plan_ms": None if plan_time is None else 1000 * plan_time,
            "success_rate": wins / max(n, 1), "success_ci95": wilson_interval(wins, n),
            "final_cost_mean": sum(costs) / max(n, 1), "final_cost_ci95": bootstrap_interval(costs),
            **_model_figures(model), **measures,
            "by_seed": {e["seed"]: (float(e["success"]), e["final_cost"]) for e in episodes}}


def episode_rows(runs: list[Path], seed: int = 0) -> list[dict]:
    """Rows of ``runs``, each with ``vs_best``: its success minus the best row's on the seeds
    both ran, with a 95% bootstrap interval."""
    rows = [episode_row(run) for run in runs]
    if not rows:
        return rows
    best = min(rows, key=lambda r: (-r["success_rate"], r["final_cost_mean"]))
    for row in rows:
        diff = paired_difference({s: v[0] for s, v in row["by_seed"].items()},
                                 {s: v[0] for s, v in best["by_seed"].items()}, seed)
        row["vs_best"] = {"best": best["run"], **diff}
    return rows


def model_label(model: str) -> str:
    """A short name of a model directory: its name, with its parent for a budget of a
    sparsify sweep (``sweep/relus_32``)."""
    path = Path(model)
    return f"{path.parent.name}/{path.name}" if path.name.startswith("relus_") else path.name


def _f(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def episode_table(rows: list[dict]) -> str:
    """Markdown: one line per run, the paired difference to the best run last."""
    head = ("| model | ReLUs | data | planner | plan ms (median) | episodes | success [95%] "
            "| final cost [95%] | "
            "held-out rollout / no change | on-policy 1-step / no change | on-policy H-step "
            "/ no change | planned / realised | success - best [95%] (pairs) |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        s_lo, s_hi = r["success_ci95"]
        c_lo, c_hi = r["final_cost_ci95"]
        vs = r["vs_best"]
        vs_text = ("best" if vs["best"] == r["run"]
                   else f"{vs['mean']:+.2f} [{vs['low']:+.2f}, {vs['high']:+.2f}] "
                        f"({vs['pairs']})")
        data = "-" if r["transitions"] is None else f"{r['transitions'] / 1000:.0f}k"
        lines.append(
            f"| {model_label(r['model'])} "
            f"| {_f(r['relus'], 'd')} | {data} | {r['controller']} | {_f(r['plan_ms'], '.0f')} "
            f"| {r['episodes']} "
            f"| {r['success_rate']:.2f} [{s_lo:.2f}, {s_hi:.2f}] "
            f"| {r['final_cost_mean']:.3f} [{c_lo:.3f}, {c_hi:.3f}] "
            f"| {_f(r['held_out_ratio'], '.3f')} | {_f(r['on_policy_1step_ratio'], '.2f')} "
            f"| {_f(r['on_policy_rollout_ratio'], '.2f')} "
            f"| {_f(r['planned_over_realised'], '.2f')} "
            f"| {vs_text} |")
    return "\n".join(lines) + "\n"


def plot_episode_rows(rows: list[dict], path: Path) -> None:
    """Success against the on-policy H-step error (over "no change"), one point per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        if r["on_policy_rollout_ratio"] is None:
            ax.axhline(r["success_rate"], color="grey", ls="--", lw=1)
            ax.annotate(f"{model_label(r['model'])} {r['controller']}", (0.02, r["success_rate"]),
                        xycoords=("axes fraction", "data"), fontsize=7, va="bottom")
            continue
        lo, hi = r["success_ci95"]
        ax.errorbar(r["on_policy_rollout_ratio"], r["success_rate"],
                    yerr=[[r["success_rate"] - lo], [hi - r["success_rate"]]], fmt="o", ms=4)
        ax.annotate(f"{model_label(r['model'])} {r['controller']}",
                    (r["on_policy_rollout_ratio"], r["success_rate"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("on-policy H-step error / no change (lower is better)")
    ax.set_ylabel("success rate (95% Wilson)")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
