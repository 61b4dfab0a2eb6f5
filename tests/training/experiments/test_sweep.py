"""Closed-loop sweeps: the spec, parallel and Ray runs that agree bit for bit, resuming after
an interrupt, the statistics, and replanning every K steps."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mpcnet.errors import ConfigError, MpcnetError
from tests.fixtures.cli import run_cli as _run
from training.experiments.stats import bootstrap_interval, paired_difference, wilson_interval
from training.experiments.sweep_spec import SweepSpec

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    assert _run(["collect", "--episodes", "6", "--steps", "8", "--seed", "1",
                 "--out", str(root / "data")]) == 0
    for name, hidden in (("dense", "8,8"), ("small", "4")):
        assert _run(["train", "--data", str(root / "data"), "--hidden", hidden, "--epochs",
                     "1", "--rollout-horizon", "3", "--val-fraction", "0.3",
                     "--out", str(root / name)]) == 0
    return root


def _spec_text(root: Path, **extra) -> str:
    values = {"env": "mpcnet/Push-v0", "models": [str(root / "dense"), str(root / "small")],
              "controllers": ["mppi", "random", "mip"], "budget_ms": [100, 200],
              "horizon": [2], "execute": [1, 2], "episodes": 2, "seed": 3, "steps": 4,
              "iterations": 1, **extra}
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n[planner]\nsamples = 16\n"


def _episodes(out: Path) -> dict:
    found = {}
    for path in sorted(out.glob("episodes/*/*.json")):
        episode = json.loads(path.read_text())
        episode.pop("plan_times_s")
        found[str(path.relative_to(out))] = episode
    return found


def _rows(out: Path) -> list[dict]:
    timing = ("plan_time_median_s", "plan_time_p95_s", "plan_time_max_s")
    return [{k: v for k, v in r.items() if k not in timing}
            for r in json.loads((out / "results.json").read_text())]


def test_one_worker_two_workers_and_ray_give_the_same_episodes(models, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    # the 16-ReLU dense model is over max_mip_relus = 8: its mip cells are skipped
    spec.write_text(_spec_text(models, max_mip_relus=8))
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    one = _episodes(tmp_path / "one")
    assert len(one) == (2 * 3 * 2 * 2 - 4) * 2  # cells x episodes, less the skipped mip cells
    assert one == _episodes(tmp_path / "two")
    assert _rows(tmp_path / "one") == _rows(tmp_path / "two")
    rows = json.loads((tmp_path / "one" / "results.json").read_text())
    assert {(r["budget_ms"], r["horizon"], r["execute"]) for r in rows} == {
        (100.0, 2, 1), (100.0, 2, 2), (200.0, 2, 1), (200.0, 2, 2)}
    assert all(r["success_low"] <= r["success_rate"] <= r["success_high"] for r in rows)
    assert "Skipped" in (tmp_path / "one" / "results.md").read_text()
    # every cell against the best one of the whole sweep, across models, on the same seeds
    best = [r for r in rows if r["cell"] == rows[0]["vs_best"]["best"]][0]
    assert all(r["vs_best"]["best"] == best["cell"] and r["vs_best"]["pairs"] == 2 for r in rows)
    assert (best["success_rate"], -best["final_cost_mean"]) == max(
        (r["success_rate"], -r["final_cost_mean"]) for r in rows)
    assert best["vs_best"]["final_cost_diff"] == 0.0
    assert "Best cell: " in (tmp_path / "one" / "results.md").read_text()
    assert (tmp_path / "one" / "success_vs_budget.png").stat().st_size > 1000
    assert json.loads((tmp_path / "one" / "meta.json").read_text())["complete"] is True
    pytest.importorskip("ray")
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "ray"), "--ray", "local"]) == 0
    assert one == _episodes(tmp_path / "ray")


def test_an_interrupted_sweep_runs_only_the_missing_episodes(models, tmp_path, monkeypatch):
    import training.experiments.sweep as sweep

    spec = tmp_path / "spec.toml"
    spec.write_text(_spec_text(models, controllers=["mppi", "cem"], execute=[1]))
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "whole"), "--workers", "1"]) == 0
    real, calls = sweep.run_task, []

    def killed_half_way(task, nets=None):
        calls.append(task["cell"])
        if len(calls) > 8:
            raise KeyboardInterrupt
        return real(task, nets)

    monkeypatch.setattr(sweep, "run_task", killed_half_way)
    out = tmp_path / "resumed"
    assert _run(["sweep", str(spec), "--out", str(out), "--workers", "1"]) == 130
    assert len(list(out.glob("episodes/*/*.json"))) == 8
    assert json.loads((out / "meta.json").read_text())["complete"] is False
    calls.clear()
    monkeypatch.setattr(sweep, "run_task", lambda task, nets=None: (calls.append(1),
                                                                    real(task, nets))[1])
    assert _run(["sweep", str(spec), "--out", str(out), "--workers", "1"]) == 0
    assert len(calls) == 16 - 8  # only the missing ones
    assert _rows(out) == _rows(tmp_path / "whole")
    assert _episodes(out) == _episodes(tmp_path / "whole")


def test_another_spec_in_the_same_directory_is_refused(models, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(_spec_text(models, controllers=["random"], models=[str(models / "small")],
                               budget_ms=[100], execute=[1]))
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "s"), "--workers", "1"]) == 0
    spec.write_text(_spec_text(models, controllers=["random"], models=[str(models / "small")],
                               budget_ms=[100], execute=[1], episodes=3))
    capsys.readouterr()
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "s")]) == 2
    assert "holds a sweep of another spec (episodes differ)" in capsys.readouterr().err


@pytest.mark.parametrize("change, needle", [
    ({"colour": "red"}, "unknown keys ['colour']"),
    ({"horizon": [2], "execute": [3]}, "execute 3 exceeds horizon 2"),
    ({"controllers": ["mppii"]}, "Did you mean 'mppi'"),
    ({"episodes": 0}, "episodes: expected an integer from 1"),
    ({"budget_ms": ["fast"]}, "budget_ms: expected a float or a list"),
    ({"iterations": -1}, "iterations: expected an integer from 0"),
    ({"models": ["a/model", "b/model"]}, "distinct names"),
])
def test_bad_specs_are_refused(models, tmp_path, change, needle, capsys):
    import tomllib

    raw = tomllib.loads(_spec_text(models, **change))
    with pytest.raises(MpcnetError) as info:
        SweepSpec.from_dict(raw)
    assert needle in str(info.value)
    spec = tmp_path / "spec.toml"
    spec.write_text(_spec_text(models, **change))
    capsys.readouterr()
    assert _run(["sweep", str(spec), "--out", str(tmp_path / "x")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_wilson_interval_matches_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(20, 20)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)


def test_bootstrap_and_paired_intervals():
    rng = np.random.default_rng(0)
    values = rng.normal(1.0, 0.5, 400)
    low, high = bootstrap_interval(values, seed=1)
    assert low < values.mean() < high and high - low == pytest.approx(
        2 * 1.96 * 0.5 / math.sqrt(400), rel=0.2)
    assert bootstrap_interval(values, seed=1) == (low, high)  # seeded
    a = {s: 1.0 + 0.01 * s for s in range(30)}
    b = {s: 0.5 + 0.01 * s for s in range(5, 40)}  # 25 shared seeds, a - b = 0.5 on each
    diff = paired_difference(a, b)
    assert diff["pairs"] == 25 and diff["mean"] == pytest.approx(0.5)
    assert diff["low"] == pytest.approx(0.5) and diff["high"] == pytest.approx(0.5)


def test_execute_applies_k_actions_per_plan(models):
    import envs
    from controllers import PlannerConfig, make_controller
    from mpcnet.nn.relunet import ReluNet
    from training.evaluate import run_episode

    net = ReluNet.load(models / "small" / "relunet")
    env = envs.make("mpcnet/Push-v0", max_episode_steps=50)
    spec = env.unwrapped
    ctrl = make_controller("mppi", net, spec.cost_spec, spec.action_space.low,
                           spec.action_space.high, PlannerConfig(horizon=3, iterations=1,
                                                                 samples=8, execute=3))
    try:
        result, _ = run_episode(env, ctrl, 7, max_steps=7, execute=3)
    finally:
        env.close()
    assert result.steps == 7 or result.success
    assert len(result.plan_times_s) == math.ceil(result.steps / 3)
    with pytest.raises(ConfigError, match="execute: expected an integer from 1 to the horizon"):
        PlannerConfig(horizon=2, execute=3)
