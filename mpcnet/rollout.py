"""Batched rollout kernels: many action sequences through one dynamics model at once.

Training (the multi-step loss) and every sampling planner use :func:`rollout`. The only Python
loop is over the horizon, which is inherently sequential; samples are a batch dimension, so the
kernel runs at full width on a GPU when the tensors live there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from mpcnet.errors import ConfigError, ShapeError
from mpcnet.nn.relunet import ReluNet

StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def default_device() -> torch.device:
    """CUDA when present, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(name: str | torch.device | None) -> torch.device:
    """``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``/``"cuda:N"``; ConfigError when
    CUDA is asked for and absent."""
    if name is None or str(name) == "auto":
        return default_device()
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device: expected 'auto', 'cpu' or 'cuda', got {name!r}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device: {name!r} was asked for but torch sees no CUDA device; "
                          "use device='cpu' or device='auto'.")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"device: expected 'auto', 'cpu' or 'cuda', got {name!r}.")
    return device


def rollout(step: StepFn, x0: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Roll ``K`` action sequences of length ``H`` through ``step``.

    Args:
        step: Batched dynamics ``(B, n), (B, m) -> (B, n)``, e.g. a :class:`ReluMLP` or
            :class:`TorchReluNet`.
        x0: Start state ``(n,)`` shared by all sequences, or one per sequence ``(K, n)``.
        actions: ``(K, H, m)`` action sequences.

    Returns:
        ``(K, H, n)`` predicted states ``x_1..x_H``.
    """
    if actions.dim() != 3:
        raise ShapeError(f"rollout actions: expected shape (K, H, m), got {tuple(actions.shape)}.")
    k, h, _ = actions.shape
    if x0.dim() == 1:
        x0 = x0.expand(k, -1)
    if x0.dim() != 2 or x0.shape[0] != k:
        raise ShapeError(f"rollout x0: expected shape (n,) or ({k}, n), got {tuple(x0.shape)}.")
    x, states = x0, []
    for t in range(h):
        x = step(x, actions[:, t])
        states.append(x)
    return torch.stack(states, dim=1)


class TorchReluNet(nn.Module):
    """A :class:`ReluNet` as a fixed torch module, for planners and benchmarks.

    The identity/ReLU choice is applied with a mask, so dense and sparse networks run through
    the same code without branching per neuron.
    """

    def __init__(self, net: ReluNet, dtype: torch.dtype = torch.float32,
                 device: torch.device | str | None = None) -> None:
        super().__init__()
        self.state_dim, self.action_dim, self.residual = net.state_dim, net.action_dim, net.residual
        def tensor(a, dt=dtype):
            return torch.tensor(np.array(a), dtype=dt, device=device)

        self.weights = [tensor(layer.weight) for layer in net.layers]
        self.biases = [tensor(layer.bias) for layer in net.layers]
        self.relu_masks = [tensor(layer.relu_mask, torch.bool) for layer in net.layers]

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        z = torch.cat([x, u], dim=-1)
        last = len(self.weights) - 1
        for k, (w, b, mask) in enumerate(zip(self.weights, self.biases, self.relu_masks,
                                             strict=True)):
            a = torch.addmm(b, z, w.T) if z.dim() == 2 else z @ w.T + b
            z = a if k == last else torch.where(mask, torch.relu(a), a)
        return x + z if self.residual else z


def torch_dynamics(net: ReluNet, dtype: torch.dtype = torch.float32,
                   device: torch.device | str | None = None) -> nn.Module:
    """The fastest torch form of ``net``: the shared-weight graph kernel for a network made
    by :meth:`GraphNet.instantiate`, :class:`TorchReluNet` otherwise (same function)."""
    graph = getattr(net, "graph", None)
    if graph is not None:
        from mpcnet.nn.graphnet import TorchGraphNet

        return TorchGraphNet(graph, dtype=dtype, device=device)
    return TorchReluNet(net, dtype=dtype, device=device)


def rollout_numpy(net: ReluNet, x0: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Convenience: :func:`rollout` of a :class:`ReluNet` on numpy arrays (float64, CPU)."""
    model = torch_dynamics(net, dtype=torch.float64)
    with torch.no_grad():
        out = rollout(model, torch.as_tensor(np.asarray(x0, dtype=np.float64)),
                      torch.as_tensor(np.asarray(actions, dtype=np.float64)))
    return out.numpy()
