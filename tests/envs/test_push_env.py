import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from mpcnet.errors import ConfigError, UnknownNameError


@pytest.mark.parametrize("env_id", sorted(envs.ENV_IDS))
def test_check_env_passes(env_id):
    env = envs.make(env_id, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


def _trajectory(env_id, seed, steps=15):
    env = envs.make(env_id)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = [obs]
    low, high = env.action_space.low, env.action_space.high
    for _ in range(steps):
        obs, *_ = env.step(rng.uniform(low, high).astype(np.float32))
        out.append(obs)
    env.close()
    return np.array(out), info["goal"]


@pytest.mark.parametrize("env_id", sorted(envs.ENV_IDS))
def test_same_seed_same_trajectory(env_id):
    a, goal_a = _trajectory(env_id, 5)
    b, goal_b = _trajectory(env_id, 5)
    c, goal_c = _trajectory(env_id, 6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(goal_a, goal_b)
    assert not np.allclose(a[0], c[0])


def test_pushing_moves_the_object_and_reward_is_minus_cost():
    env = envs.make("mpcnet/Push-v0").unwrapped
    obs, info = env.reset(seed=0, options={"object_pose": (0.0, 0.0, 0.0),
                                           "goal_pose": (0.1, 0.0, 0.0), "pusher": (-0.09, 0.0)})
    start = info["object_pose"].copy()
    contacts = 0
    for _ in range(5):
        action = np.array([0.03, 0.0], dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        contacts += info["contact"]
        expected = env.cost_spec.state_cost(obs.astype(np.float64), info["goal"])
        expected += env.cost_spec.action_cost(action)
        assert reward == pytest.approx(-expected)
    assert contacts >= 3
    assert info["object_pose"][0] - start[0] > 0.05  # pushed along +x
    assert abs(info["object_pose"][1]) < 0.02
    np.testing.assert_allclose(obs[8:], [-0.09 + 0.15, 0.0], atol=0.01)  # pusher followed


def test_the_approach_weight_keeps_the_pusher_by_the_object_in_every_planners_cost():
    plain = envs.make("mpcnet/Push-v1").unwrapped
    env = envs.make("mpcnet/Push-v1", approach_weight=0.1).unwrapped
    assert plain.cost_spec.pair_terms == () and len(env.cost_spec.pair_terms) == 8
    obs, info = env.reset(seed=0, options={"object_pose": (0.0, 0.0, 0.0),
                                           "goal_pose": (0.1, 0.0, 0.0), "pusher": (-0.3, 0.0)})
    state = obs.astype(np.float64)
    corners = state[:8].reshape(4, 2)
    extra = 0.1 * np.abs(state[8:] - corners).sum()  # L1 from the pusher to each corner
    assert env.cost_spec.state_cost(state, info["goal"]) == pytest.approx(
        plain.cost_spec.state_cost(state, info["goal"]) + extra)
    hard = envs.make("mpcnet/PushObstacle-v0", approach_weight=0.1).unwrapped
    assert hard.cost_spec.pair_terms == env.cost_spec.pair_terms
    assert hard.cost_spec.obstacle_weight > 0  # the obstacles stay
    with pytest.raises(ConfigError, match="approach_weight"):
        envs.make("mpcnet/Push-v1", approach_weight=-0.1)


def test_success_terminates():
    env = envs.make("mpcnet/Push-v0")
    _, info = env.reset(seed=0, options={"object_pose": (0.0, 0.0, 0.0),
                                         "goal_pose": (0.005, 0.0, 0.0), "pusher": (0.2, 0.2)})
    assert info["keypoint_distance"] == pytest.approx(0.005, abs=1e-3)
    _, _, terminated, truncated, info = env.step(np.zeros(2, dtype=np.float32))
    assert terminated and info["is_success"] and not truncated


def test_truncated_by_step_limit():
    env = envs.make("mpcnet/Push-v0", max_episode_steps=3)
    env.reset(seed=1)
    flags = [env.step(np.zeros(2, dtype=np.float32))[3] for _ in range(3)]
    assert flags == [False, False, True]


def test_unknown_env_id_suggests_a_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'mpcnet/Push-v0'"):
        envs.make("mpcnet/Psh-v0")


def test_step_length_is_an_env_option_recorded_with_the_data(tmp_path):
    import json

    import gymnasium as gym

    from mpcnet.errors import ConfigError
    from training.cli import main
    from training.cli.inputs import control_env_kwargs

    env = gym.make("mpcnet/Push-v0", max_step=0.06)
    assert float(env.action_space.high[0]) == pytest.approx(0.06)
    env.reset(seed=0)
    before = env.unwrapped._sim.planar_pose("pusher")[:2]
    env.step([0.06, 0.0])
    after = env.unwrapped._sim.planar_pose("pusher")[:2]
    assert after[0] - before[0] > 0.045  # a 6 cm step, not clipped to 3 cm
    env.close()
    with pytest.raises(ConfigError, match="max_step: expected a step length"):
        gym.make("mpcnet/Push-v0", max_step=0.5)
    data, model = tmp_path / "data", tmp_path / "model"
    assert main(["collect", "--episodes", "4", "--steps", "5", "--max-step", "0.06",
                 "--out", str(data)]) == 0
    assert json.loads((data / "data.json").read_text())["env_kwargs"] == {"max_step": 0.06}
    assert main(["train", "--data", str(data), "--hidden", "4", "--epochs", "1",
                 "--rollout-horizon", "2", "--val-fraction", "0.3", "--out", str(model)]) == 0
    from argparse import Namespace

    kwargs = control_env_kwargs(Namespace(env_id="mpcnet/Push-v0", num_objects=0), [model])
    assert kwargs == {"max_step": 0.06}  # evaluate and compare make the env the data came from


def _push_then_retreat(env_id):
    """Object motion in the step after a fast push, with the pusher moving away."""
    env = envs.make(env_id).unwrapped
    env.reset(seed=0, options={"object_pose": (0.0, 0.0, 0.0), "goal_pose": (0.15, 0.0, 0.0),
                               "pusher": (-0.07, 0.0)})
    for _ in range(3):
        obs, *_, info = env.step(np.array([0.03, 0.0], dtype=np.float32))
    assert info["contact"]
    after, *_, info = env.step(np.array([-0.03, 0.0], dtype=np.float32))
    env.close()
    assert not info["contact"]
    return np.abs(after[:8] - obs[:8]).max()


def test_v1_is_quasi_static_and_v0_slides():
    # v1: the observation is the whole state, so nothing moves without contact
    assert _push_then_retreat("mpcnet/Push-v1") < 1e-4
    assert _push_then_retreat("mpcnet/PushT-v1") < 1e-4
    # v0 (kept to reproduce old results): the object slides on with a velocity nobody sees
    assert _push_then_retreat("mpcnet/Push-v0") > 3e-3
    assert envs.DEFAULT_ENV_ID == "mpcnet/Push-v2"


@pytest.mark.parametrize("new, old", [("mpcnet/Push-v2", "mpcnet/Push-v1"),
                                      ("mpcnet/PushTurn-v1", "mpcnet/PushTurn-v0")])
def test_the_new_versions_move_alike_and_pay_for_a_pusher_away_from_the_object(new, old):
    (states_new, goal_new), (states_old, goal_old) = _trajectory(new, 5), _trajectory(old, 5)
    np.testing.assert_array_equal(states_new, states_old)
    np.testing.assert_array_equal(goal_new, goal_old)
    costs = {}
    for env_id in (new, old):
        env = envs.make(env_id)
        env.reset(seed=5)
        costs[env_id] = -env.step(np.zeros(2, np.float32))[1]
        env.close()
    # the approach term: 0.05 x the pusher's L1 distance to each keypoint, > 0 off the object
    assert costs[new] > costs[old] + 1e-3
    assert envs.dynamics_of(new) == envs.dynamics_of(old) == "mpcnet/Push-v1"


def test_the_default_horizon_is_long_where_the_pusher_is_kept_close():
    for env_id in ("mpcnet/Push-v2", "mpcnet/PushT-v2", "mpcnet/PushObstacle-v1",
                   "mpcnet/PushTAround-v1"):
        assert envs.default_horizon(env_id) == 12
    for env_id in ("mpcnet/Push-v1", "mpcnet/PushObstacle-v0", "mpcnet/Sort-v0", None):
        assert envs.default_horizon(env_id) == 6
