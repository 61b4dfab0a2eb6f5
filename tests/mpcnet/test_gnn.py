import json

import numpy as np
import pytest
import torch

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, ShapeError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.nn.graphnet import GraphNet, TorchGraphNet
from mpcnet.nn.model_io import load_model, save_model
from tests.fixtures import random_gnn, scene, sparse_gnn


@pytest.mark.parametrize("make", [random_gnn, sparse_gnn])
@pytest.mark.parametrize("n", [2, 4, 6])
def test_export_and_block_network_equal_the_torch_forward(make, n):
    model = make()
    graph = model.export()
    x, u = scene(n, 40)
    with torch.no_grad():
        expected = model(torch.tensor(x, dtype=torch.float32),
                         torch.tensor(u, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(graph.step(x, u), expected, atol=1e-5)
    block = graph.instantiate(n)
    np.testing.assert_allclose(block.step(x, u), graph.step(x, u), atol=1e-10)
    assert block.relu_count == graph.relus_per_step(n)
    torch_graph = TorchGraphNet(graph, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(torch_graph(torch.tensor(x), torch.tensor(u)).numpy(),
                                   graph.step(x, u), atol=1e-12)


def test_sparse_export_drops_removed_neurons_and_keeps_identities():
    graph = sparse_gnn().export()
    # gates cycle (RELU, IDENTITY, REMOVED, RELU) over the 10 + 8 + 9 hidden neurons
    assert graph.hidden_sizes == [8, 6, 6]
    assert (graph.relation_relus, graph.object_relus, graph.identity_count) == (9, 4, 7)
    assert graph.relus_per_step(4) == 16 * graph.relation_relus + 4 * graph.object_relus


@pytest.mark.parametrize("make", [random_gnn, sparse_gnn])
def test_model_is_equivariant_to_object_order(make):
    n = 5
    graph = make(3).export()
    x, u = scene(n, 10, seed=1)
    perm = np.random.default_rng(0).permutation(n)
    cols = np.r_[np.stack([2 * perm, 2 * perm + 1], 1).ravel(), 2 * n, 2 * n + 1]
    np.testing.assert_allclose(graph.step(x[:, cols], u), graph.step(x, u)[:, cols], atol=1e-12)
    # and the block networks of both orders agree the same way
    block = graph.instantiate(n)
    np.testing.assert_allclose(block.step(x[:, cols], u), block.step(x, u)[:, cols], atol=1e-10)


def test_pusher_ends_its_push_and_far_objects_move_little():
    graph = random_gnn(1).export()
    x, u = scene(3, 5)
    out = graph.step(x, u)
    np.testing.assert_allclose(out[:, -2:], u[:, :2] + u[:, 2:], atol=1e-12)


def test_gnn_saves_and_loads_with_its_graph_network(tmp_path):
    model = sparse_gnn(2)
    save_model(model, tmp_path)
    assert (tmp_path / "graphnet.npz").is_file() and (tmp_path / "graphnet.json").is_file()
    loaded = load_model(tmp_path)
    x, u = scene(4, 8)
    np.testing.assert_allclose(loaded.export().step(x, u), model.export().step(x, u), atol=1e-12)
    np.testing.assert_allclose(GraphNet.load(tmp_path / "graphnet").step(x, u),
                               model.export().step(x, u), atol=1e-12)


@pytest.mark.parametrize("n", [2, 3])
def test_mip_with_fixed_actions_reproduces_the_gnn_forward(n):
    graph = sparse_gnn(4).export()
    net = graph.instantiate(n)
    x0, _ = scene(n, 1, seed=5)
    x0 = x0[0]
    _, actions = scene(n, 3, seed=6)
    goal = np.r_[np.tile([0.25, 0.0], n), 0.0, 0.0]
    cost = CostSpec(np.r_[np.ones(2 * n), 0, 0], np.array([0, 0, 0.01, 0.01]),
                    goal_tolerance=np.r_[np.tile([0.1, 0.2], n), 0, 0])
    low, high = np.array([-0.3, -0.3, -0.2, -0.2]), np.array([0.3, 0.3, 0.2, 0.2])
    mpc = MipMpc(net, cost, 3, low, high, x0_low=x0, x0_high=x0)
    sol = mpc.solve(x0, goal, fixed_actions=actions, options=SolveOptions(mip_gap=1e-9))
    expected = np.stack([x0 := graph.step(x0, a) for a in actions])
    np.testing.assert_allclose(sol.states, expected, atol=1e-6)
    assert sol.objective == pytest.approx(cost.plan_cost(expected, actions, goal), abs=1e-6)
    assert sol.binaries <= 3 * graph.relus_per_step(n)


VARIANTS = [("displacement", "all"), ("primitive", "chain"), ("displacement", "chain")]


@pytest.mark.parametrize("action,edges", VARIANTS)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_variants_export_block_and_torch_forms_agree(action, edges, n):
    model = sparse_gnn(7, action=action, edges=edges)
    graph = model.export()
    assert (graph.action, graph.edges) == (action, edges)
    x, u = scene(n, 30, seed=2, action=action)
    with torch.no_grad():
        expected = model(torch.tensor(x, dtype=torch.float32),
                         torch.tensor(u, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(graph.step(x, u), expected, atol=1e-5)
    block = graph.instantiate(n)
    assert (block.state_dim, block.action_dim) == (2 * n + 2, graph.action_dim)
    np.testing.assert_allclose(block.step(x, u), graph.step(x, u), atol=1e-10)
    assert block.relu_count == graph.relus_per_step(n)


def test_a_displacement_model_is_the_primitive_model_pushing_from_the_pusher():
    primitive = random_gnn(3).export()
    displacement = GraphNet(primitive.relation, primitive.objects, action="displacement")
    x, d = scene(4, 20, seed=4, action="displacement")
    np.testing.assert_allclose(displacement.step(x, d), primitive.step(x, np.c_[x[:, -2:], d]),
                               atol=1e-12)
    np.testing.assert_allclose(displacement.step(x, d)[:, -2:], x[:, -2:] + d, atol=1e-12)


def test_a_chain_object_hears_only_its_neighbours_and_the_pusher():
    graph = random_gnn(5, edges="chain").export()
    n = 6
    x, u = scene(n, 10, seed=3)
    moved = x.copy()
    moved[:, 2 * 5:2 * 5 + 2] += 0.05  # object 5: a neighbour of 4 only
    before, after = graph.step(x, u), graph.step(moved, u)
    np.testing.assert_allclose(after[:, :2 * 4], before[:, :2 * 4], atol=1e-12)  # objects 0-3
    assert np.abs(after[:, 8:10] - before[:, 8:10]).max() > 1e-6  # object 4 hears it
    assert graph.relus_per_step(n) == (3 * n - 2) * graph.relation_relus + n * graph.object_relus


def test_variants_save_and_load_and_old_files_read_as_primitive(tmp_path):
    model = sparse_gnn(2, action="displacement", edges="chain")
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    assert (loaded.action, loaded.edges, loaded.action_dim) == ("displacement", "chain", 2)
    graph = GraphNet.load(tmp_path / "graphnet")
    assert (graph.action, graph.edges) == ("displacement", "chain")
    x, u = scene(3, 5, action="displacement")
    np.testing.assert_allclose(graph.step(x, u), model.export().step(x, u), atol=1e-12)
    old = tmp_path / "old"
    save_model(sparse_gnn(2), old)
    for name in ("model.json", "graphnet.json"):  # as written before the variants existed
        desc = json.loads((old / name).read_text())
        desc.pop("action"), desc.pop("edges")
        (old / name).write_text(json.dumps(desc))
    assert (load_model(old).action, GraphNet.load(old / "graphnet").edges) == ("primitive", "all")


def test_a_graph_model_refuses_actions_of_the_other_kind():
    graph = random_gnn(1, action="displacement").export()
    x, u = scene(2, 3)  # primitives
    with pytest.raises(ShapeError, match="displacement actions: expected actions of 2"):
        graph.step(x, u)
    with pytest.raises(ConfigError, match="edges"):
        random_gnn(1, edges="ring")


def test_mip_with_fixed_actions_reproduces_a_chain_displacement_model():
    n = 4
    graph = sparse_gnn(4, action="displacement", edges="chain").export()
    net = graph.instantiate(n)
    x0, _ = scene(n, 1, seed=5)
    x0 = x0[0]
    _, actions = scene(n, 3, seed=6, action="displacement")
    goal = np.r_[np.tile([0.25, 0.0], n), 0.0, 0.0]
    cost = CostSpec(np.r_[np.ones(2 * n), 0, 0], np.array([0.01, 0.01]))
    low, high = np.array([-0.2, -0.2]), np.array([0.2, 0.2])
    mpc = MipMpc(net, cost, 3, low, high, x0_low=x0, x0_high=x0)
    sol = mpc.solve(x0, goal, fixed_actions=actions, options=SolveOptions(mip_gap=1e-9))
    expected = np.stack([x0 := graph.step(x0, a) for a in actions])
    np.testing.assert_allclose(sol.states, expected, atol=1e-6)
    assert sol.objective == pytest.approx(cost.plan_cost(expected, actions, goal), abs=1e-6)
