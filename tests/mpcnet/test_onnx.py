"""ONNX: networks out (onnxruntime computes what ReluNet computes) and in (a ReLU MLP made
elsewhere plans like the original)."""

import numpy as np
import pytest

from mpcnet.errors import ConfigError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from tests.fixtures import random_net, reference_mips, scene, sparse_gnn
from tests.fixtures.cli import run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mpcnet.nn.onnx_io import from_onnx, to_onnx  # noqa: E402


def run_onnx(path, z: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path))
    (name,) = [i.name for i in session.get_inputs()]
    return session.run(None, {name: z})[0]


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_export_matches_the_network_and_imports_back(tmp_path, seed, residual):
    net = random_net(seed, n=4, m=2, hidden=(9, 7), identity_frac=0.4, residual=residual)
    z = np.random.default_rng(seed).uniform(-2, 2, (200, 6))
    expected = net.step(z[:, :4], z[:, 4:])
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        path = tmp_path / f"net_{dtype}.onnx"
        to_onnx(net, path, dtype)
        np.testing.assert_allclose(run_onnx(path, z.astype(dtype)), expected, atol=tol)
        back = from_onnx(path)
        assert (back.state_dim, back.action_dim, back.residual) == (4, 2, residual)
        for a, b in zip(back.layers, net.layers, strict=True):
            assert a.kinds == b.kinds
            np.testing.assert_allclose(a.weight, b.weight, rtol=1e-6, atol=1e-7)  # float32: 1e-6
            np.testing.assert_allclose(a.bias, b.bias, rtol=1e-6, atol=1e-7)


def test_graph_model_exports_as_its_instantiated_network(tmp_path):
    graph = sparse_gnn().export()
    x, u = scene(3, 50)
    path = tmp_path / "gnn.onnx"
    to_onnx(graph.instantiate(3), path, "float64")
    np.testing.assert_allclose(run_onnx(path, np.c_[x, u]), graph.step(x, u), atol=1e-10)


def foreign_mlp(path, seed=0, n=3, m=2, hidden=(8, 8)):
    """A ReLU MLP as another tool writes it: input normalisation (Sub, Div), MatMul + Add
    layers, the network predicting the state change, no residual in the graph."""
    rng = np.random.default_rng(seed)
    sizes = [n + m, *hidden, n]
    init = [numpy_helper.from_array(rng.normal(0, 0.3, n + m).astype(np.float32), "mean"),
            numpy_helper.from_array(rng.uniform(0.5, 2, n + m).astype(np.float32), "std")]
    nodes = [helper.make_node("Sub", ["input", "mean"], ["c"]),
             helper.make_node("Div", ["c", "std"], ["h0"])]
    for k, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        init += [numpy_helper.from_array(rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(
                     np.float32), f"w{k}"),
                 numpy_helper.from_array(rng.normal(0, 0.2, b).astype(np.float32), f"b{k}")]
        nodes += [helper.make_node("MatMul", [f"h{k}", f"w{k}"], [f"m{k}"]),
                  helper.make_node("Add", [f"m{k}", f"b{k}"], [f"p{k}"])]
        last = k == len(sizes) - 2
        nodes.append(helper.make_node("Identity" if last else "Relu", [f"p{k}"],
                                      ["delta" if last else f"h{k + 1}"]))
    graph = helper.make_graph(
        nodes, "foreign", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                         [None, n + m])],
        [helper.make_tensor_value_info("delta", TensorProto.FLOAT, [None, n])], init)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_foreign_mlp_imports_with_its_normalisation_folded_in(tmp_path):
    path = tmp_path / "foreign.onnx"
    foreign_mlp(path)
    net = from_onnx(path, residual=True)
    assert (net.state_dim, net.action_dim, net.residual, net.hidden_sizes) == (3, 2, True, [8, 8])
    z = np.random.default_rng(3).uniform(-1, 1, (100, 5)).astype(np.float32)
    delta = run_onnx(path, z)
    np.testing.assert_allclose(net.step(z[:, :3], z[:, 3:]) - z[:, :3], delta, atol=1e-5)
    with pytest.raises(ConfigError, match="leave out residual=True"):
        to_onnx(net, tmp_path / "ours.onnx")
        from_onnx(tmp_path / "ours.onnx", residual=True)


@pytest.mark.parametrize("name", ["tiny_relu_h2", "mixed_8x8_h3"])
def test_an_imported_network_solves_its_mpc_problem_to_the_known_optimum(tmp_path, name):
    ref = reference_mips.load(name)
    path = tmp_path / f"{name}.onnx"
    to_onnx(ref.net, path, "float64")
    net = from_onnx(path)
    mpc = MipMpc(net, ref.cost, ref.horizon, ref.action_low, ref.action_high, ref.state_low,
                 ref.state_high, x0_low=ref.x0, x0_high=ref.x0)
    sol = mpc.solve(ref.x0, ref.goal, options=SolveOptions(mip_gap=1e-9))
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(ref.optimum, rel=1e-6)


def test_ops_outside_a_relu_mlp_are_named(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["a"]), helper.make_node("Tanh", ["a"], ["y"])],
        "tanh", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(np.ones((3, 2), np.float32), "w")])
    path = tmp_path / "tanh.onnx"
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(ConfigError, match="op Tanh"):
        from_onnx(path)
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="not a readable ONNX model"):
        from_onnx(tmp_path / "junk.onnx")


def test_export_and_import_through_the_cli(tmp_path, capsys):
    path = tmp_path / "foreign.onnx"
    foreign_mlp(path, n=3, m=1)
    out = tmp_path / "imported"
    assert run_cli(["import", "--onnx", str(path), "--residual", "--env", "Pendulum-v1",
                    "--task", "pendulum", "--out", str(out)]) == 0
    assert run_cli(["evaluate", "--env", "Pendulum-v1", "--model", str(out), "--controller",
                    "mip", "--episodes", "1", "--steps", "2", "--horizon", "2",
                    "--budget-ms", "300", "--out", str(tmp_path / "ev")]) == 0
    assert run_cli(["export", "--model", str(out), "--onnx", str(tmp_path / "back.onnx")]) == 0
    assert run_cli(["export", "--model", str(out), "--onnx", str(tmp_path / "back.onnx")]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert run_cli(["import", "--onnx", str(path), "--out", str(tmp_path / "x")]) == 2
    assert "mpcnet/Push-v2 has states of 10" in capsys.readouterr().err
    # the core names the parameter (residual=True), the command line its flag
    assert run_cli(["import", "--onnx", str(tmp_path / "back.onnx"), "--residual", "--env",
                    "Pendulum-v1", "--task", "pendulum", "--out", str(tmp_path / "y")]) == 2
    assert "leave out --residual." in capsys.readouterr().err
