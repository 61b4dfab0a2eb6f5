"""`mpcnet report`: the page and its figures from small runs of every kind."""

import base64
import json
import re

import pytest

from tests.fixtures.cli import run_cli as _run

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


def test_report_from_small_runs_of_every_kind(tmp_path, capsys):
    data, model, relus = tmp_path / "data", tmp_path / "model", tmp_path / "relus"
    assert _run(["collect", "--episodes", "6", "--steps", "8", "--out", str(data)]) == 0
    assert _run(["train", "--data", str(data), "--hidden", "8,8", "--epochs", "1",
                 "--rollout-horizon", "3", "--val-fraction", "0.3", "--out", str(model)]) == 0
    assert _run(["sparsify", "--model", str(model), "--data", str(data), "--relus", "6,3",
                 "--relaxed-epochs", "2", "--finetune-epochs", "1", "--out", str(relus)]) == 0
    grid = tmp_path / "grid.json"
    assert _run(["bench", "mip-grid", "--models", str(relus / "relus_6"), str(relus / "relus_3"),
                 "--horizons", "1,2", "--starts", "1", "--time-limit", "5",
                 "--json", str(grid)]) == 0
    compare = tmp_path / "compare"
    assert _run(["compare", "--models", str(model), str(relus / "relus_3"), "--controllers",
                 "mppi,random", "--episodes", "2", "--steps", "3", "--horizon", "2",
                 "--iterations", "1", "--render", "--out", str(compare)]) == 0
    spec = tmp_path / "spec.toml"
    spec.write_text(f'env = "mpcnet/Push-v0"\nmodels = ["{model}", "{relus / "relus_3"}"]\n'
                    'controllers = ["random"]\nbudget_ms = [50, 100]\nhorizon = [2]\n'
                    'episodes = 2\nsteps = 3\niterations = 1\n')
    sweep = tmp_path / "sweep"
    assert _run(["sweep", str(spec), "--out", str(sweep), "--workers", "1"]) == 0

    out = tmp_path / "report"
    assert _run(["report", str(relus), str(grid), str(compare), str(sweep),
                 "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4  # rollout vs ReLUs, MIP grid, closed loop vs ReLUs, vs budget
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    for words in ("Rollout error against the number of ReLUs", "MIP solve time",
                  "success and final cost against ReLUs", "against the per-step budget",
                  "magnitude", "<table>", ".gif</a>"):
        assert words in page, words
    markdown = (out / "report.md").read_text()
    for figure in re.findall(r"\]\(figures/([^)]+)\)", markdown):
        assert (out / "figures" / figure).stat().st_size > 1000
    assert "| random |" in markdown and "[" in markdown  # the closed-loop table with intervals
    rows = json.loads((sweep / "results.json").read_text())
    assert {r["budget_ms"] for r in rows} == {50.0, 100.0}

    capsys.readouterr()
    assert _run(["report", str(data), "--out", str(tmp_path / "bad")]) == 2
    assert "expected a sparsify sweep" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert _run(["report", str(sweep), "--out", str(out)]) == 2  # an existing report is kept
    assert (out / "report.html").read_text() == page


def test_rows_of_runs_from_before_steps_to_success_get_them_from_their_episodes(tmp_path):
    from mpcnet.artifacts import write_json
    from training.experiments.report import _closed_loop_rows

    run = tmp_path / "cmp"
    row = {"model": "dir/sparse", "relus": 8, "controller": "gd", "episodes": 3,
           "success_rate": 2 / 3, "final_cost_mean": 0.1}
    write_json(run / "results.json", [row])
    for i, (success, steps) in enumerate([(True, 7), (False, 60), (True, 11)]):
        write_json(run / "episodes" / "gd__sparse" / f"episode_{i:05d}.json",
                   {"final_cost": 0.1, "success": success, "steps": steps})
    (got,) = _closed_loop_rows(run)
    assert got["steps_to_success_median"] == 9.0  # 7 and 11: the failure does not count
    assert got["final_cost_low"] == got["final_cost_high"] == pytest.approx(0.1)
