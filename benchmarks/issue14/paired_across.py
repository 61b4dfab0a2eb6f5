"""Paired differences between cells of different sweeps (same episode seeds), e.g. GD on the
32-ReLU model (one sweep) against GD on the dense model (another).
Usage: python paired_across.py CELL_DIR_A CELL_DIR_B [CELL_DIR_A CELL_DIR_B ...]
(a cell directory is RUN/episodes/CELL)."""
import json
import sys
from pathlib import Path

from training.experiments.stats import paired_difference


def load(cell: str) -> dict[int, dict]:
    return {e["seed"]: e for e in (json.loads(p.read_text())
                                   for p in sorted(Path(cell).glob("episode_*.json")))}


args = sys.argv[1:]
for a_dir, b_dir in zip(args[::2], args[1::2], strict=True):
    a, b = load(a_dir), load(b_dir)
    cost = paired_difference({s: e["final_cost"] for s, e in a.items()},
                             {s: e["final_cost"] for s, e in b.items()})
    success = paired_difference({s: float(e["success"]) for s, e in a.items()},
                                {s: float(e["success"]) for s, e in b.items()})
    print(f"{Path(a_dir).name} - {Path(b_dir).name}: {cost['pairs']} pairs; success "
          f"{success['mean']:+.2f} [{success['low']:+.2f}, {success['high']:+.2f}]; final cost "
          f"{cost['mean']:+.3f} [{cost['low']:+.3f}, {cost['high']:+.3f}]")
