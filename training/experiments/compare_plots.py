"""Plots and tables of a controller comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mpcnet.artifacts import atomic_write
from training.plotting import pyplot, save_png  # noqa: F401 - used by the plots below


def results_table(rows: list[dict], skipped: list[str]) -> str:
    """One row per (model, controller): success and mean final cost with 95% intervals, the
    paired difference to the best row on the same seeds (and to doing nothing, where a
    ``hold`` row ran), the env's own return (task-file envs), obstacle violations (envs with
    obstacles), the median steps of the successful episodes, plan times."""
    reward = any(r.get("reward_mean") is not None for r in rows)
    obstacles = any(r.get("violations_mean") or r.get("violated_rate") for r in rows)
    hold = any("vs_hold" in r for r in rows)
    lines = ["| model | ReLUs | controller | episodes | success [95% CI] | final cost mean "
             "[95% CI] | final cost std | vs best: success, final cost [95% CI] | "
             + ("vs hold: env return, final cost [95% CI] | " if hold else "")
             + ("env return mean +- std | " if reward else "")
             + ("obstacle violations per episode, ended on one | " if obstacles else "")
             + "steps to success (median) | plan time median (s) | plan time p95 (s) | "
             "plan time max (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if reward else "")
             + ("---|" if obstacles else "") + ("---|" if hold else "")]
    for r in rows:
        s_low, s_high = r.get("success_ci95", (float("nan"),) * 2)
        c_low, c_high = r.get("final_cost_ci95", (float("nan"),) * 2)
        ret = f"{vs_hold_text(r)} | " if hold else ""
        ret += (f"{r['reward_mean']:.1f} +- {r['reward_std']:.1f} | "
                if r.get("reward_mean") is not None else "- | ") if reward else ""
        if obstacles:
            ret += f"{r.get('violations_mean', 0.0):.1f}, {r.get('violated_rate', 0.0):.2f} | "
        steps = r.get("steps_to_success_median")  # None: no success (or an older run)
        ret += "- | " if steps is None else f"{steps:g} | "
        relus = "-" if r["relus"] is None else r["relus"]  # the simulator has none
        lines.append(f"| {r['model']} | {relus} | {r['controller']} | {r['episodes']} | "
                     f"{r['success_rate']:.2f} [{s_low:.2f}, {s_high:.2f}] | "
                     f"{r['final_cost_mean']:.3f} [{c_low:.3f}, {c_high:.3f}] | "
                     f"{r['final_cost_std']:.3f} | {vs_best_text(r)} | {ret}"
                     f"{r['plan_time_median_s']:.3f} | "
                     f"{r.get('plan_time_p95_s', float('nan')):.3f} | "
                     f"{r['plan_time_max_s']:.3f} |")
    if rows and "vs_best" in rows[0]:
        lines.append(f"\nBest row: {rows[0]['vs_best']['best']} (highest success, then lowest "
                     "mean final cost); differences are paired on the same episode seeds.")
    improved = [f"{r['controller']}/{Path(r['model']).name} {100 * r['improved_rate']:.0f}%"
                for r in rows if r.get("improved_rate") is not None]
    if improved:  # at 0% the MIP ran as its warm start: the search found nothing better
        lines.append("\nSteps whose MILP plan beat its warm start under the model: "
                     + ", ".join(improved) + ".")
    for reason in skipped:
        lines.append(f"\nSkipped: {reason}")
    return "\n".join(lines) + "\n"


def vs_best_text(r: dict) -> str:
    """A row's ``vs_best`` as table text: "best", or the paired differences."""
    v = r.get("vs_best")
    if not v:
        return "-"
    if v["final_cost_diff"] == 0 and v["success_diff"] == 0:
        return "best"
    (sl, sh), (cl, ch) = v["success_diff_ci95"], v["final_cost_diff_ci95"]
    return (f"{v['success_diff']:+.2f} [{sl:+.2f}, {sh:+.2f}], "
            f"{v['final_cost_diff']:+.3f} [{cl:+.3f}, {ch:+.3f}]")


def vs_hold_text(r: dict) -> str:
    """A row's ``vs_hold`` as table text: the paired return and final-cost differences to
    doing nothing ("-" for the hold rows themselves; the return "-" where the env has none)."""
    v = r.get("vs_hold")
    if not v:
        return "-"
    ret = "-"
    if v["reward_diff"] is not None:
        low, high = v["reward_diff_ci95"]
        ret = f"{v['reward_diff']:+.1f} [{low:+.1f}, {high:+.1f}]"
    cl, ch = v["final_cost_diff_ci95"]
    return f"{ret}, {v['final_cost_diff']:+.3f} [{cl:+.3f}, {ch:+.3f}]"


def plot_final_costs(runs: dict, path: Path) -> None:
    """Box plot of the final task cost per (model, controller)."""
    plt = pyplot()
    labels = list(runs)
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(labels)), 3.8))
    ax.boxplot([[r.final_cost for r in runs[k]] for k in labels])
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("final task cost (the task's weighted L1 cost)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def plot_cost_over_time(runs: dict, path: Path) -> None:
    """Mean task cost against the control step (episodes that ended keep their last cost)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for label, results in runs.items():
        length = max(len(r.costs) for r in results)
        padded = np.array([r.costs + [r.costs[-1]] * (length - len(r.costs)) for r in results])
        ax.plot(padded.mean(0), label=label)
    ax.set_xlabel("control step")
    ax.set_ylabel("task cost (the task's weighted L1 cost), mean")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def plot_trajectories(runs: dict, path: Path, episodes: int = 3) -> None:
    """Object paths of the first episodes, one panel per episode, a colour per controller.

    Every object of an episode is drawn in its controller's colour; goal regions with a size
    (sorting zones) are drawn as boxes, goal points (pushing) as stars.
    """
    plt = pyplot()
    n = min(episodes, min(len(v) for v in runs.values()))
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 4), squeeze=False)
    for i, ax in enumerate(axes[0]):
        for k, (label, results) in enumerate(runs.items()):
            p = np.asarray(results[i].object_path)  # (steps+1, M, 2)
            for m in range(p.shape[1]):
                ax.plot(p[:, m, 0], p[:, m, 1], "-", lw=1.2, color=f"C{k % 10}",
                        label=label if m == 0 else None)
        first = next(iter(runs.values()))[i]
        start = np.asarray(first.object_path[0])
        ax.plot(start[:, 0], start[:, 1], "ko", ms=5, label="start")
        _draw_goals(ax, np.asarray(first.goal_centres), np.asarray(first.goal_half_sizes))
        _draw_obstacles(ax, np.asarray(getattr(first, "obstacles", [])).reshape(-1, 4))
        # positions in metres share one scale; a task's (position, velocity) phase plot not
        low, high = ax.dataLim.min, ax.dataLim.max
        span = np.maximum(high - low, 1e-12)
        ax.set_aspect("equal" if max(span) / min(span) < 5 else "auto")
        ax.set_title(f"episode seed {first.seed}", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def _draw_obstacles(ax, boxes: np.ndarray) -> None:
    """The episode's obstacles (forbidden zones), filled red."""
    from matplotlib.patches import Rectangle

    for i, (x0, y0, x1, y1) in enumerate(boxes):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, color="r", alpha=0.3,
                               label="obstacle" if i == 0 else None))
        ax.update_datalim([(x0, y0), (x1, y1)])


def _draw_goals(ax, centres: np.ndarray, half_sizes: np.ndarray) -> None:
    from matplotlib.patches import Rectangle

    drawn: set = set()
    for (cx, cy), (hx, hy) in zip(centres, half_sizes, strict=True):
        if hx == 0 and hy == 0:
            ax.plot(cx, cy, "g*", ms=12, label="goal" if not drawn else None)
        elif (cx, cy, hx, hy) not in drawn:  # objects of one class share a zone
            ax.add_patch(Rectangle((cx - hx, cy - hy), 2 * hx, 2 * hy, fill=False, ec="g",
                                   ls="--", label="goal zone" if not drawn else None))
        drawn.add((cx, cy, hx, hy))


def save_animation(frames: list, path: Path, fps: int = 10) -> None:
    """Write RGB frames as an animated GIF (Pillow ships with matplotlib)."""
    from PIL import Image

    images = [Image.fromarray(np.asarray(f)) for f in frames]

    def write(handle):
        images[0].save(handle, format="GIF", save_all=True, append_images=images[1:],
                       duration=int(1000 / fps), loop=0)

    atomic_write(Path(path), write, "wb")


def plot_success_vs_budget(rows: list[dict], path: Path) -> None:
    """Success rate (95% Wilson interval as error bars) against the per-step budget, one line
    per controller, model, horizon and execute."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    lines: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r["controller"], Path(r["model"]).name, r.get("horizon"), r.get("execute"),
               Path(r.get("run", "")).name)  # a report draws several runs: never mix them
        lines.setdefault(key, []).append(r)
    for (controller, model, horizon, execute, run), group in sorted(lines.items()):
        group = sorted(group, key=lambda r: r["budget_ms"])
        below = [max(0.0, r["success_rate"] - r["success_low"]) for r in group]
        above = [max(0.0, r["success_high"] - r["success_rate"]) for r in group]
        ax.errorbar([r["budget_ms"] for r in group], [r["success_rate"] for r in group],
                    yerr=[below, above], marker="o", capsize=3,
                    label=f"{controller} / {model} (H={horizon}, K={execute})"
                    + (f" [{run}]" if run else ""))
    ax.set_xscale("log")
    ax.set_xlabel("budget per step (ms)")
    ax.set_ylabel("success rate (95% interval)")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def diagnosis_markdown(record: dict) -> str:
    """The diagnosis of :func:`training.diagnose.diagnose` as a short markdown page."""
    m, s = record["measures"], record["summary"]

    def number(value) -> str:
        return "-" if value is None else f"{value:.3g}"

    lines = [f"# Where {record['model']} fails {record['controller']}", "",
             f"{s['episodes']} episodes, success {s['success_rate']:.2f}, final cost "
             f"{s['final_cost_mean']:.3f}.", "",
             "| on the visited states | model | no change |", "|---|---|---|",
             f"| 1-step MSE ({m['visited_transitions']} transitions) | "
             f"{number(m['visited_mse_1step'])} | {number(m['visited_mse_1step_zero'])} |",
             f"| {m['horizon']}-step MSE over the executed actions ({m['visited_windows']} "
             f"windows) | {number(m['visited_mse_rollout'])} | "
             f"{number(m['visited_mse_rollout_zero'])} |", "",
             f"Planned over realised cost, median of {m['plans_compared']} plans: "
             f"{number(m['planned_over_realised_median'])}; plans more optimistic than what "
             f"happened: {number(m['plans_optimistic_fraction'])}.", "",
             "| failed episodes by class | count |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in record["failures"].items()]
    if m.get("failed_pusher_distance_median_m") is not None:
        from training.diagnose import WALKED_AWAY_M

        failed = sum(record["failures"].values())
        lines += ["", f"Where the pusher ended in the failed episodes: a median "
                  f"{100 * m['failed_pusher_distance_median_m']:.0f} cm from the object; "
                  f"{m['failed_pusher_walked_away']} of {failed} over "
                  f"{100 * WALKED_AWAY_M:.0f} cm away (walked off)."]
    if m.get("far_transitions"):
        lines += ["", f"With the pusher over {100 * WALKED_AWAY_M:.0f} cm from the object "
                  f"({m['far_transitions']} visited transitions) the model moves the object "
                  f"{1000 * m['far_object_motion_model_m']:.2f} mm a step (mean per keypoint "
                  f"coordinate); it moved {1000 * m['far_object_motion_real_m']:.2f} mm."]
    return "\n".join(lines) + "\n"


def plot_diagnosis(per_episode: list[dict], path: Path) -> None:
    """Task cost along every episode, coloured by how it ended, and the count of each end."""
    plt = pyplot()
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    classes = sorted({e["class"] for e in per_episode})
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(classes)}
    for e in per_episode:
        ax.plot(e["costs"], color=colours[e["class"]], alpha=0.7, linewidth=1)
    for c in classes:
        ax.plot([], [], color=colours[c], label=c)
    ax.set_xlabel("env step")
    ax.set_ylabel("task cost (L1 to goal)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    counts = [sum(e["class"] == c for e in per_episode) for c in classes]
    bars.barh(classes, counts, color=[colours[c] for c in classes])
    bars.set_xlabel("episodes")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
