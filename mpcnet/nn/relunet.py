"""``ReluNet``: the exported, solver-agnostic description of a ReLU dynamics network.

This is the pivot type of mpcnet: training emits it, and the bound pass, the MILP encoder and
the sampling planners all consume it, so every planner sees exactly the same model.

Semantics (the same as ``shared/reference_mips``):

* Network input ``z_0 = [x_t; u_t]``. Any input transform (features relative to the pusher,
  normalisation) is affine and already folded into the first layer's weights.
* Layer ``k`` computes ``a_k = W_k z_{k-1} + b_k`` and, per neuron, ``z_k = max(a_k, 0)`` for a
  ``"relu"`` neuron or ``z_k = a_k`` for an ``"identity"`` neuron. The last layer is
  ``"linear"`` and its output denormalisation is folded into its weights.
* Dynamics: ``x_{t+1} = x_t + net(z_0)`` when ``residual`` else ``x_{t+1} = net(z_0)``.

A dense and a sparse network are the same type; removed neurons are simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mpcnet.artifacts import FORMAT_VERSION, read_json, read_npz, write_json, write_npz
from mpcnet.errors import ArtifactError, ConfigError, ShapeError, check_shape

HIDDEN_KINDS = ("relu", "identity")
OUTPUT_KIND = "linear"


@dataclass(frozen=True)
class Layer:
    """One affine layer and the activation kind of each of its neurons."""

    weight: np.ndarray
    bias: np.ndarray
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        w = np.asarray(self.weight, dtype=np.float64)
        b = np.asarray(self.bias, dtype=np.float64)
        check_shape("Layer.weight", w, (None, None))
        check_shape("Layer.bias", b, (w.shape[0],))
        kinds = tuple(str(k) for k in self.kinds)
        if len(kinds) != w.shape[0]:
            raise ShapeError(f"Layer.kinds: expected {w.shape[0]} entries, got {len(kinds)}.")
        bad = sorted(set(kinds) - set(HIDDEN_KINDS) - {OUTPUT_KIND})
        if bad:
            raise ConfigError(
                f"Layer.kinds: expected 'relu', 'identity' or 'linear', got {bad}."
            )
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ShapeError("Layer weights or biases contain NaN or infinity.")
        w.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", b)
        object.__setattr__(self, "kinds", kinds)

    @property
    def relu_mask(self) -> np.ndarray:
        return np.array([k == "relu" for k in self.kinds], dtype=bool)

    @property
    def out_dim(self) -> int:
        return int(self.weight.shape[0])

    @property
    def in_dim(self) -> int:
        return int(self.weight.shape[1])


@dataclass(frozen=True)
class ReluNet:
    """A chain of affine layers with ReLU / identity neurons, used as ``x' = f(x, u)``.

    Attributes:
        layers: Hidden layers (kinds ``relu``/``identity``) then one output layer (``linear``).
        state_dim: ``n``, the size of ``x``.
        action_dim: ``m``, the size of ``u``.
        residual: Whether the network predicts the state change (``x' = x + net``).
    """

    layers: tuple[Layer, ...]
    state_dim: int
    action_dim: int
    residual: bool = True

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise ConfigError("ReluNet: expected at least one layer, got none.")
        expected_in = self.state_dim + self.action_dim
        for k, layer in enumerate(layers):
            if layer.in_dim != expected_in:
                raise ShapeError(
                    f"ReluNet layer {k}: expected {expected_in} inputs, got {layer.in_dim}."
                )
            expected_in = layer.out_dim
            last = k == len(layers) - 1
            allowed = {OUTPUT_KIND} if last else set(HIDDEN_KINDS)
            if not set(layer.kinds) <= allowed:
                where = "the output layer" if last else f"hidden layer {k}"
                raise ConfigError(f"ReluNet: {where} must have kinds {sorted(allowed)}.")
        if layers[-1].out_dim != self.state_dim:
            raise ShapeError(
                f"ReluNet output: expected {self.state_dim} (the state size), "
                f"got {layers[-1].out_dim}."
            )

    @property
    def hidden_layers(self) -> tuple[Layer, ...]:
        return self.layers[:-1]

    @property
    def relu_count(self) -> int:
        """Number of ReLU neurons per dynamics step (each may cost one binary in the MILP)."""
        return int(sum(layer.relu_mask.sum() for layer in self.hidden_layers))

    @property
    def identity_count(self) -> int:
        return int(sum((~layer.relu_mask).sum() for layer in self.hidden_layers))

    @property
    def hidden_sizes(self) -> list[int]:
        return [layer.out_dim for layer in self.hidden_layers]

    def preactivations(self, net_input: np.ndarray) -> list[np.ndarray]:
        """Pre-activations ``a_k`` of every layer for inputs ``z_0`` of shape ``(..., n+m)``."""
        z = np.asarray(net_input, dtype=np.float64)
        out = []
        for layer in self.layers:
            a = z @ layer.weight.T + layer.bias
            out.append(a)
            z = np.where(layer.relu_mask, np.maximum(a, 0.0), a)
        return out

    def net(self, net_input: np.ndarray) -> np.ndarray:
        """The network output for inputs ``z_0 = [x; u]`` of shape ``(..., n+m)``."""
        return self.preactivations(net_input)[-1]

    def step(self, state: np.ndarray, action: np.ndarray) -> np.ndarray:
        """One dynamics step ``x' = f(x, u)``, batched over leading axes."""
        state = np.asarray(state, dtype=np.float64)
        action = np.asarray(action, dtype=np.float64)
        if state.shape[-1] != self.state_dim or action.shape[-1] != self.action_dim:
            raise ShapeError(
                f"ReluNet.step: expected state (..., {self.state_dim}) and action "
                f"(..., {self.action_dim}), got {state.shape} and {action.shape}."
            )
        batch = np.broadcast_shapes(state.shape[:-1], action.shape[:-1])
        z = np.concatenate([np.broadcast_to(state, batch + (self.state_dim,)),
                            np.broadcast_to(action, batch + (self.action_dim,))], axis=-1)
        out = self.net(z)
        return state + out if self.residual else out

    def rollout(self, state: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """States ``x_1..x_H`` from ``x_0`` (shape ``(n,)``) under actions ``(H, m)``."""
        states = []
        x = np.asarray(state, dtype=np.float64)
        for u in np.asarray(actions, dtype=np.float64):
            x = self.step(x, u)
            states.append(x)
        return np.stack(states)

    # ----------------------------------------------------------------------------- file I/O
    def save(self, path_stem: Path) -> None:
        """Write ``{stem}.npz`` (weights) and ``{stem}.json`` (structure), atomically."""
        stem = Path(path_stem)
        arrays = {}
        for k, layer in enumerate(self.layers):
            arrays[f"W{k}"] = layer.weight
            arrays[f"b{k}"] = layer.bias
        write_npz(stem.with_suffix(".npz"), arrays)
        write_json(stem.with_suffix(".json"), self.describe())

    def describe(self) -> dict:
        """The JSON structure description (also the side-car file)."""
        return {
            "type": "ReluNet",
            "format_version": FORMAT_VERSION,
            "state_dim": self.state_dim,
            "action_dim": self.action_dim,
            "residual": self.residual,
            "relus": self.relu_count,
            "identity_neurons": self.identity_count,
            "layers": [{"in": layer.in_dim, "out": layer.out_dim, "kinds": list(layer.kinds)}
                       for layer in self.layers],
        }

    @classmethod
    def load(cls, path_stem: Path) -> ReluNet:
        """Load a network written by :meth:`save`.

        Raises:
            ArtifactError: naming the file, if it is missing, corrupted or its weights do not
                match its structure description.
        """
        stem = Path(path_stem)
        npz_path, json_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        desc = read_json(json_path, what="network description")
        if desc.get("type") != "ReluNet" or desc.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(
                f"network description {json_path}: expected type 'ReluNet' format "
                f"{FORMAT_VERSION}, got {desc.get('type')!r} format {desc.get('format_version')!r}."
            )
        try:
            layer_desc = list(desc["layers"])
            keys = [f"{p}{k}" for k in range(len(layer_desc)) for p in ("W", "b")]
            arrays = read_npz(npz_path, keys, what="network weights")
            layers = []
            for k, ld in enumerate(layer_desc):
                w, b = arrays[f"W{k}"], arrays[f"b{k}"]
                if w.shape != (ld["out"], ld["in"]):
                    raise ArtifactError(
                        f"network weights {npz_path}: layer {k} expected shape "
                        f"({ld['out']}, {ld['in']}) from {json_path.name}, got {w.shape}."
                    )
                layers.append(Layer(w, b, tuple(ld["kinds"])))
            return cls(tuple(layers), int(desc["state_dim"]), int(desc["action_dim"]),
                       bool(desc["residual"]))
        except ArtifactError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"network {stem}: the weights and the description do not match ({exc})."
            ) from exc
