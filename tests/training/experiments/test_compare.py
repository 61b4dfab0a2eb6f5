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


def test_every_planner_row_is_paired_with_doing_nothing_in_return_and_cost():
    from training.evaluate import EpisodeResult
    from training.experiments.compare_plots import results_table
    from training.experiments.stats import add_vs_hold

    def episodes(final_costs, rewards):
        return [EpisodeResult(seed=s, success=False, final_cost=c, steps=1, plan_times_s=[0.1],
                              costs=[c, c], object_path=[], goal_centres=[],
                              goal_half_sizes=[], statuses={}, reward=r)
                for s, (c, r) in enumerate(zip(final_costs, rewards, strict=True))]

    def row(model, controller):
        return {"model": model, "relus": 8, "controller": controller, "episodes": 3,
                "success_rate": 0.0, "final_cost_mean": 0.0, "final_cost_std": 0.0,
                "reward_mean": 1.0, "reward_std": 0.0, "plan_time_median_s": 0.1,
                "plan_time_max_s": 0.1}

    rows = [row("a", "hold"), row("a", "gd"), row("b", "hold"), row("b", "mppi")]
    runs = [episodes([5, 5, 5], [1, 1, 1]), episodes([2, 3, 4], [4, 5, 6]),
            episodes([9, 9, 9], [0, 0, 0]), episodes([8, 9, 10], [1, 1, 1])]
    add_vs_hold(rows, runs, ["hold/a", "gd/a", "hold/b", "mppi/b"])
    assert "vs_hold" not in rows[0] and "vs_hold" not in rows[2]
    gd, mppi = rows[1]["vs_hold"], rows[3]["vs_hold"]
    assert gd["hold"] == "hold/a" and mppi["hold"] == "hold/b"  # each model's own hold row
    assert gd["pairs"] == 3 and gd["reward_diff"] == pytest.approx(4.0)
    assert gd["final_cost_diff"] == pytest.approx(-2.0)
    assert gd["reward_diff_ci95"][0] > 0  # every episode gained: the interval is above zero
    assert mppi["reward_diff"] == pytest.approx(1.0) and mppi["final_cost_diff"] == 0.0
    table = results_table(rows, [])
    assert "| vs hold: env return, final cost [95% CI] |" in table
    assert "+4.0 [+3.0, +5.0], -2.000 [-3.000, -1.000]" in table

    no_return = episodes([5, 5, 5], [None] * 3)  # an mpcnet env: no return of its own
    rows = [row("a", "hold"), row("a", "gd")]
    add_vs_hold(rows, [no_return, episodes([2, 3, 4], [None] * 3)], ["hold/a", "gd/a"])
    assert rows[1]["vs_hold"]["reward_diff"] is None
    assert "| -, -2.000 [" in results_table(rows, [])
    rows = [row("a", "gd")]
    add_vs_hold(rows, [runs[1]], ["gd/a"])  # no hold row: nothing is added
    assert "vs_hold" not in rows[0] and "vs hold" not in results_table(rows, [])


def test_the_share_of_steps_where_the_milp_beat_its_warm_start_is_reported():
    from training.evaluate import EpisodeResult, summarize
    from training.experiments.compare_plots import results_table

    def episode(seed, improved, steps=4):
        return EpisodeResult(seed=seed, success=False, final_cost=1.0, steps=steps,
                             plan_times_s=[0.1] * steps, costs=[1.0] * (steps + 1),
                             object_path=[], goal_centres=[], goal_half_sizes=[], statuses={},
                             improved_steps=improved)

    assert summarize([episode(0, 1), episode(1, 2)])["improved_rate"] == pytest.approx(3 / 8)
    assert summarize([episode(0, None)])["improved_rate"] is None  # a sampler reports none
    row = {"model": "runs/sp", "relus": 32, "controller": "mip", "episodes": 2,
           **summarize([episode(0, 0), episode(1, 0)])}
    assert "beat its warm start under the model: mip/sp 0%." in results_table([row], [])
    row = {**row, "controller": "gd", "improved_rate": None}
    assert "warm start" not in results_table([row], [])
