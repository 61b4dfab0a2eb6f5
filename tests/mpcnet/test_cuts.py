"""Ideal-formulation ReLU cuts: valid for every point of the network, and separation finds
the most violated one."""

import itertools

import numpy as np

from mpcnet.milp.cuts import cut_for_subset, separate


def _neuron(rng, n):
    w, b = rng.normal(size=n), float(rng.normal())
    lower = rng.uniform(-2, 0, n)
    return w, b, lower, lower + rng.uniform(0.1, 3, n)


def _lhs_minus_rhs(cut, v, y, d):
    return y - cut.coef_v @ v - cut.coef_d * d - cut.rhs


def test_every_cut_holds_at_every_point_of_the_relus_graph():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 7))
        w, b, lower, upper = _neuron(rng, n)
        subsets = [np.array(s, bool) for s in itertools.product([0, 1], repeat=n)]
        for _ in range(20):
            v = rng.uniform(lower, upper)
            pre = w @ v + b
            y, d = max(pre, 0.0), float(pre > 0)
            for subset in subsets:
                cut = cut_for_subset(w, b, lower, upper, subset)
                assert _lhs_minus_rhs(cut, v, y, d) <= 1e-9


def test_separation_returns_the_most_violated_cut_and_cuts_off_big_m_points():
    rng = np.random.default_rng(1)
    found = 0
    for _ in range(300):
        n = int(rng.integers(1, 6))
        w, b, lower, upper = _neuron(rng, n)
        lo = float(np.sum(np.minimum(w * lower, w * upper)) + b)
        hi = float(np.sum(np.maximum(w * lower, w * upper)) + b)
        if not lo < 0 < hi:
            continue
        # a point of the big-M relaxation: y at its largest allowed value
        v, d = rng.uniform(lower, upper), float(rng.uniform(0.05, 0.95))
        pre = w @ v + b
        if not lo * (1 - d) <= pre <= hi * d:  # keep d consistent with the big-M rows
            continue
        y = min(pre - lo * (1 - d), hi * d)
        cut = separate(w, b, lower, upper, v, y, d)
        brute = max(_lhs_minus_rhs(cut_for_subset(w, b, lower, upper, np.array(s, bool)),
                                   v, y, d)
                    for s in itertools.product([0, 1], repeat=n))
        assert abs(cut.violation - brute) < 1e-9  # the most violated of all 2^n
        assert abs(_lhs_minus_rhs(cut, v, y, d) - cut.violation) < 1e-9
        found += cut.violation > 1e-6
    assert found > 20  # big-M points outside the convex hull exist and are cut off
