"""Task files: gymnasium envs that are not mpcnet's, from Python and the command line."""

import io
import json
import logging
import shutil

import gymnasium as gym
import numpy as np
import pytest

import envs
from envs.task import TaskEnv, read_task_file
from mpcnet.errors import ConfigError, UnknownNameError
from tests.fixtures.cli import run_cli, usage_error_line


def pendulum(**kwargs) -> gym.Env:
    return envs.make("Pendulum-v1", task=read_task_file("pendulum"), **kwargs)


def test_shipped_tasks_give_cost_box_goal_and_success():
    for name, env_id in (("pendulum", "Pendulum-v1"), ("mountain_car", "MountainCarContinuous-v0")):
        env = envs.make(env_id, task=read_task_file(name))
        task = envs.task_of(env)
        raw = gym.make(env_id)
        width = raw.observation_space.high - raw.observation_space.low
        # the observation space padded by the default 5% of its width on each side
        np.testing.assert_allclose(task.state_low, raw.observation_space.low - 0.05 * width,
                                   rtol=1e-6)
        obs, info = env.reset(seed=3)
        assert info["goal"].shape == obs.shape and info["is_success"] in (True, False)
        assert task.cost_spec.state_dim == obs.shape[0]


def test_action_repeat_applies_the_action_that_often_and_sums_the_reward():
    env, raw = pendulum(), gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=5)
    raw_obs, _ = raw.reset(seed=5)
    np.testing.assert_array_equal(obs, raw_obs)
    action = np.array([0.7], np.float32)
    obs, reward, *_ = env.step(action)
    (_, r1, *_), (o2, r2, *_) = raw.step(action), raw.step(action)
    np.testing.assert_array_equal(obs, o2)  # two env steps, not one
    assert reward == pytest.approx(r1 + r2)


def test_pendulum_success_test_reads_the_task_file():
    env = pendulum()
    env.reset(seed=0)
    env.unwrapped.state = np.array([0.0, 0.0])  # upright, at rest
    *_, info = env.step(np.zeros(1, np.float32))
    assert info["is_success"]
    env.unwrapped.state = np.array([np.pi, 0.0])  # hanging down
    *_, info = env.step(np.zeros(1, np.float32))
    assert not info["is_success"]


def test_reset_hook_explores_only_when_asked_and_is_seeded():
    env = pendulum()
    speeds = [abs(env.reset(seed=s, options={"explore": True})[0][2]) for s in range(20)]
    assert max(speeds) > 2.0  # the env's own reset keeps |w| <= 1
    assert all(abs(env.reset(seed=s)[0][2]) <= 1.0 for s in range(20))
    a, _ = env.reset(seed=7, options={"explore": True})
    b, _ = env.reset(seed=7, options={"explore": True})
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("change, needle", [
    ({"colour": "red"}, "unknown entries ['colour']"),
    ({"cost": {"state_weight": [1.0, 2.0]}}, "expected 3 numbers"),
    ({"cost": {"state_weight": [1.0, 0.0, 0.0]}, "success": {}}, "say when an episode succeeds"),
    ({"explore": {"reset_hook": "envs.task_hooks:no_such_hook"}}, "importable function"),
    ({"explore": {"hold": [5, 2]}}, "shortest <= longest"),
    ({"state_box": {"low": [0.0, 0.0, 0.0], "high": [1.0, 1.0, np.inf]}}, "finite low < high"),
    ({"groups": {"angle": [0, 7]}}, "state indices 0 to 2"),
])
def test_bad_task_files_are_one_clear_error(change, needle):
    raw = {**read_task_file("pendulum"), **change}
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        TaskEnv(gym.make("Pendulum-v1"), raw)


def test_env_ids_without_a_task_or_with_the_wrong_one_are_refused():
    with pytest.raises(ConfigError, match="pass task= FILE"):
        envs.make("Pendulum-v1")
    with pytest.raises(UnknownNameError, match="Did you mean 'Pendulum-v1'"):
        envs.make("Pendulm-v1")
    with pytest.raises(ConfigError, match="written for Pendulum-v1"):
        envs.make("MountainCarContinuous-v0", task=read_task_file("pendulum"))
    with pytest.raises(ConfigError, match="task files are for other gymnasium envs"):
        envs.make("mpcnet/Push-v0", task={"cost": {}})


@pytest.mark.integration
def test_task_file_pipeline_through_the_cli(tmp_path, capsys):
    """collect, train, sparsify and compare on Pendulum-v1 with no Python written."""
    data, dense, sparse, cmp = (tmp_path / d for d in ("data", "dense", "sparse", "cmp"))
    assert run_cli(["collect", "--env", "Pendulum-v1", "--task", "pendulum", "--episodes", "12",
                    "--steps", "20", "--out", str(data)]) == 0
    assert run_cli(["train", "--data", str(data), "--hidden", "16,16", "--epochs", "3",
                    "--rollout-horizon", "4", "--out", str(dense)]) == 0
    metrics = json.loads((dense / "metrics.json").read_text())
    assert {"val_mse_rollout_angle", "val_mse_rollout_velocity"} <= set(metrics)
    assert "val_mse_rollout_objects" not in metrics and metrics["error_units"] == ""
    assert run_cli(["sparsify", "--model", str(dense), "--data", str(data), "--relus", "4",
                    "--relaxed-epochs", "2", "--finetune-epochs", "1", "--no-baseline",
                    "--out", str(sparse)]) == 0
    bare = tmp_path / "bare"  # a model without its training config: sparsify says so
    shutil.copytree(dense, bare)
    (bare / "config.json").unlink()
    assert run_cli(["sparsify", "--model", str(bare), "--data", str(data), "--relus", "4",
                    "--out", str(tmp_path / "s2")]) == 2
    assert "no training config.json" in capsys.readouterr().err
    assert run_cli(["compare", "--env", "Pendulum-v1", "--models", str(dense), str(sparse),
                    "--controllers", "mip,mppi", "--episodes", "2", "--steps", "4",
                    "--horizon", "3", "--budget-ms", "150", "--out", str(cmp)]) == 0
    assert run_cli(["bench", "mip", "--env", "Pendulum-v1", "--model", str(sparse), "--horizon",
                    "2", "--starts", "1", "--time-limit", "1", "--json",
                    str(tmp_path / "mip.json")]) == 0
    assert run_cli(["bench", "planners", "--quality", "--env", "Pendulum-v1", "--model",
                    str(sparse), "--planners", "mip,mppi", "--starts", "2", "--horizon", "3",
                    "--budget-ms", "150", "--json", str(tmp_path / "quality.json")]) == 0
    rows = json.loads((cmp / "results.json").read_text())
    assert {(r["controller"], r["relus"]) for r in rows} == {("mip", 32), ("mppi", 32),
                                                             ("mip", 4), ("mppi", 4)}
    assert all(r["reward_mean"] < 0 for r in rows)  # Pendulum's return is never positive
    assert "env return" in (cmp / "results.md").read_text()


def test_task_file_cli_errors(tmp_path):
    line = usage_error_line(["collect", "--env", "Pendulum-v1", "--out", str(tmp_path / "d")],
                            tmp_path)
    assert "pass --task FILE" in line
    line = usage_error_line(["collect", "--env", "Pendulum-v1", "--task", "no_such_task"],
                            tmp_path)
    assert "expected a TOML task file, a shipped task (" in line
    assert "or an example (examples/pusht)" in line


def test_an_example_task_is_found_by_name_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert read_task_file("examples/pusht")["env"] == "gym_pusht/PushT-v0"
    with pytest.raises(ConfigError, match="got none of these"):
        read_task_file("examples/no_such_example")


def test_mip_counts_and_warns_when_the_state_box_refuses_its_warm_start(caplog):
    from controllers import PlannerConfig, make_controller
    from mpcnet.costs import CostSpec
    from mpcnet.nn.relunet import Layer, ReluNet

    # x' = x + 0.5 + relu(u) - relu(-u) ... every plan leaves the box [-1, 1] from x0 = 0.8
    net = ReluNet((Layer(np.array([[0.0, 1.0], [0.0, -1.0]]), np.zeros(2), ("relu", "relu")),
                   Layer(np.array([[0.1, -0.1]]), np.array([0.5]), ("linear",))), 1, 1)
    ctrl = make_controller("mip", net, CostSpec(np.ones(1), np.zeros(1)), [-1.0], [1.0],
                           PlannerConfig(horizon=2, budget_ms=500, iterations=5),
                           state_low=[-1.0], state_high=[1.0])
    ctrl.reset(0, np.zeros(1))
    with caplog.at_level(logging.WARNING, logger="controllers.mip"):
        statuses = [ctrl.act(np.array([0.8])).status for _ in range(2)]
    assert statuses == ["fallback_warm_infeasible"] * 2
    assert sum("leave the state box" in r.message for r in caplog.records) == 1  # warned once


def test_progress_off_a_terminal_writes_a_few_lines():
    from training.progress import Progress

    out = io.StringIO()
    bar = Progress(range(2000), desc="work", file=out)
    for i in bar:
        bar.set_postfix(step=i)
    lines = out.getvalue().splitlines()
    assert 1 <= len(lines) <= 3 and "\r" not in out.getvalue()
    assert "2000/2000" in lines[-1]


class _GoalInInfo(gym.Env):
    """A 2-D point that moves by its action; the goal comes in ``info["target"]`` and the
    episode ends when the point is within 0.1 of it."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float64)
    action_space = gym.spaces.Box(-0.2, 0.2, (2,), np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = np.zeros(2)
        self.target = self.np_random.uniform(-0.5, 0.5, 2)
        return self.x.copy(), {"target": self.target.copy()}

    def step(self, action):
        self.x = np.clip(self.x + action, -1, 1)
        done = bool(np.abs(self.x - self.target).max() < 0.1)
        return self.x.copy(), 0.0, done, False, {"target": self.target.copy()}


def test_goal_from_info_and_the_other_success_tests():
    if "mpcnet-test/GoalInInfo-v0" not in gym.registry:
        gym.register("mpcnet-test/GoalInInfo-v0", entry_point=_GoalInInfo)
    task = {"cost": {"state_weight": [1.0, 1.0], "goal_from_info": "target"},
            "success": {"on_terminated": True, "cost_below": 1e-9}}
    env = envs.make("mpcnet-test/GoalInInfo-v0", task=task)
    _, info = env.reset(seed=4)
    target = info["target"]
    np.testing.assert_array_equal(info["goal"], target)  # read from info, not the task file
    assert not info["is_success"]
    *_, terminated, _, info = env.step(np.zeros(2))
    assert not terminated and not info["is_success"]
    x = np.zeros(2)
    for _ in range(10):  # walk to the target; the env ends the episode there
        step = np.clip(target - x, -0.2, 0.2)
        x, _, terminated, _, info = env.step(step)
        if terminated:
            break
    assert np.abs(x - target).sum() > 1e-9  # not by cost_below: by on_terminated
    assert terminated and info["is_success"]
    bad = {**task, "cost": {"state_weight": [1.0, 1.0], "goal_from_info": "nowhere"}}
    with pytest.raises(ConfigError, match="has no 'nowhere'"):
        envs.make("mpcnet-test/GoalInInfo-v0", task=bad).reset(seed=0)


def test_the_example_task_files_use_only_known_entries():
    import tomllib

    from envs.task import _SECTIONS, TASK_DIR

    examples = sorted((TASK_DIR / "examples").glob("*.toml"))
    assert examples
    for path in examples:
        raw = tomllib.loads(path.read_text())
        assert set(raw) <= _SECTIONS, path
        assert set(raw["observation"]) <= {"keys", "angles", "history"}
        assert set(raw["action"]) <= {"relative_to", "low", "high"}
