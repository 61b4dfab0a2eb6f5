"""Every benchmark suite runs end to end at toy sizes (``--quick``), so none can rot."""

import runpy

import pytest

from tests.fixtures import ROOT

SUITES = sorted(p.parent.name for p in (ROOT / "benchmarks").glob("*/run.py"))
pytestmark = pytest.mark.integration


def test_every_suite_has_a_readme_with_its_command_and_a_result():
    assert len(SUITES) >= 6
    for name in SUITES:
        readme = (ROOT / "benchmarks" / name / "README.md").read_text()
        assert f"benchmarks/{name}/run.py --out DIR" in readme and "## Result" in readme


@pytest.mark.parametrize("name", SUITES)
def test_the_suite_runs_in_quick_mode(name, tmp_path, monkeypatch, capsys):
    suite = runpy.run_path(str(ROOT / "benchmarks" / name / "run.py"))["SUITE"]
    main = runpy.run_path(str(ROOT / "training" / "cli" / "suites.py"))["main"]
    assert main(suite, ["--out", str(tmp_path / "out"), "--quick"]) == 0
    for step in suite.steps:
        if step.only != "full":
            assert (tmp_path / "out" / step.writes).exists(), step.command
    # a second run finds every step done and runs nothing
    assert main(suite, ["--out", str(tmp_path / "out"), "--quick"]) == 0
    assert "0 steps ran" in capsys.readouterr().out
