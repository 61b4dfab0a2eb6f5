"""Torch dynamics models whose hidden neurons can be ReLU, identity or removed.

``ReluMLP`` is the trainable form of a :class:`~mpcnet.relunet.ReluNet`. Each hidden neuron
``j`` of layer ``k`` computes ``z = r_j * relu(a) + i_j * a`` with gate weights ``(r_j, i_j)``:
``(1, 0)`` is a ReLU, ``(0, 1)`` an identity neuron, ``(0, 0)`` a removed neuron. A dense
model has every gate at ``(1, 0)``; sparsification relaxes the gates to soft values, trains them
with the weights, then makes them hard. :meth:`ReluMLP.export` folds the affine input map, the
normalisation and the output scaling into the first and last layers and drops removed neurons.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from mpcnet.artifacts import FORMAT_VERSION, read_json, write_json
from mpcnet.errors import ArtifactError, ConfigError
from mpcnet.relunet import Layer, ReluNet


def relative_points_map(state_dim: int, action_dim: int, point_dim: int = 2) -> np.ndarray:
    """Linear feature map ``[x; u] -> [p_i - p_ref for every point; u]``.

    The state is a list of ``point_dim``-D points whose last point is the reference (the
    pusher). Expressing the other points relative to it makes the model translation-invariant;
    the map is linear, so the MILP encoding represents it exactly.

    Returns:
        Matrix of shape ``(state_dim - point_dim + action_dim, state_dim + action_dim)``.
    """
    if state_dim % point_dim or state_dim < 2 * point_dim:
        raise ConfigError(
            f"relative features: expected a state of >= 2 points of size {point_dim}, "
            f"got state size {state_dim}; train with relative=False (--no-relative)."
        )
    n_rel = state_dim - point_dim
    rows = np.zeros((n_rel + action_dim, state_dim + action_dim))
    for i in range(n_rel):
        rows[i, i] = 1.0
        rows[i, n_rel + i % point_dim] = -1.0
    rows[n_rel:, state_dim:] = np.eye(action_dim)
    return rows


class GatedReluModel(nn.Module):
    """Base of the trainable dynamics models: hidden layers whose neurons are gated.

    Subclasses create their ``nn.Linear`` layers, call :meth:`_register_gates` with the hidden
    sizes (all chains concatenated) and implement ``hidden_linears``, ``config`` and
    ``export``. While a sparsifier relaxes the choice it sets ``gate_source`` (a function of
    the layer index), which then supplies the gates instead of the stored 0/1 buffers.
    """

    hidden_sizes: list[int]

    def _register_gates(self, sizes: list[int]) -> None:
        self.hidden_sizes = list(sizes)
        self.gate_source = None
        for k, h in enumerate(sizes):
            self.register_buffer(f"relu_gate{k}", torch.ones(h))
            self.register_buffer(f"id_gate{k}", torch.zeros(h))

    def gates(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(relu_weight, identity_weight)`` of hidden layer ``k``."""
        if self.gate_source is not None:
            return self.gate_source(k)
        return getattr(self, f"relu_gate{k}"), getattr(self, f"id_gate{k}")

    def gated(self, k: int, a: torch.Tensor) -> torch.Tensor:
        relu_w, id_w = self.gates(k)
        return relu_w * torch.relu(a) + id_w * a

    @property
    def relu_count(self) -> int:
        """ReLU neurons of the (shared) networks, counted once however often they are used."""
        return int(sum((self.gates(k)[0] > 0.5).sum() for k in range(len(self.hidden_sizes))))

    def hidden_linears(self) -> list[tuple[nn.Linear, nn.Linear]]:
        """``(into, out_of)`` linear layers of every hidden layer, in gate order."""
        raise NotImplementedError

    def clone(self) -> GatedReluModel:
        """A copy with the same weights and gates, without any relaxation attached."""
        copy = model_from_config(self.config())
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("relaxed.")}
        copy.load_state_dict(state)
        return copy.to(self.out_std.device)


def hard_gates(model: GatedReluModel, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The 0/1 gates of hidden layer ``k`` in float64, or ConfigError if they are soft."""
    relu_w, id_w = (g.detach().to(torch.float64).cpu() for g in model.gates(k))
    hard = lambda g: bool(((g == 0) | (g == 1)).all())  # noqa: E731
    if not (hard(relu_w) and hard(id_w)) or bool((relu_w * id_w).any()):
        raise ConfigError(
            f"export: hidden layer {k} has soft or conflicting gates; make the "
            "sparsity choice hard before exporting."
        )
    return relu_w, id_w


@torch.no_grad()
def export_chain(hidden: list[nn.Linear], out: nn.Linear,
                 gates: list[tuple[torch.Tensor, torch.Tensor]], in_weight: torch.Tensor,
                 in_bias: torch.Tensor, out_scale: torch.Tensor, out_shift: torch.Tensor
                 ) -> list[Layer]:
    """Compact numpy layers of one gated chain ``out(g_L(...g_1(hidden_1(W_in z + b_in))))``.

    The input affine map is folded into the first layer and ``out_scale * out + out_shift``
    into the last; removed neurons are dropped, identity neurons kept as ``"identity"``.
    """
    dtype = torch.float64
    layers: list[Layer] = []
    keep_prev = None
    for k, lin in enumerate(hidden):
        w, b = lin.weight.detach().cpu().to(dtype), lin.bias.detach().cpu().to(dtype)
        if k == 0:
            w, b = w @ in_weight, w @ in_bias + b
        else:
            w = w[:, keep_prev]
        relu_w, id_w = gates[k]
        keep = (relu_w + id_w) > 0
        kinds = tuple("relu" if r > 0 else "identity" for r in relu_w[keep])
        layers.append(Layer(w[keep].numpy(), b[keep].numpy(), kinds))
        keep_prev = keep
    w_out = out.weight.detach().cpu().to(dtype)
    w_out = w_out @ in_weight if keep_prev is None else w_out[:, keep_prev]
    b_out = out.bias.detach().cpu().to(dtype)
    s = out_scale.detach().cpu().to(dtype)
    layers.append(Layer((s[:, None] * w_out).numpy(),
                        (s * b_out + out_shift.detach().cpu().to(dtype)).numpy(),
                        ("linear",) * w_out.shape[0]))
    return layers


def pusher_frame_maps(state_dim: int, action_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``(output_map, action_map)`` of a model in the pusher's frame: the network predicts the
    displacement of every point but the pusher (the last two state entries), and the pusher
    moves by exactly its commanded displacement ``u``.

    Raises:
        ConfigError: if the state has no pusher or the action is not a 2-D displacement.
    """
    if state_dim < 4 or state_dim % 2 or action_dim != 2:
        raise ConfigError(f"frame 'pusher': expected a state of points ending with the pusher "
                          f"and a 2-D displacement action (as in mpcnet/Push-v0), got a state "
                          f"of {state_dim} and actions of {action_dim}; use --frame world.")
    objects = state_dim - 2
    output_map = np.zeros((state_dim, objects))
    output_map[:objects] = np.eye(objects)
    action_map = np.zeros((state_dim, action_dim))
    action_map[objects:] = np.eye(2)
    return output_map, action_map


def with_action_passthrough(layers: list[Layer], state_dim: int,
                            action_map: np.ndarray) -> list[Layer]:
    """``layers`` plus ``M_u u`` added to the output, carried by ``m`` identity neurons per
    hidden layer (linear, so they add no binaries: the MILP folds them into its linear maps)."""
    m = action_map.shape[1]
    carry = np.zeros((m, state_dim + m))
    carry[:, state_dim:] = np.eye(m)  # layer 0 sees [x; u]: select u
    out = []
    for k, layer in enumerate(layers[:-1]):
        w = layer.weight if k == 0 else np.pad(layer.weight, ((0, 0), (0, m)))
        w = np.vstack([w, carry])
        out.append(Layer(w, np.r_[layer.bias, np.zeros(m)], (*layer.kinds, *("identity",) * m)))
        carry = np.zeros((m, len(layer.bias) + m))
        carry[:, len(layer.bias):] = np.eye(m)  # the next layer passes them on
    last = layers[-1]
    out.append(Layer(np.hstack([last.weight, action_map]), last.bias, last.kinds))
    return out


class ReluMLP(GatedReluModel):
    """ReLU MLP predicting ``x_{t+1} - x_t`` from ``(x_t, u_t)``, with stored normalisation.

    ``x_{t+1} = x_t + M_out f(x_t, u_t) + M_u u_t``: with the default maps (``M_out = I``,
    ``M_u = 0``) the network predicts the whole state change; in the pusher's frame
    (:func:`pusher_frame_maps`) it predicts only the objects' and the pusher moves by ``u``.
    Both maps are linear, so the export is still one :class:`ReluNet`.

    Args:
        state_dim: Size of the state ``x``.
        action_dim: Size of the action ``u``.
        hidden: Hidden layer sizes, e.g. ``[128, 128]``.
        input_map: Affine feature map applied to ``[x; u]`` before normalisation, shape
            ``(features, state_dim + action_dim)``; identity when ``None``.
        output_map: ``M_out``, shape ``(state_dim, outputs)``; identity when ``None``.
        action_map: ``M_u``, shape ``(state_dim, action_dim)``; zero when ``None``.
    """

    def __init__(self, state_dim: int, action_dim: int, hidden: list[int],
                 input_map: np.ndarray | None = None, output_map: np.ndarray | None = None,
                 action_map: np.ndarray | None = None) -> None:
        super().__init__()
        if not hidden or any(int(h) < 1 for h in hidden):
            raise ConfigError(f"hidden sizes: expected positive integers, got {hidden}.")
        self.state_dim, self.action_dim = state_dim, action_dim
        if input_map is None:
            input_map = np.eye(state_dim + action_dim)
        if output_map is None:
            output_map = np.eye(state_dim)
        if action_map is None:
            action_map = np.zeros((state_dim, action_dim))
        as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        input_map, output_map, action_map = as_t(input_map), as_t(output_map), as_t(action_map)
        features, outputs = input_map.shape[0], output_map.shape[1]
        self.register_buffer("input_map", input_map)
        self.register_buffer("output_map", output_map)
        self.register_buffer("action_map", action_map)
        self.register_buffer("in_mean", torch.zeros(features))
        self.register_buffer("in_std", torch.ones(features))
        self.register_buffer("out_mean", torch.zeros(outputs))
        self.register_buffer("out_std", torch.ones(outputs))
        sizes = [features, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.out = nn.Linear(sizes[-1], outputs)
        self._register_gates(list(hidden))

    @property
    def frame(self) -> str:
        """``"pusher"`` if the pusher's motion is the action, else ``"world"``."""
        return "pusher" if bool(self.action_map.abs().sum() > 0) else "world"

    def set_normalization(self, in_mean, in_std, out_mean, out_std) -> None:
        """Store feature and output statistics (std floored to avoid division by zero)."""
        for name, value in (("in_mean", in_mean), ("in_std", in_std),
                            ("out_mean", out_mean), ("out_std", out_std)):
            t = torch.as_tensor(np.asarray(value), dtype=torch.float32)
            if name.endswith("std"):
                t = t.clamp_min(1e-6)
            getattr(self, name).copy_(t)

    def features(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Normalised network input for states ``(..., n)`` and actions ``(..., m)``."""
        z = torch.cat([x, u], dim=-1) @ self.input_map.T
        return (z - self.in_mean) / self.in_std

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Next state ``x + delta(x, u)``, batched over leading axes."""
        h = self.features(x, u)
        for k, layer in enumerate(self.hidden):
            h = self.gated(k, layer(h))
        delta = self.out(h) * self.out_std + self.out_mean
        return x + delta @ self.output_map.T + u @ self.action_map.T

    def hidden_linears(self) -> list[tuple[nn.Linear, nn.Linear]]:
        layers = [*self.hidden, self.out]
        return list(zip(layers[:-1], layers[1:], strict=True))

    def config(self) -> dict:
        cfg = {"type": "ReluMLP", "format_version": FORMAT_VERSION,
               "state_dim": self.state_dim, "action_dim": self.action_dim,
               "hidden": self.hidden_sizes, "input_map": self.input_map.tolist(),
               "frame": self.frame}
        if self.frame != "world" or self.output_map.shape[1] != self.state_dim:
            cfg.update(output_map=self.output_map.tolist(), action_map=self.action_map.tolist())
        return cfg

    @torch.no_grad()
    def export(self) -> ReluNet:
        """The compact numpy network: normalisation folded in, removed neurons dropped.

        Raises:
            ConfigError: if a gate is not hard (0/1) or a neuron is both ReLU and identity.
        """
        dtype = torch.float64
        scale = 1.0 / self.in_std.cpu().to(dtype)
        w_in = scale[:, None] * self.input_map.cpu().to(dtype)  # features = w_in @ [x;u] + b_in
        b_in = -self.in_mean.cpu().to(dtype) * scale
        gates = [hard_gates(self, k) for k in range(len(self.hidden))]
        layers = export_chain(list(self.hidden), self.out, gates, w_in, b_in, self.out_std,
                              self.out_mean)
        out_map = self.output_map.cpu().to(dtype).numpy()
        last = layers[-1]
        layers[-1] = Layer(out_map @ last.weight, out_map @ last.bias,
                           ("linear",) * self.state_dim)
        action_map = self.action_map.cpu().to(dtype).numpy()
        if np.abs(action_map).sum() > 0:
            layers = with_action_passthrough(layers, self.state_dim, action_map)
        return ReluNet(tuple(layers), self.state_dim, self.action_dim, residual=True)


MODEL_TYPES = ("ReluMLP", "ReluGNN")


def export_stem(model_or_config) -> str:
    """File stem of a model's exported network: ``relunet`` (MLP) or ``graphnet`` (GNN)."""
    cfg = model_or_config if isinstance(model_or_config, dict) else model_or_config.config()
    return "graphnet" if cfg.get("type") == "ReluGNN" else "relunet"


def model_from_config(cfg: dict) -> GatedReluModel:
    """A fresh model of the structure ``cfg`` describes (``model.json``).

    Raises:
        KeyError, TypeError, ValueError, ConfigError: for an invalid description.
    """
    if cfg.get("type") == "ReluGNN":
        from mpcnet.torch_gnn import ReluGNN

        return ReluGNN(list(cfg["relation_hidden"]), list(cfg["object_hidden"]),
                       int(cfg["effect_dim"]))
    maps = {k: np.asarray(cfg[k], dtype=np.float64) for k in ("output_map", "action_map")
            if k in cfg}
    return ReluMLP(int(cfg["state_dim"]), int(cfg["action_dim"]), list(cfg["hidden"]),
                   np.asarray(cfg["input_map"], dtype=np.float64), **maps)


def save_model(model: GatedReluModel, directory: Path) -> None:
    """Write ``model.pt`` (torch state), ``model.json`` (structure) and the exported network
    (``relunet.{npz,json}`` for an MLP, ``graphnet.{npz,json}`` for a GNN)."""
    directory = Path(directory)
    write_json(directory / "model.json", model.config())
    tmp = directory / ".model.pt.tmp"
    torch.save(model.state_dict(), tmp)
    tmp.replace(directory / "model.pt")
    model.export().save(directory / export_stem(model))


def load_model(directory: Path) -> GatedReluModel:
    """Load a model written by :func:`save_model` (by ``mpcnet train`` or ``sparsify``).

    Raises:
        ArtifactError: naming the file, if it is missing, corrupted or does not match.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"model directory {directory} does not exist; check --model.")
    if not (directory / "model.json").is_file():
        raise ArtifactError(
            f"{directory} holds no model.json; expected a model directory written by "
            "`mpcnet train` or `mpcnet sparsify`."
        )
    cfg = read_json(directory / "model.json", what="model description")
    if cfg.get("type") not in MODEL_TYPES or cfg.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"model description {directory / 'model.json'}: expected a ReluMLP or ReluGNN of "
            f"format {FORMAT_VERSION}, got {cfg.get('type')!r} format "
            f"{cfg.get('format_version')!r}."
        )
    try:
        model = model_from_config(cfg)
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ArtifactError(
            f"model description {directory / 'model.json'} is invalid: {exc}"
        ) from exc
    path = directory / "model.pt"
    if not path.is_file():
        raise ArtifactError(f"model weights {path} do not exist; re-run `mpcnet train`.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        for name, default in model.state_dict().items():  # maps added after a model was saved
            if name in ("output_map", "action_map"):
                state.setdefault(name, default)
        model.load_state_dict(state)
    except Exception as exc:  # unpickling and size mismatches both mean a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(
            f"model weights {path} are corrupted or do not match model.json ({first})."
        ) from exc
    return model.eval()
