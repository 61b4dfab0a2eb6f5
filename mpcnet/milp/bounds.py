"""Pre-activation bounds of a ReluNet unrolled over an MPC horizon.

Bounds are computed on the :class:`~mpcnet.nn.folded.FoldedNet` (identity neurons folded away,
ReLUs rescaled), which is what the MILP encodes. The MILP needs, for every ReLU at every
horizon step, bounds ``l <= a <= u`` on its pre-activation: they decide which ReLUs are stable
(no binary needed) and give the big-M constants of the others. Two sound methods sit behind
:func:`compute_bounds`:

* ``"interval"``: interval arithmetic through each ReLU group; the state box at ``t+1`` is the box
  of ``x_t`` plus the box of the network output, intersected with the workspace box.
* ``"symbolic"`` (the tight default): every quantity carries a lower and an upper *linear*
  function of the free inputs ``v = [x_0; u_0; ...; u_{H-1}]`` (forward symbolic propagation
  in the spirit of CROWN/DeepPoly). Affine layers, identity neurons, stable ReLUs and the
  residual connection are exact; an unstable ReLU uses the triangle relaxation (upper
  ``u (a - l) / (u - l)``, lower ``a`` or ``0``, whichever is the smaller area). The concrete
  bound of each neuron is the tighter of the symbolic and the interval bound, so the result is
  never looser than ``"interval"``. Correlations across horizon steps (the same ``u_0`` feeding
  every later state) are kept, which intervals lose.

All bounds are widened by a relative ``1e-9`` so floating-point error cannot make a neuron
look stable when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpcnet.errors import ConfigError, InfeasibleError, ShapeError
from mpcnet.nn.folded import FoldedNet
from mpcnet.nn.relunet import ReluNet

METHODS = ("interval", "symbolic")
_WIDEN = 1e-9


@dataclass(frozen=True)
class NetBounds:
    """Bounds over a horizon, on the folded network.

    Attributes:
        pre_lower, pre_upper: ``[t][g]`` arrays, pre-activation bounds of ReLU group ``g``
            (the ReLUs of hidden layer ``g``, folded and rescaled) at step ``t``.
        out_lower, out_upper: ``(H, n)`` bounds of the network output at each step.
        state_lower, state_upper: ``(H+1, n)`` state bounds, row 0 the initial-state box.
        method: ``"interval"`` or ``"symbolic"``.
    """

    pre_lower: tuple[tuple[np.ndarray, ...], ...]
    pre_upper: tuple[tuple[np.ndarray, ...], ...]
    out_lower: np.ndarray
    out_upper: np.ndarray
    state_lower: np.ndarray
    state_upper: np.ndarray
    method: str

    @property
    def horizon(self) -> int:
        return len(self.pre_lower)

    def unstable(self, t: int, g: int) -> np.ndarray:
        """Mask of the ReLUs of group ``g`` at step ``t`` that can switch."""
        return (self.pre_lower[t][g] < 0) & (self.pre_upper[t][g] > 0)

    def unstable_count(self) -> int:
        """Number of ReLUs that can switch over the horizon (= binaries in the MILP)."""
        return int(sum(self.unstable(t, g).sum()
                       for t in range(self.horizon) for g in range(len(self.pre_lower[t]))))


def _widen(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pad = _WIDEN * (1.0 + np.maximum(np.abs(lo), np.abs(hi)))
    return lo - pad, hi + pad


def _box(name: str, low, high, size: int) -> tuple[np.ndarray, np.ndarray]:
    low = np.broadcast_to(np.asarray(low, dtype=np.float64), (size,)).copy()
    high = np.broadcast_to(np.asarray(high, dtype=np.float64), (size,)).copy()
    if np.isnan(low).any() or np.isnan(high).any():
        raise ShapeError(f"{name}: bounds contain NaN.")
    if (low > high).any():
        i = int(np.argmax(low > high))
        raise InfeasibleError(
            f"{name}: lower bound {low[i]:.6g} > upper bound {high[i]:.6g} in dimension {i}; "
            "fix the box."
        )
    return low, high


def _affine_interval(terms, bias):
    """Interval of ``sum_i W_i q_i + bias`` for terms ``(W_i, lo_i, hi_i)``."""
    lo, hi = bias.copy(), bias.copy()
    for w, qlo, qhi in terms:
        wp, wn = np.maximum(w, 0.0), np.minimum(w, 0.0)
        lo += wp @ qlo + wn @ qhi
        hi += wp @ qhi + wn @ qlo
    return lo, hi


class _Forms:
    """Lower/upper linear forms ``A v + c`` of a vector of quantities over inputs ``v``."""

    def __init__(self, a_lo, c_lo, a_hi, c_hi):
        self.a_lo, self.c_lo, self.a_hi, self.c_hi = a_lo, c_lo, a_hi, c_hi

    @staticmethod
    def inputs(dim: int, start: int, size: int) -> _Forms:
        a = np.zeros((size, dim))
        a[np.arange(size), start + np.arange(size)] = 1.0
        return _Forms(a, np.zeros(size), a.copy(), np.zeros(size))

    def concretize(self, v_lo, v_hi):
        lo = np.maximum(self.a_lo, 0) @ v_lo + np.minimum(self.a_lo, 0) @ v_hi + self.c_lo
        hi = np.maximum(self.a_hi, 0) @ v_hi + np.minimum(self.a_hi, 0) @ v_lo + self.c_hi
        return lo, hi

    @staticmethod
    def affine_sum(terms, bias) -> _Forms:
        """Forms of ``sum_i W_i q_i + bias`` for terms ``(W_i, forms_i)``."""
        dim = terms[0][1].a_lo.shape[1]
        out = _Forms(np.zeros((len(bias), dim)), bias.copy(), np.zeros((len(bias), dim)),
                     bias.copy())
        for w, f in terms:
            wp, wn = np.maximum(w, 0.0), np.minimum(w, 0.0)
            out.a_lo += wp @ f.a_lo + wn @ f.a_hi
            out.c_lo += wp @ f.c_lo + wn @ f.c_hi
            out.a_hi += wp @ f.a_hi + wn @ f.a_lo
            out.c_hi += wp @ f.c_hi + wn @ f.c_lo
        return out

    def relu(self, lo, hi) -> _Forms:
        """Apply ReLU with the triangle relaxation of unstable neurons."""
        dead = hi <= 0
        unstable = (lo < 0) & (hi > 0)
        up = np.ones_like(lo)
        up_shift = np.zeros_like(lo)
        s = hi[unstable] / (hi[unstable] - lo[unstable])
        up[unstable], up_shift[unstable] = s, -s * lo[unstable]
        low_slope = np.ones_like(lo)
        low_slope[unstable] = (hi[unstable] > -lo[unstable]).astype(float)
        up[dead], low_slope[dead] = 0.0, 0.0
        return _Forms(low_slope[:, None] * self.a_lo, low_slope * self.c_lo,
                      up[:, None] * self.a_hi, up * self.c_hi + up_shift)

    def concat(self, other: _Forms) -> _Forms:
        return _Forms(*(np.concatenate([p, q]) for p, q in
                        zip((self.a_lo, self.c_lo, self.a_hi, self.c_hi),
                            (other.a_lo, other.c_lo, other.a_hi, other.c_hi), strict=True)))

    def add(self, other: _Forms) -> _Forms:
        return _Forms(self.a_lo + other.a_lo, self.c_lo + other.c_lo,
                      self.a_hi + other.a_hi, self.c_hi + other.c_hi)


def compute_bounds(net: ReluNet | FoldedNet, x0_low, x0_high, action_low, action_high,
                   horizon: int, state_low=None, state_high=None,
                   method: str = "symbolic") -> NetBounds:
    """Sound bounds of every ReLU pre-activation, output and state over the horizon.

    Args:
        net: The dynamics network (folded here if given as a ReluNet).
        x0_low, x0_high: Box of initial states (equal for one known state).
        action_low, action_high: Action box.
        horizon: ``H``.
        state_low, state_high: Optional workspace box imposed on ``x_1..x_H``.
        method: ``"interval"`` or ``"symbolic"``.

    Raises:
        InfeasibleError: if a box is empty or the workspace box cannot be reached.
    """
    if method not in METHODS:
        raise ConfigError(f"bounds method: expected one of {METHODS}, got {method!r}.")
    if horizon < 1:
        raise ConfigError(f"horizon: expected >= 1, got {horizon}.")
    fnet = net if isinstance(net, FoldedNet) else FoldedNet.from_relunet(net)
    n, m = fnet.state_dim, fnet.action_dim
    x_lo, x_hi = _box("initial-state box", x0_low, x0_high, n)
    u_lo, u_hi = _box("action box", action_low, action_high, m)
    s_lo, s_hi = _box("state box", -np.inf if state_low is None else state_low,
                      np.inf if state_high is None else state_high, n)
    symbolic = method == "symbolic"
    dim = n + m * horizon
    v_lo = np.concatenate([x_lo, np.tile(u_lo, horizon)])
    v_hi = np.concatenate([x_hi, np.tile(u_hi, horizon)])
    x_forms = _Forms.inputs(dim, 0, n) if symbolic else None
    pre_lo, pre_hi, outs_lo, outs_hi = [], [], [], []
    states_lo, states_hi = [x_lo], [x_hi]
    for t in range(horizon):
        z_lo, z_hi = np.concatenate([x_lo, u_lo]), np.concatenate([x_hi, u_hi])
        z_forms = x_forms.concat(_Forms.inputs(dim, n + m * t, m)) if symbolic else None
        y_bounds, y_forms, step_lo, step_hi = [], [], [], []
        for g in range(fnet.groups + 1):
            w_in, w_y, bias = fnet.a[g], fnet.b[g], fnet.bias[g]
            lo, hi = _affine_interval([(w_in, z_lo, z_hi)] + [
                (w, ylo, yhi) for w, (ylo, yhi) in zip(w_y, y_bounds, strict=True)], bias)
            forms = None
            if symbolic:
                forms = _Forms.affine_sum([(w_in, z_forms)] + list(zip(w_y, y_forms,
                                                                       strict=True)), bias)
                slo, shi = forms.concretize(v_lo, v_hi)
                lo, hi = np.maximum(lo, slo), np.minimum(hi, shi)
            lo, hi = _widen(lo, hi)
            if g == fnet.groups:
                out_lo, out_hi, out_forms = lo, hi, forms
                break
            step_lo.append(lo)
            step_hi.append(hi)
            y_bounds.append((np.maximum(lo, 0.0), np.maximum(hi, 0.0)))
            if symbolic:
                y_forms.append(forms.relu(lo, hi))
        if fnet.residual:
            nx_lo, nx_hi = x_lo + out_lo, x_hi + out_hi
            if symbolic:
                out_forms = x_forms.add(out_forms)
        else:
            nx_lo, nx_hi = out_lo, out_hi
        if symbolic:
            slo, shi = out_forms.concretize(v_lo, v_hi)
            nx_lo, nx_hi = np.maximum(nx_lo, slo), np.minimum(nx_hi, shi)
            x_forms = out_forms
        nx_lo, nx_hi = np.maximum(nx_lo, s_lo), np.minimum(nx_hi, s_hi)
        if (nx_lo > nx_hi).any():
            i = int(np.argmax(nx_lo > nx_hi))
            raise InfeasibleError(
                f"state box: at step {t + 1} state {i} must lie in [{s_lo[i]:.6g}, "
                f"{s_hi[i]:.6g}] but the model can only reach values that do not meet it; "
                "widen the state box or change the initial state."
            )
        x_lo, x_hi = nx_lo, nx_hi
        pre_lo.append(tuple(step_lo))
        pre_hi.append(tuple(step_hi))
        outs_lo.append(out_lo)
        outs_hi.append(out_hi)
        states_lo.append(x_lo)
        states_hi.append(x_hi)
    return NetBounds(tuple(pre_lo), tuple(pre_hi), np.array(outs_lo), np.array(outs_hi),
                     np.array(states_lo), np.array(states_hi), method)
