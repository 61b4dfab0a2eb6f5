"""Loader of the reference MPC problems in tests/data/reference_mips (see its README)."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mpcnet.costs import CostSpec
from mpcnet.nn.relunet import Layer, ReluNet

DIR = Path(__file__).parent / "data" / "reference_mips"
NAMES = sorted(p.stem for p in DIR.glob("*.json"))


@dataclass
class Reference:
    name: str
    net: ReluNet
    cost: CostSpec
    horizon: int
    x0: np.ndarray
    goal: np.ndarray
    action_low: np.ndarray
    action_high: np.ndarray
    state_low: np.ndarray | None
    state_high: np.ndarray | None
    optimum: float
    best_random: float


def load(name: str) -> Reference:
    d = json.loads((DIR / f"{name}.json").read_text())
    layers = tuple(Layer(np.array(l["weight"]), np.array(l["bias"]), tuple(l["kinds"]))
                   for l in d["layers"])  # noqa: E741
    net = ReluNet(layers, d["state_dim"], d["action_dim"], d["residual"])
    arr = lambda v: None if v is None else np.asarray(v, dtype=float)  # noqa: E731
    return Reference(d["name"], net, CostSpec(arr(d["state_weight"]), arr(d["action_weight"])),
                     d["horizon"], arr(d["x0"]), arr(d["goal"]), arr(d["action_low"]),
                     arr(d["action_high"]), arr(d["state_low"]), arr(d["state_high"]),
                     d["optimum"], d["best_of_20000_random_plans"])
