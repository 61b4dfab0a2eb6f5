"""mpcnet/Rope-v0: a bead-chain rope pushed into a target shape (check_env and seeding are in
test_push_env.py, which runs over every registered env)."""

import math

import numpy as np
import pytest

import envs
from envs.rope import KEYPOINTS, SHAPES, resample, shape_polyline
from mpcnet.errors import ConfigError

LENGTH = 0.3  # 20 links of 1.5 cm


def _env(**kwargs):
    return envs.make("mpcnet/Rope-v0", **kwargs).unwrapped


def _keypoints(obs) -> np.ndarray:
    return np.asarray(obs[:2 * KEYPOINTS], np.float64).reshape(-1, 2)


def _pushed_across_the_middle(env, steps=12):
    """A straight rope along x through the origin, pushed along +y at its middle."""
    obs, info = env.reset(seed=0, options={"rope_pose": (0.0, 0.0, 0.0),
                                           "pusher": (0.0, -0.04), "goal_shape": "line"})
    infos = [info]
    for _ in range(steps):
        obs, _, terminated, _, info = env.step(np.array([0.0, 0.03], np.float32))
        infos.append(info)
        assert not terminated
    return obs, infos


def test_a_push_at_the_middle_bends_the_rope_and_drags_it_without_stretching_it():
    env = _env()
    obs, infos = _pushed_across_the_middle(env)
    points = _keypoints(obs)
    assert sum(i["contact"] for i in infos[1:]) >= 8
    middle, ends = points[4:6, 1].mean(), points[[0, -1], 1].mean()
    assert middle > 0.15  # the pushed part followed the pusher (12 x 3 cm, less the approach)
    assert middle - ends > 0.05  # the ends lag: it bent, not slid as a bar
    end_to_end = np.linalg.norm(points[-1] - points[0])
    assert end_to_end < 0.97 * LENGTH
    for info in infos:  # it keeps its length within 5% (exactly here: the links are rigid)
        assert abs(info["rope_length"] - LENGTH) < 0.05 * LENGTH
    spacing = np.linalg.norm(np.diff(points, axis=0), axis=1)
    assert spacing.max() <= LENGTH / (KEYPOINTS - 1) + 1e-6  # keypoints never stretch apart
    env.close()


def test_reward_is_minus_cost_and_the_pusher_follows_the_action():
    env = _env()
    obs, info = env.reset(seed=3)
    for _ in range(4):
        action = np.array([0.02, -0.01], np.float32)
        before = obs[-2:].copy()
        obs, reward, _, _, info = env.step(action)
        expected = env.cost_spec.state_cost(obs.astype(np.float64), info["goal"])
        expected += env.cost_spec.action_cost(action)
        assert reward == pytest.approx(-expected)
        np.testing.assert_allclose(obs[-2:] - before, action, atol=2e-3)
    env.close()


@pytest.mark.parametrize("shape", SHAPES)
def test_goal_shapes_have_the_ropes_length_and_fixed_options_place_rope_and_goal(shape):
    env = _env()
    pose = (0.05, -0.02, 0.3)
    obs, info = env.reset(seed=1, options={"rope_pose": (0.0, 0.0, math.pi / 2),
                                           "goal_shape": shape, "goal_pose": pose})
    goal = info["goal"][:2 * KEYPOINTS].reshape(-1, 2)
    expected = resample(shape_polyline(shape, LENGTH), KEYPOINTS)
    c, s = math.cos(pose[2]), math.sin(pose[2])
    np.testing.assert_allclose(goal, expected @ np.array([[c, s], [-s, c]]) + pose[:2],
                               atol=1e-9)
    np.testing.assert_allclose(goal.mean(0), pose[:2], atol=1e-9)  # the pose is the centre
    polyline = shape_polyline(shape, LENGTH)
    assert np.linalg.norm(np.diff(polyline, axis=0), axis=1).sum() == pytest.approx(LENGTH)
    assert info["goal_shape"] == shape and info["goal"][-2:].tolist() == [0.0, 0.0]
    # the start: straight along +y, centred on the origin, keypoint 0 first
    points = _keypoints(obs)
    np.testing.assert_allclose(points[:, 0], 0.0, atol=1e-4)
    np.testing.assert_allclose(points[:, 1], np.linspace(-LENGTH / 2, LENGTH / 2, KEYPOINTS),
                               atol=1e-4)
    env.close()


def test_drawn_goals_stay_near_the_rope_and_inside_the_workspace():
    env = _env(goals=("U",))
    for seed in range(6):
        obs, info = env.reset(seed=seed)
        goal = info["goal"][:2 * KEYPOINTS].reshape(-1, 2)
        assert info["goal_shape"] == "U"
        assert np.abs(goal).max() <= 0.3
        assert np.linalg.norm(goal.mean(0) - _keypoints(obs).mean(0)) <= 0.06 + 1e-9
        assert not info["is_success"]
    env.close()


def test_a_goal_at_the_start_is_a_success_that_ends_the_episode():
    env = _env()
    pose = (0.02, 0.03, 0.5)
    _, info = env.reset(seed=0, options={"rope_pose": pose, "goal_pose": pose,
                                         "goal_shape": "line", "pusher": (0.3, 0.3)})
    assert info["is_success"] and info["keypoint_distance"] < 1e-4
    _, _, terminated, _, info = env.step(np.zeros(2, np.float32))
    assert terminated and info["is_success"]
    env.close()


@pytest.mark.parametrize("options, message", [
    ({"rope": (0, 0, 0)}, "unknown keys ['rope']"),
    ({"goal_shape": "S"}, "options['goal_shape']: expected one of"),
    ({"start_shape": 3}, "options['start_shape']: expected one of"),
    ({"rope_pose": (0.4, 0.0, 0.0)}, "leaves |x|, |y| <= 0.4 m"),
    ({"goal_pose": (0.25, 0.0, 0.0), "goal_shape": "line"}, "goal at"),
    ({"rope_pose": (0.0, 0.0, 0.0), "pusher": (0.05, 0.0)}, "clear of the rope"),
    ({"pusher": (0.05, float("nan"))}, "finite"),
    ([0.0, 0.0], "expected a dict"),
])
def test_bad_reset_options_are_refused_in_one_line(options, message):
    env = _env()
    with pytest.raises(ConfigError, match=None) as err:
        env.reset(seed=0, options=options)
    assert message in str(err.value) and "\n" not in str(err.value)
    env.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"goals": ("line", "S")}, "goals: expected shapes"),
    ({"link_length": 0.5}, "link_length"),
    ({"max_step": 0.0}, "max_step"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        _env(**kwargs)


def test_a_longer_rope_is_a_setting():
    env = _env(link_length=0.02)
    _, info = env.reset(seed=0)
    assert info["rope_length"] == pytest.approx(0.4)
    env.close()


def test_collect_pushes_across_the_rope(tmp_path):
    from training.collect import CollectConfig, collect

    result = collect(CollectConfig(env_id="mpcnet/Rope-v0", episodes=3, steps=20, seed=0))
    assert result.metrics["contact_fraction"] > 0.3
    assert result.data.states.shape[1] == 2 * KEYPOINTS + 2
