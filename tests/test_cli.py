import json
import subprocess
import sys

import pytest

from training.cli import main


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
])
def test_bad_input_gives_one_line_and_exit_code_2(argv, needle, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training.cli", *argv, "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_existing_run_directory_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    assert main(["collect", "--episodes", "1", "--steps", "3", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "mine"
