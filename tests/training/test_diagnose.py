"""Where a model fails its planner: the measures on visited states, and the failure classes."""

import json
import math

import numpy as np
import pytest

from mpcnet.costs import CostSpec
from mpcnet.nn.relunet import Layer, ReluNet
from tests.fixtures.cli import run_cli, usage_error_line
from tests.fixtures.models import tiny_model
from training.diagnose import (
    WALKED_AWAY_M,
    _pose_error,
    classify,
    far_pusher_motion,
    one_step_errors,
    planned_against_realised,
    pusher_distance,
    pusher_ends,
    rollout_errors,
)


def linear_net() -> ReluNet:
    """x' = x + 0.5 u, exactly (identity neurons only)."""
    hidden = Layer(np.c_[np.zeros((2, 2)), 0.5 * np.eye(2)], np.zeros(2), ("identity",) * 2)
    return ReluNet((hidden, Layer(np.eye(2), np.zeros(2), ("linear",) * 2)), 2, 2, True)


def trace_of(actions, x0=(0.0, 0.0), goal=(1.0, 1.0), contact=True):
    x, steps = np.array(x0, float), []
    for u in np.asarray(actions, float):
        nxt = x + 0.5 * u
        steps.append({"state": x, "action": u, "next_state": nxt, "contact": contact,
                      "goal": np.array(goal), "plan": None, "predicted_cost": None})
        x = nxt
    return steps


def test_an_exact_model_has_no_error_on_the_visited_states():
    net, trace = linear_net(), trace_of(np.full((6, 2), 0.2))
    one = one_step_errors(net, [trace])
    assert one["visited_mse_1step"] == pytest.approx(0.0, abs=1e-12)
    assert one["visited_mse_1step_zero"] == pytest.approx(0.01)  # each step moves 0.1
    h = rollout_errors(net, [trace], 3)
    assert h["visited_windows"] == 4 and h["visited_mse_rollout"] == pytest.approx(0, abs=1e-12)
    assert h["visited_mse_rollout_zero"] == pytest.approx(0.09)
    assert rollout_errors(net, [trace[:2]], 3)["visited_mse_rollout"] is None


def test_planned_cost_against_what_happened():
    cost = CostSpec(np.ones(2), np.zeros(2))
    trace = trace_of(np.full((4, 2), 0.2))
    goal = trace[0]["goal"]
    def realised(t):  # what the next two steps from step t cost
        window = trace[t:t + 2]
        return cost.plan_cost(np.array([s["next_state"] for s in window]),
                              np.array([s["action"] for s in window]), goal)

    trace[0]["predicted_cost"] = 0.5 * realised(0)  # the model promised half
    trace[1]["predicted_cost"] = realised(1)
    out = planned_against_realised([trace], cost, [goal], 2)
    assert out["plans_compared"] == 2
    assert out["planned_over_realised_median"] == pytest.approx(0.75)
    assert out["plans_optimistic_fraction"] == 0.5


def _push_state(centre, yaw_deg, pusher=(0.3, 0.3)):
    square = np.array([[0.03, 0.03], [-0.03, 0.03], [-0.03, -0.03], [0.03, -0.03]])
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    points = square @ np.array([[c, s], [-s, c]]) + np.asarray(centre)
    return np.r_[points.ravel(), pusher]


def _push_trace(final, contacts):
    return [{"state": final, "action": np.zeros(2), "next_state": final, "contact": c}
            for c in contacts]


def test_the_pose_error_of_keypoints():
    distance, yaw = _pose_error(_push_state((0.05, 0.0), 30), _push_state((0.0, 0.0), 0))
    assert distance == pytest.approx(0.05) and yaw == pytest.approx(30)


@pytest.mark.parametrize("final, contacts, costs, expected", [
    ((0.10, 0.0, 0), [False] * 19 + [True], [1.0] * 20, "pushes that miss"),
    ((0.005, 0.0, 25), [True] * 20, [1.0] * 20, "wrong rotation"),
    ((0.10, 0.0, 0), [True] * 5 + [False] * 15, [1.0] * 20, "contact lost"),
    ((0.10, 0.0, 0), [True] * 20, [1.0] * 20, "stalls short of the goal"),
])
def test_failed_pushing_episodes_are_classified(final, contacts, costs, expected):
    goal = _push_state((0.0, 0.0), 0, pusher=(0.0, 0.0))
    trace = _push_trace(_push_state(final[:2], final[2]), contacts)
    assert classify(trace, costs, goal, pushing=True) == expected


def test_where_the_pusher_ended_in_the_failed_episodes():
    assert pusher_distance(_push_state((0.1, 0.0), 40, pusher=(0.1, 0.3))) == pytest.approx(0.3)
    rows = [{"class": "contact lost", "pusher_distance_m": WALKED_AWAY_M + 0.2},
            {"class": "stalls short of the goal", "pusher_distance_m": 0.05},
            {"class": "contact lost", "pusher_distance_m": WALKED_AWAY_M + 0.01},
            {"class": "success", "pusher_distance_m": 0.9}]  # successes do not count
    assert pusher_ends(rows) == {"failed_pusher_distance_median_m":
                                 pytest.approx(WALKED_AWAY_M + 0.01),
                                 "failed_pusher_walked_away": 2}
    assert pusher_ends(rows[3:]) == {"failed_pusher_distance_median_m": None,
                                     "failed_pusher_walked_away": 0}


def test_the_models_object_motion_with_the_pusher_far_away():
    class Drifts:  # moves every keypoint coordinate 1 mm a step, whatever the pusher does
        def step(self, x, u):
            return x + np.r_[np.full(x.shape[1] - 2, 1e-3), 0.0, 0.0]

    far, near = _push_state((0.0, 0.0), 0, pusher=(0.3, 0.0)), _push_state((0, 0), 0, (0.05, 0))
    steps = [{"state": s, "action": np.zeros(2), "next_state": s} for s in (far, near, far)]
    measured = far_pusher_motion(Drifts(), [steps])
    assert measured["far_transitions"] == 2  # the near one is not counted
    assert measured["far_object_motion_model_m"] == pytest.approx(1e-3)
    assert measured["far_object_motion_real_m"] == 0.0
    assert far_pusher_motion(Drifts(), [steps[1:2]])["far_object_motion_model_m"] is None


def test_other_tasks_say_whether_the_episode_stalled():
    trace = trace_of(np.zeros((12, 2)))
    assert classify(trace, [1.0] * 12, np.ones(2), pushing=False) == "stalls short of the goal"
    assert classify(trace, list(np.linspace(1, 0.1, 12)), np.ones(2), pushing=False) == "other"


@pytest.mark.integration
def test_diagnose_through_the_command_line(tmp_path):
    model = tiny_model(tmp_path)
    out = tmp_path / "diag"
    assert run_cli(["diagnose", "--model", str(model), "--controller", "gd", "--episodes", "2",
                    "--steps", "3", "--horizon", "2", "--budget-ms", "50", "--out",
                    str(out)]) == 0
    for name in ("diagnosis.json", "diagnosis.md", "diagnosis.png"):
        assert (out / name).is_file()
    text = (out / "diagnosis.md").read_text()
    assert "failed episodes by class" in text
    # three steps cannot succeed: both episodes failed, and say where the pusher ended
    assert "Where the pusher ended in the failed episodes" in text and "of 2 over" in text
    record = json.loads((out / "diagnosis.json").read_text())
    assert all(0 < e["pusher_distance_m"] < 1 for e in record["episodes"])
    line = usage_error_line(["diagnose", "--model", "sim", "--controller", "cem", "--out",
                             str(tmp_path / "x")], tmp_path)
    assert "the simulator has none" in line
