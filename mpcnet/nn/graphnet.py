"""``GraphNet``: the exported object-centric graph dynamics model, and its fixed-N ReluNet form.

The model (in the spirit of interaction networks / DPI-Net) acts on a state of ``N`` object
positions ``p_i`` followed by the pusher position ``q``, and a push primitive ``u = (s, d)``
(start point, push vector). For every object ``i`` (receiver) and every sender ``j`` (each
other object, and the pusher, whose position is taken as the push start ``s``):

    f_ij = [p_j - p_i, s - p_i, d, [j is the pusher]]            (7 edge features)
    e_i  = sum_j R(f_ij)                                          (relation network, shared)
    p_i' = p_i + O([e_i, s - p_i, d])                             (object network, shared)
    q'   = s + d                                                  (the pusher ends its push)

``R`` and ``O`` are ReLU networks (their neurons ReLU or identity after sparsification, with
normalisation folded in), shared by every edge and object, so one model serves any ``N`` and
is equivariant to the order of the objects. Every feature is a difference of positions or
the push vector, so the model is also invariant to translations of the whole scene.

Two variants keep the same networks and features:

- ``action="displacement"``: the action is the pusher's displacement ``d`` (2 numbers, as in
  pushing and the rope); the push starts where the pusher is, ``s = q``.
- ``edges="chain"``: object ``i`` hears only its neighbours ``i - 1`` and ``i + 1`` and the
  pusher, for objects that form a chain (the rope's keypoints). With ``N`` objects it has
  ``3N - 2`` edges instead of ``N^2``, so its MILP has that many copies of ``R`` per step.

For a fixed ``N`` the graph is fixed and the aggregation is a sum, which is linear; so
:meth:`GraphNet.instantiate` writes the whole step as an ordinary block-structured
:class:`~mpcnet.nn.relunet.ReluNet`: one copy of ``R`` per edge (``N^2`` of them) and of ``O`` per
object, with the raw input carried alongside as identity neurons. Bounds, the MILP encoder and
the planners then handle it like any other network; the folding pass composes the identity
neurons away again, so they cost nothing in the MILP.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mpcnet.artifacts import FORMAT_VERSION, read_json, read_npz, write_json, write_npz
from mpcnet.errors import ArtifactError, ConfigError, ShapeError
from mpcnet.nn.relunet import Layer, ReluNet

EDGE_FEATURES = 7
GEOMETRIC = 4  # object-network features besides the effect: s - p_i and d
PUSH_ACTION_DIM = 4
DISPLACEMENT_ACTION_DIM = 2
ACTIONS = {"primitive": PUSH_ACTION_DIM, "displacement": DISPLACEMENT_ACTION_DIM}
EDGE_SETS = ("all", "chain")


def action_kind(action_dim: int) -> str:
    """``'primitive'`` for 4-number actions, ``'displacement'`` for 2-number ones."""
    for kind, dim in ACTIONS.items():
        if dim == action_dim:
            return kind
    raise ShapeError(f"graph model actions: expected push primitives of {PUSH_ACTION_DIM} "
                     f"numbers or pusher displacements of {DISPLACEMENT_ACTION_DIM}, got "
                     f"{action_dim}.")


def check_variant(action: str, edges: str) -> None:
    """ConfigError unless ``action`` and ``edges`` name variants of the model."""
    if action not in ACTIONS:
        raise ConfigError(f"graph model action: expected one of {tuple(ACTIONS)}, got "
                          f"{action!r}.")
    if edges not in EDGE_SETS:
        raise ConfigError(f"graph edges: expected one of {EDGE_SETS}, got {edges!r}.")


def senders_of(n: int, edges: str) -> list[list[int]]:
    """For each receiver ``i < n``, its senders: other objects ``j < n`` and the pusher ``n``."""
    check_variant("primitive", edges)
    if edges == "all":
        return [[j for j in range(n + 1) if j != i] for i in range(n)]
    return [[j for j in (i - 1, i + 1) if 0 <= j < n] + [n] for i in range(n)]


@functools.lru_cache(maxsize=64)  # planners call a step many times for one n
def _edge_mask(n: int, edges: str, dtype, device) -> torch.Tensor:
    """``(n, n+1)``: 1 where sender ``j`` talks to receiver ``i``."""
    mask = torch.zeros(n, n + 1, dtype=dtype, device=device)
    for i, senders in enumerate(senders_of(n, edges)):
        mask[i, senders] = 1.0
    return mask


def num_objects_of(state_dim: int) -> int:
    """``N`` from a state of ``N`` object positions and the pusher position."""
    if state_dim < 4 or state_dim % 2:
        raise ShapeError(f"graph state: expected 2N+2 values (N >= 1 objects, then the pusher), "
                         f"got {state_dim}.")
    return (state_dim - 2) // 2


def graph_step(x: torch.Tensor, u: torch.Tensor, relation, objects, edges: str = "all",
               action: str = "primitive") -> torch.Tensor:
    """One step of the graph dynamics (module docstring), batched over leading axes.

    Args:
        x: ``(..., 2N+2)`` states; u: ``(..., 4)`` push primitives ``(sx, sy, dx, dy)`` or
            ``(..., 2)`` pusher displacements (the push starts at the pusher).
        relation: ``(..., 7) -> (..., E)``, the relation network on raw edge features.
        objects: ``(..., E+4) -> (..., 2)``, the object network's displacement.
        edges: ``'all'`` or ``'chain'`` (module docstring).
        action: ``'primitive'`` or ``'displacement'``: what ``u`` holds.
    """
    if u.shape[-1] != ACTIONS[action]:
        raise ShapeError(f"graph model of {action} actions: expected actions of "
                         f"{ACTIONS[action]} numbers, got {u.shape[-1]}.")
    n = num_objects_of(x.shape[-1])
    batch = torch.broadcast_shapes(x.shape[:-1], u.shape[:-1])
    x, u = x.expand(*batch, x.shape[-1]), u.expand(*batch, u.shape[-1])
    p = x[..., :2 * n].reshape(*batch, n, 2)
    if action == "displacement":
        s, d = x[..., 2 * n:], u
    else:
        s, d = u[..., :2], u[..., 2:]
    senders = torch.cat([p, s[..., None, :]], dim=-2)  # (..., n+1, 2): objects, then pusher
    rel = senders[..., None, :, :] - p[..., :, None, :]  # (..., n receivers, n+1 senders, 2)
    sp = s[..., None, :] - p  # (..., n, 2)
    shape = (*batch, n, n + 1, 2)
    flag = torch.zeros(n + 1, 1, dtype=x.dtype, device=x.device)
    flag[n] = 1.0
    feats = torch.cat([rel, sp[..., :, None, :].expand(shape),
                       d[..., None, None, :].expand(shape), flag.expand(*batch, n, n + 1, 1)],
                      dim=-1)
    heard = _edge_mask(n, edges, x.dtype, x.device)
    effects = (relation(feats) * heard[..., None]).sum(dim=-2)  # (..., n, E)
    delta = objects(torch.cat([effects, sp, d[..., None, :].expand(*batch, n, 2)], dim=-1))
    return torch.cat([(p + delta).reshape(*batch, 2 * n), s + d], dim=-1)


class TorchChain(torch.nn.Module):
    """A list of numpy :class:`Layer` objects as a fixed torch function."""

    def __init__(self, layers, dtype=torch.float32, device=None) -> None:
        super().__init__()
        def tensor(a, dt=dtype):
            return torch.tensor(np.array(a), dtype=dt, device=device)

        self.weights = [tensor(la.weight) for la in layers]
        self.biases = [tensor(la.bias) for la in layers]
        self.masks = [tensor(la.relu_mask, torch.bool) for la in layers]

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for k, (w, b, mask) in enumerate(zip(self.weights, self.biases, self.masks, strict=True)):
            h = h @ w.T + b
            if k < last:
                h = torch.where(mask, torch.relu(h), h)
        return h


class TorchGraphNet(torch.nn.Module):
    """A :class:`GraphNet` as a batched torch dynamics ``(x, u) -> x'`` for any ``N``.

    Planners use this instead of the block ReluNet of :meth:`GraphNet.instantiate`: the
    shared weights are applied to all edges at once, ``N^2`` times cheaper than the block
    matrices, with the same result.
    """

    def __init__(self, graph: GraphNet, dtype=torch.float32, device=None) -> None:
        super().__init__()
        self.relation = TorchChain(graph.relation, dtype, device)
        self.objects = TorchChain(graph.objects, dtype, device)
        self.edges, self.action = graph.edges, graph.action

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return graph_step(x, u, self.relation, self.objects, self.edges, self.action)


@dataclass(frozen=True)
class GraphNet:
    """The shared relation and object networks (hidden layers then one linear layer each).

    Attributes:
        relation: Layers of ``R``: 7 inputs, ``E`` outputs.
        objects: Layers of ``O``: ``E + 4`` inputs, 2 outputs.
        action: ``'primitive'`` (4 numbers) or ``'displacement'`` (2; module docstring).
        edges: ``'all'`` or ``'chain'`` (module docstring).
    """

    relation: tuple[Layer, ...]
    objects: tuple[Layer, ...]
    action: str = "primitive"
    edges: str = "all"

    def __post_init__(self) -> None:
        object.__setattr__(self, "relation", tuple(self.relation))
        object.__setattr__(self, "objects", tuple(self.objects))
        check_variant(self.action, self.edges)
        for name, chain, n_in in (("relation", self.relation, EDGE_FEATURES),
                                  ("objects", self.objects, None)):
            if len(chain) < 2:
                raise ConfigError(f"GraphNet.{name}: expected hidden layers and an output "
                                  f"layer, got {len(chain)} layer(s).")
            expected = n_in if n_in is not None else self.effect_dim + GEOMETRIC
            for k, layer in enumerate(chain):
                if layer.in_dim != expected:
                    raise ShapeError(f"GraphNet.{name} layer {k}: expected {expected} inputs, "
                                     f"got {layer.in_dim}.")
                expected = layer.out_dim
        if self.objects[-1].out_dim != 2:
            raise ShapeError(f"GraphNet.objects output: expected 2, got "
                             f"{self.objects[-1].out_dim}.")

    @property
    def effect_dim(self) -> int:
        return self.relation[-1].out_dim

    @property
    def relation_relus(self) -> int:
        return int(sum(la.relu_mask.sum() for la in self.relation[:-1]))

    @property
    def object_relus(self) -> int:
        return int(sum(la.relu_mask.sum() for la in self.objects[:-1]))

    @property
    def relu_count(self) -> int:
        """ReLUs of the shared networks (what a sparsity budget counts)."""
        return self.relation_relus + self.object_relus

    @property
    def identity_count(self) -> int:
        return int(sum((~la.relu_mask).sum() for la in (*self.relation[:-1], *self.objects[:-1])))

    @property
    def hidden_sizes(self) -> list[int]:
        return [la.out_dim for la in (*self.relation[:-1], *self.objects[:-1])]

    @property
    def action_dim(self) -> int:
        return ACTIONS[self.action]

    def relus_per_step(self, num_objects: int) -> int:
        """ReLUs of one dynamics step for ``N`` objects: one ``R`` per edge (``N^2`` of them,
        ``3N - 2`` for a chain) and one ``O`` per object (the MILP's most binaries per step;
        stable ones get none)."""
        edges = sum(len(s) for s in senders_of(num_objects, self.edges))
        return edges * self.relation_relus + num_objects * self.object_relus

    def step(self, state: np.ndarray, action: np.ndarray) -> np.ndarray:
        """One step in graph form (float64), for any ``N``, batched over leading axes."""
        model = TorchGraphNet(self, dtype=torch.float64)
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(state, dtype=np.float64)),
                         torch.as_tensor(np.asarray(action, dtype=np.float64))).numpy()

    # --------------------------------------------------------------- fixed-N block network
    def instantiate(self, num_objects: int) -> GraphReluNet:
        """The step for ``N`` objects as one block-structured ReluNet (module docstring)."""
        n = int(num_objects)
        if n < 1:
            raise ConfigError(f"num_objects: expected >= 1, got {num_objects}.")
        dim = 2 * n + 2 + self.action_dim
        col = _Columns(n, self.action)
        senders = senders_of(n, self.edges)
        edges = [(i, j) for i in range(n) for j in senders[i]]
        layers: list[Layer] = []
        # Relation layer 1: every edge's features are a linear map of z = [x; u].
        first = self.relation[0]
        rows, biases = [], []
        for i, j in edges:
            feat, const = col.edge_features(i, j)
            rows.append(first.weight @ feat)
            biases.append(first.bias + first.weight @ const)
        layers.append(_with_passthrough(np.vstack(rows), np.concatenate(biases),
                                        first.kinds * len(edges), dim))
        for layer in self.relation[1:-1]:
            layers.append(_block_layer(layer, len(edges), dim))
        # Object layer 1: sum of the edges' relation outputs (linear) composed with O's input.
        r_out, o_first = self.relation[-1], self.objects[0]
        w_eff, w_geo = o_first.weight[:, :self.effect_dim], o_first.weight[:, self.effect_dim:]
        per_edge = w_eff @ r_out.weight  # (o1, h_R)
        h_r = r_out.in_dim
        weight = np.zeros((n * o_first.out_dim, len(edges) * h_r + dim))
        bias = np.zeros(n * o_first.out_dim)
        for e, (i, _) in enumerate(edges):
            weight[i * o_first.out_dim:(i + 1) * o_first.out_dim, e * h_r:(e + 1) * h_r] = per_edge
        for i in range(n):
            block = slice(i * o_first.out_dim, (i + 1) * o_first.out_dim)
            weight[block, len(edges) * h_r:] = w_geo @ col.geometric(i)
            bias[block] = o_first.bias + len(senders[i]) * (w_eff @ r_out.bias)
        layers.append(_with_passthrough(weight, bias, o_first.kinds * n, dim))
        for layer in self.objects[1:-1]:
            layers.append(_block_layer(layer, n, dim))
        # Output: object displacements, and the pusher's move q' - q = s + d - q.
        o_out = self.objects[-1]
        h_o = o_out.in_dim
        weight = np.zeros((2 * n + 2, n * h_o + dim))
        bias = np.zeros(2 * n + 2)
        for i in range(n):
            weight[2 * i:2 * i + 2, i * h_o:(i + 1) * h_o] = o_out.weight
            bias[2 * i:2 * i + 2] = o_out.bias
        weight[2 * n:, n * h_o:] = col.pusher_move()
        layers.append(Layer(weight, bias, ("linear",) * (2 * n + 2)))
        return GraphReluNet(tuple(layers), 2 * n + 2, self.action_dim, True, self, n)

    # --------------------------------------------------------------------------- file I/O
    def save(self, path_stem: Path) -> None:
        """Write ``{stem}.npz`` (weights) and ``{stem}.json`` (structure), atomically."""
        stem = Path(path_stem)
        arrays = {}
        for name, chain in (("relation", self.relation), ("objects", self.objects)):
            for k, layer in enumerate(chain):
                arrays[f"{name}_W{k}"], arrays[f"{name}_b{k}"] = layer.weight, layer.bias
        write_npz(stem.with_suffix(".npz"), arrays)
        write_json(stem.with_suffix(".json"), self.describe())

    def describe(self) -> dict:
        chain = lambda c: [{"in": la.in_dim, "out": la.out_dim, "kinds": list(la.kinds)}  # noqa: E731
                           for la in c]
        return {"type": "GraphNet", "format_version": FORMAT_VERSION,
                "action": self.action, "edges": self.edges, "relus": self.relu_count,
                "relation_relus": self.relation_relus, "object_relus": self.object_relus,
                "identity_neurons": self.identity_count,
                "relation": chain(self.relation), "objects": chain(self.objects)}

    @classmethod
    def load(cls, path_stem: Path) -> GraphNet:
        """Load a network written by :meth:`save`; ArtifactError naming the file if bad."""
        stem = Path(path_stem)
        desc = read_json(stem.with_suffix(".json"), what="graph network description")
        if desc.get("type") != "GraphNet" or desc.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(
                f"{stem.with_suffix('.json')}: expected type 'GraphNet' format {FORMAT_VERSION}, "
                f"got {desc.get('type')!r} format {desc.get('format_version')!r}.")
        try:
            keys = [f"{name}_{p}{k}" for name in ("relation", "objects")
                    for k in range(len(desc[name])) for p in ("W", "b")]
            arrays = read_npz(stem.with_suffix(".npz"), keys, what="graph network weights")
            chains = {name: tuple(Layer(arrays[f"{name}_W{k}"], arrays[f"{name}_b{k}"],
                                        tuple(ld["kinds"])) for k, ld in enumerate(desc[name]))
                      for name in ("relation", "objects")}
            # graph networks saved before the variants existed are primitive, all edges
            return cls(chains["relation"], chains["objects"],
                       desc.get("action", "primitive"), desc.get("edges", "all"))
        except ArtifactError:
            raise
        except (KeyError, TypeError, ValueError, ShapeError, ConfigError) as exc:
            raise ArtifactError(f"graph network {stem}: the weights and the description do "
                                f"not match ({exc}).") from exc


@dataclass(frozen=True)
class GraphReluNet(ReluNet):
    """A :class:`ReluNet` made by :meth:`GraphNet.instantiate`, remembering its graph form
    (planners roll it out with :class:`TorchGraphNet`; the MILP uses the block layers)."""

    graph: GraphNet | None = None
    num_objects: int = 0


class _Columns:
    """Linear maps from ``z = [p_0..p_{N-1}, q, s, d]`` (or ``[p.., q, d]`` for displacement
    actions, where ``s`` is ``q``) to the quantities the model uses."""

    def __init__(self, n: int, action: str = "primitive") -> None:
        self.n, self.dim = n, 2 * n + 2 + ACTIONS[action]
        self.q = 2 * n
        if action == "displacement":
            self.s, self.d = self.q, 2 * n + 2
        else:
            self.s, self.d = 2 * n + 2, 2 * n + 4

    def _put(self, m: np.ndarray, row: int, col: int, sign: float) -> None:
        m[row:row + 2, col:col + 2] += sign * np.eye(2)

    def edge_features(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        feat, const = np.zeros((EDGE_FEATURES, self.dim)), np.zeros(EDGE_FEATURES)
        self._put(feat, 0, self.s if j == self.n else 2 * j, 1.0)
        self._put(feat, 0, 2 * i, -1.0)
        feat[2:6] = self.geometric(i)
        const[6] = 1.0 if j == self.n else 0.0
        return feat, const

    def geometric(self, i: int) -> np.ndarray:
        """``[s - p_i; d]`` as a ``(4, dim)`` matrix."""
        m = np.zeros((GEOMETRIC, self.dim))
        self._put(m, 0, self.s, 1.0)
        self._put(m, 0, 2 * i, -1.0)
        self._put(m, 2, self.d, 1.0)
        return m

    def pusher_move(self) -> np.ndarray:
        """``s + d - q`` as a ``(2, dim)`` matrix."""
        m = np.zeros((2, self.dim))
        for col, sign in ((self.s, 1.0), (self.d, 1.0), (self.q, -1.0)):
            self._put(m, 0, col, sign)
        return m


def _with_passthrough(weight: np.ndarray, bias: np.ndarray, kinds, dim: int) -> Layer:
    """Append ``dim`` identity neurons that copy ``z`` (the last ``dim`` inputs, or the raw
    input when the layer reads exactly ``dim`` inputs)."""
    carry = np.zeros((dim, weight.shape[1]))
    carry[:, weight.shape[1] - dim:] = np.eye(dim)
    return Layer(np.vstack([weight, carry]), np.r_[bias, np.zeros(dim)],
                 tuple(kinds) + ("identity",) * dim)


def _block_layer(layer: Layer, copies: int, dim: int) -> Layer:
    """``copies`` independent copies of ``layer`` (block diagonal), plus the carried ``z``."""
    weight = np.kron(np.eye(copies), layer.weight)
    weight = np.hstack([weight, np.zeros((weight.shape[0], dim))])
    return _with_passthrough(weight, np.tile(layer.bias, copies), layer.kinds * copies, dim)
