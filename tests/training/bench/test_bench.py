import json

import pytest

from tests.fixtures.models import tiny_model
from training.cli import main


def test_bench_mip_writes_the_documented_json(tmp_path, capsys):
    model, out = tiny_model(tmp_path), tmp_path / "mip.json"
    assert main(["bench", "mip", "--model", str(model), "--horizon", "2", "--starts", "2",
                 "--time-limit", "5", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    median_gap = sorted(record["gap"])[0] / 2 + sorted(record["gap"])[1] / 2
    assert f"median final gap {100 * median_gap:.1f}%" in capsys.readouterr().out
    for key in ("binaries", "solve_time_s", "time_to_1pct_gap_s", "status", "gap"):
        assert len(record[key]) == 2
    assert "median_time_to_1pct_gap_s" in record
    assert record["relus"] == 8 and all(b <= 8 * 2 for b in record["binaries"])


def test_bench_mip_records_and_draws_each_solves_progress(tmp_path):
    model, out, png = tiny_model(tmp_path), tmp_path / "mip.json", tmp_path / "gap.png"
    assert main(["bench", "mip", "--model", str(model), "--horizon", "3", "--starts", "2",
                 "--time-limit", "5", "--bounds", "interval", "--json", str(out),
                 "--plot", str(png)]) == 0
    record = json.loads(out.read_text())
    for row in record["rows"]:
        seconds = [p[0] for p in row["progress"]]
        assert seconds == sorted(seconds) and seconds[0] >= row["update_time_s"]
        assert row["progress"][-1][1:] == [row["objective"], row["dual_bound"]]  # the end
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("plot, expected", [("gap.jpg", "expected a .png"),
                                            ("model", "is a directory")])
def test_bench_mip_refuses_a_plot_path_before_solving(tmp_path, capsys, plot, expected):
    model = tiny_model(tmp_path)
    assert main(["bench", "mip", "--model", str(model), "--json", str(tmp_path / "m.json"),
                 "--plot", str(tmp_path / plot)]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_bench_mip_warm_from_gd_counts_its_time_and_never_ends_above_it(tmp_path):
    model, out = tiny_model(tmp_path), tmp_path / "mip.json"
    assert main(["bench", "mip", "--model", str(model), "--horizon", "2", "--starts", "2",
                 "--time-limit", "5", "--warm-from", "gd", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["warm_from"] == "gd"
    for row, total in zip(record["rows"], record["solve_time_s"], strict=True):
        assert 0.15 < row["warm_time_s"] < 3.0  # GD ran its 200 ms budget ...
        assert total >= row["warm_time_s"] + row["solve_time_s"] - 1e-9  # ... and it counts
        assert row["objective"] <= row["warm_start_cost"] + 1e-7


def test_bench_mip_refuses_an_unknown_warm_start(tmp_path):
    from mpcnet.errors import ConfigError
    from mpcnet.nn.relunet import ReluNet
    from training.bench.mip import bench_mip

    net = ReluNet.load(tiny_model(tmp_path) / "relunet")
    with pytest.raises(ConfigError, match="warm_from: expected 'random' or 'gd', got 'mppi'"):
        bench_mip(net, "mpcnet/Push-v0", 2, 1, 0, warm_from="mppi")


def test_bench_mip_grid_and_rollout_write_tables(tmp_path):
    model = tiny_model(tmp_path)
    md = tmp_path / "B.md"
    assert main(["bench", "mip-grid", "--models", str(model), "--horizons", "1,2",
                 "--starts", "1", "--time-limit", "5", "--json", str(tmp_path / "g.json"),
                 "--write", str(md)]) == 0
    assert "| 8 |" in md.read_text()
    assert main(["bench", "rollout", "--model", str(model), "--samples", "8",
                 "--horizons", "2", "--write", str(md)]) == 0
    text = md.read_text()
    assert "Rollout kernel" in text and "MIP scalability grid" in text
    # a second run replaces its section instead of appending a copy
    assert main(["bench", "rollout", "--model", str(model), "--samples", "8",
                 "--horizons", "2", "--write", str(md)]) == 0
    assert md.read_text().count("Rollout kernel") == 1


def test_bench_planners_marks_the_defaults(tmp_path, monkeypatch):
    from training.bench import planners as bench_planners

    monkeypatch.setattr(bench_planners, "GRID", {bench_planners.MPPI: {"noise": [0.1, 0.3]},
                                                 bench_planners.RandomShooting: {}})
    model, out = tiny_model(tmp_path), tmp_path / "p.json"
    assert main(["bench", "planners", "--model", str(model), "--starts", "2", "--horizon", "2",
                 "--budget-ms", "10", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["planner"] for r in rows] == ["mppi", "mppi", "random"]
    assert [r["default"] for r in rows] == [False, True, True]


def test_plan_quality_rescores_every_controllers_plan_under_the_model(tmp_path, capsys):
    model, out = tiny_model(tmp_path), tmp_path / "q.json"
    assert main(["bench", "planners", "--quality", "--model", str(model), "--planners",
                 "mip,mppi,random", "--horizon", "2", "--starts", "3", "--budget-ms", "100",
                 "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["controller"] for r in rows] == ["mip", "mppi", "random"]
    assert all(len(r["costs"]) == 3 for r in rows)
    assert sum(r["best_of_all"] for r in rows) >= 3  # every start has a best plan
    mip = rows[0]
    # the MIP's dual bound is a lower bound of its own plan's cost under the model
    assert all(b is None or b <= c + 1e-6 for b, c in zip(mip["dual_bounds"], mip["costs"],
                                                          strict=True))
    assert "| mip |" in capsys.readouterr().out


def test_plan_quality_reference_is_a_milp_no_worse_than_any_plan_with_a_sound_bound(tmp_path,
                                                                                     capsys):
    model, out = tiny_model(tmp_path), tmp_path / "q.json"
    assert main(["bench", "planners", "--quality", "--model", str(model), "--planners",
                 "mppi,random", "--horizon", "2", "--starts", "3", "--budget-ms", "50",
                 "--reference-s", "5", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["controller"] for r in rows] == ["mppi", "random", "reference"]
    reference = rows[-1]
    for i, (cost, bound) in enumerate(zip(reference["costs"], reference["dual_bounds"],
                                          strict=True)):
        # the reference starts from the best plan of all, so it is never worse than any
        assert cost <= min(r["costs"][i] for r in rows[:-1]) + 1e-9
        assert bound is None or bound <= cost + 1e-6  # a lower bound on the model's optimum
    # a tiny program is proven within 5 s: then the reference is the model's optimum
    assert reference["proven_optimal"] == 3
    assert reference["gap_to_reference"] == 0.0
    assert all(r["gap_to_reference"] >= 0.0 for r in rows)
    random = rows[1]
    assert random["within_1pct_of_reference"] <= 3
    text = capsys.readouterr().out
    assert "mean gap to the reference" in text and "proven optimal in 3/3 starts" in text


def test_plan_quality_gives_every_planner_and_the_reference_each_starts_obstacles(
        tmp_path, monkeypatch):
    import numpy as np

    from controllers.base import PlanningController
    from mpcnet.milp.mip_mpc import MipMpc
    from training.bench.mip import start_problems

    seen, milp = [], []
    set_planner, set_milp = PlanningController.set_obstacles, MipMpc.set_obstacles

    def spy_planner(self, boxes):
        seen.append((type(self).__name__, np.array(boxes)))
        set_planner(self, boxes)

    def spy_milp(self, boxes):
        milp.append(np.array(boxes))
        set_milp(self, boxes)

    monkeypatch.setattr(PlanningController, "set_obstacles", spy_planner)
    monkeypatch.setattr(MipMpc, "set_obstacles", spy_milp)
    model, out = tiny_model(tmp_path), tmp_path / "q.json"
    assert main(["bench", "planners", "--quality", "--model", str(model), "--env",
                 "mpcnet/PushObstacle-v0", "--planners", "mppi,random", "--horizon", "2",
                 "--starts", "2", "--seed", "3", "--budget-ms", "50", "--reference-s", "2",
                 "--json", str(out)]) == 0
    boxes = [b for _, _, b in start_problems("mpcnet/PushObstacle-v0", 2, 3)]
    assert all(b is not None and len(b) >= 1 for b in boxes)
    assert not np.array_equal(boxes[0], boxes[1])  # each start draws its own
    for name in ("MPPI", "RandomShooting"):
        got = [b for n, b in seen if n == name]
        assert len(got) == 2 and all(np.array_equal(g, b) for g, b in zip(got, boxes,
                                                                           strict=True))
    assert len(milp) >= 2 and all(np.array_equal(g, b) for g, b in zip(milp[-2:], boxes,
                                                                        strict=True))
    # without obstacles there are none to set
    assert all(b is None for _, _, b in start_problems("mpcnet/Push-v1", 2, 3))


def test_bench_mip_grid_marks_a_cell_the_solver_refuses_and_goes_on(tmp_path, monkeypatch):
    from mpcnet.errors import ConfigError
    from training.bench import mip as bench_mip

    real = bench_mip.bench_mip

    def refuse_long_horizons(net, env_id, horizon, *args, **kwargs):
        if horizon > 1:
            raise ConfigError("gurobi_direct: this program is too large for the licence")
        return real(net, env_id, horizon, *args, **kwargs)

    monkeypatch.setattr(bench_mip, "bench_mip", refuse_long_horizons)
    model, out = tiny_model(tmp_path), tmp_path / "g.json"
    md = tmp_path / "B.md"
    assert main(["bench", "mip-grid", "--models", str(model), "--horizons", "1,2",
                 "--starts", "1", "--time-limit", "5", "--json", str(out),
                 "--write", str(md)]) == 0
    records = json.loads(out.read_text())
    assert [("skipped" in r) for r in records] == [False, True]
    assert "not run (too large)" in md.read_text()
