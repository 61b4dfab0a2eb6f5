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
            f"got state size {state_dim}; train without --relative."
        )
    n_rel = state_dim - point_dim
    rows = np.zeros((n_rel + action_dim, state_dim + action_dim))
    for i in range(n_rel):
        rows[i, i] = 1.0
        rows[i, n_rel + i % point_dim] = -1.0
    rows[n_rel:, state_dim:] = np.eye(action_dim)
    return rows


class ReluMLP(nn.Module):
    """ReLU MLP predicting ``x_{t+1} - x_t`` from ``(x_t, u_t)``, with stored normalisation.

    Args:
        state_dim: Size of the state ``x``.
        action_dim: Size of the action ``u``.
        hidden: Hidden layer sizes, e.g. ``[128, 128]``.
        input_map: Affine feature map applied to ``[x; u]`` before normalisation, shape
            ``(features, state_dim + action_dim)``; identity when ``None``.
    """

    def __init__(self, state_dim: int, action_dim: int, hidden: list[int],
                 input_map: np.ndarray | None = None) -> None:
        super().__init__()
        if not hidden or any(int(h) < 1 for h in hidden):
            raise ConfigError(f"hidden sizes: expected positive integers, got {hidden}.")
        self.state_dim, self.action_dim, self.hidden_sizes = state_dim, action_dim, list(hidden)
        if input_map is None:
            input_map = np.eye(state_dim + action_dim)
        input_map = torch.as_tensor(np.asarray(input_map), dtype=torch.float32)
        features = input_map.shape[0]
        self.register_buffer("input_map", input_map)
        self.register_buffer("in_mean", torch.zeros(features))
        self.register_buffer("in_std", torch.ones(features))
        self.register_buffer("out_mean", torch.zeros(state_dim))
        self.register_buffer("out_std", torch.ones(state_dim))
        sizes = [features, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.out = nn.Linear(sizes[-1], state_dim)
        for k, h in enumerate(hidden):
            self.register_buffer(f"relu_gate{k}", torch.ones(h))
            self.register_buffer(f"id_gate{k}", torch.zeros(h))

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

    def gates(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(relu_weight, identity_weight)`` of hidden layer ``k``; sparsifiers override."""
        return getattr(self, f"relu_gate{k}"), getattr(self, f"id_gate{k}")

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Next state ``x + delta(x, u)``, batched over leading axes."""
        h = self.features(x, u)
        for k, layer in enumerate(self.hidden):
            a = layer(h)
            relu_w, id_w = self.gates(k)
            h = relu_w * torch.relu(a) + id_w * a
        return x + self.out(h) * self.out_std + self.out_mean

    @property
    def relu_count(self) -> int:
        return int(sum((self.gates(k)[0] > 0.5).sum() for k in range(len(self.hidden))))

    def config(self) -> dict:
        return {"type": "ReluMLP", "format_version": FORMAT_VERSION,
                "state_dim": self.state_dim, "action_dim": self.action_dim,
                "hidden": self.hidden_sizes, "input_map": self.input_map.tolist()}

    @torch.no_grad()
    def export(self) -> ReluNet:
        """The compact numpy network: normalisation folded in, removed neurons dropped.

        Raises:
            ConfigError: if a gate is not hard (0/1) or a neuron is both ReLU and identity.
        """
        dtype = torch.float64
        scale = (1.0 / self.in_std.to(dtype))
        w_in = scale[:, None] * self.input_map.to(dtype)  # features = w_in @ [x;u] + b_in
        b_in = -self.in_mean.to(dtype) * scale
        layers: list[Layer] = []
        prev_w, prev_b = w_in, b_in  # affine map producing the current layer's input
        keep_prev = None
        for k, lin in enumerate(self.hidden):
            w = lin.weight.to(dtype)
            if keep_prev is not None:
                w = w[:, keep_prev]
            relu_w, id_w = (g.to(dtype) for g in self.gates(k))
            hard = lambda g: bool(((g == 0) | (g == 1)).all())  # noqa: E731
            if not (hard(relu_w) and hard(id_w)) or bool((relu_w * id_w).any()):
                raise ConfigError(
                    f"export: hidden layer {k} has soft or conflicting gates; make the "
                    "sparsity choice hard before exporting."
                )
            keep = (relu_w + id_w) > 0
            if k == 0:
                w, b = w @ prev_w, w @ prev_b + lin.bias.to(dtype)
            else:
                b = lin.bias.to(dtype)
            kinds = tuple("relu" if r > 0 else "identity" for r in relu_w[keep])
            layers.append(Layer(w[keep].numpy(), b[keep].numpy(), kinds))
            keep_prev = keep
        w_out = self.out.weight.to(dtype)[:, keep_prev]
        s = self.out_std.to(dtype)
        layers.append(Layer((s[:, None] * w_out).numpy(),
                            (s * self.out.bias.to(dtype) + self.out_mean.to(dtype)).numpy(),
                            ("linear",) * self.state_dim))
        return ReluNet(tuple(layers), self.state_dim, self.action_dim, residual=True)


def save_model(model: ReluMLP, directory: Path) -> None:
    """Write ``model.pt`` (torch state), ``model.json`` (structure) and ``relunet.{npz,json}``."""
    directory = Path(directory)
    write_json(directory / "model.json", model.config())
    tmp = directory / ".model.pt.tmp"
    torch.save(model.state_dict(), tmp)
    tmp.replace(directory / "model.pt")
    model.export().save(directory / "relunet")


def load_model(directory: Path) -> ReluMLP:
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
    if cfg.get("type") != "ReluMLP" or cfg.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"model description {directory / 'model.json'}: expected a ReluMLP of format "
            f"{FORMAT_VERSION}, got {cfg.get('type')!r} format {cfg.get('format_version')!r}."
        )
    try:
        model = ReluMLP(int(cfg["state_dim"]), int(cfg["action_dim"]), list(cfg["hidden"]),
                        np.asarray(cfg["input_map"], dtype=np.float64))
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(
            f"model description {directory / 'model.json'} is invalid: {exc}"
        ) from exc
    path = directory / "model.pt"
    if not path.is_file():
        raise ArtifactError(f"model weights {path} do not exist; re-run `mpcnet train`.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # unpickling and size mismatches both mean a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(
            f"model weights {path} are corrupted or do not match model.json ({first})."
        ) from exc
    return model.eval()
