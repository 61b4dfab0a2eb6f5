"""Sound lower bounds of the MPC plan cost over boxes of action sequences, batched in torch.

The action-space branch and bound (``controllers/bab.py``) needs, for each of many sub-boxes
``V = [lo, hi]`` of the flattened actions ``v = [u_0; ...; u_{H-1}]`` (``D = H m`` numbers), a
number ``LB(V) <= min_{v in V} J(v)`` where ``J`` is the :class:`~mpcnet.costs.CostSpec` cost of
the plan rolled out through the network from a fixed ``x_0``. This module computes it for a
batch of boxes at once, on the CPU or a GPU, in float64 (a proof must not depend on float32
rounding).

**Linear bounds through the unrolled network (CROWN).** The network is used in its folded form
(:mod:`mpcnet.nn.folded`: ReLU groups with skip connections), unrolled over the horizon. Going
forward step by step, every ReLU pre-activation and every state gets concrete bounds by
*back-substitution* (Zhang et al. 2018, "CROWN"): start from the quantity as a linear function
of the previous layer and replace each ReLU ``y = max(a, 0)`` with pre-activation bounds
``l < 0 < u`` by a linear bound, the lower ``y >= alpha a`` (``alpha`` 1 or 0, whichever
leaves the smaller area) where its coefficient is positive and the triangle's upper
``y <= u (a - l) / (u - l)`` where negative; stable ReLUs, affine maps and the residual are
exact. The result is linear in ``x_0`` (fixed) and the actions, and its minimum over the box is
exact. Each bound is the tighter of that and interval arithmetic, widened by a relative
``1e-9`` against rounding; states are intersected with the state box when one is given (a box
whose states cannot stay in it has no feasible plan: its bound is ``+inf``).

**The L1 cost.** A state term ``w max(|x - g| - tol, 0)`` is convex; for any ``s in [-1, 1]``

    max(|x - g| - tol, 0) >= s (x - g) - |s| tol,

so the state terms are bounded below by the linear function ``sum_t (w_t s_t) . x_t - ...``,
which is back-substituted to the actions like any other. The action cost ``sum_j w_j |v_j|``
is separable: its sum with the resulting linear function is minimised exactly, one coordinate
at a time (the minimum of ``c_j v_j + w_j |v_j|`` lies at ``lo_j``, ``hi_j`` or 0).
Back-substitution cannot see that the state box clipped a state's bounds (on the push model
the later states' bounds reach the box), so the terms of ``x_{k+1}..x_H`` may instead be
bounded from their concrete bounds; every split ``k = 0..H`` is one row of the same batched
pass and the best is kept. ``s`` starts at each state's position relative to its goal box and
``slope_steps`` steps of projected sign-gradient ascent improve ``s`` and the ``alpha`` of the
unstable ReLUs (alpha-CROWN's idea) for the cost's own back-substitution; every iterate is a
valid bound, the best is kept.

**Where to split** (:meth:`PlanBounds.bound`, ``split``):

* ``"coef"``: the weight of each action in the final linear bound times its width, plus a
  share by relative width so that every dimension is eventually split;
* ``"gradient"``: the bound is differentiable in the box's corners; the first-order gains of
  halving dimension ``j``, ``-(dLB/dhi_j) w_j / 2`` for the lower child and
  ``(dLB/dlo_j) w_j / 2`` for the upper, multiplied (SCIP's product rule), so a split that helps
  both children is preferred; costs a backward pass;
* ``"widest"``: the widest dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mpcnet.costs import CostSpec, point_index, side_distances
from mpcnet.errors import ConfigError, ShapeError, finite_vector
from mpcnet.nn.folded import FoldedNet
from mpcnet.nn.relunet import ReluNet
from mpcnet.rollout import resolve_device

_WIDEN = 1e-9
SPLIT_RULES = (None, "gradient", "coef", "widest")


@dataclass
class BoxBounds:
    """Bounds of a batch of action boxes.

    Attributes:
        lower: ``(B,)`` lower bounds of the plan cost (``inf`` for a box with no feasible plan).
        split_score: ``(B, D)`` how much splitting each dimension is expected to raise the
            children's bounds (``None`` unless asked for).
    """

    lower: torch.Tensor
    split_score: torch.Tensor | None = None


def _widen(lo, hi):
    pad = _WIDEN * (1.0 + torch.maximum(lo.abs(), hi.abs()))
    return lo - pad, hi + pad


def _relaxation(lo, hi):
    """The triangle relaxation of ``max(a, 0)`` over ``[lo, hi]``: ``(lower slope, upper
    slope, upper shift, unstable)``; the lower slope of an unstable ReLU is 1 or 0, whichever
    leaves the smaller area."""
    unstable = (lo < 0) & (hi > 0)
    dead = hi <= 0
    span = torch.where(unstable, hi - lo, torch.ones_like(hi))
    up = torch.where(unstable, hi / span, torch.where(dead, 0.0, 1.0))
    shift = torch.where(unstable, -up * lo, torch.zeros_like(lo))
    low = torch.where(unstable, (hi > -lo).to(lo.dtype), torch.where(dead, 0.0, 1.0))
    return low, up, shift, unstable


class _SignedMatrix:
    """A weight matrix with its positive and negative parts (used by every bound step)."""

    def __init__(self, w: np.ndarray, dtype, device) -> None:
        self.w = torch.tensor(w, dtype=dtype, device=device)
        self.pos, self.neg = self.w.clamp(min=0), self.w.clamp(max=0)

    def interval(self, lo, hi):
        return lo @ self.pos.T + hi @ self.neg.T, hi @ self.pos.T + lo @ self.neg.T


class PlanBounds:
    """Lower bounds of the plan cost over batches of action boxes (see the module docstring).

    Args:
        net: The dynamics network (MLP or instantiated graph network; folded here).
        cost: The task cost.
        horizon: ``H``.
        state_low, state_high: Optional state box imposed on ``x_1..x_H`` (as in the MILP).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        slope_steps: Gradient steps on the cost slopes ``s`` per bound (0: the initial signs).
    """

    dtype = torch.float64  # bounds are compared with costs: no float32 rounding in a proof

    def __init__(self, net: ReluNet | FoldedNet, cost: CostSpec, horizon: int,
                 state_low=None, state_high=None, device: str = "cpu",
                 slope_steps: int = 2) -> None:
        fnet = net if isinstance(net, FoldedNet) else FoldedNet.from_relunet(net)
        if cost.state_dim != fnet.state_dim or cost.action_dim != fnet.action_dim:
            raise ShapeError(f"cost: expected {fnet.state_dim} state and {fnet.action_dim} "
                             f"action weights, got {cost.state_dim} and {cost.action_dim}.")
        self.device = resolve_device(device)
        self.n, self.m, self.horizon = fnet.state_dim, fnet.action_dim, int(horizon)
        self.dim = self.horizon * self.m
        self.residual, self.groups = fnet.residual, fnet.groups
        n, dt, dev = self.n, self.dtype, self.device
        self.a_x = [_SignedMatrix(a[:, :n], dt, dev) for a in fnet.a]
        self.a_u = [_SignedMatrix(a[:, n:], dt, dev) for a in fnet.a]
        self.b = [[_SignedMatrix(w, dt, dev) for w in row] for row in fnet.b]
        self.bias = [self.tensor(b) for b in fnet.bias]
        # [A_x A_u b] of each group and of the output (its x columns + I when residual): one
        # matrix product pushes a coefficient back to [x_t; u_t; 1]
        self.affine = [self.tensor(np.hstack([a, b[:, None]])) for a, b in zip(
            fnet.a, fnet.bias, strict=True)]
        out = np.hstack([fnet.a[-1], fnet.bias[-1][:, None]])
        if self.residual:
            out[:, :n] += np.eye(n)
        self.step_affine = self.tensor(out)
        if not isinstance(slope_steps, int | np.integer) or slope_steps < 0:
            raise ConfigError(f"slope_steps: expected an integer >= 0, got {slope_steps!r}.")
        self.slope_steps = int(slope_steps)
        step_w = np.ones(self.horizon)
        step_w[-1] = cost.terminal_weight
        self.term_weight = self.tensor(step_w[:, None] * cost.state_weight[None, :])  # (H, n)
        self.step_weight = self.tensor(step_w)  # (H,)
        self.action_weight = self.tensor(np.tile(cost.action_weight, self.horizon))  # (D,)
        self.tolerance = self.tensor(cost.goal_tolerance)
        self.state_low = None if state_low is None else self.tensor(
            finite_vector("state_low", state_low, n, broadcast=True))
        self.state_high = None if state_high is None else self.tensor(
            finite_vector("state_high", state_high, n, broadcast=True))
        self.cost = cost
        self.span: torch.Tensor | None = None  # widths of the full action box (set_action_box)
        self.x0: torch.Tensor | None = None
        self.goal: torch.Tensor | None = None

    def tensor(self, a) -> torch.Tensor:
        return torch.tensor(np.asarray(a, dtype=np.float64), dtype=self.dtype,
                            device=self.device)

    def set_action_box(self, low, high) -> None:
        """The full action box ``(m,)`` (the ``"coef"`` split rule measures widths in it)."""
        self.span = self.tensor(np.tile(np.asarray(high, float) - np.asarray(low, float),
                                        self.horizon)).clamp(min=1e-12)

    def set_obstacles(self, boxes) -> None:
        """This episode's obstacle boxes ``(B, 4)`` (see :class:`~mpcnet.costs.CostSpec`)."""
        self.cost = self.cost.with_obstacles(boxes)

    def _obstacle_lower(self, x_lo: torch.Tensor, x_hi: torch.Tensor) -> torch.Tensor:
        """A sound lower bound ``(B,)`` of the obstacle term from the state bounds
        ``(B, H, n)``: the depth ``max(0, min_k a_k)`` grows with every signed side distance
        ``a_k``, so the smallest ``a_k`` over the state box bounds it from below."""
        cost = self.cost
        idx = torch.as_tensor(point_index(cost.obstacle_points), device=self.device)
        sides = side_distances(x_lo[..., idx], x_hi[..., idx], self.tensor(cost.obstacles),
                               torch.stack)  # (B, H, P, boxes, 4)
        return cost.obstacle_weight * sides.amin(-1).clamp(min=0).sum((1, 2, 3))

    def _pair_lower(self, x_lo: torch.Tensor, x_hi: torch.Tensor) -> torch.Tensor:
        """A sound lower bound ``(B,)`` of the ``pair_terms``: ``|x_i - x_j|`` is at least
        how far the two intervals lie apart, weighted per step like the state term."""
        i, j, w = self.cost.pair_arrays()
        gap = torch.maximum(x_lo[..., i] - x_hi[..., j], x_lo[..., j] - x_hi[..., i])
        weights = self.step_weight[:, None] * self.tensor(w)[None, :]  # (H, K)
        return (gap.clamp(min=0) * weights).sum((1, 2))

    def set_problem(self, x0, goal) -> None:
        """Fix the initial state and the goal of the plans to bound."""
        self.x0 = self.tensor(finite_vector("x0", x0, self.n))
        self.goal = self.tensor(self.cost.check_goal(goal))

    # ------------------------------------------------------------------ back-substitution
    def _back_groups(self, c_y, c_in, const, relax_t, alphas_t=None):
        """Push coefficients ``c_y[g]`` ``(B, K, r_g)`` on the ReLU outputs of one step back
        to ``c_in`` on ``[x_t; u_t; 1]``: each ReLU takes its lower relaxation where its
        coefficient is positive, its upper one where negative (``alphas_t[g]``: lower slopes
        of the unstable ones, default the adaptive 0/1)."""
        for g in reversed(range(len(c_y))):
            c = c_y[g]
            low, up, shift, unstable = relax_t[g]
            if alphas_t is not None:
                low = torch.where(unstable, alphas_t[g], low)
            c_a = c * torch.where(c > 0, low[:, None], up[:, None])
            const = const + (c.clamp(max=0) * shift[:, None]).sum(2)
            c_in = c_in + c_a @ self.affine[g]
            for h in range(g):
                c_y[h] = c_y[h] + c_a @ self.b[g][h].w
        return c_in, const

    def _back_step(self, step, lam, const, relax, coef_u, alphas=None):
        """Push ``lam`` on ``x_{step+1}`` back to ``x_step`` (returned with the constant); the
        coefficients of ``u_step`` are added into ``coef_u``."""
        c_in = lam @ self.step_affine
        c_y = [lam @ b.w for b in self.b[-1]]
        c_in, const = self._back_groups(c_y, c_in, const, relax[step],
                                        None if alphas is None else alphas[step])
        n, m = self.n, self.m
        coef_u[:, :, step * m:(step + 1) * m] += c_in[:, :, n:n + m]
        return c_in[:, :, :n], const + c_in[:, :, -1]

    def _back_steps(self, t, lam, const, relax, coef_u):
        """Push coefficients ``lam`` ``(B, K, n)`` on ``x_{t+1}`` back through steps ``t..0``
        to ``x_0`` and the actions (their coefficients accumulate in ``coef_u``); returns the
        constant. (Stopping early at a state the state box clipped, and bounding the rest
        with its concrete bounds, was tried: it did not tighten the push model's bounds.)"""
        for step in reversed(range(t + 1)):
            lam, const = self._back_step(step, lam, const, relax, coef_u)
        return const + lam @ self.x0

    def _linear_min(self, coef, const, lo, hi):
        """``min over the box of coef . v + const`` for ``coef`` ``(B, K, D)``."""
        return (const + torch.einsum("bkd,bd->bk", coef.clamp(min=0), lo)
                + torch.einsum("bkd,bd->bk", coef.clamp(max=0), hi))

    def _plus_minus_eye(self, batch: int, size: int) -> torch.Tensor:
        """Rows ``+I`` then ``-I`` ``(B, 2 size, size)``: minimising both gives the lower and,
        negated, the upper bound of ``size`` quantities in one pass."""
        eye = torch.eye(size, dtype=self.dtype, device=self.device)
        return torch.cat([eye, -eye])[None].expand(batch, 2 * size, size)

    def _pre_bounds(self, t, g, relax, lo, hi):
        """Bounds of the pre-activations of ReLU group ``g`` at step ``t`` by back-substitution
        from ``+I`` and ``-I`` (lower and upper at once)."""
        batch, r = lo.shape[0], self.bias[g].shape[0]
        c = self._plus_minus_eye(batch, r)
        c_y = [c @ self.b[g][h].w for h in range(g)]
        zero = torch.zeros((batch, 2 * r), dtype=self.dtype, device=self.device)
        c_in, const = self._back_groups(c_y, c @ self.affine[g], zero, relax[t])
        n, m = self.n, self.m
        coef_u = torch.zeros((batch, 2 * r, self.dim), dtype=self.dtype, device=self.device)
        coef_u[:, :, t * m:(t + 1) * m] += c_in[:, :, n:n + m]
        # from x_t back to x_0 (for t = 0 there is no step to go through)
        const = self._back_steps(t - 1, c_in[:, :, :n], const + c_in[:, :, -1], relax, coef_u)
        low = self._linear_min(coef_u, const, lo, hi)
        return low[:, :r], -low[:, r:]

    def _state_bounds(self, t, relax, lo, hi):
        """Bounds of ``x_{t+1}`` by back-substitution."""
        batch, n = lo.shape[0], self.n
        lam = self._plus_minus_eye(batch, n)
        coef_u = torch.zeros((batch, 2 * n, self.dim), dtype=self.dtype, device=self.device)
        zero = torch.zeros((batch, 2 * n), dtype=self.dtype, device=self.device)
        low = self._linear_min(coef_u, self._back_steps(t, lam, zero, relax, coef_u), lo, hi)
        return low[:, :n], -low[:, n:]

    def _states(self, lo, hi):
        """Concrete bounds ``(B, H, n)`` of ``x_1..x_H``, a ``(B,)`` mask of boxes whose
        states cannot stay in the state box, and the ReLU relaxations ``relax[t][g]``
        ``(lower slope, upper slope, upper shift, unstable)``. Every bound is the tighter of
        back-substitution and interval arithmetic."""
        batch = lo.shape[0]
        x_lo = x_hi = self.x0.expand(batch, self.n)
        lows, highs, relax = [], [], []
        infeasible = torch.zeros(batch, dtype=torch.bool, device=self.device)
        for t in range(self.horizon):
            cols = slice(t * self.m, (t + 1) * self.m)
            u_lo, u_hi = lo[:, cols], hi[:, cols]
            relax.append([])
            ys = []
            for g in range(self.groups + 1):
                i_lo, i_hi = self.a_x[g].interval(x_lo, x_hi)
                iu_lo, iu_hi = self.a_u[g].interval(u_lo, u_hi)
                i_lo, i_hi = i_lo + iu_lo + self.bias[g], i_hi + iu_hi + self.bias[g]
                for h, (y_lo, y_hi) in enumerate(ys):
                    d_lo, d_hi = self.b[g][h].interval(y_lo, y_hi)
                    i_lo, i_hi = i_lo + d_lo, i_hi + d_hi
                if g == self.groups:
                    break
                b_lo, b_hi = self._pre_bounds(t, g, relax, lo, hi)
                p_lo, p_hi = _widen(torch.maximum(i_lo, b_lo), torch.minimum(i_hi, b_hi))
                relax[t].append(_relaxation(p_lo, p_hi))
                ys.append((p_lo.clamp(min=0), p_hi.clamp(min=0)))
            if self.residual:
                i_lo, i_hi = x_lo + i_lo, x_hi + i_hi
            b_lo, b_hi = self._state_bounds(t, relax, lo, hi)
            x_lo, x_hi = _widen(torch.maximum(i_lo, b_lo), torch.minimum(i_hi, b_hi))
            if self.state_low is not None:
                x_lo = torch.maximum(x_lo, self.state_low)
                x_hi = torch.minimum(x_hi, self.state_high)
                infeasible |= (x_lo > x_hi).any(1)
            lows.append(x_lo)
            highs.append(x_hi)
        return torch.stack(lows, 1), torch.stack(highs, 1), infeasible, relax

    def _backward(self, s, relax, x_lo, x_hi, lo, hi, alphas=None):
        """The cost bound for slopes ``s`` ``(B, H, n)``, split at every step ``k``: the
        state terms of ``x_1..x_k`` by back-substitution (their linear lower bound
        ``sum_t (w_t s_t) . x_t - ...`` pushed back to the actions, module docstring), those of
        ``x_{k+1}..x_H`` from their concrete bounds, which the state box may have clipped
        (back-substitution cannot see that clipping). All ``H + 1`` splits are one batched
        pass; the best is returned, with its action coefficients ``(B, D)``."""
        batch, horizon = lo.shape[0], self.horizon
        w = self.term_weight
        split = torch.arange(horizon + 1, device=self.device)
        linear = (torch.arange(horizon, device=self.device)[None, :] < split[:, None])
        linear = linear.to(self.dtype)[None, :, :, None]  # (1, K, H, 1): x_{t+1} linear?
        lam_cost = (w * s)[:, None] * linear  # (B, K, H, n)
        per_term = w * (s * self.goal + s.abs() * self.tolerance)
        concrete = w * torch.maximum(x_lo - self.goal - self.tolerance,
                                     self.goal - self.tolerance - x_hi).clamp(min=0)
        const = (-(per_term[:, None] * linear).sum((2, 3))
                 + (concrete[:, None] * (1.0 - linear)).sum((2, 3)))  # (B, K)
        coef_u = torch.zeros((batch, horizon + 1, self.dim), dtype=self.dtype,
                             device=self.device)
        lam = torch.zeros_like(lam_cost[:, :, 0])
        for t in reversed(range(horizon)):  # one step at a time, adding each x_t's term
            lam = lam + lam_cost[:, :, t]
            lam, const = self._back_step(t, lam, const, relax, coef_u, alphas)
        value = const + lam @ self.x0 + self._action_min(coef_u, lo[:, None], hi[:, None])
        best, k = value.max(1)
        return best, coef_u[torch.arange(batch, device=self.device), k], value

    # ------------------------------------------------------------------ the cost
    def _action_min(self, coef, lo, hi):
        """``sum_j min_{v_j in [lo_j, hi_j]} coef_j v_j + w_j |v_j|`` (exact, separable)."""
        w = self.action_weight

        def value(v):
            return coef * v + w * v.abs()

        best = torch.minimum(value(lo), value(hi))
        spans_zero = (lo <= 0) & (hi >= 0)
        best = torch.where(spans_zero, torch.minimum(best, torch.zeros_like(best)), best)
        return best.sum(-1)

    def _optimise(self, x_lo, x_hi, relax, lo, hi):
        """Slopes ``s`` of the cost terms and lower slopes ``alpha`` of the unstable ReLUs that
        (nearly) maximise the back-substituted bound, by projected sign-gradient ascent; the
        bound is valid for every value, so the best iterate per box is kept."""
        mid, half = 0.5 * (x_lo + x_hi) - self.goal, 0.5 * (x_hi - x_lo) + 1e-12
        s = (mid / half).clamp(-1.0, 1.0).detach()
        relax = [[tuple(r.detach() for r in rel) for rel in row] for row in relax]
        x_lo, x_hi = x_lo.detach(), x_hi.detach()
        alphas = [[rel[0].clone() for rel in row] for row in relax]
        lo, hi = lo.detach(), hi.detach()
        with torch.no_grad():
            best = self._backward(s, relax, x_lo, x_hi, lo, hi, alphas)[0]
        best_s, best_alphas = s.clone(), [[a.clone() for a in row] for row in alphas]
        step = 0.5
        for _ in range(self.slope_steps):
            leaves = [s, *(a for row in alphas for a in row)]
            for leaf in leaves:
                leaf.requires_grad_(True)
            with torch.enable_grad():
                value, _, rows = self._backward(s, relax, x_lo, x_hi, lo, hi, alphas)
                # ascend the mean over the splits: the best split alone may not depend on s
                grads = torch.autograd.grad(rows.mean(1).sum(), leaves)
            with torch.no_grad():
                better = value > best
                best = torch.where(better, value, best)
                best_s = torch.where(better[:, None, None], s, best_s)
                for row, best_row in zip(alphas, best_alphas, strict=True):
                    for a, b in zip(row, best_row, strict=True):
                        b.copy_(torch.where(better[:, None], a, b))
                s = (s + step * grads[0].sign()).clamp(-1.0, 1.0)
                flat = iter(grads[1:])
                alphas = [[(a + step * next(flat).sign()).clamp(0.0, 1.0) for a in row]
                          for row in alphas]
            step *= 0.7
        return best_s, best_alphas

    def bound(self, lo: torch.Tensor, hi: torch.Tensor, split: str | None = None) -> BoxBounds:
        """Lower bounds of the plan cost over the boxes ``lo, hi`` ``(B, D)`` (or
        ``(B, H, m)``), and branching scores when ``split`` names a rule: ``"gradient"``
        (the first-order gain of both children, module docstring), ``"coef"`` (the width
        times the weight of the action in the final linear bound; no backward pass) or
        ``"widest"``."""
        if self.x0 is None:
            raise ShapeError("PlanBounds: call set_problem(x0, goal) before bound().")
        if split not in SPLIT_RULES:
            raise ConfigError(f"split: expected one of {SPLIT_RULES}, got {split!r}.")
        lo = lo.reshape(lo.shape[0], self.dim).to(self.device, self.dtype)
        hi = hi.reshape(hi.shape[0], self.dim).to(self.device, self.dtype)
        grad = split == "gradient"
        if grad:
            lo, hi = lo.clone().requires_grad_(True), hi.clone().requires_grad_(True)
        with torch.set_grad_enabled(grad):
            x_lo, x_hi, infeasible, relax = self._states(lo, hi)
            s, alphas = self._optimise(x_lo, x_hi, relax, lo, hi)
            # split k = 0 of the cost bound is the plain interval bound, so this is never
            # looser than intervals
            value, coef, _ = self._backward(s, relax, x_lo, x_hi, lo, hi, alphas)
            if self.cost.has_obstacles:  # a sum of lower bounds bounds the sum
                value = value + self._obstacle_lower(x_lo, x_hi)
            if self.cost.pair_terms:
                value = value + self._pair_lower(x_lo, x_hi)
            value = value - _WIDEN * (1.0 + value.abs())
        score = None
        half = 0.5 * (hi - lo).detach()
        eps = 1e-9 * (1.0 + value.detach().abs())[:, None]
        if grad:
            d_lo, d_hi = torch.autograd.grad(value.sum(), (lo, hi))
            gain_low_child = (-d_hi * half).clamp(min=0)   # hi_j moves down to the middle
            gain_high_child = (d_lo * half).clamp(min=0)   # lo_j moves up to the middle
            score = (torch.maximum(gain_low_child, eps) * torch.maximum(gain_high_child, eps)
                     + eps * half)  # ties: the widest dimension
        elif split == "coef":
            # the weight of each action in the bound times its width, plus a share of the
            # mean score by relative width, so that every dimension is eventually split (the
            # weights miss what an action does through the ReLUs' relaxations)
            direct = (coef.detach().abs() + self.action_weight) * half
            relative = (half / half.amax(1, keepdim=True).clamp(min=1e-300)
                        if self.span is None else half / (0.5 * self.span))
            score = direct + 0.5 * relative * direct.mean(1, keepdim=True) + eps * half
        elif split == "widest":
            score = half
        value = value.detach()
        value = torch.where(infeasible, torch.full_like(value, torch.inf), value)
        return BoxBounds(value, score)
