"""``mpcnet report``: the paper's figures from runs, as one self-contained HTML page (images
embedded) and a markdown twin with the same tables.

Inputs are recognised by what they hold:

* a ``sparsify`` sweep (``sweep.json``): rollout error against the number of ReLUs,
  progressive against magnitude pruning;
* a ``bench mip-grid`` JSON file: MIP solve time against ReLUs x horizon;
* ``sweep`` and ``compare`` runs (``results.json``): closed-loop success and final cost
  against ReLUs per planner, and success against the per-step budget, with 95% intervals
  (Wilson for success, bootstrap for the mean cost); the GIFs of ``compare --render`` are
  linked.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import numpy as np

from mpcnet.artifacts import atomic_write, read_json, write_text
from mpcnet.errors import ConfigError
from training.experiments.stats import bootstrap_interval, wilson_interval

KINDS = "a sparsify sweep (sweep.json), a sweep or compare run (results.json), a diagnose " \
        "or evaluate run (diagnosis.json, metrics.json) or a bench mip-grid JSON file"


def _read_any_json(path: Path):
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"report input {path}: not readable JSON ({exc}).") from None


def classify(path: Path) -> str:
    """``"sparsify"``, ``"closed-loop"``, ``"episodes"`` or ``"mip-grid"``; ConfigError for
    anything else."""
    from training.experiments.diagnosis_table import is_episode_run

    path = Path(path)
    if path.is_dir() and (path / "sweep.json").is_file():
        return "sparsify"
    if path.is_dir() and (path / "results.json").is_file():
        return "closed-loop"
    if path.is_dir() and is_episode_run(path):
        return "episodes"
    if path.is_file() and path.suffix == ".json":
        records = _read_any_json(path)
        if isinstance(records, list) and records and all(
                isinstance(r, dict) and {"relus", "horizon", "median_solve_time_s"} <= set(r)
                for r in records):
            return "mip-grid"
    raise ConfigError(f"report input {path}: expected {KINDS}; got none of these.")


def _closed_loop_rows(run: Path) -> list[dict]:
    """A run's rows with budget, horizon, execute and intervals (computed where missing)."""
    rows = _read_any_json(run / "results.json")
    config = read_json(run / "config.json") if (run / "config.json").is_file() else {}
    out = []
    for r in rows:
        r = {"budget_ms": config.get("budget_ms"), "horizon": config.get("horizon"),
             "execute": config.get("execute", 1), **r, "run": str(run)}
        if "success_low" not in r:
            n = r["episodes"]
            r["success_low"], r["success_high"] = wilson_interval(round(r["success_rate"] * n), n)
        if "final_cost_low" not in r or "steps_to_success_median" not in r:
            episodes = _episodes_of(run, r)
            costs = [e["final_cost"] for e in episodes]
            if "final_cost_low" not in r:
                r["final_cost_low"], r["final_cost_high"] = (
                    bootstrap_interval(costs) if costs else (r["final_cost_mean"],) * 2)
            if "steps_to_success_median" not in r:  # runs from before the field
                steps = [e["steps"] for e in episodes if e["success"]]
                r["steps_to_success_median"] = float(np.median(steps)) if steps else None
        out.append(r)
    return out


def _episodes_of(run: Path, row: dict) -> list[dict]:
    """A compare row's finished episodes (one file each, or one list per pair)."""
    name = f"{row['controller']}__{Path(row['model']).name}"
    files = sorted((run / "episodes" / name).glob("episode_*.json"))
    if files:
        return [read_json(f) for f in files]
    legacy = run / "episodes" / f"{name}.json"
    return _read_any_json(legacy) if legacy.is_file() else []


def _render(draw) -> bytes:
    """PNG bytes of the figure ``draw(plt)`` returns."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw(plt)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _closed_loop_figure(rows: list[dict]):
    def draw(plt):
        fig, (ax_s, ax_c) = plt.subplots(1, 2, figsize=(10, 3.8))
        several_runs = len({r["run"] for r in rows}) > 1
        groups: dict[tuple, list[dict]] = {}
        for r in (r for r in rows if r["relus"] is None):  # the simulator: a reference line
            for ax, key in ((ax_s, "success_rate"), (ax_c, "final_cost_mean")):
                ax.axhline(r[key], linestyle="--", color="grey", linewidth=1)
            ax_s.annotate(f"sim, {r['controller']}", (0.01, r["success_rate"]), fontsize=7,
                          xycoords=("axes fraction", "data"), va="bottom")
        for r in (r for r in rows if r["relus"] is not None):  # one line per run, planner and
            # setting: never mix two runs' points
            key = (r["run"], r["controller"], r.get("budget_ms"), r.get("horizon"),
                   r.get("execute"))
            groups.setdefault(key, []).append(r)
        for (run, controller, budget, horizon, _), group in sorted(groups.items(), key=str):
            group = sorted(group, key=lambda r: r["relus"])
            x = [r["relus"] for r in group]
            label = f"{controller} ({budget:g} ms, H={horizon})" if budget else controller
            if several_runs:
                label += f" [{Path(run).name}]"
            ax_s.errorbar(x, [r["success_rate"] for r in group], yerr=_bars(
                group, "success_rate", "success_low", "success_high"), marker="o", capsize=3,
                label=label)
            ax_c.errorbar(x, [r["final_cost_mean"] for r in group], yerr=_bars(
                group, "final_cost_mean", "final_cost_low", "final_cost_high"), marker="o",
                capsize=3, label=label)
        for ax, what in ((ax_s, "success rate"), (ax_c, "final cost (L1 to goal, m)")):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("ReLUs per step of the model")
            ax.set_ylabel(f"{what}, 95% interval")
            ax.grid(alpha=0.3)
        ax_s.legend(fontsize=7)
        fig.tight_layout()
        return fig
    return draw


def _bars(group, mid, low, high) -> np.ndarray:
    return np.array([[max(0.0, r[mid] - r[low]) for r in group],
                     [max(0.0, r[high] - r[mid]) for r in group]])


def _mip_grid_figure(records: list[dict]):
    def draw(plt):
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        for h in sorted({r["horizon"] for r in records}):
            cells = sorted((r for r in records if r["horizon"] == h), key=lambda r: r["relus"])
            ax.plot([r["relus"] for r in cells], [r["median_solve_time_s"] for r in cells],
                    "o-", label=f"H={h}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("ReLUs per step")
        ax.set_ylabel("median MIP solve time (s)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig
    return draw


def _sections(inputs: list[tuple[Path, str]], figures: Path) -> list[dict]:
    """``{"title", "figure" (file name), "table" (markdown), "links"}`` per figure."""
    from training.bench.mip import grid_table
    from training.experiments.compare_plots import plot_success_vs_budget
    from training.experiments.sparsify_tables import sweep_plot, sweep_table
    from training.experiments.sweep_results import results_markdown

    sections = []
    for i, (path, kind) in enumerate(inputs):
        if kind == "sparsify":
            rows = _read_any_json(path / "sweep.json")
            name = f"rollout_error_vs_relus_{i}.png"
            sweep_plot(rows, figures / name)
            sections.append({"title": f"Rollout error against the number of ReLUs ({path})",
                             "figure": name, "table": sweep_table(rows), "links": []})
        elif kind == "mip-grid":
            records = _read_any_json(path)
            name = f"mip_time_vs_relus_horizon_{i}.png"
            _save(figures / name, _render(_mip_grid_figure(records)))
            sections.append({"title": f"MIP solve time against ReLUs x horizon ({path})",
                             "figure": name, "table": grid_table(records), "links": []})
    episode_runs = [path for path, kind in inputs if kind == "episodes"]
    if episode_runs:
        sections.append(_episodes_section(episode_runs, figures))
    runs = [path for path, kind in inputs if kind == "closed-loop"]
    if runs:
        rows = [r for run in runs for r in _closed_loop_rows(run)]
        links = sorted(str(g) for run in runs for g in run.glob("*.gif"))
        table = "\n".join(f"Run {run}:\n\n" + results_markdown(
            [r for r in rows if r["run"] == str(run)], []) for run in runs)
        _save(figures / "closed_loop_vs_relus.png", _render(_closed_loop_figure(rows)))
        sections.append({"title": "Closed loop: success and final cost against ReLUs per "
                                  "planner", "figure": "closed_loop_vs_relus.png",
                         "table": table, "links": links})
        budgets = {r.get("budget_ms") for r in rows}
        if None not in budgets and len(budgets) > 1:  # a single budget makes no curve
            plot_success_vs_budget(rows, figures / "success_vs_budget.png")
            sections.append({"title": "Closed loop: success against the per-step budget",
                             "figure": "success_vs_budget.png", "table": table, "links": []})
    return sections


def _episodes_section(runs: list[Path], figures: Path) -> dict:
    """Diagnose and evaluate runs on the same seeds: one table, and success against the
    on-policy error."""
    from training.experiments.diagnosis_table import episode_rows, episode_table, plot_episode_rows

    rows = episode_rows(runs)
    plot_episode_rows(rows, figures / "success_vs_on_policy_error.png")
    return {"title": "Closed loop and where the model is wrong: success against the model's "
                     "error on the states its planner visits",
            "figure": "success_vs_on_policy_error.png", "table": episode_table(rows),
            "links": []}


def _save(path: Path, data: bytes) -> None:
    atomic_write(path, lambda h: h.write(data), "wb")


def _markdown(sections: list[dict], out: Path, sources: list[Path]) -> str:
    lines = ["# mpcnet report", "", "From: " + ", ".join(f"`{s}`" for s in sources), ""]
    for s in sections:
        lines += [f"## {s['title']}", "", f"![{s['title']}](figures/{s['figure']})", "",
                  s["table"]]
        for link in s["links"]:
            lines.append(f"- [{Path(link).name}]({os.path.relpath(link, out)})")
        lines.append("")
    return "\n".join(lines)


def _html_table(markdown: str) -> str:
    """Markdown pipe tables (and the lines between them) as HTML."""
    parts, rows = [], []

    def flush():
        if rows:
            head, body = rows[0], rows[2:]
            cells = lambda r, tag: "".join(f"<{tag}>{html.escape(c.strip())}</{tag}>"  # noqa: E731
                                           for c in r.strip().strip("|").split("|"))
            parts.append("<table><thead><tr>" + cells(head, "th") + "</tr></thead><tbody>"
                         + "".join("<tr>" + cells(r, "td") + "</tr>" for r in body)
                         + "</tbody></table>")
            rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            rows.append(line)
            continue
        flush()
        if line.strip():
            parts.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "\n".join(parts)


STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
         "th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}")


def _html(sections: list[dict], figures: Path, out: Path, sources: list[Path]) -> str:
    body = [f"<h1>mpcnet report</h1><p>From: {html.escape(', '.join(map(str, sources)))}</p>"]
    for s in sections:
        png = base64.b64encode((figures / s["figure"]).read_bytes()).decode("ascii")
        body.append(f"<h2>{html.escape(s['title'])}</h2>"
                    f"<img alt=\"{html.escape(s['title'])}\" src=\"data:image/png;base64,{png}\">")
        body.append(_html_table(s["table"]))
        if s["links"]:
            body.append("<ul>" + "".join(
                f"<li><a href=\"{html.escape(os.path.relpath(link, out))}\">"
                f"{html.escape(Path(link).name)}</a></li>" for link in s["links"]) + "</ul>")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>mpcnet report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(sources: list[Path], out: Path, overwrite: bool = False) -> Path:
    """Write ``report.html`` (self-contained), ``report.md`` and ``figures/`` into ``out``."""
    from training.rundirs import run_directory

    if not sources:
        raise ConfigError(f"report: expected at least one input: {KINDS}.")
    inputs = [(Path(p), classify(Path(p))) for p in sources]  # all checked before writing
    with run_directory(out, "report", "report", 0, overwrite) as out:
        figures = out / "figures"
        figures.mkdir()
        sections = _sections(inputs, figures)
        write_text(out / "report.md", _markdown(sections, out, [p for p, _ in inputs]))
        write_text(out / "report.html", _html(sections, figures, out, [p for p, _ in inputs]))
    return out
