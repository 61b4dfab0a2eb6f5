"""Ideal-formulation cuts for ReLU neurons (Anderson, Huchette, Ma, Tjandraatmadja and Vielma,
"Strong mixed-integer programming formulations for trained neural networks", Math.
Programming 2020).

For one neuron ``y = max(0, w . v + b)`` whose inputs lie in a box ``L <= v <= U``, with the
binary ``d`` (``d = 1``: active), the big-M formulation of :mod:`mpcnet.milp.encoding` is
valid but weak: its LP relaxation can put ``y`` far above the convex hull of the neuron's
graph. The convex hull of ``{(v, y, d)}`` is described by the big-M rows plus, for every
subset ``I`` of the inputs,

    y <= sum_{i in I} w_i (v_i - Lb_i (1 - d)) + (b + sum_{i not in I} w_i Ub_i) d

where ``Lb_i = L_i, Ub_i = U_i`` if ``w_i >= 0`` and ``Lb_i = U_i, Ub_i = L_i`` otherwise
(Anderson et al., Theorem 1; ``Lb``/``Ub`` are the bounds at which ``w_i v_i`` is smallest /
largest). There are ``2^n`` such inequalities, but separating a point ``(v*, y*, d*)`` is
linear-time: the right-hand side is a sum of independent per-input terms, so the most violated
inequality takes, for each ``i``, the smaller of its two terms

    w_i (v*_i - Lb_i (1 - d*))   (i in I)     and     w_i Ub_i d*   (i not in I),

and the point is cut off iff ``y*`` exceeds that sum plus ``b d*``.

Validity (why a cut never removes a point of the network): at ``d = 1`` (active,
``y = w . v + b``) the ``i in I`` term is ``w_i v_i`` and the ``i not in I`` term ``w_i Ub_i``
``>= w_i v_i``, so the right-hand side is ``>= w . v + b = y``. At ``d = 0`` (``y = 0``,
``w . v + b <= 0``) the ``i in I`` term is ``w_i (v_i - Lb_i) >= 0`` and the others vanish, so the
right-hand side is ``>= 0 = y``. Both hold for any box containing ``v``: cuts built from the
bounds of one solve are valid for that solve only, and :mod:`mpcnet.milp.mip_mpc` removes them
afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReluCut:
    """``y - sum_i coef_v[i] v[i] - coef_d d <= rhs`` over the neuron's input columns."""

    coef_v: np.ndarray
    coef_d: float
    rhs: float
    violation: float


def _oriented_bounds(w: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """``(Lb, Ub)``: the bounds at which ``w_i v_i`` is smallest and largest."""
    positive = w >= 0
    return np.where(positive, lower, upper), np.where(positive, upper, lower)


def cut_for_subset(w: np.ndarray, b: float, lower: np.ndarray, upper: np.ndarray,
                   subset: np.ndarray) -> ReluCut:
    """The inequality of the family for the inputs in ``subset`` (a boolean mask)."""
    lb, ub = _oriented_bounds(w, lower, upper)
    coef_v = np.where(subset, w, 0.0)
    coef_d = float(np.sum(w[subset] * lb[subset]) + b + np.sum(w[~subset] * ub[~subset]))
    rhs = float(-np.sum(w[subset] * lb[subset]))
    return ReluCut(coef_v, coef_d, rhs, 0.0)


def separate(w: np.ndarray, b: float, lower: np.ndarray, upper: np.ndarray, v: np.ndarray,
             y: float, d: float) -> ReluCut:
    """The most violated inequality of the family at ``(v, y, d)`` (its ``violation`` is
    ``y`` minus the right-hand side; positive means the point is cut off)."""
    lb, ub = _oriented_bounds(w, lower, upper)
    in_term = w * (v - lb * (1.0 - d))
    out_term = w * ub * d
    subset = in_term < out_term
    cut = cut_for_subset(w, b, lower, upper, subset)
    bound = float(np.sum(np.minimum(in_term, out_term)) + b * d)
    return ReluCut(cut.coef_v, cut.coef_d, cut.rhs, float(y - bound))
