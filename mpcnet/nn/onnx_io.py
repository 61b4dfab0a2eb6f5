"""ONNX export and import of ``ReluNet`` dynamics networks (optional: ``pip install
'mpcnet[onnx]'``).

Export writes the whole dynamics step ``x' = f(x, u)`` as a graph from one input
``state_action`` of shape ``(batch, n + m)`` (the concatenated ``[x; u]``) to ``next_state``
of shape ``(batch, n)``, the residual included::

    a_k = Gemm(z_{k-1}, W_k, b_k)            hidden layer k
    z_k = Relu(a_k)                          every neuron a ReLU
    z_k = Max(a_k, floor_k)                  mixed: floor 0 for a ReLU, -inf for an identity
    out = Gemm(z_{L-1}, W_L, b_L)
    next_state = Add(Slice(state_action, 0..n), out)      when residual

Import reads a ReLU MLP trained elsewhere: any chain of Gemm, MatMul, Add, Sub, Mul and Div
with constants, Relu, Max with a 0 / -inf constant, and the identity-like ops (Identity,
Flatten, Cast, Reshape to ``(-1, width)``). Consecutive affine maps are composed into one, so
normalisation layers fold into the weights. An ``Add`` of the state part of the input to the
chain's output is recognised as the residual. The state size is the output width; the rest of
the input is the action.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mpcnet.artifacts import atomic_write
from mpcnet.errors import ConfigError, ShapeError
from mpcnet.nn.relunet import Layer, ReluNet

OPSET = 17
_PASS_THROUGH = {"Identity", "Flatten", "Cast", "Reshape"}


def _require():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ConfigError("ONNX needs the onnx package: pip install 'mpcnet[onnx]' (or "
                          "pip install onnx onnxruntime).") from None
    return onnx, helper, numpy_helper


def to_onnx(net: ReluNet, path: Path, dtype: str = "float32"):
    """Write ``net`` as an ONNX model (see the module docstring); returns the ModelProto.

    Args:
        dtype: ``"float32"`` (what most runtimes expect) or ``"float64"`` (exact weights).
    """
    onnx, helper, numpy_helper = _require()
    if dtype not in ("float32", "float64"):
        raise ConfigError(f"dtype: expected 'float32' or 'float64', got {dtype!r}.")
    elem = onnx.TensorProto.FLOAT if dtype == "float32" else onnx.TensorProto.DOUBLE
    n, width = net.state_dim, net.state_dim + net.action_dim
    inits, nodes = [], []

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    z = "state_action"
    for k, layer in enumerate(net.layers):
        a = f"a{k}"
        nodes.append(helper.make_node("Gemm", [z, const(f"W{k}", layer.weight),
                                               const(f"b{k}", layer.bias)], [a], transB=1))
        z = a
        if layer.kinds[0] == "linear":
            continue
        relu = layer.relu_mask
        if relu.all():
            nodes.append(helper.make_node("Relu", [a], [f"z{k}"]))
            z = f"z{k}"
        elif relu.any():
            floor = np.where(relu, 0.0, -np.inf)
            nodes.append(helper.make_node("Max", [a, const(f"floor{k}", floor)], [f"z{k}"]))
            z = f"z{k}"
    if net.residual:
        for name, v in (("starts", 0), ("ends", n), ("axes", 1)):
            inits.append(numpy_helper.from_array(np.array([v], np.int64), name))
        nodes.append(helper.make_node("Slice", ["state_action", "starts", "ends", "axes"],
                                      ["state"]))
        nodes.append(helper.make_node("Add", ["state", z], ["next_state"]))
    else:
        nodes.append(helper.make_node("Identity", [z], ["next_state"]))
    graph = helper.make_graph(
        nodes, "mpcnet_dynamics",
        [helper.make_tensor_value_info("state_action", elem, ["batch", width])],
        [helper.make_tensor_value_info("next_state", elem, ["batch", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mpcnet")
    helper.set_model_props(model, {"mpcnet.state_dim": str(n),
                                   "mpcnet.action_dim": str(net.action_dim),
                                   "mpcnet.residual": str(int(net.residual))})
    onnx.checker.check_model(model)
    atomic_write(Path(path), lambda h: h.write(model.SerializeToString()), "wb")
    return model


class _Chain:
    """A value of the graph as mpcnet sees it: finished layers, then a pending affine map."""

    def __init__(self, layers: list[Layer], weight: np.ndarray, bias: np.ndarray) -> None:
        self.layers, self.weight, self.bias = layers, weight, bias

    def affine(self, weight: np.ndarray, bias: np.ndarray) -> _Chain:
        """Follow with ``weight @ value + bias`` (composed into the pending map)."""
        if weight.shape[1] != self.weight.shape[0]:
            raise ShapeError(f"ONNX import: a layer of {weight.shape[1]} inputs follows a value "
                             f"of {self.weight.shape[0]}.")
        return _Chain(self.layers, weight @ self.weight, weight @ self.bias + bias)

    def activate(self, kinds: tuple[str, ...]) -> _Chain:
        layer = Layer(self.weight, self.bias, kinds)
        eye = np.eye(layer.out_dim)
        return _Chain([*self.layers, layer], eye, np.zeros(layer.out_dim))


def _constant(name: str, values: dict) -> np.ndarray | None:
    return values[name] if name in values and isinstance(values[name], np.ndarray) else None


def from_onnx(path: Path, residual: bool | None = None) -> ReluNet:
    """A :class:`ReluNet` from an ONNX ReLU MLP (see the module docstring).

    Args:
        residual: ``True`` if the network predicts the state change ``x' - x`` (and the
            graph does not add ``x`` itself); ``None``: as the graph says.
    """
    onnx, _, numpy_helper = _require()
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - protobuf raises many kinds
        raise ConfigError(f"onnx file {path}: not a readable ONNX model ({exc}).") from None
    graph = model.graph
    values: dict = {i.name: numpy_helper.to_array(i).astype(np.float64)
                    for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in values]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ConfigError(f"onnx file {path}: expected one input [state; action] and one output "
                          f"(the next state), got {len(inputs)} inputs and "
                          f"{len(graph.output)} outputs.")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not dims[1].dim_value:
        raise ConfigError(f"onnx file {path}: expected an input of shape (batch, n + m) with a "
                          "fixed width, got another shape.")
    width = dims[1].dim_value
    values[inputs[0].name] = _Chain([], np.eye(width), np.zeros(width))
    added_state, after_residual = None, None
    for node in graph.node:
        if after_residual is not None and node.op_type not in _PASS_THROUGH:
            raise ConfigError(f"onnx file {path}: op {node.op_type} after the residual sum; "
                              "mpcnet reads x' = x + net(x, u) as the last step.")
        values[node.output[0]], added = _apply(node, values, width)
        if added is not None:
            added_state, after_residual = added, values[node.output[0]]
    out = values[graph.output[0].name]
    if not isinstance(out, _Chain):
        raise ConfigError(f"onnx file {path}: the output is a constant, not a network.")
    layers = [*out.layers, Layer(out.weight, out.bias, ("linear",) * out.weight.shape[0])]
    n = layers[-1].out_dim
    if added_state is not None and added_state != n:
        raise ShapeError(f"onnx file {path}: the graph adds {added_state} input entries to an "
                         f"output of {n}.")
    if n >= width:
        raise ShapeError(f"onnx file {path}: an output of {n} (the state) needs an input wider "
                         f"than {n} (state and action), got {width}.")
    graph_residual = added_state is not None
    if residual and graph_residual:
        raise ConfigError(f"onnx file {path}: the graph already adds the state to its output; "
                          "leave out residual=True.")
    return ReluNet(tuple(layers), n, width - n, bool(residual) or graph_residual)


def _apply(node, values: dict, width: int):
    """The value of ``node``'s output, and the state width it adds (residual) or None."""
    op = node.op_type
    args = [values.get(name) for name in node.input if name]
    if any(a is None for a in args):
        raise ConfigError(f"ONNX import: node {node.name or op} reads a value computed by an "
                          "op mpcnet does not import.")
    chains = [a for a in args if isinstance(a, _Chain)]
    if not chains:  # constant folding is not needed by the networks we read
        raise ConfigError(f"ONNX import: node {node.name or op} ({op}) has only constants.")
    x = chains[0]
    attrs = {a.name: a for a in node.attribute}
    if op in _PASS_THROUGH:
        return x, None
    if op == "Relu":
        return x.activate(("relu",) * x.weight.shape[0]), None
    if op == "Gemm":
        if attrs.get("transA") and attrs["transA"].i:
            raise ConfigError("ONNX import: Gemm with transA is not a layer of an MLP.")
        b = args[1]
        b = b.T if attrs.get("transB") and attrs["transB"].i else b
        alpha = attrs["alpha"].f if "alpha" in attrs else 1.0
        beta = attrs["beta"].f if "beta" in attrs else 1.0
        bias = np.broadcast_to(beta * args[2].reshape(-1), (b.shape[1],)) if len(args) > 2 else 0.0
        return x.affine(alpha * b.T, np.zeros(b.shape[1]) + bias), None
    if op == "MatMul":
        return x.affine(args[1].T, np.zeros(args[1].shape[1])), None
    if op in ("Add", "Sub") and len(chains) == 2:
        return _residual_add(op, chains)
    if op in ("Add", "Sub", "Mul", "Div"):
        c = next(a for a in args if not isinstance(a, _Chain)).reshape(-1)
        size = x.weight.shape[0]
        c = np.broadcast_to(c, (size,)).astype(np.float64)
        if op == "Add":
            return x.affine(np.eye(size), c), None
        if op == "Sub":
            sign = 1.0 if args[0] is x else -1.0  # x - c, or c - x
            return x.affine(sign * np.eye(size), -sign * c), None
        if op == "Div" and args[0] is not x:
            raise ConfigError("ONNX import: c / x is not piecewise linear.")
        scale = c if op == "Mul" else 1.0 / c
        return x.affine(np.diag(scale), np.zeros(size)), None
    if op == "Max" and len(args) == 2:
        floor = np.broadcast_to(next(a for a in args if not isinstance(a, _Chain)).reshape(-1),
                                (x.weight.shape[0],))
        if not np.all((floor == 0) | np.isneginf(floor)):
            raise ConfigError("ONNX import: Max with a constant other than 0 (ReLU) or -inf "
                              "(identity) is not a ReLU layer.")
        return x.activate(tuple("relu" if f == 0 else "identity" for f in floor)), None
    if op == "Slice" and not x.layers:
        starts, ends = args[1].astype(int).tolist(), args[2].astype(int).tolist()
        axes = args[3].astype(int).tolist() if len(args) > 3 else [0]
        if axes not in ([1], [-1]) or starts != [0]:
            raise ConfigError("ONNX import: only the leading columns of the input can be sliced "
                              "(the state, for a residual).")
        end = min(ends[0], width)
        return x.affine(np.eye(x.weight.shape[0])[:end], np.zeros(end)), None
    raise ConfigError(f"ONNX import: op {op} (node {node.name or '?'}) is not part of a ReLU "
                      "MLP; mpcnet imports Gemm, MatMul, Add, Sub, Mul, Div, Relu and Max.")


def _residual_add(op: str, chains: list[_Chain]):
    """``state + net`` (the residual): one side is the input's leading columns, untouched."""
    for i, side in enumerate(chains):
        other = chains[1 - i]
        k = side.weight.shape[0]
        is_state = (not side.layers and side.weight.shape[1] > k and np.array_equal(
            side.weight, np.eye(side.weight.shape[1])[:k]) and not side.bias.any())
        if is_state and op == "Add" and other.weight.shape[0] == k:
            return other, k
    raise ConfigError("ONNX import: the only sum of two computed values mpcnet reads is the "
                      "residual, state + network output.")
