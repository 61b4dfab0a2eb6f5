import json

import pytest

from training.experiments.diagnosis_table import (
    episode_rows,
    episode_table,
    is_episode_run,
    model_label,
    plot_episode_rows,
)
from training.experiments.report import classify, write_report


def _model(root, name, relus, data_transitions):
    data = root / f"data_{name}"
    data.mkdir(parents=True)
    (data / "metrics.json").write_text(json.dumps({"transitions": data_transitions}))
    model = root / name
    model.mkdir(parents=True)
    (model / "metrics.json").write_text(json.dumps(
        {"relus": relus, "val_mse_rollout": 1.0, "val_mse_rollout_zero": 4.0}))
    (model / "config.json").write_text(json.dumps({"data": str(data)}))
    return model


def _diagnosis(root, name, model, successes: list[bool]):
    run = root / name
    run.mkdir()
    episodes = [{"seed": 10 + i, "class": "success" if ok else "pushes that miss",
                 "steps": 5, "final_cost": 0.01 if ok else 0.2, "costs": []}
                for i, ok in enumerate(successes)]
    measures = {"visited_mse_1step": 1.0, "visited_mse_1step_zero": 2.0,
                "visited_mse_rollout": 3.0, "visited_mse_rollout_zero": 4.0,
                "planned_over_realised_median": 0.9}
    (run / "diagnosis.json").write_text(json.dumps(
        {"model": str(model), "controller": "gd", "summary": {"plan_time_median_s": 0.2},
         "measures": measures,
         "failures": {}, "episodes": episodes}))
    return run


def _evaluation(root, successes: list[bool]):
    run = root / "sim_cem"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": "sim", "controller": "cem"}))
    detail = [{"seed": 10 + i, "success": ok, "final_cost": 0.01 if ok else 0.3}
              for i, ok in enumerate(successes)]
    (run / "metrics.json").write_text(json.dumps({"episodes_detail": detail,
                                                  "plan_time_median_s": 2.0}))
    return run


@pytest.fixture
def runs(tmp_path):
    dense = _model(tmp_path, "dense", 768, 59000)
    sparse = _model(tmp_path / "sweep", "relus_32", 32, 59000)
    return [_diagnosis(tmp_path, "dg_dense", dense, [True, True, False, True]),
            _diagnosis(tmp_path, "dg_sparse", sparse, [False, True, False, False]),
            _evaluation(tmp_path, [True, True, True, True])]


def test_rows_pair_every_run_with_the_best_on_shared_seeds(runs):
    rows = episode_rows(runs)
    dense, sparse, sim = rows
    assert [r["success_rate"] for r in rows] == [0.75, 0.25, 1.0]
    assert dense["relus"] == 768 and dense["transitions"] == 59000
    assert dense["held_out_ratio"] == pytest.approx(0.25)
    assert dense["on_policy_1step_ratio"] == pytest.approx(0.5)
    assert dense["on_policy_rollout_ratio"] == pytest.approx(0.75)
    assert sim["on_policy_1step_ratio"] is None and sim["relus"] is None
    assert sim["vs_best"]["best"] == sim["run"] and sim["vs_best"]["mean"] == 0.0
    assert sparse["vs_best"]["pairs"] == 4 and sparse["vs_best"]["mean"] == pytest.approx(-0.75)
    lo, hi = dense["success_ci95"]
    assert lo < 0.75 < hi


def test_the_table_and_figure_name_sparse_models_by_their_sweep(runs, tmp_path):
    rows = episode_rows(runs)
    table = episode_table(rows)
    assert "| sweep/relus_32 | 32 | 59k | gd | 200 | 4 | 0.25 [" in table
    assert "| sim | - | - | cem | 2000 | 4 | 1.00 [" in table and "| best |" in table
    assert "-0.75 [" in table and "] (4) |" in table
    assert model_label("a/b/dense") == "dense"
    plot_episode_rows(rows, tmp_path / "fig.png")
    assert (tmp_path / "fig.png").stat().st_size > 1000


def test_the_report_takes_diagnose_and_evaluate_runs(runs, tmp_path):
    assert all(is_episode_run(r) and classify(r) == "episodes" for r in runs)
    assert not is_episode_run(tmp_path / "dense")  # a model's metrics have no episodes
    out = write_report(runs, tmp_path / "report")
    markdown = (out / "report.md").read_text()
    assert "success against the model's error on the states its planner visits" in markdown
    assert (out / "figures" / "success_vs_on_policy_error.png").is_file()
