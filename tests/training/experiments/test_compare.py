import json

import pytest

from mpcnet.nn.model_io import save_model
from tests.fixtures import random_mlp
from training.cli import main

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


def test_compare_on_two_tiny_episodes_writes_table_and_plots(tmp_path, capsys):
    dense, sparse = tmp_path / "dense", tmp_path / "sparse"
    dense.mkdir()
    sparse.mkdir()
    save_model(random_mlp(hidden=(12, 10)), dense)
    small = random_mlp(seed=1, hidden=(6, 4))
    small.relu_gate0[:3] = 0
    small.id_gate0[:3] = 1
    save_model(small, sparse)
    out = tmp_path / "cmp"
    code = main(["compare", "--models", str(dense), str(sparse), "--controllers",
                 "mip,mppi,random", "--episodes", "2", "--steps", "3", "--horizon", "2",
                 "--budget-ms", "30", "--max-mip-relus", "10", "--render", "--out", str(out)])
    assert code == 0
    rows = json.loads((out / "results.json").read_text())
    pairs = {(r["model"].split("/")[-1], r["controller"]) for r in rows}
    assert pairs == {("dense", "mppi"), ("dense", "random"), ("sparse", "mip"),
                     ("sparse", "mppi"), ("sparse", "random")}
    for r in rows:
        assert set(r) >= {"model", "relus", "controller", "episodes", "success_rate",
                          "final_cost_mean", "final_cost_std", "plan_time_median_s",
                          "plan_time_max_s"}
        assert r["episodes"] == 2
        low, high = r["success_ci95"]
        assert 0.0 <= low <= r["success_rate"] <= high <= 1.0
        low, high = r["final_cost_ci95"]
        assert low <= r["final_cost_mean"] <= high
        assert r["vs_best"]["pairs"] == 2  # paired on the same two episode seeds
    best = [r for r in rows if f"{r['controller']}/{r['model'].split('/')[-1]}"
            == rows[0]["vs_best"]["best"]][0]
    assert best["vs_best"]["final_cost_diff"] == 0.0 and best["vs_best"]["success_diff"] == 0.0
    assert all(r["success_rate"] <= best["success_rate"] for r in rows)
    table = (out / "results.md").read_text()
    assert "Skipped: mip on" in table and "| mip |" in table
    for name in ("final_cost.png", "cost_over_time.png", "trajectories.png"):
        assert (out / name).stat().st_size > 1000
    assert list(out.glob("episode0__*.gif"))
    assert str(out) in capsys.readouterr().out


def test_evaluate_writes_summary_and_episodes(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    save_model(random_mlp(hidden=(6, 4)), model)
    out = tmp_path / "ev"
    assert main(["evaluate", "--model", str(model), "--controller", "cem", "--episodes", "2",
                 "--steps", "3", "--horizon", "2", "--budget-ms", "20", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"success_rate", "final_cost_mean", "final_cost_std",
                            "plan_time_median_s", "episodes_detail"}
    assert len(metrics["episodes_detail"]) == 2
    assert all(len(e["plan_times_s"]) == e["steps"] for e in metrics["episodes_detail"])


def test_steps_to_success_are_the_median_of_the_successful_episodes_only():
    from training.evaluate import EpisodeResult, summarize
    from training.experiments.compare_plots import results_table

    def episode(success, steps):
        return EpisodeResult(seed=steps, success=success, final_cost=0.0, steps=steps,
                             plan_times_s=[0.1] * steps, costs=[0.0] * (steps + 1),
                             object_path=[], goal_centres=[], goal_half_sizes=[], statuses={})

    summary = summarize([episode(True, 9), episode(False, 60), episode(True, 15),
                         episode(True, 12)])
    assert summary["steps_to_success_median"] == 12.0  # the 60-step failure does not count
    assert summarize([episode(False, 60)])["steps_to_success_median"] is None
    row = {"model": "m", "relus": 32, "controller": "gd", "episodes": 4, **summary}
    assert "| steps to success (median) |" in results_table([row], [])
    assert "| 12 | " in results_table([row], [])
    assert "| - | " in results_table([{**row, "steps_to_success_median": None}], [])
