"""The peer benchmark against pytorch_mppi, on a tiny Pendulum-shaped network."""

import sys

import numpy as np
import pytest
import torch

from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import Layer, ReluNet
from training.bench import peer as bench_peer


def tiny_pendulum_net() -> ReluNet:
    rng = np.random.default_rng(0)
    hidden = Layer(rng.normal(0, 0.5, (8, 4)), rng.normal(0, 0.1, 8), ("relu",) * 8)
    out = Layer(rng.normal(0, 0.05, (3, 8)), np.zeros(3), ("linear",) * 3)
    return ReluNet((hidden, out), 3, 1, True)


def test_missing_peer_is_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "pytorch_mppi", None)
    with pytest.raises(ConfigError, match=r"pip install 'mpcnet\[peer\]'"):
        bench_peer.load_peer()


def test_peer_and_ours_see_the_same_cost():
    pytest.importorskip("pytorch_mppi")
    x = torch.tensor([[0.2, -0.9, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    u = torch.tensor([[0.5], [-1.5]], dtype=torch.float64)
    peer_cost = bench_peer._peer_cost(torch.float64)(x, u)
    ours = [bench_peer.PENDULUM_COST.plan_cost(x[i:i + 1].numpy(), u[i:i + 1].numpy(),
                                               bench_peer.GOAL) for i in range(2)]
    np.testing.assert_allclose(peer_cost.numpy(), ours, rtol=1e-12)


def test_throughput_and_closed_loop_rows():
    pytest.importorskip("pytorch_mppi")
    net = tiny_pendulum_net()
    rows = bench_peer.throughput(net, [(16, 3)], repeats=2)
    assert [r["dtype"] for r in rows] == ["float32", "float64"]
    assert all(r["ours_kernel_ms"] > 0 and r["peer_command_ms"] > 0 for r in rows)
    loop = bench_peer.closed_loop(net, ["mppi", "pytorch_mppi"], [0], samples=16, horizon=3,
                                  episodes=1, seed=0, steps=5)
    assert [r["planner"] for r in loop] == ["mppi", "pytorch_mppi"]
    assert all(np.isfinite(r["reward_mean"]) for r in loop)
    assert "| mppi | 1 iteration | 1 |" in bench_peer.closed_loop_table(loop)
