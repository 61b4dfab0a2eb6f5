"""Envs registered by another package: gymnasium's ``module:EnvId`` and a task's ``import``."""

import json

import pytest

import envs
from mpcnet.errors import ConfigError, UnknownNameError
from tests.fixtures.cli import run_cli, usage_error_line
from tests.fixtures.third_party_env import ENV_ID, MODULE

TASK = {"cost": {"goal": [0.0, 0.0], "state_weight": [1.0, 0.0], "action_weight": [0.01]},
        "success": {"within": [0.05, 1.0]}, "explore": {"hold": [1, 3]}}


def _task_file(tmp_path, **extra):
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in extra.items()]
    lines += ["[cost]", "goal = [0.0, 0.0]", "state_weight = [1.0, 0.0]", "action_weight = [0.01]",
              "[success]", "within = [0.05, 1.0]", "[explore]", "hold = [1, 3]"]
    path = tmp_path / "drift.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_module_colon_id_and_task_imports_make_the_env():
    env = envs.make(f"{MODULE}:{ENV_ID}", task=TASK)
    assert env.reset(seed=0)[0].shape == (2,)
    env.close()
    env = envs.make(ENV_ID, task={**TASK, "import": [MODULE]})
    assert env.reset(seed=0)[0].shape == (2,)
    env.close()


def test_a_module_that_does_not_import_is_one_clear_line():
    with pytest.raises(ConfigError, match=r"cannot import 'no_such_pkg', which registers the "
                                          r"env .*install its package"):
        envs.check_env_id(f"no_such_pkg:{ENV_ID}", TASK)
    with pytest.raises(ConfigError, match="task import: expected a list of module names"):
        envs.check_env_id(ENV_ID, {**TASK, "import": "tests"})


def test_an_unknown_id_says_how_to_name_the_package_that_registers_it():
    with pytest.raises(UnknownNameError, match=r"unknown environment id 'Other/Drift-v9'.*"
                                               r"module:EnvId.*import = \[\"module\"\]"):
        envs.check_env_id("Other/Drift-v9", TASK)


def test_the_pipeline_runs_on_a_module_colon_id_from_a_task_file(tmp_path):
    data, model, cmp = tmp_path / "data", tmp_path / "model", tmp_path / "cmp"
    task = _task_file(tmp_path)
    env_id = f"{MODULE}:{ENV_ID}"
    assert run_cli(["collect", "--env", env_id, "--task", str(task), "--episodes", "4",
                    "--steps", "10", "--out", str(data)]) == 0
    assert run_cli(["train", "--data", str(data), "--hidden", "8", "--epochs", "1",
                    "--rollout-horizon", "2", "--out", str(model)]) == 0
    assert run_cli(["compare", "--models", str(model), "--controllers", "hold,mppi",
                    "--episodes", "2", "--steps", "3", "--horizon", "2", "--budget-ms", "50",
                    "--out", str(cmp)]) == 0  # env and task from the model
    rows = json.loads((cmp / "results.json").read_text())
    assert [r["controller"] for r in rows] == ["hold", "mppi"]
    assert rows[1]["vs_hold"]["pairs"] == 2 and rows[1]["vs_hold"]["hold"] == "hold/model"
    assert "vs hold: env return" in (cmp / "results.md").read_text()


def test_the_simulator_alone_takes_its_env_from_the_task_file(tmp_path):
    out = tmp_path / "cmp"
    task = _task_file(tmp_path, env=ENV_ID, **{"import": [MODULE]})
    assert run_cli(["compare", "--models", "sim", "--task", str(task),
                    "--controllers", "cem", "--episodes", "1", "--steps", "2", "--horizon",
                    "2", "--budget-ms", "30", "--samples", "8", "--out", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())[0]["controller"] == "cem"


def test_a_task_import_of_a_missing_module_refuses_collect(tmp_path):
    task = _task_file(tmp_path, **{"import": ["no_such_pkg"]})
    line = usage_error_line(["collect", "--env", ENV_ID, "--task", str(task), "--out",
                             str(tmp_path / "d")], tmp_path)
    assert "cannot import 'no_such_pkg'" in line


def test_an_env_with_every_trait_runs_collect_to_compare_from_a_task_file_alone(tmp_path):
    """Tug: a Dict observation, a wrapping angle, absolute-target actions, a hidden velocity,
    its measure in info; the task file alone makes it plannable, and every planner row is
    paired with doing nothing."""
    from tests.fixtures.third_party_env import TUG_ID

    task = tmp_path / "tug.toml"
    task.write_text(
        f'env = "{TUG_ID}"\nimport = ["{MODULE}"]\n'
        '[observation]\nkeys = ["agent", "heading"]\nangles = [2]\nhistory = 2\n'
        '[action]\nrelative_to = [4, 5]\nlow = [-0.5, -0.5]\nhigh = [0.5, 0.5]\n'
        '[cost]\ngoal = [0, 0, 0, 0, 0, 0, 0, 0]\n'
        'state_weight = [0, 0, 0, 0, 1, 1, 0, 0]\naction_weight = [0.001, 0.001]\n'
        '[success]\nwithin = [9, 9, 9, 9, 0.1, 0.1, 9, 9]\n[record]\ninfo = ["distance"]\n'
        '[explore]\nhold = [1, 4]\n[groups]\nagent = [4, 5]\nheading = [6, 7]\n'
        '[loss_weights]\nheading = 2.0\n')
    data, dense, sparse, cmp = (tmp_path / d for d in ("data", "dense", "sparse", "cmp"))
    assert run_cli(["collect", "--task", str(task), "--env", TUG_ID, "--episodes", "10",
                    "--steps", "15", "--out", str(data)]) == 0
    assert run_cli(["train", "--data", str(data), "--hidden", "16,16", "--epochs", "3",
                    "--rollout-horizon", "3", "--out", str(dense)]) == 0
    assert run_cli(["sparsify", "--model", str(dense), "--data", str(data), "--relus", "6",
                    "--relaxed-epochs", "1", "--finetune-epochs", "1", "--no-baseline",
                    "--out", str(sparse)]) == 0
    assert run_cli(["compare", "--models", str(sparse), "--controllers", "hold,mip,mppi",
                    "--episodes", "2", "--steps", "4", "--horizon", "2", "--budget-ms", "100",
                    "--out", str(cmp)]) == 0  # the env and the task from the model
    rows = json.loads((cmp / "results.json").read_text())
    assert [r["controller"] for r in rows] == ["hold", "mip", "mppi"]
    for row in rows[1:]:
        assert row["vs_hold"]["pairs"] == 2 and row["vs_hold"]["reward_diff"] is not None
    episode = json.loads((cmp / "episodes" / "hold__sparse" / "episode_00000.json").read_text())
    assert len(episode["recorded"]["distance"]) == episode["steps"] == 4
    # hold stays put: the env got the agent's own position as its target, not the origin
    distance = episode["recorded"]["distance"]
    assert max(distance) - min(distance) < 1e-4 and distance[0] > 0.05
