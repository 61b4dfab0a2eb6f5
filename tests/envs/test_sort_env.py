import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from envs.sort import ZONE_CENTRE_X, SortEnv


@pytest.mark.parametrize("num_objects", [2, 4, 6])
def test_check_env_passes_for_2_4_6_objects(num_objects):
    env = envs.make("mpcnet/Sort-v0", num_objects=num_objects, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    obs, info = env.reset(seed=3)
    assert obs.shape == (2 * num_objects + 2,)
    assert info["classes"].shape == (num_objects,)
    assert sorted(np.bincount(info["classes"], minlength=2)) == sorted(
        [num_objects // 2, num_objects - num_objects // 2])
    env.close()


def test_pushing_an_object_into_its_zone_lowers_the_cost_to_zero_for_it():
    env = SortEnv(num_objects=2)
    obs, info = env.reset(seed=0, options={"positions": [[0.0, 0.0], [0.0, 0.15]],
                                           "classes": [1, 0]})
    spec = env.cost_spec
    before = spec.state_cost(obs.astype(float), info["goal"])
    # start left of object 0 and push it 0.2 m to the right, into the class-1 zone
    obs, reward, terminated, _, info = env.step(np.array([-0.05, 0.0, 0.2, 0.0], np.float32))
    assert info["contact"] and info["in_zone"][0] and not info["in_zone"][1]
    assert obs[0] > 0.15 and abs(obs[2]) < 0.01  # object 1 did not move
    after = spec.state_cost(obs.astype(float), info["goal"])
    assert after == pytest.approx(ZONE_CENTRE_X - 0.125, abs=1e-2)  # object 1 to its zone
    assert after < before
    assert reward == pytest.approx(-(after + 0.01 * 0.2), abs=1e-6)
    assert not terminated
    # and object 1 to the left: success ends the episode
    obs, _, terminated, _, info = env.step(np.array([0.05, 0.15, -0.2, 0.0], np.float32))
    assert info["is_success"] and terminated
    assert spec.state_cost(obs.astype(float), info["goal"]) == 0.0


def test_bad_num_objects_and_options_are_named():
    with pytest.raises(ValueError, match="num_objects"):
        SortEnv(num_objects=7)
    env = SortEnv(num_objects=3)
    with pytest.raises(ValueError, match="classes"):
        env.reset(seed=0, options={"classes": [0, 2, 1]})
    env.close()


def test_episode_record_keeps_every_object_and_its_zone():
    from controllers.base import ControlStep
    from training.evaluate import run_episode

    still = np.array([0.4, 0.3, 0.0, 0.0])  # a zero-length push in a corner: nothing moves

    class Still:
        def reset(self, seed, goal):
            pass

        def act(self, obs):
            return ControlStep(still, still[None], 0.0, 0.0, "ok", {})

    env = SortEnv(num_objects=3)
    result, _ = run_episode(env, Still(), seed=5, max_steps=2)
    path = np.asarray(result.object_path)
    assert path.shape == (3, 3, 2)  # steps + 1, objects, xy
    np.testing.assert_allclose(path[0], path[-1], atol=2e-3)
    centres, halves = np.asarray(result.goal_centres), np.asarray(result.goal_half_sizes)
    assert centres.shape == halves.shape == (3, 2)
    assert set(np.abs(centres[:, 0])) == {ZONE_CENTRE_X} and np.all(halves == [0.125, 0.25])
    env.close()
