"""Bounds and cuts for one ``x0``, computed on the LP relaxation with HiGHS before the MIP
solve, whatever backend solves the MIP: optimisation-based bound tightening
(:func:`lp_tighten`) and the root loop of ideal ReLU cuts (:func:`root_cuts`).
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.milp.cuts import separate
from mpcnet.milp.solvers.highs_backend import HighsBackend


def violated_cuts(encoding, z: np.ndarray, relus) -> list:
    """The most violated ideal cut (:mod:`mpcnet.milp.cuts`) of each ReLU in ``relus`` at the
    LP point ``z``, as rows ``(columns, values, lower, upper)``, for those it cuts off.

    A neuron whose binary is fixed is linear for this solve, and one whose binary is 0 or 1 at
    ``z`` satisfies its big-M rows exactly, so neither is separated. Cuts use the current
    column bounds: valid for this ``x0`` with these bounds or any tighter ones."""
    model, rows = encoding.model, []
    for sw in relus:
        d = z[sw.d_col]
        if (model.col_lower[sw.d_col] == model.col_upper[sw.d_col] or not len(sw.in_cols)
                or min(d, 1.0 - d) < 1e-9):
            continue
        cols = sw.in_cols
        cut = separate(sw.in_w, sw.bias, model.col_lower[cols], model.col_upper[cols],
                       z[cols], z[sw.y_col], d)
        if cut.violation > 1e-6 * (1.0 + abs(z[sw.y_col])):
            keep = cut.coef_v != 0.0
            rows.append(([sw.y_col, sw.d_col, *cols[keep]],
                         [1.0, -cut.coef_d, *(-cut.coef_v[keep])], -np.inf, cut.rhs))
    return rows


def _relaxation(encoding):
    """A HiGHS LP of the program's relaxation (integrality dropped), bounds as they are now."""
    model = encoding.model
    lp = HighsBackend(model).highs
    n = model.num_cols
    lp.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    return lp


def root_lp_bound(encoding) -> float | None:
    """The LP relaxation's optimum of the program as its bounds stand (after the per-``x0``
    update): the root bound of the formulation, before any solver's presolve or cuts.
    ``None`` when the LP is not solved to optimality."""
    import highspy

    lp = _relaxation(encoding)
    lp.run()
    if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(lp.getInfo().objective_function_value)


def _add_rows(lp, rows: list) -> None:
    for cols, vals, lo, hi in rows:
        lp.addRow(lo, hi, len(cols), np.asarray(cols, dtype=np.int32),
                  np.asarray(vals, dtype=np.float64))


def lp_tighten(encoding, time_budget: float = np.inf, cut_rounds: int = 0
               ) -> tuple[list, dict]:
    """Optimisation-based bound tightening on the LP relaxation, step by step.

    For every switching ReLU and every state of step ``t`` (in horizon order) two LPs give the
    smallest and largest value the relaxed program allows; ReLUs that become stable get their
    binary fixed, the others smaller big-M constants, and later steps' LPs see the tighter
    earlier ones. Sound: bounds valid for the relaxation hold for the MILP.

    With ``cut_rounds``, each of those LPs is strengthened by the ideal ReLU cuts: at its
    optimum the ReLUs of steps up to ``t`` are separated (:func:`violated_cuts`), the violated
    cuts join the LP for the rest of the tightening, and the LP is solved again, up to
    ``cut_rounds`` times. A cut made from bounds stays valid when they tighten later, so the
    bounds stay sound; the cuts are returned for the MIP (valid for this ``x0`` only).

    Args:
        encoding: An :class:`~mpcnet.milp.encoding.MpcEncoding` with its parameters set.
        time_budget: Stop tightening after this many seconds (bounds stay sound).
        cut_rounds: Separation rounds per tightening LP (0: plain LPs).

    Returns:
        ``(coefficient changes, stats)`` for the backend and the benchmark; with
        ``cut_rounds``, ``stats["cut_rows"]`` holds the cuts.
    """
    model = encoding.model
    start = time.perf_counter()
    lp = _relaxation(encoding)
    n = model.num_cols
    lp.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    eps, changes, solved, cut_rows = 1e-7, [], 0, []
    for t, relu, col in encoding.tightening_order():
        if time.perf_counter() - start > time_budget:
            break
        lo, hi = model.col_lower[col], model.col_upper[col]
        if relu is not None and (lo >= 0 or hi <= 0):
            continue
        found = []
        for sense in (1.0, -1.0):
            lp.changeColCost(int(col), sense)
            value, lps, rows = _extreme(encoding, lp, t, cut_rounds)
            solved += lps
            cut_rows += rows
            found.append(None if value is None else sense * value)
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
    stats = {"lps": solved, "tighten_time_s": time.perf_counter() - start}
    if cut_rounds:
        stats.update(tighten_cuts=len(cut_rows), cut_rows=cut_rows)
    return changes, stats


def _extreme(encoding, lp, t: int, cut_rounds: int) -> tuple[float | None, int, list]:
    """``(optimum, LPs solved, cuts added)`` for the LP's current objective, after up to
    ``cut_rounds`` rounds of cuts on the ReLUs of steps ``<= t``; the optimum is ``None``
    unless the last LP was solved to optimality. The cuts stay in ``lp``."""
    import highspy

    relus = [sw for sw in encoding.switching if sw.t <= t] if cut_rounds else []
    added: list = []
    for round_ in range(cut_rounds + 1):
        lp.run()
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, round_ + 1, added
        if round_ == cut_rounds:
            break
        rows = violated_cuts(encoding, np.asarray(lp.getSolution().col_value), relus)
        if not rows:
            break
        _add_rows(lp, rows)
        added += rows
    return lp.getInfo().objective_function_value, round_ + 1, added


def root_cuts(encoding, rounds: int = 10, time_budget: float = np.inf,
              min_gain: float = 1e-4, initial_rows: list | None = None) -> tuple[list, dict]:
    """The root cut loop: solve the LP relaxation, add the most violated ideal-formulation cut
    (:mod:`mpcnet.milp.cuts`) of every switching ReLU, repeat while the bound moves.

    Cuts use the current column bounds, so they are valid for this solve only (the caller
    removes them afterwards).

    Args:
        encoding: An :class:`~mpcnet.milp.encoding.MpcEncoding` with its parameters set.
        rounds: At most this many separation rounds.
        time_budget: Stop after this many seconds.
        min_gain: Stop when a round raises the LP bound by less than this share.
        initial_rows: Cuts to start from (those of the bound tightening); returned with the
            new ones.

    Returns:
        ``(rows, stats)``: each row ``(columns, values, lower, upper)`` for the MIP, and the
        root bound before and after, rounds and cuts for the benchmark.
    """
    import highspy

    start = time.perf_counter()
    lp = _relaxation(encoding)
    rows, bounds = list(initial_rows or []), []
    _add_rows(lp, rows)
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
        new = violated_cuts(encoding, np.asarray(lp.getSolution().col_value),
                            encoding.switching)
        if not new:
            break
        _add_rows(lp, new)
        rows += new
    return rows, {"cut_rounds": len(bounds), "cuts": len(rows),
                  "root_bound_before": bounds[0] if bounds else None,
                  "root_bound_after": bounds[-1] if bounds else None,
                  "cut_time_s": time.perf_counter() - start}
