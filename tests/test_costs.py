import numpy as np
import pytest
import torch

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, ShapeError


def test_numpy_and_torch_costs_agree():
    rng = np.random.default_rng(0)
    spec = CostSpec(rng.uniform(0, 1, 4), rng.uniform(0, 1, 2), terminal_weight=3.0)
    states, actions, goal = rng.normal(size=(5, 4)), rng.normal(size=(5, 2)), rng.normal(size=4)
    expected = spec.plan_cost(states, actions, goal)
    by_hand = sum(spec.state_weight @ np.abs(s - goal) * (3.0 if t == 4 else 1.0)
                  for t, s in enumerate(states)) + (np.abs(actions) @ spec.action_weight).sum()
    assert expected == pytest.approx(by_hand)
    got = spec.plan_cost_torch(torch.tensor(states)[None], torch.tensor(actions)[None], goal)
    assert got.item() == pytest.approx(expected)


def test_bad_weights_and_goal_are_rejected():
    with pytest.raises(ConfigError):
        CostSpec(np.array([1.0, -1.0]), np.zeros(1))
    spec = CostSpec(np.ones(3), np.zeros(1))
    with pytest.raises(ShapeError, match=r"expected shape \(3,\)"):
        spec.check_goal(np.zeros(4))
