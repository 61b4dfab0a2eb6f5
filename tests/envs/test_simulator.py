"""The simulator as its own reference model (``sim``): its predictions are the env's steps,
it follows an episode exactly, and it plans only where it can."""

import pickle
import threading

import numpy as np
import pytest

import envs
from controllers import PlannerConfig
from envs.simulator import SimModel
from envs.task import read_task_file
from mpcnet.errors import ConfigError
from tests.fixtures.cli import run_cli, usage_error_line
from tests.fixtures.models import tiny_model
from training.evaluate import evaluate

PUSH = "mpcnet/Push-v0"


def _plans(sim, k, h, seed=0):
    env = envs.make(sim.env_id, **sim.env_kwargs)
    low, high = env.action_space.low, env.action_space.high
    env.close()
    return np.random.default_rng(seed).uniform(low, high, (k, h, sim.action_dim))


@pytest.mark.parametrize("env_id, kwargs", [(PUSH, {}),
                                            ("mpcnet/Sort-v0", {"num_objects": 2}),
                                            ("Pendulum-v1", {"task": "pendulum"})])
def test_predictions_are_the_envs_own_steps(env_id, kwargs):
    if "task" in kwargs:
        kwargs = {"task": read_task_file(kwargs["task"])}
    sim, env = SimModel(env_id, kwargs), envs.make(env_id, **kwargs)
    obs, _ = env.reset(seed=3)
    assert np.array_equal(sim.start(3), obs)
    first = np.asarray(env.action_space.sample() * 0.5, dtype=np.float32)
    obs = env.step(first)[0]
    sim.applied(first, obs)
    plans = _plans(sim, 3, 4)
    alone = sim.simulate(obs, plans[2:3])  # one plan from the copy as it follows the episode
    states = sim.simulate(obs, plans)  # three, each from the restored snapshot
    assert states.shape == (4, 3, sim.state_dim)
    for t in range(4):  # the last plan, played for real from the same state
        obs = env.step(plans[2, t].astype(np.float32))[0]
        np.testing.assert_array_equal(alone[t, 0], obs)
        # a restored PyBullet snapshot keeps no warm start of its contact solver: the plans
        # after the first agree within a fraction of a millimetre (0.16 mm at worst over 20
        # plans of 6 steps, measured), not to the bit
        np.testing.assert_allclose(states[t, 2], obs, atol=5e-4)
    env.close()
    sim.close()


def test_the_copy_stays_exact_after_planning_and_refuses_another_state():
    sim, env = SimModel(PUSH), envs.make(PUSH)
    obs, _ = env.reset(seed=1)
    sim.start(1)
    for step in range(3):
        sim.simulate(obs, _plans(sim, 4, 3, seed=step))
        action = np.float32([0.01, -0.01])
        obs = env.step(action)[0]
        sim.applied(action, obs)  # replayed from the seed: equal to the last bit
    with pytest.raises(ConfigError, match="not the simulator copy's"):
        sim.simulate(obs + 0.01, _plans(sim, 1, 1))
    with pytest.raises(ConfigError, match="diverged from the real env"):
        sim.applied(np.float32([0.01, 0.0]), obs)  # the real env did not take that step
    env.close()


def test_same_seed_same_episode_and_only_sampling_planners():
    sim = SimModel(PUSH)
    config = PlannerConfig(horizon=2, samples=8, iterations=1)
    runs = [evaluate(PUSH, sim, "cem", 1, 7, config, max_steps=2).episodes[0]
            for _ in range(2)]
    assert runs[0].to_dict() | {"plan_times_s": 0} == runs[1].to_dict() | {"plan_times_s": 0}
    with pytest.raises(ConfigError, match="gd needs a ReLU network"):
        evaluate(PUSH, sim, "gd", 1, 7, config, max_steps=1)


def test_an_env_that_cannot_be_copied_is_refused_in_one_line():
    sim = SimModel("Pendulum-v1", {"task": read_task_file("pendulum")})
    sim._env.unwrapped.lock = threading.Lock()  # something copy.deepcopy cannot copy
    with pytest.raises(ConfigError, match="cannot be copied with copy.deepcopy"):
        sim.simulate(np.zeros(sim.state_dim), np.zeros((1, 1, 1)))


def test_it_travels_to_worker_processes():
    sim = pickle.loads(pickle.dumps(SimModel(PUSH)))
    assert (sim.state_dim, sim.action_dim, sim.relu_count) == (10, 2, None)


def test_the_command_line_refuses_a_network_planner_on_sim(tmp_path):
    line = usage_error_line(["evaluate", "--model", "sim", "--controller", "mip", "--episodes",
                             "1", "--out", str(tmp_path / "e")], tmp_path)
    assert "mip needs a ReLU network" in line and "runs mppi, cem, random" in line


@pytest.mark.integration
def test_compare_has_a_sim_row_and_says_what_it_skipped(tmp_path):
    model = tiny_model(tmp_path)
    out = tmp_path / "cmp"
    assert run_cli(["compare", "--models", "sim", str(model), "--controllers", "cem,gd",
                    "--episodes", "1", "--steps", "1", "--horizon", "2", "--samples", "4",
                    "--iterations", "1", "--out", str(out)]) == 0
    table = (out / "results.md").read_text()
    assert "| sim | - | cem |" in table and "| gd |" in table
    assert "gd on sim (gd needs a ReLU network" in table
