"""Malformed input, as a hostile but fair user would give it: every case ends in one line on
stderr and exit code 2 (or a clear exception from the API), and nothing that existed before
is changed, nor anything new left behind (the whole workspace is hashed before and after)."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.cli import run_cli as _run

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes

SORT = "mpcnet/Sort-v0"



@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """A workspace: push data and model, sort data and graph model, an existing run, a file,
    data naming an unknown env."""
    root = tmp_path_factory.mktemp("ws")
    steps = ["--episodes", "6", "--steps", "8", "--seed", "1"]
    assert _run(["collect", *steps, "--out", str(root / "data")]) == 0
    assert _run(["train", "--data", str(root / "data"), "--hidden", "8,8", "--epochs", "1",
                 "--rollout-horizon", "3", "--val-fraction", "0.3",
                 "--out", str(root / "model")]) == 0
    assert _run(["collect", "--env", SORT, "--num-objects", "2", *steps,
                 "--out", str(root / "sortdata")]) == 0
    assert _run(["train", "--data", str(root / "sortdata"), "--model", "gnn",
                 "--relation-hidden", "8", "--object-hidden", "8", "--effect-dim", "4",
                 "--epochs", "1", "--rollout-horizon", "3", "--val-fraction", "0.3",
                 "--out", str(root / "gnn")]) == 0
    old = root / "old"
    old.mkdir()
    (old / "precious.txt").write_text("a finished run")
    (root / "afile").write_text("not a directory")
    (root / "jsondir").mkdir()
    shutil.copytree(root / "data", root / "badenv")
    side = json.loads((root / "badenv" / "data.json").read_text())
    (root / "badenv" / "data.json").write_text(json.dumps({**side, "env_id": "mpcnet/Puhs-v0"}))
    return root


def _snapshot(root: Path) -> dict:
    """Every path under ``root`` with a hash of its bytes (directories: None)."""
    snap = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        snap[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return snap


CASES = [
    # collect
    (["collect", "--episodes", "0"], "episodes: expected a positive number"),
    (["collect", "--episodes", "1000000000000"], "episodes: expected at most 1,000,000"),
    (["collect", "--episodes", "ten"], "invalid int value"),
    (["collect", "--steps", "-1"], "steps: expected a positive number"),
    (["collect", "--seed", "-1"], "seed: expected a value >= 0"),
    (["collect", "--random-action-prob", "1.5"], "random_action_prob: expected a value in"),
    (["collect", "--random-action-prob", "nan"], "random_action_prob: expected a value in"),
    (["collect", "--env", "mpcnet/Psh-v0"], "Did you mean 'mpcnet/Push-v0'"),
    (["collect", "--env", SORT, "--num-objects", "1", "--out", "{old}", "--overwrite"],
     "num_objects: expected 0 (the env's default) or 2 to 6, got 1"),
    (["collect", "--num-objects", "3"], "only mpcnet/Sort-v0 has a number of objects"),
    (["collect", "--out", "{afile}"], "exists and is not a directory"),
    (["collect", "--out", "{afile}/sub"], "is a file, not a directory"),
    (["collect", "--out", "/dev/null/x"], "is a file, not a directory"),
    (["collect", "--out", "{old}"], "already exists and is not empty"),
    (["collect", "--threads", "0"], "--threads: expected an integer from 1 to 1,024"),
    (["collect", "--threads", "many"], "--threads: expected an integer"),
    # train
    (["train", "--data", "{ws}/missing"], "does not exist"),
    (["train", "--data", "{old}"], "data file"),
    (["train", "--data", "{data}", "--hidden", "1000000000"], "hidden: expected at most 16,384"),
    (["train", "--data", "{data}", "--hidden", "128,x"], "hidden: expected comma-separated"),
    (["train", "--data", "{data}", "--hidden", "0"], "hidden: expected comma-separated positive"),
    (["train", "--data", "{data}", "--epochs", "0"], "epochs: expected a positive number"),
    (["train", "--data", "{data}", "--lr", "-1"], "lr: expected a positive number"),
    (["train", "--data", "{data}", "--lr", "nan"], "lr: expected a positive number"),
    (["train", "--data", "{data}", "--val-fraction", "1.5"], "val_fraction: expected a value"),
    (["train", "--data", "{data}", "--rollout-horizon", "500"], "no training episode has 500"),
    (["train", "--data", "{data}", "--model", "gnn"], "expected object-centric data"),
    (["train", "--data", "{data}", "--model", "gnn", "--out", "{old}", "--overwrite"],
     "expected object-centric data"),
    (["train", "--data", "{data}", "--model", "transformer"], "model: expected 'mlp' or 'gnn'"),
    (["train", "--data", "{data}", "--device", "tpu"], "device: expected 'auto', 'cpu'"),
    (["train", "--data", "{data}", "--seed", "-5"], "seed: expected a value >= 0"),
    (["train", "--data", "{data}", "--batch-size", "0"], "batch_size: expected a positive"),
    (["train", "--data", "{badenv}"], "unknown environment id (named by data"),
    (["train", "--data", "{data}", "--out", "{afile}"], "exists and is not a directory"),
    (["train", "--data", "{sortdata}", "--frame", "pusher"], "use --frame world"),
    (["train", "--data", "{data}", "--frame", "car"], "frame: expected 'auto', 'world' or"),
    (["train", "--data", "{sortdata}", "--model", "gnn", "--frame", "pusher"],
     "frame: 'pusher' is for --model mlp"),
    # sparsify
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "17"],
     "exceeds the model's 16 ReLUs"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "x"],
     "relus: expected comma-separated"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "-1"],
     "relus: expected comma-separated non-negative"),
    (["sparsify", "--model", "{data}", "--data", "{data}", "--relus", "4"], "holds no model.json"),
    (["sparsify", "--model", "{model}", "--data", "{sortdata}", "--relus", "4"],
     "predicts states of 10 from actions of 2"),
    (["sparsify", "--model", "{gnn}", "--data", "{data}", "--relus", "4"], "is a graph model"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "4",
      "--schedule-fraction", "0"], "schedule_fraction: expected a value in (0, 1]"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "4",
      "--schedule", "cosine"], "schedule: expected 'geometric' or 'staged', got 'cosine'"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "4",
      "--stages", "0"], "stages: expected a value >= 1, got 0"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "4", "--keep", "2"],
     "keep: expected -1 (no limit) or a neuron budget >= relus"),
    (["sparsify", "--model", "{model}", "--data", "{data}", "--relus", "4", "--out", "{old}",
      "--overwrite", "--finetune-epochs", "-1"], "finetune_epochs: expected >= 0"),
    # validate
    (["validate", "--model", "{model}", "--data", "{data}", "--rollout-horizon", "0"],
     "--rollout-horizon: expected an integer from 1 to 1,000, got 0"),
    (["validate", "--model", "{model}", "--data", "{sortdata}"], "predicts states of 10"),
    (["validate", "--model", "{gnn}", "--data", "{data}"], "is a graph model"),
    (["validate", "--model", "{model}", "--data", "{data}", "--json", "{jsondir}"],
     "is a directory; name a file"),
    (["validate", "--model", "{model}", "--data", "{data}", "--rollout-horizon", "500"],
     "no episode of"),
    # evaluate
    (["evaluate", "--model", "{model}", "--controller", "MPPI"], "Did you mean 'mppi'"),
    (["evaluate", "--model", "{model}", "--controller", "nope"], "unknown controller 'nope'"),
    (["evaluate", "--model", "{model}", "--episodes", "0"], "--episodes: expected an integer"),
    (["evaluate", "--model", "{model}", "--episodes", "1000000000000"],
     "--episodes: expected an integer from 1 to 100,000"),
    (["evaluate", "--model", "{model}", "--seed", "-1"], "--seed: expected an integer from 0"),
    (["evaluate", "--model", "{model}", "--horizon", "0"], "horizon: expected an integer >= 1"),
    (["evaluate", "--model", "{model}", "--horizon", "2.5"], "invalid int value: '2.5'"),
    (["evaluate", "--model", "{model}", "--horizon", "100000"], "horizon: expected at most 1,000"),
    (["evaluate", "--model", "{model}", "--budget-ms", "0"], "budget_ms: expected a finite"),
    (["evaluate", "--model", "{model}", "--budget-ms", "nan"], "budget_ms: expected a finite"),
    (["evaluate", "--model", "{model}", "--samples", "0"], "samples: expected an integer >= 1"),
    (["evaluate", "--model", "{model}", "--samples", "1000000000"],
     "samples: expected at most 1,000,000"),
    (["evaluate", "--model", "{model}", "--noise", "-1"], "noise: expected a value in"),
    (["evaluate", "--model", "{model}", "--temperature", "nan"], "temperature: expected a value"),
    (["evaluate", "--model", "{model}", "--elite-fraction", "2"], "elite_fraction: expected"),
    (["evaluate", "--model", "{model}", "--dtype", "float16"], "dtype: expected 'float32'"),
    (["evaluate", "--model", "{model}", "--mip-solver", "cplex"],
     "mip_solver: expected one of highs, gurobi, scip"),
    (["evaluate", "--model", "{model}", "--mip-params", "MIPFocus"],
     "mip_params: expected NAME=VALUE"),
    (["evaluate", "--model", "{model}", "--controller", "mip", "--mip-params", "no_such=1",
      "--out", "{old}", "--overwrite"], "highs parameter no_such=1: refused by the solver"),
    (["bench", "planners", "--quality", "--model", "{model}", "--planners", "gd:gurobi",
      "--json", "{ws}/j.json"], "a solver suffix goes on a MIP controller"),
    (["bench", "planners", "--model", "{model}", "--reference-s", "5", "--json",
      "{ws}/j.json"], "the reference MILP is part of --quality"),
    (["bench", "planners", "--quality", "--model", "{model}", "--reference-s", "-1", "--json",
      "{ws}/j.json"], "expected a number >= 0"),
    (["evaluate", "--model", "{model}", "--device", "tpu"], "device: expected 'auto', 'cpu'"),
    (["evaluate", "--model", "{model}", "--iterations", "0"], "iterations: expected an integer"),
    (["evaluate", "--model", "{model}", "--steps", "0"], "--steps: expected an integer from 1"),
    (["evaluate", "--model", "{model}", "--env", SORT], "predicts states of 10 from actions of 2"),
    (["evaluate", "--model", "{model}", "--env", "mpcnet/Sort"], "Did you mean 'mpcnet/Sort-v0'"),
    (["evaluate", "--model", "{gnn}", "--env", "mpcnet/Push-v0"], "holds a graph model"),
    (["evaluate", "--model", "{ws}/missing", "--out", "{old}", "--overwrite"], "does not exist"),
    (["evaluate", "--model", "{model}", "--controller", "mip", "--horizon", "100",
      "--budget-ms", "1", "--out", "{old}", "--overwrite"], "is too small for horizon 100"),
    (["evaluate", "--model", "{gnn}", "--env", SORT, "--num-objects", "9"],
     "--num-objects: expected an integer from 0 to 6"),
    (["evaluate", "--model", "{model}", "--resume"], "--resume: expected --out DIR"),
    (["evaluate", "--model", "{model}", "--resume", "--out", "{old}"], "no config.json there"),
    # compare
    (["compare", "--models", "{model}", "--controllers", ",,"], "--controllers: expected distinct"),
    (["compare", "--models", "{model}", "--controllers", "mppi,mppi"],
     "--controllers: expected distinct"),
    (["compare", "--models", "{model}", "--controllers", "mppi,foo"], "unknown controller 'foo'"),
    (["compare", "--models", "{model}", "{model}"], "--models: expected directories with distinct"),
    (["compare", "--models", "{model}", "--max-mip-relus", "-1"], "--max-mip-relus: expected"),
    (["compare", "--models", "{model}", "--out", "{old}"], "already exists and is not empty"),
    # bench
    (["bench", "mip", "--model", "{model}", "--json", "{jsondir}"], "is a directory; name a file"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--seed", "-1"],
     "--seed: expected an integer from 0"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--random-like", "-1"],
     "--random-like: expected an integer from 0"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--time-limit", "0"],
     "--time-limit: expected a number > 0"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--starts", "0"],
     "--starts: expected an integer from 1"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--horizon", "0"],
     "--horizon: expected an integer from 1"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--warm-from", "gd",
      "--no-warm-start"], "--warm-from gd: expected no --no-warm-start"),
    (["bench", "mip-grid", "--models", "{model}", "--json", "{ws}/g.json", "--warm-from", "gd",
      "--no-warm-start"],
     "--warm-from gd: expected no --no-warm-start"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--bounds", "symbolic",
      "--tighten-cuts", "2"], "--tighten-cuts: the cuts go into the LP bound tightening"),
    (["bench", "mip-grid", "--models", "{model}", "--json", "{ws}/g.json", "--bounds",
      "interval", "--tighten-cuts", "1"], "--tighten-cuts: the cuts go into the LP bound"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--tighten-cuts", "-1"],
     "--tighten-cuts"),
    (["bench", "mip", "--model", "{model}", "--json", "{afile}/j.json"], "is a file, not a dir"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--backend", "pyomo:"],
     "expected highs, gurobi, scip, pyomo or pyomo:NAME"),
    (["bench", "mip", "--model", "{model}", "--json", "{ws}/j.json", "--backend", "gurobi:x"],
     "expected highs, gurobi, scip, pyomo or pyomo:NAME"),
    (["bench", "planners", "--peer", "pytorch_mppi", "--sizes", "10y20", "--json",
      "{ws}/j.json"], "--sizes: expected K x H pairs"),
    (["bench", "planners", "--peer", "pytorch_mppi", "--budgets-ms", "a,b", "--json",
      "{ws}/j.json"], "--budgets-ms: expected comma-separated numbers"),
    (["bench", "planners", "--json", "{ws}/j.json"], "--model: expected a model directory"),
    (["bench", "rollout", "--samples", "0"], "samples: expected comma-separated positive"),
    (["bench", "rollout", "--device", "tpu"], "device"),
    (["bench", "mip-grid", "--models", "{model}", "--horizons", "0", "--json", "{ws}/j.json"],
     "horizons: expected comma-separated positive"),
    (["bench", "mip-objects", "--model", "{model}", "--json", "{ws}/j.json"],
     "--model: expected a graph model"),
    (["bench", "bab", "--model", "{model}", "--json", "{ws}/j.json", "--time-limit", "0"],
     "--time-limit: expected a number > 0"),
    (["bench", "bab", "--model", "{model}", "--json", "{ws}/j.json", "--batch", "0"],
     "--batch: expected an integer from 1"),
    (["bench", "bab", "--model", "{model}", "--json", "{ws}/j.json", "--device", "tpu"],
     "device: expected 'auto', 'cpu' or 'cuda'"),
    (["bench", "bab", "--model", "{model}", "--json", "{ws}/j.json", "--milp", "-1"],
     "--milp: expected a number > 0"),
    (["bench", "bab", "--model", "{ws}/nothing", "--json", "{ws}/j.json"], "nothing"),
    (["bench", "bab", "--model", "{model}", "--json", "{jsondir}"], "is a directory; name a file"),
    # demo
    (["demo", "--out", "{old}"], "already exists and is not empty"),
    (["demo", "--episodes", "1"], "--episodes: expected an integer from 2"),
    (["demo", "--relus", "-1"], "--relus: expected an integer from 0"),
]


@pytest.mark.parametrize("argv, needle", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_malformed_input_gives_one_line_exit_2_and_changes_nothing(ws, argv, needle, capsys,
                                                                    monkeypatch):
    monkeypatch.chdir(ws)  # a default runs/ directory would appear in the snapshot
    paths = {k: str(ws / k) for k in ("old", "afile", "data", "model", "sortdata", "gnn",
                                      "jsondir", "badenv")}
    argv = [a.format(ws=ws, **paths) for a in argv]
    before = _snapshot(ws)
    capsys.readouterr()
    assert _run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err, err
    assert _snapshot(ws) == before


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60


# ---------------------------------------------------------------- the Python API
def _push_env():
    import envs

    env = envs.make("mpcnet/Push-v0")
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("action, error, needle", [
    ([np.nan, 0.0], "ConfigError", "action: expected finite numbers"),
    ([np.inf, 0.0], "ConfigError", "action: expected finite numbers"),
    ([0.0, 0.0, 0.0], "ShapeError", "action: expected 2 numbers"),
    ("ab", "ShapeError", "action: expected 2 numbers"),
    (None, "ShapeError", "action: expected 2 numbers"),
])
def test_push_env_refuses_bad_actions(action, error, needle):
    env = _push_env()
    try:
        with pytest.raises(ValueError, match=needle) as info:
            env.step(action)
        assert type(info.value).__name__ == error
    finally:
        env.close()


@pytest.mark.parametrize("options, needle", [
    ([1, 2], "options: expected a dict"),
    ({"object_pose": [0.0, 0.0]}, r"options\['object_pose'\]: expected 3 numbers"),
    ({"goal_pose": [0.0, np.nan, 0.0]}, r"options\['goal_pose'\]: expected finite"),
    ({"pusher": "here"}, r"options\['pusher'\]: expected 2 numbers"),
    ({"objct_pose": [0, 0, 0]}, "options: unknown keys"),
])
def test_push_env_refuses_bad_reset_options(options, needle):
    env = _push_env()
    try:
        with pytest.raises(ValueError, match=needle):
            env.reset(seed=1, options=options)
    finally:
        env.close()


def test_sort_env_refuses_nan_actions_and_bad_options():
    import envs

    env = envs.make(SORT, num_objects=2)
    env.reset(seed=0)
    try:
        with pytest.raises(ValueError, match="action: expected finite numbers"):
            env.step([0.0, 0.0, np.nan, 0.0])
        with pytest.raises(ValueError, match=r"options\['classes'\]: expected 2 values"):
            env.reset(options={"classes": [0, 2]})
        with pytest.raises(ValueError, match=r"options\['positions'\]: expected 4 numbers"):
            env.reset(options={"positions": np.zeros((3, 2))})
    finally:
        env.close()


def _mppi():
    from controllers import PlannerConfig, make_controller
    from mpcnet.costs import CostSpec
    from tests.fixtures import random_mlp

    net = random_mlp().export()
    cost = CostSpec(np.ones(10), np.zeros(2))
    return make_controller("mppi", net, cost, [-0.03] * 2, [0.03] * 2,
                           PlannerConfig(horizon=3, iterations=1, samples=8))


def test_controllers_refuse_nan_states_and_goals():
    from mpcnet.errors import ConfigError, ShapeError

    ctrl = _mppi()
    with pytest.raises(ConfigError, match="goal: expected finite numbers"):
        ctrl.reset(0, np.full(10, np.nan))
    ctrl.reset(0, np.zeros(10))
    with pytest.raises(ConfigError, match="state: expected finite numbers"):
        ctrl.act(np.r_[np.nan, np.zeros(9)])
    with pytest.raises(ShapeError, match="state: expected 10 numbers"):
        ctrl.act(np.zeros(9))
    assert np.isfinite(ctrl.act(np.zeros(10)).action).all()


@pytest.mark.parametrize("kwargs, needle", [
    ({"horizon": 2.5}, "horizon: expected an integer >= 1, got 2.5"),
    ({"horizon": 0}, "horizon: expected an integer >= 1"),
    ({"budget_ms": float("inf")}, "budget_ms: expected a finite number"),
    ({"samples": 10**9}, "samples: expected at most 1,000,000"),
    ({"smoothing": 1.0}, r"smoothing: expected a value in \[0, 1\)"),
    ({"device": "gpu"}, "device: expected 'auto', 'cpu' or 'cuda'"),
])
def test_planner_config_refuses_nonsense(kwargs, needle):
    from controllers import PlannerConfig
    from mpcnet.errors import ConfigError

    with pytest.raises(ConfigError, match=needle):
        PlannerConfig(**kwargs)


def test_action_box_of_the_wrong_length_is_named():
    from controllers import PlannerConfig, make_controller
    from mpcnet.costs import CostSpec
    from mpcnet.errors import ShapeError
    from tests.fixtures import random_mlp

    net = random_mlp().export()
    with pytest.raises(ShapeError, match="action_low: expected 2 numbers"):
        make_controller("cem", net, CostSpec(np.ones(10), np.zeros(2)), [-1, 0, 1], [1, 1],
                        PlannerConfig(horizon=2))


def test_data_with_nan_rows_is_refused_naming_rows_and_episodes():
    from mpcnet.data import TransitionData
    from mpcnet.errors import ShapeError

    states = np.zeros((6, 4))
    states[4, 1] = np.nan
    with pytest.raises(ShapeError, match=r"1 rows \(first: row 4; episodes \[1\]\)"):
        TransitionData(states, np.zeros((6, 2)), np.zeros((6, 4)), np.r_[0, 0, 0, 1, 1, 1],
                       np.zeros(6, bool), "mpcnet/Push-v0")


# ------------------------------------------------- reproducible and resumable control runs
def _evaluate(ws, out, *extra):
    return _run(["evaluate", "--model", str(ws / "model"), "--controller", extra[0],
                 "--horizon", "2", "--iterations", "2", "--samples", "16", "--episodes", "2",
                 "--steps", "3", "--seed", "5", "--out", str(out), *extra[1:]])


def _episodes(out: Path) -> list[dict]:
    rows = json.loads((out / "metrics.json").read_text())["episodes_detail"]
    return [{k: v for k, v in r.items() if k != "plan_times_s"} for r in rows]


@pytest.mark.parametrize("controller", ["mppi", "cem", "gd", "random", "mip"])
def test_fixed_iterations_make_an_episode_bit_for_bit_reproducible(ws, tmp_path, controller):
    assert _evaluate(ws, tmp_path / "a", controller) == 0
    assert _evaluate(ws, tmp_path / "b", controller) == 0
    assert _episodes(tmp_path / "a") == _episodes(tmp_path / "b")


def test_an_interrupted_evaluation_resumes_where_it_stopped(ws, tmp_path, monkeypatch, capsys):
    import training.evaluate as evaluation

    reference = tmp_path / "reference"
    assert _evaluate(ws, reference, "mppi") == 0
    out = tmp_path / "run"
    real, calls = evaluation.run_episode, []

    def interrupted_after_one(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "run_episode", interrupted_after_one)
    assert _evaluate(ws, out, "mppi") == 130
    assert json.loads((out / "meta.json").read_text())["complete"] is False
    assert (out / "episodes" / "episode_00000.json").is_file()
    assert not (out / "episodes" / "episode_00001.json").exists()
    first = (out / "episodes" / "episode_00000.json").read_bytes()
    capsys.readouterr()
    # other settings are refused, nothing changed
    assert _evaluate(ws, out, "mppi", "--resume", "--samples", "32") == 2
    assert "started with other settings (samples)" in capsys.readouterr().err
    monkeypatch.setattr(evaluation, "run_episode", real)
    assert _evaluate(ws, out, "mppi", "--resume") == 0
    assert (out / "episodes" / "episode_00000.json").read_bytes() == first  # read, not re-run
    assert json.loads((out / "meta.json").read_text())["complete"] is True
    assert _episodes(out) == _episodes(reference)


def test_a_finished_run_is_extended_by_more_episodes(ws, tmp_path, capsys):
    reference = tmp_path / "reference"
    assert _evaluate(ws, reference, "mppi", "--episodes", "3") == 0
    out = tmp_path / "run"
    assert _evaluate(ws, out, "mppi") == 0  # 2 episodes
    first = (out / "episodes" / "episode_00000.json").read_bytes()
    capsys.readouterr()
    assert _evaluate(ws, out, "mppi", "--resume", "--episodes", "1") == 2  # never shrinks
    assert "started with other settings (episodes)" in capsys.readouterr().err
    assert _evaluate(ws, out, "mppi", "--resume", "--episodes", "3") == 0
    assert (out / "episodes" / "episode_00000.json").read_bytes() == first  # read, not re-run
    assert json.loads((out / "config.json").read_text())["episodes"] == 3
    assert _episodes(out) == _episodes(reference)  # the same seeds as a fresh 3-episode run


def test_overwrite_keeps_the_old_run_until_the_new_one_has_finished(ws, tmp_path, monkeypatch,
                                                                    capsys):
    import training.evaluate as evaluation

    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("old")

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluation, "run_episode", broken)
    assert _evaluate(ws, out, "random", "--overwrite") == 130
    # nothing of the new run was finished except its settings: both are kept, side by side
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("run.replaced-")]
    assert len(aside) == 1 and (aside[0] / "precious.txt").read_text() == "old"
    assert "kept at" in capsys.readouterr().err
    monkeypatch.undo()
    shutil.rmtree(out)
    aside[0].rename(out)
    assert _evaluate(ws, out, "random", "--overwrite") == 0
    assert not (out / "precious.txt").exists() and (out / "metrics.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # the old run is gone only now


def test_allocation_failures_give_one_line(monkeypatch, capsys, tmp_path):
    import training.cli.stages

    def exhausted(args):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:116] DefaultCPUAllocator: can't "
                           "allocate memory: you tried to allocate 800000000000 bytes.\nmore")

    monkeypatch.setattr(training.cli.stages, "run_collect", exhausted)
    assert _run(["collect", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "out of memory" in err, err


def test_a_model_evaluated_on_another_env_of_the_same_size_is_warned_about(ws, tmp_path, capsys):
    assert _run(["evaluate", "--model", str(ws / "model"), "--env", "mpcnet/PushT-v0",
                 "--controller", "random", "--iterations", "1", "--episodes", "1", "--steps",
                 "1", "--out", str(tmp_path / "t")]) == 0
    assert "was trained on mpcnet/Push-v2, evaluated here on mpcnet/PushT-v0" in \
        capsys.readouterr().err


def test_a_push_model_on_a_hard_variant_of_its_env_is_not_warned_about(ws, tmp_path, capsys):
    # the hard variants share Push-v1's physics: its models are the ones to plan with there
    assert _run(["evaluate", "--model", str(ws / "model"), "--env", "mpcnet/PushObstacle-v0",
                 "--controller", "random", "--iterations", "1", "--episodes", "1", "--steps",
                 "1", "--out", str(tmp_path / "t")]) == 0
    assert "was trained on" not in capsys.readouterr().err


def test_a_failing_disk_gives_one_line(monkeypatch, capsys, tmp_path):
    import errno

    import training.cli.stages

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x" / "data.npz"))

    monkeypatch.setattr(training.cli.stages, "run_collect", full)
    assert _run(["collect", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
