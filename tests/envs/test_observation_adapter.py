"""A task file's [observation]: Dict keys, angles as (cos, sin), a history of observations."""

import math

import numpy as np
import pytest

import envs
from mpcnet.errors import ConfigError
from tests.fixtures.cli import run_cli, usage_error_line
from tests.fixtures.third_party_env import BOAT_ID, MODULE

# state: [x, y, cos h, sin h] at t-1, then at t
OBSERVATION = {"keys": ["position", "heading"], "angles": [2], "history": 2}
TASK = {"import": [MODULE], "observation": OBSERVATION,
        "cost": {"goal": [0.0] * 8, "state_weight": [0.0] * 4 + [1.0, 1.0, 0.0, 0.0],
                 "action_weight": [0.001, 0.001]},
        "success": {"within": [9.0] * 4 + [0.1, 0.1, 9.0, 9.0]}, "explore": {"hold": [1, 4]}}


def _boat(observation=OBSERVATION):
    return envs.make(BOAT_ID, task={**TASK, "observation": observation})


def test_the_state_is_the_selected_keys_with_the_angle_as_cos_sin_and_two_observations():
    env = _boat()
    assert env.observation_space.shape == (8,)
    np.testing.assert_array_equal(env.observation_space.low, [-2, -2, -1, -1] * 2)
    state, _ = env.reset(seed=0)
    boat = env.unwrapped
    h = boat.heading
    expected = [*boat.position, math.cos(h), math.sin(h)]
    np.testing.assert_allclose(state, expected * 2, atol=1e-6)  # reset: the first one twice
    before = state[4:].copy()
    state, *_ = env.step(np.array([1.0, 0.5], np.float32))
    np.testing.assert_allclose(state[:4], before, atol=1e-7)  # the older observation
    h = boat.heading
    np.testing.assert_allclose(state[4:], [*boat.position, math.cos(h), math.sin(h)], atol=1e-6)
    env.close()


def test_no_seam_headings_either_side_of_2_pi_give_close_states():
    from envs.observation import ObservationAdapter
    from tests.fixtures.third_party_env import Boat

    adapter = ObservationAdapter.from_dict({"keys": ["heading"], "angles": [0]},
                                           Boat.observation_space)
    a, b = adapter.single({"heading": [2 * math.pi - 1e-3]}), adapter.single({"heading": [1e-3]})
    assert np.abs(a - b).max() < 3e-3  # as a number they would be 2 pi apart
    np.testing.assert_allclose(adapter.goal({"heading": [math.pi / 2]}), [0.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("observation, message", [
    ({}, "the env observes a Dict with keys ['heading', 'name', 'position']; say which"),
    ({"keys": ["position", "speed"]}, "unknown keys ['speed']; the env's keys are"),
    ({"keys": ["position"], "angles": [2]}, "angles: expected distinct entries 0 to 1"),
    ({"keys": ["position"], "history": 0}, "history: expected an integer from 1 to 16"),
    ({"keys": ["position"], "stack": 2}, "unknown entries ['stack']"),
])
def test_bad_observation_sections_are_one_clear_line(observation, message):
    with pytest.raises(ConfigError) as err:
        envs.make(BOAT_ID, task={**TASK, "observation": observation})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_keys_on_a_box_observation_are_refused():
    with pytest.raises(ConfigError, match="not a Dict"):
        envs.make("Pendulum-v1", task={**envs.task.read_task_file("pendulum"),
                                       "observation": {"keys": ["x"]}})


def _task_file(tmp_path):
    path = tmp_path / "boat.toml"
    path.write_text(f'import = ["{MODULE}"]\n'
                    '[observation]\nkeys = ["position", "heading"]\nangles = [2]\nhistory = 2\n'
                    '[cost]\ngoal = [0, 0, 0, 0, 0, 0, 0, 0]\n'
                    'state_weight = [0, 0, 0, 0, 1, 1, 0, 0]\naction_weight = [0.001, 0.001]\n'
                    '[success]\nwithin = [9, 9, 9, 9, 0.1, 0.1, 9, 9]\n'
                    '[explore]\nhold = [1, 4]\n')
    return path


def test_a_dict_observation_env_runs_collect_to_compare_from_a_task_file(tmp_path):
    data, dense, sparse, cmp = (tmp_path / d for d in ("data", "dense", "sparse", "cmp"))
    task = _task_file(tmp_path)
    assert run_cli(["collect", "--env", BOAT_ID, "--task", str(task), "--episodes", "8",
                    "--steps", "15", "--out", str(data)]) == 0
    assert run_cli(["train", "--data", str(data), "--hidden", "12,12", "--epochs", "2",
                    "--rollout-horizon", "3", "--out", str(dense)]) == 0
    assert run_cli(["sparsify", "--model", str(dense), "--data", str(data), "--relus", "6",
                    "--relaxed-epochs", "1", "--finetune-epochs", "1", "--no-baseline",
                    "--out", str(sparse)]) == 0
    assert run_cli(["compare", "--models", str(dense), str(sparse), "--controllers",
                    "mip,mppi,hold", "--episodes", "2", "--steps", "3", "--horizon", "2",
                    "--budget-ms", "100", "--out", str(cmp)]) == 0


@pytest.mark.parametrize("change, message", [
    (("angles = [2]", "angles = [7]"), "angles: expected distinct entries 0 to 2"),
    (('keys = ["position", "heading"]', 'keys = ["position", "speed"]'), "unknown keys"),
    (("[explore]", "[action]\nrelative_to = [0, 9]\nlow = [-1, -1]\nhigh = [1, 1]\n"
                   "[explore]"), "relative_to: expected 2 state entries"),
    (("[explore]", "[loss_weights]\nspeed = 2.0\n[explore]"), "[loss_weights] speed"),
    (("[success]", "[record]\ninfo = 3\n[success]"), "[record]: expected info ="),
])
def test_a_bad_task_file_refuses_collect_in_one_line(tmp_path, change, message):
    task = _task_file(tmp_path)
    task.write_text(task.read_text().replace(*change))
    line = usage_error_line(["collect", "--env", BOAT_ID, "--task", str(task), "--out",
                             str(tmp_path / "d")], tmp_path)
    assert message in line
    assert not (tmp_path / "d").exists()  # refused before anything was written
