"""The Gurobi backend: the program's arrays handed straight to ``gurobipy`` (optional extra:
``pip install 'mpcnet[gurobi]'``).

Unlike the Pyomo path, the Gurobi model is built once and edited in place between solves
(column bounds, right-hand sides, the changed big-M coefficients), as the HiGHS backend does:
a control step then pays milliseconds for the update, not a rebuild. gurobipy's pip licence
is size-limited (2,000 variables and 2,000 constraints); a larger program is refused with one
line. Each row ``lo <= a z <= hi`` becomes one equality, or one constraint per finite side, so
a row costs one constraint of the licence unless it is two-sided.
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.errors import ConfigError
from mpcnet.milp.model import MilpModel
from mpcnet.milp.solvers import ProgressTrace, RawResult, SolveOptions, param_error, refuse_reserved

_SIZE_LIMIT_ERROR = 10010  # GRB_ERROR_SIZE_LIMIT_EXCEEDED


def load_gurobipy():
    """The ``gurobipy`` module, or a ConfigError naming the extra to install."""
    try:
        import gurobipy
    except ImportError:
        raise ConfigError("backend 'gurobi' needs gurobipy: pip install 'mpcnet[gurobi]' (or "
                          "gurobipy==13.0.3; its pip licence is size-limited).") from None
    return gurobipy


def _too_large(num_cols: int, num_rows: int) -> ConfigError:
    return ConfigError(
        f"gurobi: this program ({num_cols} variables, {num_rows} rows) is too "
        "large for gurobipy's size-limited pip licence (2,000 variables and 2,000 "
        "constraints); use a shorter horizon, fewer ReLUs or another backend.")


def _row_shape(lower: np.ndarray, upper: np.ndarray):
    """Which rows are equalities, and which have a finite lower / upper side."""
    equal = lower == upper
    return equal, ~equal & np.isfinite(lower), ~equal & np.isfinite(upper)


class GurobiBackend:
    """A Gurobi model holding one program, updated in place."""

    name = "gurobi"

    def __init__(self, model: MilpModel) -> None:
        gp = self._gp = load_gurobipy()
        env = gp.Env(empty=True)
        env.setParam("OutputFlag", 0)  # no log, and no licence banner on stdout
        env.start()
        self.env, self.params = env, {}
        try:
            self._build(model)
        except gp.GurobiError as exc:
            if exc.errno == _SIZE_LIMIT_ERROR:
                raise _too_large(model.num_cols, model.num_rows) from None
            raise

    def _build(self, model: MilpModel) -> None:
        gp = self._gp
        grb = gp.GRB
        self.grb = gp.Model(env=self.env)
        vtype = np.where(model.integrality, grb.INTEGER, grb.CONTINUOUS)
        self.z = self.grb.addMVar(model.num_cols, lb=model.col_lower, ub=model.col_upper,
                                  obj=model.cost, vtype=vtype)
        self.shape = _row_shape(model.row_lower, model.row_upper)
        a = model.a.tocsr()
        self.constrs = {}  # row kind -> (row indices, the MConstr of those rows)
        for kind, mask, rhs, sense in (("eq", self.shape[0], model.row_lower, "="),
                                       ("ge", self.shape[1], model.row_lower, ">"),
                                       ("le", self.shape[2], model.row_upper, "<")):
            rows = np.flatnonzero(mask)
            if rows.size:
                self.constrs[kind] = (rows, self.grb.addMConstr(a[rows], self.z, sense,
                                                                rhs[rows]))
        # row -> the Constr objects holding it, for coefficient changes
        self.row_constrs: dict[int, list] = {}
        for rows, mconstr in self.constrs.values():
            for row, constr in zip(rows.tolist(), mconstr.tolist(), strict=True):
                self.row_constrs.setdefault(row, []).append(constr)
        self.grb.update()
        self.num_cols, self.num_rows = model.num_cols, model.num_rows

    def set_params(self, params: dict) -> None:
        """Gurobi parameters by name (e.g. ``{"MIPFocus": 2}``), kept for every later solve
        (and through a rebuild); one Gurobi refuses is a ConfigError."""
        refuse_reserved("gurobi", params, ("TimeLimit", "MIPGap", "Threads", "NodeLimit"))
        for name, value in params.items():
            try:
                self.grb.setParam(name, value)
            except (self._gp.GurobiError, TypeError, ValueError) as exc:
                raise param_error("gurobi", name, value, str(exc)) from None
        self.params = dict(params)

    def update(self, model: MilpModel, coefficients: list[tuple[int, int, float]]) -> None:
        """Copy the model's current bounds and the changed coefficients into Gurobi; a row
        whose kind changed (e.g. an equality that became a range) rebuilds the model."""
        shape = _row_shape(model.row_lower, model.row_upper)
        if any((new != old).any() for new, old in zip(shape, self.shape, strict=True)):
            self.grb.dispose()
            self._build(model)  # rare: only the arrays' own structure can change it
            self.set_params(self.params)
            return
        self.z.LB, self.z.UB = model.col_lower, model.col_upper
        for kind, (rows, mconstr) in self.constrs.items():
            mconstr.RHS = (model.row_upper if kind == "le" else model.row_lower)[rows]
        variables = self.z.tolist()
        for row, col, value in coefficients:
            for constr in self.row_constrs.get(int(row), ()):
                self.grb.chgCoeff(constr, variables[int(col)], float(value))

    def solve(self, options: SolveOptions, warm_start: np.ndarray | None = None) -> RawResult:
        gp, grb = self._gp, self._gp.GRB
        params = self.grb.Params
        params.TimeLimit = float(options.time_limit) if options.time_limit else grb.INFINITY
        params.MIPGap = float(options.mip_gap)
        params.Threads = int(options.threads or 0)
        params.NodeLimit = float(options.node_limit) if options.node_limit else grb.INFINITY
        self.z.Start = np.asarray(warm_start, np.float64) if warm_start is not None \
            else np.full(self.num_cols, grb.UNDEFINED)
        trace = ProgressTrace()

        def on_progress(model, where) -> None:
            if where != grb.Callback.MIP:
                return
            best, bound = model.cbGet(grb.Callback.MIP_OBJBST), model.cbGet(grb.Callback.MIP_OBJBND)
            best = np.inf if best >= grb.INFINITY else best  # Gurobi's "none yet" is 1e100
            bound = -np.inf if bound <= -grb.INFINITY else bound
            trace.add(model.cbGet(grb.Callback.RUNTIME), best, bound)

        start = time.perf_counter()
        try:
            self.grb.optimize(on_progress if options.track_gap else None)
        except gp.GurobiError as exc:
            if exc.errno == _SIZE_LIMIT_ERROR:
                raise _too_large(self.num_cols, self.num_rows) from None
            raise
        elapsed = time.perf_counter() - start
        return self._result(elapsed, trace)

    def _result(self, elapsed: float, trace: ProgressTrace) -> RawResult:
        grb, m = self._gp.GRB, self.grb
        has_solution = m.SolCount > 0
        if m.Status == grb.OPTIMAL:
            status = "optimal"
        elif m.Status in (grb.INFEASIBLE, grb.INF_OR_UNBD):
            status = "infeasible"
        else:  # time or node limit, interrupted, numerical trouble
            status = "time_limit" if has_solution else "no_solution"
        values = np.asarray(self.z.X, dtype=np.float64) if has_solution else None
        objective = float(m.ObjVal) if has_solution else np.inf
        if status == "infeasible":
            dual = np.inf
        else:
            try:
                dual = float(m.ObjBound)
            except self._gp.GurobiError:  # stopped before the root relaxation gave a bound
                dual = -np.inf
        gap = float(m.MIPGap) if has_solution else np.inf
        return RawResult(status=status, values=values, objective=objective, dual_bound=dual,
                         gap=gap, nodes=int(m.NodeCount), solve_time_s=elapsed,
                         time_to_1pct_gap_s=trace.time_to_1pct(elapsed, gap),
                         warm_start_accepted=None, progress=trace.points)

