"""The rope's graph model end to end: keypoints as nodes, the rope's chain as edges, pusher
displacements as actions; trained, validated, sparsified and planned with the MILP, through
the command line, on tiny problems."""

import json

import numpy as np
import pytest

from mpcnet.nn.graphnet import GraphNet
from tests.fixtures.cli import usage_error_line
from training.cli import main

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes

ROPE = "mpcnet/Rope-v0"


def test_chain_graph_model_of_the_rope_through_the_cli(tmp_path):
    data, model, sparse = tmp_path / "data", tmp_path / "model", tmp_path / "sparse"
    assert main(["collect", "--env", ROPE, "--episodes", "6", "--steps", "5", "--seed", "3",
                 "--out", str(data)]) == 0
    assert main(["train", "--data", str(data), "--model", "gnn", "--edges", "chain",
                 "--relation-hidden", "6", "--object-hidden", "4", "--effect-dim", "3",
                 "--epochs", "2", "--rollout-horizon", "2", "--val-fraction", "0.34",
                 "--out", str(model)]) == 0
    config = json.loads((model / "config.json").read_text())
    assert config["augment"] == "rotate"  # planar pushing data: turned copies by default
    graph = GraphNet.load(model / "graphnet")
    assert (graph.action, graph.edges, graph.action_dim) == ("displacement", "chain", 2)
    # the budget counts the shared networks' ReLUs; a step of 10 keypoints has 3 * 10 - 2 =
    # 28 edges, each a copy of the relation network, and 10 copies of the object network
    assert json.loads((model / "metrics.json").read_text())["relus"] == 6 + 4
    assert graph.relus_per_step(10) == 28 * 6 + 10 * 4
    assert main(["sparsify", "--model", str(model), "--data", str(data), "--relus", "2",
                 "--relaxed-epochs", "1", "--finetune-epochs", "1", "--no-baseline",
                 "--out", str(sparse)]) == 0
    small = GraphNet.load(sparse / "graphnet")
    assert small.relu_count <= 2 and small.edges == "chain"
    assert main(["compare", "--env", "mpcnet/RopeLine-v0", "--models", str(sparse),
                 "--controllers", "mip,gd", "--max-mip-relus", "100", "--episodes", "1",
                 "--steps", "2", "--horizon", "2", "--budget-ms", "200",
                 "--out", str(tmp_path / "cmp")]) == 0
    rows = json.loads((tmp_path / "cmp" / "results.json").read_text())
    assert {r["controller"] for r in rows} == {"mip", "gd"}
    assert {r["relus"] for r in rows} == {small.relus_per_step(10)}
    assert all(np.isfinite(r["final_cost_mean"]) for r in rows)


def test_a_chain_graph_model_needs_the_graph_model(tmp_path):
    line = usage_error_line(["train", "--data", str(tmp_path / "d"), "--edges", "chain",
                             "--out", str(tmp_path / "m")], tmp_path)
    assert "'chain' is for --model gnn" in line
