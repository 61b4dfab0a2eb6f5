"""``FoldedNet``: a ReluNet with every linear neuron folded away, for bounds and the MILP.

Identity neurons (and the linear output layer) compose exactly, so a network whose hidden
layers mix ReLU and identity neurons equals a network whose only hidden units are its ReLUs,
with skip connections::

    a_g = A_g z + sum_{h < g} B_{g,h} y_h + b_g        y_g = max(a_g, 0)   (group g = layer g)
    out = A_o z + sum_h      B_{o,h} y_h + b_o

where ``z = [x; u]`` and ``y_h`` are the ReLU outputs of hidden layer ``h``. Folding is exact;
it removes every identity neuron's variable and equality from the MILP and multiplies out the
dense identity chains, so the program is much smaller and interval bounds are tighter (the
composed linear map is bounded at once instead of layer by layer).

Each ReLU is also rescaled (``relu(s a) = s relu(a)`` for ``s > 0``) so that its incoming
weights have unit norm, which keeps the MILP's coefficients in a narrow range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpcnet.nn.relunet import ReluNet


@dataclass(frozen=True)
class FoldedNet:
    """The folded network (see the module docstring).

    Attributes:
        a: ``a[g]`` is ``(r_g, n+m)``, the input weights of ReLU group ``g``; ``a[-1]`` the
            output's.
        b: ``b[g][h]`` is ``(r_g, r_h)`` for ``h < g`` (``b[-1]`` the output's).
        bias: ``bias[g]`` is ``(r_g,)``; ``bias[-1]`` the output's.
        relu_index: ``relu_index[g]`` the indices, in the original hidden layer ``g``, of its
            ReLU neurons (to map bounds back).
        state_dim, action_dim, residual: As in the ReluNet.
    """

    a: tuple[np.ndarray, ...]
    b: tuple[tuple[np.ndarray, ...], ...]
    bias: tuple[np.ndarray, ...]
    relu_index: tuple[np.ndarray, ...]
    state_dim: int
    action_dim: int
    residual: bool

    @property
    def groups(self) -> int:
        return len(self.relu_index)

    @property
    def relu_count(self) -> int:
        return int(sum(len(r) for r in self.relu_index))

    @classmethod
    def from_relunet(cls, net: ReluNet, rescale: bool = True) -> FoldedNet:
        d = net.state_dim + net.action_dim
        # Current hidden vector h as an affine form over [z; y_0; ...; y_{g-1}]:
        # h = hz @ z + sum_g hy[g] @ y_g + hc.
        hz, hy, hc = np.eye(d), [], np.zeros(d)
        a_all, b_all, bias_all, index_all = [], [], [], []
        for layer in net.layers:
            w, bias = layer.weight, layer.bias
            pz, py, pc = w @ hz, [w @ m for m in hy], w @ hc + bias
            if layer.kinds[0] == "linear":
                a_all.append(pz)
                b_all.append(tuple(py))
                bias_all.append(pc)
                break
            relu = layer.relu_mask
            idx = np.flatnonzero(relu)
            scale = np.ones(len(idx))
            if rescale and len(idx):
                norms = np.sqrt((pz[idx] ** 2).sum(1) + sum((m[idx] ** 2).sum(1) for m in py))
                scale = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-300), 1.0)
            a_all.append(pz[idx] * scale[:, None])
            b_all.append(tuple(m[idx] * scale[:, None] for m in py))
            bias_all.append(pc[idx] * scale)
            index_all.append(idx)
            # Next hidden vector: identity neurons keep their forms; ReLU neuron j of this
            # layer is the new variable y_g[j] / scale[j].
            n_out = layer.out_dim
            new_hy = [np.where(relu[:, None], 0.0, m) for m in py]
            unit = np.zeros((n_out, len(idx)))
            unit[idx, np.arange(len(idx))] = 1.0 / scale
            new_hy.append(unit)
            hz = np.where(relu[:, None], 0.0, pz)
            hc = np.where(relu, 0.0, pc)
            hy = new_hy
        return cls(tuple(a_all), tuple(b_all), tuple(bias_all), tuple(index_all),
                   net.state_dim, net.action_dim, net.residual)

    def forward(self, net_input: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """ReLU pre-activations per group and the output, for inputs ``(..., n+m)``."""
        z = np.asarray(net_input, dtype=np.float64)
        pre, ys = [], []
        for g in range(self.groups):
            a = z @ self.a[g].T + self.bias[g]
            for h, y in enumerate(ys):
                a = a + y @ self.b[g][h].T
            pre.append(a)
            ys.append(np.maximum(a, 0.0))
        out = z @ self.a[-1].T + self.bias[-1]
        for h, y in enumerate(ys):
            out = out + y @ self.b[-1][h].T
        return pre, out

    def step(self, state: np.ndarray, action: np.ndarray) -> np.ndarray:
        out = self.forward(np.concatenate([state, action], axis=-1))[1]
        return state + out if self.residual else out
