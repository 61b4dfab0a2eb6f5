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
    with pytest.raises(ShapeError, match=r"goal: expected 3 numbers \(shape \(3,\)\)"):
        spec.check_goal(np.zeros(4))
    with pytest.raises(ConfigError, match="goal: expected finite numbers"):
        spec.check_goal([0.0, np.nan, 0.0])


def test_goal_tolerance_is_the_l1_distance_to_the_goal_box():
    spec = CostSpec(np.array([1.0, 2.0, 0.0]), np.zeros(1),
                    goal_tolerance=np.array([0.1, 0.2, 0.0]))
    goal = np.array([0.5, -0.5, 9.0])
    lo, hi = goal - spec.goal_tolerance, goal + spec.goal_tolerance
    rng = np.random.default_rng(1)
    states = rng.uniform(-1, 1, (50, 3))
    by_hand = (np.maximum(lo - states, 0) + np.maximum(states - hi, 0)) @ spec.state_weight
    np.testing.assert_allclose(spec.state_cost(states, goal), by_hand)
    assert spec.state_cost(np.array([0.55, -0.35, 0.0]), goal) == 0.0  # inside the box
    got = spec.plan_cost_torch(torch.tensor(states)[None], torch.zeros(1, 50, 1), goal)
    assert got.item() == pytest.approx(by_hand[:-1].sum() + by_hand[-1])
    np.testing.assert_array_equal(CostSpec.from_dict(spec.to_dict()).goal_tolerance,
                                  spec.goal_tolerance)
    with pytest.raises(ConfigError, match="goal_tolerance"):
        CostSpec(np.ones(2), np.zeros(1), goal_tolerance=np.array([0.1, -0.1]))
