"""Tables and plots of a sparsification sweep (prediction error against ReLU budget)."""

from __future__ import annotations

from pathlib import Path

from mpcnet.artifacts import atomic_write


def _number(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def sweep_table(rows: list[dict]) -> str:
    """Markdown table, one row per budget."""
    lines = [
        "| ReLUs (budget) | ReLUs after | identity | removed | rollout MSE progressive "
        "| rollout MSE magnitude | dense | progressive / dense |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['relus_budget']} | {r['relus_after']} | {r['identity_neurons']} "
            f"| {r['removed_neurons']} | {r['val_mse_rollout']:.3g} "
            f"| {_number(r['magnitude_val_mse_rollout'])} | {r['dense_val_mse_rollout']:.3g} "
            f"| {r['val_mse_rollout'] / r['dense_val_mse_rollout']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def sweep_plot(rows: list[dict], path: Path) -> None:
    """Rollout error against the number of ReLUs, progressive versus magnitude pruning."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["relus_budget"])
    k = [r["relus_budget"] for r in rows]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(k, [r["val_mse_rollout"] for r in rows], "o-", label="progressive (ours)")
    if all(r["magnitude_val_mse_rollout"] is not None for r in rows):  # else --no-baseline
        ax.plot(k, [r["magnitude_val_mse_rollout"] for r in rows], "s--",
                label="magnitude pruning")
    ax.axhline(rows[0]["dense_val_mse_rollout"], color="k", lw=1,
               label=f"dense ({rows[0]['relus_before']} ReLUs)")
    ax.axhline(rows[0]["val_mse_rollout_zero"], color="grey", lw=1, ls=":", label="no change")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(k, [str(v) for v in k])
    ax.set_xlabel("ReLU neurons per step")
    units = rows[0].get("error_units", "m^2").replace("^2", "²")
    ax.set_ylabel(f"{rows[0]['rollout_horizon']}-step rollout MSE" + (f" ({units})" if units
                                                                       else ""))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(Path(path), lambda h: fig.savefig(h, format="png", dpi=120), "wb")
    plt.close(fig)
