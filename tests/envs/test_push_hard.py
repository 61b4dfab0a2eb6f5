import math

import numpy as np
import pytest

import envs
from envs.push_hard import MAX_OBSTACLES, POINTS
from mpcnet.errors import ConfigError


def _starts(env_id, seeds=range(30)):
    env = envs.make(env_id)
    out = [env.reset(seed=s) for s in seeds]
    env.close()
    return out


@pytest.mark.parametrize("env_id", ["mpcnet/PushObstacle-v0", "mpcnet/PushTObstacle-v0"])
def test_obstacles_lie_between_and_clear_of_the_starts_and_the_goal(env_id):
    env = envs.make(env_id).unwrapped
    counts, between = [], 0
    for seed in range(30):
        obs, info = env.reset(seed=seed)
        boxes = info["obstacles"]
        counts.append(len(boxes))
        obj, goal = info["object_pose"], info["goal_pose"]
        for box in boxes:
            assert env._blocking(box, obj, goal, obs[8:10].astype(float)) == ""
        assert info["violations"] == 0 and not info["violated"]
        mid = (obj[:2] + goal[:2]) / 2  # the first box sits across the straight path
        between += bool(np.linalg.norm(np.clip(mid, boxes[0, :2], boxes[0, 2:]) - mid) < 0.05)
        # the cost the planners get holds this episode's boxes, padded with empty ones
        spec = env.cost_spec
        assert spec.has_obstacles and len(spec.obstacles) == MAX_OBSTACLES
        np.testing.assert_array_equal(spec.obstacles[:len(boxes)], boxes)
        assert spec.obstacle_points == POINTS
    env.close()
    assert min(counts) >= 1 and max(counts) <= MAX_OBSTACLES and len(set(counts)) > 1
    assert between >= 25


def test_the_pusher_starts_on_every_side_in_push_around():
    angles = []
    for obs, info in _starts("mpcnet/PushAround-v0", range(60)):
        obj, goal = info["object_pose"][:2], info["goal_pose"][:2]
        to_pusher, to_goal = obs[8:10] - obj, goal - obj
        cos = to_pusher @ to_goal / (np.linalg.norm(to_pusher) * np.linalg.norm(to_goal))
        angles.append(math.degrees(math.acos(np.clip(cos, -1, 1))))
    assert min(angles) < 45  # on the goal side: it must walk around the object
    assert max(angles) > 150


def test_push_turn_asks_for_turns_up_to_180_degrees():
    turns = []
    for _, info in _starts("mpcnet/PushTurn-v0", range(60)):
        turns.append(abs(info["goal_pose"][2] - info["object_pose"][2]))
    assert max(turns) > math.radians(120) and max(turns) <= math.pi + 1e-9


def test_a_deep_step_into_an_obstacle_ends_the_episode_as_a_failure():
    env = envs.make("mpcnet/PushObstacle-v0").unwrapped
    options = {"object_pose": [0.0, 0.0, 0.0], "goal_pose": [0.2, 0.0, 0.0],
               "pusher": [-0.1, 0.14], "obstacles": [[-0.14, 0.17, -0.06, 0.27]]}
    obs, info = env.reset(seed=0, options=options)
    assert len(info["obstacles"]) == 1 and info["violations"] == 0
    free_reward = None
    for _ in range(3):
        obs, reward, terminated, _, info = env.step(np.array([0.0, 0.03], np.float32))
        free_reward = reward if free_reward is None else free_reward
        if terminated:
            break
    assert terminated and info["violated"] and not info["is_success"]
    assert info["violations"] >= 1 and info["violation_depth"] > 0.01
    # the reward prices the depth like the planners' cost does
    expected = -(env.cost_spec.state_cost(obs.astype(float), info["goal"])
                 + env.cost_spec.action_cost(np.array([0.0, 0.03]))
                 + env.cost_spec.obstacle_cost(obs.astype(float)))
    assert reward == pytest.approx(expected, rel=1e-6)
    env.close()


@pytest.mark.parametrize("obstacles, needle", [
    ([[-0.05, -0.05, 0.05, 0.05]], "overlaps the object's start"),
    ([[0.15, -0.02, 0.25, 0.02]], "overlaps the goal"),
    ([[-0.12, 0.12, -0.08, 0.16]], "overlaps the pusher's start"),
    ([[0.3, 0.3, 0.5, 0.4]], "leaves the workspace"),
    ([[0.1, 0.1, 0.0, 0.2]], "x_low <= x_high"),
    ([[0.2, 0.2, 0.3, 0.3]] * 4, "at most 3"),
    ("boxes", "expected boxes"),
])
def test_malformed_obstacle_options_are_one_clear_line(obstacles, needle):
    env = envs.make("mpcnet/PushObstacle-v0").unwrapped
    options = {"object_pose": [0.0, 0.0, 0.0], "goal_pose": [0.2, 0.0, 0.0],
               "pusher": [-0.1, 0.14], "obstacles": obstacles}
    with pytest.raises(ConfigError, match=needle) as err:
        env.reset(seed=0, options=options)
    assert "\n" not in str(err.value)
    env.close()


def test_obstacles_on_an_env_without_them_are_refused():
    env = envs.make("mpcnet/PushTurn-v0").unwrapped
    with pytest.raises(ConfigError, match="has no obstacles"):
        env.reset(seed=0, options={"obstacles": [[0.2, 0.2, 0.3, 0.3]]})
    env.close()


@pytest.mark.parametrize("kwargs, needle", [({"obstacles": 4}, "obstacles"),
                                            ({"start": "left"}, "start"),
                                            ({"max_turn": 4.0}, "max_turn"),
                                            ({"violation_depth": 0.0}, "violation_depth")])
def test_bad_variant_settings_are_refused(kwargs, needle):
    from envs.push_hard import HardPushEnv

    with pytest.raises(ConfigError, match=needle):
        HardPushEnv(**kwargs)


@pytest.mark.parametrize("controller", ["mip", "bab", "mppi", "gd"])
def test_every_planner_plans_with_the_episodes_obstacles(controller):
    from controllers import PlannerConfig
    from tests.fixtures import random_mlp
    from training.evaluate import controller_for, run_episode

    net = random_mlp(hidden=(8, 6)).export()
    env = envs.make("mpcnet/PushObstacle-v0", max_episode_steps=2)
    ctrl = controller_for(env, net, controller, PlannerConfig(budget_ms=300, horizon=2))
    result, _ = run_episode(env, ctrl, seed=3, max_steps=2)
    spec = envs.task_of(env).cost_spec
    assert len(result.obstacles) >= 1 and result.steps >= 1
    # the controller scores plans by this episode's boxes, not the empty slots it was built with
    np.testing.assert_array_equal(ctrl.cost.obstacles, spec.obstacles)
    np.testing.assert_array_equal(ctrl.kernel.cost.obstacles, spec.obstacles)
    if controller == "mip":
        np.testing.assert_array_equal(ctrl.mpc.encoding.boxes, spec.obstacles)
    if controller == "bab":
        np.testing.assert_array_equal(ctrl.search.bounds.cost.obstacles, spec.obstacles)
    env.close()


def test_compare_tables_show_violations_only_where_there_were_any():
    from training.experiments.compare_plots import results_table

    row = {"model": "m", "relus": 32, "controller": "gd", "episodes": 2, "success_rate": 0.5,
           "final_cost_mean": 0.1, "final_cost_std": 0.0, "plan_time_median_s": 0.2,
           "plan_time_max_s": 0.2, "violations_mean": 1.5, "violated_rate": 0.5}
    table = results_table([row], [])
    assert "obstacle violations per episode" in table and "| 1.5, 0.50 |" in table
    quiet = results_table([{**row, "violations_mean": 0.0, "violated_rate": 0.0}], [])
    assert "violations" not in quiet


def test_episode_files_from_before_obstacles_still_load(tmp_path):
    # an interrupted run from an earlier version resumes: the new fields take their defaults
    from mpcnet.artifacts import write_json
    from training.evaluate import EpisodeStore

    old = {"seed": 7, "success": True, "final_cost": 0.01, "steps": 3, "plan_times_s": [0.1],
           "costs": [0.3, 0.01], "object_path": [[[0, 0]]], "goal_centres": [[0, 0]],
           "goal_half_sizes": [[0, 0]], "statuses": {"ok": 3}, "reward": -1.0}
    write_json(tmp_path / "episode_00000.json", old)
    result = EpisodeStore(tmp_path).load(0, 7)
    assert result.violations == 0 and not result.violated and result.obstacles == []
