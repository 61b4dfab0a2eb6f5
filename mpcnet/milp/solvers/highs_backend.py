"""The default backend: the program's arrays handed straight to ``highspy``.

The HiGHS model is passed once; parameter updates change column bounds, row bounds and the
big-M coefficients in place (``changeColsBounds``, ``changeRowsBounds``, ``changeCoeff``).
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.milp.model import MilpModel
from mpcnet.milp.solvers import (
    ProgressTrace,
    RawResult,
    SolveOptions,
    c_output_discarded,
    param_error,
    refuse_reserved,
)

_NO_NODE_LIMIT = 2**31 - 1  # HiGHS's default mip_max_nodes (kHighsIInf)
_first_instance_made = False


def new_highs():
    """A silent ``highspy.Highs`` (see :func:`make_first_highs_quietly`)."""
    import highspy

    make_first_highs_quietly()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def make_first_highs_quietly() -> None:
    """highspy 1.16 prints a banner on the C-level stdout when a process makes its first
    instance, before any option can turn output off. Make that first instance here, with file
    descriptor 1 pointed at /dev/null (and C's stdio buffer flushed before it is restored), so
    that command output such as tables and JSON stays clean; the Pyomo backend calls it too."""
    global _first_instance_made
    if _first_instance_made:
        return
    import highspy

    with c_output_discarded():
        highspy.Highs()
    _first_instance_made = True


def check_highs_options(backend: str, params: dict, highs=None) -> None:
    """Set ``params`` on ``highs`` (default: a scratch instance); ConfigError for one HiGHS
    refuses (an unknown name, a value of the wrong type or out of range)."""
    import highspy

    highs = highs if highs is not None else new_highs()
    for name, value in params.items():
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise param_error(backend, name, value, "unknown option, wrong type or out of range")


class HighsBackend:
    """A HiGHS instance holding one program."""

    name = "highs"

    def __init__(self, model: MilpModel) -> None:
        import highspy

        self._hs = highspy
        self.highs = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = model.num_cols, model.num_rows
        lp.col_cost_ = model.cost
        lp.col_lower_, lp.col_upper_ = model.col_lower, model.col_upper
        lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
        csc = model.a.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in model.integrality]
        self.highs.passModel(lp)
        self.num_cols, self.num_rows = model.num_cols, model.num_rows

    def set_params(self, params: dict) -> None:
        """HiGHS options by their HiGHS names (e.g. ``{"mip_heuristic_effort": 0.3}``), kept
        for every later solve; a name or value HiGHS refuses is a ConfigError."""
        refuse_reserved("highs", params, ("time_limit", "mip_rel_gap", "threads",
                                          "mip_max_nodes"))
        check_highs_options("highs", params, self.highs)

    def update(self, model: MilpModel, coefficients: list[tuple[int, int, float]]) -> None:
        """Copy the model's current bounds and the changed coefficients into HiGHS."""
        cols = np.arange(self.num_cols, dtype=np.int32)
        rows = np.arange(self.num_rows, dtype=np.int32)
        self.highs.changeColsBounds(self.num_cols, cols, model.col_lower, model.col_upper)
        self.highs.changeRowsBounds(self.num_rows, rows, model.row_lower, model.row_upper)
        for row, col, value in coefficients:
            self.highs.changeCoeff(int(row), int(col), float(value))

    def add_rows(self, rows: list) -> None:
        """Append rows ``(columns, values, lower, upper)`` (cuts for one solve)."""
        for cols, vals, lo, hi in rows:
            self.highs.addRow(lo, hi, len(cols), np.asarray(cols, dtype=np.int32),
                              np.asarray(vals, dtype=np.float64))

    def drop_rows_after(self, num_rows: int) -> None:
        """Delete every row past the first ``num_rows`` (the cuts of the last solve)."""
        extra = self.highs.getNumRow() - num_rows
        if extra > 0:
            self.highs.deleteRows(extra, np.arange(num_rows, num_rows + extra, dtype=np.int32))

    def solve(self, options: SolveOptions, warm_start: np.ndarray | None = None) -> RawResult:
        h, hs = self.highs, self._hs
        h.setOptionValue("time_limit", float(options.time_limit or np.inf))
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        if options.threads:
            # HiGHS's thread pool is process-wide and refuses a thread count other than the
            # one it started with (the solve then ends with no status): restart it (~30 us)
            hs.Highs.resetGlobalScheduler(True)
            h.setOptionValue("threads", int(options.threads))
        h.setOptionValue("mip_max_nodes", int(options.node_limit or _NO_NODE_LIMIT))
        accepted = None
        if warm_start is not None:
            status = h.setSolution(self.num_cols, np.arange(self.num_cols, dtype=np.int32),
                                   np.asarray(warm_start, dtype=np.float64))
            accepted = status == hs.HighsStatus.kOk
        trace = ProgressTrace()
        if options.track_gap:
            def on_interrupt(event) -> None:
                out = event.data_out
                trace.add(out.running_time, out.mip_primal_bound, out.mip_dual_bound,
                          out.mip_gap)
            h.cbMipInterrupt.subscribe(on_interrupt)
        start = time.perf_counter()
        try:
            h.run()
        finally:
            if options.track_gap:
                h.cbMipInterrupt.clear()
        elapsed = time.perf_counter() - start
        return self._result(elapsed, trace, accepted)

    def _result(self, elapsed: float, trace: ProgressTrace, accepted) -> RawResult:
        h, hs = self.highs, self._hs
        info, model_status = h.getInfo(), h.getModelStatus()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        values = np.asarray(h.getSolution().col_value) if has_solution else None
        ms = hs.HighsModelStatus
        if model_status == ms.kOptimal:
            status = "optimal"
        elif model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            status = "infeasible"
        elif model_status in (ms.kTimeLimit, ms.kInterrupt, ms.kSolutionLimit,
                              ms.kIterationLimit, ms.kObjectiveBound, ms.kObjectiveTarget):
            status = "time_limit" if has_solution else "no_solution"
        else:
            status = "error" if not has_solution else "time_limit"
        objective = float(info.objective_function_value) if has_solution else np.inf
        gap = float(info.mip_gap) if has_solution else np.inf
        return RawResult(status=status, values=values, objective=objective,
                         dual_bound=float(info.mip_dual_bound), gap=gap,
                         nodes=int(info.mip_node_count), solve_time_s=elapsed,
                         time_to_1pct_gap_s=trace.time_to_1pct(elapsed, gap),
                         warm_start_accepted=accepted, progress=trace.points)


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
