"""Bounds and cuts for one ``x0``, computed on the LP relaxation with HiGHS before the MIP
solve, whatever backend solves the MIP: optimisation-based bound tightening
(:func:`lp_tighten`) and the root loop of ideal ReLU cuts (:func:`root_cuts`).
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.milp.solvers.highs_backend import HighsBackend


def lp_tighten(encoding, time_budget: float = np.inf) -> tuple[list, dict]:
    """Optimisation-based bound tightening on the LP relaxation, step by step.

    For every switching ReLU and every state of step ``t`` (in horizon order) two LPs give the
    smallest and largest value the relaxed program allows; ReLUs that become stable get their
    binary fixed, the others smaller big-M constants, and later steps' LPs see the tighter
    earlier ones. Sound: bounds valid for the relaxation hold for the MILP.

    Args:
        encoding: An :class:`~mpcnet.milp.encoding.MpcEncoding` with its parameters set.
        time_budget: Stop tightening after this many seconds (bounds stay sound).

    Returns:
        ``(coefficient changes, stats)`` for the backend and the benchmark.
    """
    import highspy

    model = encoding.model
    start = time.perf_counter()
    lp = HighsBackend(model).highs
    n = model.num_cols
    all_cols = np.arange(n, dtype=np.int32)
    lp.changeColsIntegrality(n, all_cols, np.zeros(n, dtype=np.uint8))
    lp.changeColsCost(n, all_cols, np.zeros(n))
    eps, changes, solved = 1e-7, [], 0
    for _, relu, col in encoding.tightening_order():
        if time.perf_counter() - start > time_budget:
            break
        lo, hi = model.col_lower[col], model.col_upper[col]
        if relu is not None and (lo >= 0 or hi <= 0):
            continue
        found = []
        for sense in (1.0, -1.0):
            lp.changeColCost(int(col), sense)
            lp.run()
            solved += 1
            ok = lp.getModelStatus() == highspy.HighsModelStatus.kOptimal
            found.append(sense * lp.getInfo().objective_function_value if ok else None)
        lp.changeColCost(int(col), 0.0)
        new_lo = lo if found[0] is None else max(lo, found[0] - eps * (1 + abs(found[0])))
        new_hi = hi if found[1] is None else min(hi, found[1] + eps * (1 + abs(found[1])))
        if relu is None:
            model.col_lower[col], model.col_upper[col] = new_lo, new_hi
            lp.changeColBounds(int(col), new_lo, new_hi)
            continue
        coeffs = encoding.set_relu_bounds(relu, new_lo, new_hi)
        changes += coeffs
        for c in (relu.a_col, relu.y_col, relu.d_col):
            lp.changeColBounds(int(c), model.col_lower[c], model.col_upper[c])
        lp.changeRowBounds(int(relu.lower_row), -np.inf, model.row_upper[relu.lower_row])
        for row, c, val in coeffs:
            lp.changeCoeff(int(row), int(c), float(val))
    return changes, {"lps": solved, "tighten_time_s": time.perf_counter() - start}


def root_cuts(encoding, rounds: int = 10, time_budget: float = np.inf,
              min_gain: float = 1e-4) -> tuple[list, dict]:
    """The root cut loop: solve the LP relaxation, add the most violated ideal-formulation cut
    (:mod:`mpcnet.milp.cuts`) of every switching ReLU, repeat while the bound moves.

    Cuts use the current column bounds, so they are valid for this solve only (the caller
    removes them afterwards).

    Args:
        encoding: An :class:`~mpcnet.milp.encoding.MpcEncoding` with its parameters set.
        rounds: At most this many separation rounds.
        time_budget: Stop after this many seconds.
        min_gain: Stop when a round raises the LP bound by less than this share.

    Returns:
        ``(rows, stats)``: each row ``(columns, values, lower, upper)`` for the MIP, and the
        root bound before and after, rounds and cuts for the benchmark.
    """
    import highspy

    from mpcnet.milp.cuts import separate

    model = encoding.model
    start = time.perf_counter()
    lp = HighsBackend(model).highs
    n = model.num_cols
    lp.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    rows, bounds = [], []
    for _ in range(rounds):
        if time.perf_counter() - start > time_budget:
            break
        lp.run()
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        bound = lp.getInfo().objective_function_value
        if bounds and bound - bounds[-1] < min_gain * (1.0 + abs(bound)):
            bounds.append(bound)
            break
        bounds.append(bound)
        z = np.asarray(lp.getSolution().col_value)
        new = []
        for sw in encoding.switching:
            if model.col_lower[sw.d_col] == model.col_upper[sw.d_col] or not len(sw.in_cols):
                continue  # a fixed binary: the neuron is linear for this solve
            cols = sw.in_cols
            cut = separate(sw.in_w, sw.bias, model.col_lower[cols], model.col_upper[cols],
                           z[cols], z[sw.y_col], z[sw.d_col])
            if cut.violation > 1e-6 * (1.0 + abs(z[sw.y_col])):
                keep = cut.coef_v != 0.0
                new.append(([sw.y_col, sw.d_col, *cols[keep]],
                            [1.0, -cut.coef_d, *(-cut.coef_v[keep])], -np.inf, cut.rhs))
        if not new:
            break
        for cols, vals, lo, hi in new:
            lp.addRow(lo, hi, len(cols), np.asarray(cols, dtype=np.int32),
                      np.asarray(vals, dtype=np.float64))
        rows += new
    return rows, {"cut_rounds": len(bounds), "cuts": len(rows),
                  "root_bound_before": bounds[0] if bounds else None,
                  "root_bound_after": bounds[-1] if bounds else None,
                  "cut_time_s": time.perf_counter() - start}
