"""``hold``: the do-nothing baseline."""

import json

import numpy as np
import pytest

from controllers import PlannerConfig, make_controller
from mpcnet.costs import CostSpec
from mpcnet.nn.model_io import save_model
from tests.fixtures import random_mlp
from tests.fixtures.cli import run_cli


def test_hold_applies_the_action_nearest_zero_and_predicts_its_cost():
    net = random_mlp(hidden=(6,)).export()
    cost = CostSpec(np.ones(net.state_dim), np.full(net.action_dim, 0.1))
    ctrl = make_controller("hold", net, cost, [-0.03, 0.01], [0.03, 0.02],
                           PlannerConfig(horizon=3, budget_ms=50))
    goal = np.full(net.state_dim, 0.1)
    ctrl.reset(0, goal)
    x0 = np.linspace(-0.1, 0.1, net.state_dim)
    step = ctrl.act(x0)
    still = np.array([[0.0, 0.01]] * 3)  # zero where the box allows, else its nearest edge
    np.testing.assert_array_equal(step.plan, still)
    np.testing.assert_array_equal(step.action, still[0])
    expected = cost.plan_cost(net.rollout(x0, still), still, goal)
    assert step.predicted_cost == pytest.approx(expected, rel=1e-5)


def test_compare_runs_hold_and_episode_files_keep_the_actions(tmp_path):
    model = tmp_path / "m"
    save_model(random_mlp(hidden=(6, 4)), model)
    out = tmp_path / "cmp"
    assert run_cli(["compare", "--models", str(model), "--controllers", "hold,random",
                    "--episodes", "2", "--steps", "3", "--horizon", "2", "--iterations", "1",
                    "--out", str(out)]) == 0
    rows = {r["controller"]: r for r in json.loads((out / "results.json").read_text())}
    assert set(rows) == {"hold", "random"}
    for path in sorted((out / "episodes" / "hold__m").glob("episode_*.json")):
        episode = json.loads(path.read_text())
        assert len(episode["actions"]) == episode["steps"]
        assert np.all(np.asarray(episode["actions"]) == 0.0)  # the pusher never moved
