"""The sorting task end to end: collect, train a GNN, validate on more objects, sparsify,
evaluate and compare, through the command line, on tiny problems."""

import json

import numpy as np
import pytest

from mpcnet.nn.graphnet import GraphNet
from tests.fixtures.cli import usage_error_line
from training.cli import main
from training.collect import collect
from training.config import CollectConfig, TrainConfig
from training.train import train

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes

SORT = "mpcnet/Sort-v0"


@pytest.fixture(scope="module")
def sort_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("sort")
    data3, data4 = root / "data3", root / "data4"
    assert main(["collect", "--env", SORT, "--num-objects", "3", "--episodes", "12",
                 "--steps", "5", "--seed", "1", "--out", str(data3)]) == 0
    assert main(["collect", "--env", SORT, "--num-objects", "4", "--episodes", "3",
                 "--steps", "4", "--seed", "2", "--out", str(data4)]) == 0
    return root, data3, data4


def test_sort_collection_is_seeded_and_pushes_objects():
    collected = collect(CollectConfig(env_id=SORT, episodes=3, steps=3, seed=4, num_objects=2))
    a, metrics = collected.data, collected.metrics
    b = collect(CollectConfig(env_id=SORT, episodes=3, steps=3, seed=4, num_objects=2)).data
    np.testing.assert_array_equal(a.states, b.states)
    assert a.state_dim == 6 and a.action_dim == 4
    assert metrics["contact_fraction"] > 0.5


def test_gnn_learns_below_no_change(sort_data):
    _, data3, _ = sort_data
    from mpcnet.data import TransitionData

    config = TrainConfig(model="gnn", relation_hidden=(16,), object_hidden=(16,), effect_dim=8,
                         epochs=40, rollout_horizon=3, val_fraction=0.25, lr=5e-3)
    metrics = train(TransitionData.load(data3), config).metrics
    assert metrics["val_mse_rollout_objects"] < metrics["val_mse_rollout_objects_zero"]


def test_gnn_pipeline_through_the_cli(sort_data, capsys):
    root, data3, data4 = sort_data
    model, sparse = root / "model", root / "sparse"
    assert main(["train", "--data", str(data3), "--model", "gnn", "--relation-hidden", "8,8",
                 "--object-hidden", "8", "--effect-dim", "4", "--epochs", "2",
                 "--rollout-horizon", "3", "--val-fraction", "0.3", "--out", str(model)]) == 0
    assert json.loads((model / "metrics.json").read_text())["relus"] == 24
    # one model, any number of objects: validate the N=3 model on N=4 episodes
    assert main(["validate", "--model", str(model), "--data", str(data4),
                 "--json", str(root / "v4.json")]) == 0
    v4 = json.loads((root / "v4.json").read_text())
    assert v4["state_dim"] == 10 and v4["rollout_horizon"] == 3
    assert main(["sparsify", "--model", str(model), "--data", str(data3), "--relus", "3",
                 "--relaxed-epochs", "2", "--finetune-epochs", "1", "--out", str(sparse)]) == 0
    graph = GraphNet.load(sparse / "graphnet")
    assert graph.relu_count <= 3
    # a sparse model validates with its dense parent's rollout horizon
    assert main(["validate", "--model", str(sparse), "--data", str(data4),
                 "--json", str(root / "s4.json")]) == 0
    assert json.loads((root / "s4.json").read_text())["rollout_horizon"] == 3
    assert main(["compare", "--env", SORT, "--num-objects", "2", "--models", str(model),
                 str(sparse), "--controllers", "mip,mppi", "--episodes", "1", "--steps", "2",
                 "--horizon", "1", "--budget-ms", "100", "--out", str(root / "cmp")]) == 0
    rows = json.loads((root / "cmp" / "results.json").read_text())
    assert {(r["controller"], r["relus"]) for r in rows} >= {
        ("mppi", graph.relus_per_step(2)), ("mip", graph.relus_per_step(2))}
    assert "results ->" in capsys.readouterr().out
    # MIP size against N: the block program has N^2 R + N O ReLUs per step
    assert main(["bench", "mip-objects", "--model", str(sparse), "--objects", "2,3",
                 "--horizon", "1", "--starts", "1", "--time-limit", "5",
                 "--json", str(root / "objects.json")]) == 0
    records = json.loads((root / "objects.json").read_text())
    assert [r["relus"] for r in records] == [graph.relus_per_step(2), graph.relus_per_step(3)]
    assert all(max(r["binaries"]) <= r["relus"] for r in records)


@pytest.mark.parametrize("argv, needle", [
    (["collect", "--num-objects", "3"], "only mpcnet/Sort-v0 has a number of objects"),
    (["collect", "--env", SORT, "--num-objects", "9"], "or 2 to 6, got 9"),
])
def test_bad_sort_input_gives_one_line_and_exit_code_2(argv, needle, tmp_path):
    assert needle in usage_error_line([*argv, "--out", str(tmp_path / "o")], tmp_path)


def test_gnn_on_push_data_is_refused_with_a_hint(tmp_path):
    data = tmp_path / "push"
    assert main(["collect", "--episodes", "2", "--steps", "4", "--out", str(data)]) == 0
    line = usage_error_line(["train", "--data", str(data), "--model", "gnn", "--out",
                             str(tmp_path / "m")], tmp_path)
    assert "use --model mlp" in line
