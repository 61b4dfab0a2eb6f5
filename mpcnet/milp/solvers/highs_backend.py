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
        start = time.perf_counter()
        stop_at = start + float(options.time_limit or np.inf)

        def on_mip_interrupt(event) -> None:
            if options.track_gap:
                out = event.data_out
                trace.add(out.running_time, out.mip_primal_bound, out.mip_dual_bound,
                          out.mip_gap)
            # HiGHS keeps the flag from one run to the next: write it every time
            event.data_in.user_interrupt = time.perf_counter() > stop_at

        def on_lp_interrupt(event) -> None:
            event.data_in.user_interrupt = time.perf_counter() > stop_at

        # HiGHS checks its own time limit only between stages of its search; asked from
        # inside its LP iterations and MIP loop too, it stops there (its cut separation still
        # runs to the end of a round: MipMpc allows for that overrun)
        bounded = np.isfinite(stop_at)
        if options.track_gap or bounded:
            h.cbMipInterrupt.subscribe(on_mip_interrupt)
        if bounded:
            h.cbSimplexInterrupt.subscribe(on_lp_interrupt)
        try:
            h.run()
        finally:
            h.cbMipInterrupt.clear()
            h.cbSimplexInterrupt.clear()
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
