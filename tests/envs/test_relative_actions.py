"""A task file's [action] relative_to: displacements planned for an absolute-target env."""

import numpy as np
import pytest

import envs
from mpcnet.errors import ConfigError
from tests.fixtures.third_party_env import MODULE, REACH_ID

TASK = {"import": [MODULE], "action": {"relative_to": [0, 1], "low": [-0.05, -0.05],
                                      "high": [0.05, 0.05]},
        "cost": {"goal": [0.0, 0.0], "state_weight": [1.0, 1.0], "action_weight": [0.1, 0.1]},
        "success": {"within": [0.05, 0.05]}, "explore": {"hold": [1, 3]}}


def test_zero_means_stay_and_a_displacement_moves_the_agent_by_it():
    env = envs.make(REACH_ID, task=TASK)
    assert env.action_space.shape == (2,)
    assert float(env.action_space.high[0]) == pytest.approx(0.05)
    state, _ = env.reset(seed=0)
    still, *_ = env.step(np.zeros(2, np.float32))
    np.testing.assert_allclose(still, state, atol=1e-7)  # the env's own zero: the centre
    moved, *_ = env.step(np.array([0.04, -0.02], np.float32))
    np.testing.assert_allclose(moved - still, [0.04, -0.02], atol=1e-6)
    clipped, *_ = env.step(np.array([0.5, 0.0], np.float32))  # the box holds
    np.testing.assert_allclose(clipped - moved, [0.05, 0.0], atol=1e-6)
    env.close()


def test_hold_stands_still_on_an_absolute_target_env():
    from controllers import PlannerConfig, make_controller
    from tests.fixtures import easy_net

    env = envs.make(REACH_ID, task=TASK)
    net = easy_net()  # any model of 2 states and 2 actions: hold does not consult it
    ctrl = make_controller("hold", net, env.cost_spec, env.action_space.low,
                           env.action_space.high, PlannerConfig(horizon=2, budget_ms=20))
    state, info = env.reset(seed=1)
    ctrl.reset(1, info["goal"])
    after, *_ = env.step(ctrl.act(state).action)
    np.testing.assert_allclose(after, state, atol=1e-7)
    env.close()


@pytest.mark.parametrize("action, message", [
    ({"relative_to": [0, 2], "low": [-1, -1], "high": [1, 1]},
     "relative_to: expected 2 state entries (one per action entry) from 0 to 1"),
    ({"relative_to": [0], "low": [-1], "high": [1]}, "expected 2 state entries"),
    ({"relative_to": [0, 1], "low": [-1, -1]}, "[action] high: expected 2 finite numbers"),
    ({"relative_to": [0, 1], "low": [1, 1], "high": [-1, -1]}, "expected low < high"),
    ({"low": [-1, -1], "high": [1, 1]}, "give relative_to = [...] too"),
    ({"relative": [0, 1]}, "unknown entries ['relative']"),
])
def test_bad_action_sections_are_one_clear_line(action, message):
    with pytest.raises(ConfigError) as err:
        envs.make(REACH_ID, task={**TASK, "action": action})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_success_from_an_info_entry_and_recorded_info_in_episode_files(tmp_path):
    import json

    from mpcnet.nn.model_io import save_model
    from mpcnet.nn.torch_models import ReluMLP
    from tests.fixtures.cli import run_cli

    task = {**TASK, "success": {"info": "near", "info_at_least": 0.5},
            "record": {"info": ["near", "missing"]}}
    env = envs.make(REACH_ID, task=task)
    _, info = env.reset(seed=0)
    assert info["is_success"] is False  # the env says nothing at reset: not yet a success
    with pytest.raises(ConfigError, match="the env's step info has no 'near'"):
        env.step(np.zeros(2, np.float32))
    # an env that reports it: the episode files keep its values per step
    path = tmp_path / "reach.toml"
    path.write_text(f'import = ["{MODULE}"]\n[action]\nrelative_to = [0, 1]\n'
                    'low = [-0.05, -0.05]\nhigh = [0.05, 0.05]\n[cost]\ngoal = [0, 0]\n'
                    'state_weight = [1, 1]\n[success]\ninfo = "distance"\n'
                    'info_at_least = -0.05\n[record]\ninfo = ["distance", "missing"]\n')
    model = tmp_path / "m"
    save_model(ReluMLP(2, 2, [4]).eval(), model)
    assert run_cli(["evaluate", "--env", REACH_ID, "--task", str(path), "--model", str(model),
                    "--controller", "hold", "--episodes", "1", "--steps", "3",
                    "--out", str(tmp_path / "ev")]) == 0
    episode = json.loads(next((tmp_path / "ev" / "episodes").glob("*.json")).read_text())
    assert len(episode["recorded"]["distance"]) == 3 == episode["steps"]
    assert all(v <= 0 for v in episode["recorded"]["distance"])
    assert episode["recorded"]["missing"] == [None, None, None]


def test_bad_success_and_record_entries_are_one_line():
    with pytest.raises(ConfigError, match="info_at_least: expected a number"):
        envs.make(REACH_ID, task={**TASK, "success": {"info": "x", "info_at_least": "high"}})
    with pytest.raises(ConfigError, match=r"\[record\]: expected info = \[names"):
        envs.make(REACH_ID, task={**TASK, "record": {"info": "x"}})


def test_exploration_steers_an_agent_towards_a_state_group():
    from envs.task import Approach
    from training.collect import HeldRandomExplorer

    low, high = np.full(2, -0.05), np.full(2, 0.05)
    steer = HeldRandomExplorer(np.random.default_rng(0), low, high, (3, 3),
                               Approach((0, 1), (2, 3), share=1.0, noise=0.0))
    state = np.array([0.0, 0.0, 0.03, -0.5])  # agent at the origin, object below it
    np.testing.assert_allclose(steer.act(state), [0.03, -0.05])  # towards it, in the box
    wander = HeldRandomExplorer(np.random.default_rng(0), low, high, (3, 3),
                                Approach((0, 1), (2, 3), share=0.0, noise=0.0))
    first = wander.act(state)
    assert not np.allclose(first, [0.03, -0.05])
    np.testing.assert_array_equal(wander.act(state), first)  # random actions are held
    env = envs.make(REACH_ID, task={**TASK, "explore": {"hold": [1, 2], "approach_from": [0, 1],
                                                       "approach_to": [1, 0]}})
    assert env.task.approach == Approach((0, 1), (1, 0), 0.5, 0.2)  # the defaults
    env.close()


@pytest.mark.parametrize("explore, message", [
    ({"approach_from": [0, 1]}, "approach_to: expected 2 state entries"),
    ({"approach_from": [0, 5], "approach_to": [0, 1]}, "approach_from: expected 2 state"),
    ({"approach_from": [0, 1], "approach_to": [0, 1], "approach_share": 2},
     "expected numbers from 0 to 1"),
])
def test_bad_approach_entries_are_one_line(explore, message):
    with pytest.raises(ConfigError, match=message):
        envs.make(REACH_ID, task={**TASK, "explore": explore})


def test_differences_between_state_groups_join_the_cost():
    cost = {**TASK["cost"], "differences": [{"from": [0], "to": [1], "weight": 0.5}]}
    env = envs.make(REACH_ID, task={**TASK, "cost": cost})
    assert env.cost_spec.pair_terms == ((0, 1, 0.5),)
    state, info = env.reset(seed=0)
    plain = np.abs(state).sum()
    assert env.cost_spec.state_cost(state, info["goal"]) == pytest.approx(
        plain + 0.5 * abs(state[0] - state[1]), rel=1e-6)
    env.close()
    for bad in ([{"from": [0], "to": [0]}], [{"from": [0, 1], "to": [1]}],
                [{"from": [0], "to": [5]}], [{"from": [0], "to": [1], "weight": -1}],
                [{"to": [1], "weight": 1, "of": 2}]):
        with pytest.raises(ConfigError, match=r"\[cost\] differences: expected entries like"):
            envs.make(REACH_ID, task={**TASK, "cost": {**TASK["cost"], "differences": bad}})
