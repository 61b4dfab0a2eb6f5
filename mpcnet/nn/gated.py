"""The base of the torch dynamics models: hidden neurons gated between ReLU, identity and
removed (see :mod:`mpcnet.nn.torch_models` for the MLP and :mod:`mpcnet.nn.torch_gnn` for the graph
model, which both build on it), and the export of a gated chain of layers."""

from __future__ import annotations

import torch
from torch import nn

from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import Layer


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

    @classmethod
    def from_config(cls, cfg: dict) -> GatedReluModel:
        """A fresh model of the structure ``cfg`` describes (its ``config()``)."""
        raise NotImplementedError

    def clone(self) -> GatedReluModel:
        """A copy with the same weights and gates, without any relaxation attached."""
        copy = type(self).from_config(self.config())
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
