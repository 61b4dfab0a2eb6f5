"""mpcnet's top-level packages (envs, controllers, training) cannot be silently shadowed,
and pybullet is needed only by the PyBullet tasks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


def run_python(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)


def test_own_packages_resolve_beside_mpcnet():
    from training.cli.packages import foreign_packages

    assert foreign_packages() == []


def _fake_package(where: Path, name: str) -> None:
    (where / name).mkdir()
    (where / name / "__init__.py").write_text("raise SystemExit('imported the fake')\n")


def _console_script(argv: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "mpcnet"  # the command a user runs
    return subprocess.run([str(script), *argv], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **env})


def test_a_folder_named_like_one_of_ours_is_reported_not_imported(tmp_path):
    _fake_package(tmp_path, "envs")
    # PYTHONPATH=. puts the working directory first on sys.path, as a script's folder would be
    proc = _console_script(["collect", "--episodes", "1"], tmp_path, PYTHONPATH=".")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "imported the fake" not in proc.stderr
    assert f"the package 'envs' resolves to {tmp_path / 'envs'}" in lines[0]
    assert "run from another directory" in lines[0]


def test_the_console_script_does_not_see_the_working_directory(tmp_path):
    _fake_package(tmp_path, "training")
    proc = _console_script(["collect", "--episodes", "0"], tmp_path)
    assert proc.returncode == 2 and "imported the fake" not in proc.stderr
    assert "episodes: expected a positive number" in proc.stderr  # our checks answered


def test_the_cli_module_checks_too(tmp_path):
    (tmp_path / "controllers").mkdir()
    (tmp_path / "controllers" / "__init__.py").write_text("")
    # `python -m` puts the working directory first: ours come from ROOT, controllers not
    proc = subprocess.run([sys.executable, "-m", "training.cli", "collect", "--episodes", "1",
                           "--out", str(tmp_path / "d")], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "the package 'controllers' resolves to" in proc.stderr


def test_without_pybullet_task_envs_run_and_pybullet_tasks_name_the_extra(tmp_path):
    code = ("import sys; sys.modules['pybullet'] = None\n"  # as if it were not installed
            "import envs\n"
            "from envs.task import read_task_file\n"
            "env = envs.make('Pendulum-v1', task=read_task_file('pendulum'))\n"
            "env.reset(seed=0)\n"
            "from mpcnet.errors import ConfigError\n"
            "try:\n"
            "    envs.make('mpcnet/Push-v0')\n"
            "except ConfigError as exc:\n"
            "    print(exc)\n")
    proc = run_python(code, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'mpcnet[bullet]'" in proc.stdout
