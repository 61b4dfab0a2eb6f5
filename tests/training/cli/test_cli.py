import json

import pytest

from tests.fixtures.cli import usage_error_line
from training.cli import main

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


def test_tiny_pipeline_through_the_cli(tmp_path, capsys):
    data, model = tmp_path / "data", tmp_path / "model"
    assert main(["collect", "--episodes", "6", "--steps", "12", "--seed", "1",
                 "--out", str(data)]) == 0
    metrics = json.loads((data / "metrics.json").read_text())
    assert set(metrics) >= {"transitions", "contact_fraction"}
    assert main(["train", "--data", str(data), "--hidden", "8,8", "--epochs", "2",
                 "--rollout-horizon", "4", "--val-fraction", "0.3", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert str(model) in out and "rollout MSE" in out
    assert json.loads((model / "metrics.json").read_text())["relus"] == 16


@pytest.mark.parametrize("argv, needle", [
    (["train", "--data", "does-not-exist"], "data directory does-not-exist does not exist"),
    (["collect", "--env", "mpcnet/Psh-v0"], "Did you mean 'mpcnet/Push-v0'"),
    (["train", "--data", ".", "--hidden", "128,x"], "hidden: expected comma-separated"),
    (["collect", "--episodes", "ten"], "invalid int value"),
    (["collect", "--episodes", "0"], "episodes: expected a positive number"),
    (["evaluate", "--env", "mpcnet/Sort-v0", "--model", "sim", "--approach-weight", "0.1"],
     "only the Push envs have a pusher to keep by the object"),
    (["evaluate", "--model", "sim", "--approach-weight", "-0.1"], "expected a number >= 0 and"),
])
def test_bad_input_gives_one_line_and_exit_code_2(argv, needle, tmp_path):
    assert needle in usage_error_line([*argv, "--out", str(tmp_path / "o")], tmp_path)


def test_existing_run_directory_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    assert main(["collect", "--episodes", "1", "--steps", "3", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "mine"


def test_sparsify_sweep_through_the_cli(tmp_path, capsys):
    data, model, sweep = tmp_path / "data", tmp_path / "model", tmp_path / "sweep"
    assert main(["collect", "--episodes", "6", "--steps", "10", "--out", str(data)]) == 0
    assert main(["train", "--data", str(data), "--hidden", "8,8", "--epochs", "2",
                 "--rollout-horizon", "4", "--val-fraction", "0.3", "--out", str(model)]) == 0
    assert main(["sparsify", "--model", str(model), "--data", str(data), "--relus", "6,3",
                 "--relaxed-epochs", "2", "--finetune-epochs", "1", "--out", str(sweep)]) == 0
    rows = json.loads((sweep / "sweep.json").read_text())
    assert [r["relus_budget"] for r in rows] == [6, 3]
    assert all(r["relus_after"] <= r["relus_budget"] for r in rows)
    assert (sweep / "sweep.png").stat().st_size > 1000
    assert "| 3 |" in (sweep / "sweep.md").read_text()
    for k in (6, 3):
        metrics = json.loads((sweep / f"relus_{k}" / "metrics.json").read_text())
        assert metrics["relus_after"] <= k
        assert metrics["magnitude_val_mse_rollout"] > 0
        assert (sweep / f"relus_{k}" / "magnitude" / "model.json").is_file()
    # --no-baseline: no magnitude model, its figures null, the table says so
    lean = tmp_path / "lean"
    assert main(["sparsify", "--model", str(model), "--data", str(data), "--relus", "6,3",
                 "--relaxed-epochs", "2", "--finetune-epochs", "1", "--no-baseline",
                 "--no-distill", "--out", str(lean)]) == 0
    # distillation is on by default for Push data, and recorded as decided
    assert json.loads((sweep / "relus_6" / "config.json").read_text())["distill"] is True
    assert json.loads((lean / "relus_6" / "config.json").read_text())["distill"] is False
    lean_rows = json.loads((lean / "sweep.json").read_text())
    assert all(r["magnitude_val_mse_rollout"] is None for r in lean_rows)
    assert not any(lean.glob("relus_*/magnitude"))
    assert "| - |" in (lean / "sweep.md").read_text()
    capsys.readouterr()
    # budget larger than the model, and a directory that holds no model
    assert main(["sparsify", "--model", str(model), "--data", str(data), "--relus", "17",
                 "--out", str(tmp_path / "x")]) == 2
    assert "exceeds the model's 16 ReLUs" in capsys.readouterr().err
    assert main(["sparsify", "--model", str(data), "--data", str(data), "--relus", "4",
                 "--out", str(tmp_path / "y")]) == 2
    assert "holds no model.json" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_an_omitted_env_is_the_one_the_model_was_trained_on(tmp_path):
    import argparse
    import json

    import envs
    from training.cli.inputs import resolve_env_id

    old = tmp_path / "old"
    old.mkdir()
    (old / "config.json").write_text(json.dumps({"env_id": "mpcnet/Push-v0"}))
    bare = tmp_path / "bare"
    bare.mkdir()

    def resolved(**kw):
        args = argparse.Namespace(**kw)
        resolve_env_id(args)
        return args.env_id

    assert resolved(env_id=None, models=["sim", str(bare), str(old)]) == "mpcnet/Push-v0"
    assert resolved(env_id=None, model=str(old)) == "mpcnet/Push-v0"
    assert resolved(env_id=None, model=str(bare)) == envs.DEFAULT_ENV_ID
    assert resolved(env_id="mpcnet/Sort-v0", model=str(old)) == "mpcnet/Sort-v0"
    assert not hasattr(argparse.Namespace(), "env_id")  # commands without --env: untouched
    resolve_env_id(argparse.Namespace())


@pytest.mark.parametrize("env_id, argv, horizon, approach", [
    ("mpcnet/Push-v2", [], 12, None),
    ("mpcnet/Push-v1", [], 6, None),
    ("mpcnet/PushAround-v1", ["--horizon", "4", "--approach-weight", "0"], 4, 0.0),
])
def test_the_horizon_and_the_approach_term_default_to_the_envs(env_id, argv, horizon, approach):
    from training.cli import build_parser
    from training.cli.inputs import env_kwargs_of
    from training.cli.options import planner_config_from_args

    args = build_parser().parse_args(["evaluate", "--model", "sim", "--env", env_id, *argv])
    assert planner_config_from_args(args).horizon == horizon
    # omitted, the env keeps its own weight (0.05 on v2); given, even 0, it is passed on
    assert env_kwargs_of(args).get("approach_weight") == approach
