"""Torch dynamics models whose hidden neurons can be ReLU, identity or removed.

``ReluMLP`` is the trainable form of a :class:`~mpcnet.nn.relunet.ReluNet`. Each hidden neuron
``j`` of layer ``k`` computes ``z = r_j * relu(a) + i_j * a`` with gate weights ``(r_j, i_j)``:
``(1, 0)`` is a ReLU, ``(0, 1)`` an identity neuron, ``(0, 0)`` a removed neuron. A dense
model has every gate at ``(1, 0)``; sparsification relaxes the gates to soft values, trains them
with the weights, then makes them hard. :meth:`ReluMLP.export` folds the affine input map, the
normalisation and the output scaling into the first and last layers and drops removed neurons.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mpcnet.artifacts import FORMAT_VERSION
from mpcnet.errors import ConfigError
from mpcnet.nn.gated import GatedReluModel, export_chain, hard_gates
from mpcnet.nn.relunet import Layer, ReluNet


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
            f"got state size {state_dim}; train with relative=False."
        )
    n_rel = state_dim - point_dim
    rows = np.zeros((n_rel + action_dim, state_dim + action_dim))
    for i in range(n_rel):
        rows[i, i] = 1.0
        rows[i, n_rel + i % point_dim] = -1.0
    rows[n_rel:, state_dim:] = np.eye(action_dim)
    return rows


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
                          f"of {state_dim} and actions of {action_dim}; use frame='world'.")
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

    @classmethod
    def from_config(cls, cfg: dict) -> ReluMLP:
        maps = {k: np.asarray(cfg[k], dtype=np.float64) for k in ("output_map", "action_map")
                if k in cfg}
        return cls(int(cfg["state_dim"]), int(cfg["action_dim"]), list(cfg["hidden"]),
                   np.asarray(cfg["input_map"], dtype=np.float64), **maps)

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
