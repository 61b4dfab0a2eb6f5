"""The SCIP backend (PySCIPOpt, optional: ``pip install 'mpcnet[scip]'``), where the
ideal-formulation ReLU cuts (:mod:`mpcnet.milp.cuts`) are a SCIP separator, called at every node of
the search and not only at the root.

Like the Pyomo backend it builds the SCIP model from the current arrays at every solve (the
build time is part of ``solve_time_s``); SCIP models are not meant to be edited between solves.
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.errors import ConfigError
from mpcnet.milp.model import MilpModel
from mpcnet.milp.solvers import (
    RawResult,
    SolveOptions,
    c_output_discarded,
    param_error,
    refuse_reserved,
)


def load_pyscipopt():
    """The ``pyscipopt`` module, or a ConfigError naming the extra to install."""
    try:
        import pyscipopt
    except ImportError:
        raise ConfigError("backend 'scip' needs PySCIPOpt: pip install 'mpcnet[scip]' "
                          "(or pyscipopt==6.3.0).") from None
    return pyscipopt


def _relu_separator(pyscipopt, encoding, variables):
    """A SCIP separator adding the most violated ideal cut of every switching ReLU at the
    current LP point (global cuts: they use the program's bounds, valid at every node)."""
    from mpcnet.milp.cuts import separate

    model_arrays = encoding.model

    class ReluSeparator(pyscipopt.Sepa):
        added = 0

        def sepaexeclp(self):
            scip = self.model
            found = False
            for sw in encoding.switching:
                lo_d, hi_d = model_arrays.col_lower[sw.d_col], model_arrays.col_upper[sw.d_col]
                if lo_d == hi_d or not len(sw.in_cols):
                    continue
                cols = sw.in_cols
                value = lambda c: scip.getSolVal(None, variables[c])  # noqa: E731
                cut = separate(sw.in_w, sw.bias, model_arrays.col_lower[cols],
                               model_arrays.col_upper[cols], np.array([value(c) for c in cols]),
                               value(sw.y_col), value(sw.d_col))
                if cut.violation <= 1e-6 * (1.0 + abs(value(sw.y_col))):
                    continue
                row = scip.createEmptyRowSepa(self, "relu_ideal", lhs=None, rhs=cut.rhs,
                                              local=False)
                scip.cacheRowExtensions(row)
                scip.addVarToRow(row, variables[sw.y_col], 1.0)
                scip.addVarToRow(row, variables[sw.d_col], -cut.coef_d)
                for c, coef in zip(cols, cut.coef_v, strict=True):
                    if coef != 0.0:
                        scip.addVarToRow(row, variables[c], -coef)
                scip.flushRowExtensions(row)
                if scip.isCutEfficacious(row):
                    scip.addCut(row)
                    found = True
                    ReluSeparator.added += 1
            return {"result": pyscipopt.SCIP_RESULT.SEPARATED if found
                    else pyscipopt.SCIP_RESULT.DIDNOTFIND}

    return ReluSeparator()


def _gap(gap: float) -> float:
    """SCIP's relative gap, with its "infinity" (1e20, e.g. at a zero dual bound) as inf."""
    return float(gap) if gap < 1e19 else np.inf


class ScipBackend:
    """Solve a :class:`MilpModel` with SCIP; ``encoding`` given, the ReLU separator runs."""

    name = "scip"

    def __init__(self, model: MilpModel, encoding=None) -> None:
        self._scip = load_pyscipopt()
        self.model, self.encoding, self.params = model, encoding, {}

    def set_params(self, params: dict) -> None:
        """SCIP parameters by path (e.g. ``{"separating/maxrounds": 5}``), set on the model
        built at every solve; checked here on a scratch model, so that a name or value SCIP
        refuses is a ConfigError before any solve."""
        refuse_reserved("scip", params, ("limits/time", "limits/gap", "limits/nodes"))
        scratch = self._scip.Model()
        scratch.hideOutput()
        for name, value in params.items():
            try:
                with c_output_discarded(2):  # SCIP's own error trail, four lines of C
                    scratch.setParam(name, value)
            except (KeyError, LookupError, TypeError, ValueError) as exc:
                raise param_error("scip", name, value, str(exc).splitlines()[0]) from None
        self.params = dict(params)

    def update(self, model: MilpModel, coefficients) -> None:
        self.model = model  # rebuilt from the arrays at every solve

    def _build(self):
        pyscipopt, model = self._scip, self.model
        scip = pyscipopt.Model()
        scip.hideOutput()
        finite = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
        variables = [scip.addVar(name=f"c{j}", vtype="I" if model.integrality[j] else "C",
                                 lb=finite(model.col_lower[j]), ub=finite(model.col_upper[j]),
                                 obj=float(model.cost[j]))
                     for j in range(model.num_cols)]
        a = model.a.tocsr()
        for i in range(model.num_rows):
            span = slice(a.indptr[i], a.indptr[i + 1])
            expr = pyscipopt.quicksum(float(v) * variables[c]
                                      for c, v in zip(a.indices[span], a.data[span], strict=True))
            lo, hi = model.row_lower[i], model.row_upper[i]
            if lo == hi:
                scip.addCons(expr == float(lo))
                continue
            if np.isfinite(lo):
                scip.addCons(expr >= float(lo))
            if np.isfinite(hi):
                scip.addCons(expr <= float(hi))
        return scip, variables

    def solve(self, options: SolveOptions, warm_start: np.ndarray | None = None) -> RawResult:
        start = time.perf_counter()
        scip, variables = self._build()
        separator = None
        if self.encoding is not None:
            # the cuts are written in the original columns: keep presolve from aggregating them
            scip.setPresolve(self._scip.SCIP_PARAMSETTING.OFF)
            separator = _relu_separator(self._scip, self.encoding, variables)
            scip.includeSepa(separator, "relu_ideal", "ideal ReLU cuts (Anderson et al.)",
                             priority=1000, freq=1)
        if options.time_limit is not None:
            scip.setParam("limits/time", max(float(options.time_limit), 1e-3))
        scip.setParam("limits/gap", float(options.mip_gap))
        if options.node_limit:
            scip.setParam("limits/nodes", int(options.node_limit))
        for name, value in self.params.items():
            scip.setParam(name, value)
        accepted = None
        if warm_start is not None:
            sol = scip.createSol()
            for var, value in zip(variables, warm_start, strict=True):
                scip.setSolVal(sol, var, float(value))
            accepted = bool(scip.addSol(sol, free=True))
        scip.optimize()
        elapsed = time.perf_counter() - start
        status = {"optimal": "optimal", "infeasible": "infeasible", "gaplimit": "optimal"
                  }.get(scip.getStatus(), None)
        has_solution = scip.getNSols() > 0
        if status is None:
            status = "time_limit" if has_solution else "no_solution"
        values = objective = None
        if has_solution:
            best = scip.getBestSol()
            values = np.array([scip.getSolVal(best, v) for v in variables])
            objective = float(scip.getSolObjVal(best))
        gap = _gap(scip.getGap()) if has_solution else np.inf
        return RawResult(status=status, values=values,
                         objective=objective if objective is not None else np.inf,
                         dual_bound=float(scip.getDualbound()), gap=gap,
                         nodes=int(scip.getNNodes()), solve_time_s=elapsed,
                         # the end of the solve: an upper bound of the time to a 1% gap (no
                         # callback here, unlike the HiGHS backend)
                         time_to_1pct_gap_s=elapsed if gap <= 0.01 else None,
                         warm_start_accepted=accepted)
