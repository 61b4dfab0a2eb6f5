"""The Pyomo backend: the same program as a Pyomo model, for any MIP solver Pyomo can run.

It is the portable path (HiGHS through ``appsi_highs``, and Gurobi, SCIP, CBC where installed)
and the independent check of the direct HiGHS backend. Pyomo models are expensive to edit
coefficient by coefficient, so this backend rebuilds the Pyomo model from the current arrays at
every solve; the build time is included in ``solve_time_s``.
"""

from __future__ import annotations

import time

import numpy as np

from mpcnet.errors import ConfigError
from mpcnet.milp.model import MilpModel
from mpcnet.milp.solvers import RawResult, SolveOptions, refuse_reserved

_OPTION_NAMES = {  # solver -> (time limit, relative gap, threads)
    "appsi_highs": ("time_limit", "mip_rel_gap", "threads"),
    "highs": ("time_limit", "mip_rel_gap", "threads"),
    "gurobi": ("TimeLimit", "MIPGap", "Threads"),
    "gurobi_direct": ("TimeLimit", "MIPGap", "Threads"),
    "scip": ("limits/time", "limits/gap", None),
    "cbc": ("seconds", "ratio", "threads"),
}


def available_solvers() -> list[str]:
    """Names of the MIP solvers Pyomo can run on this machine."""
    import pyomo.environ as pyo

    from mpcnet.milp.solvers.highs_backend import make_first_highs_quietly

    make_first_highs_quietly()  # appsi_highs makes one to check; no banner on stdout
    found = []
    for name in _OPTION_NAMES:
        try:
            if pyo.SolverFactory(name).available(exception_flag=False):
                found.append(name)
        except Exception:  # a solver plugin that fails to load is simply not available
            continue
    return found


_INSTALL = {  # how to get each optional solver Pyomo can drive
    "gurobi": "pip install gurobipy (its pip licence is size-limited)",
    "gurobi_direct": "pip install gurobipy (size-limited licence)",
    "scip": "pip install pyscipopt, or a scip binary on PATH",
    "cbc": "a cbc binary on PATH (e.g. apt install coinor-cbc)",
    "highs": "pip install highspy",
}


class PyomoBackend:
    """Solve a :class:`MilpModel` through Pyomo with the named solver."""

    name = "pyomo"

    def __init__(self, model: MilpModel, solver: str = "appsi_highs") -> None:
        import pyomo.environ as pyo

        from mpcnet.milp.solvers.highs_backend import make_first_highs_quietly

        make_first_highs_quietly()  # appsi_highs makes one; no banner on stdout
        if not pyo.SolverFactory(solver).available(exception_flag=False):
            how = _INSTALL.get(solver.removeprefix("appsi_"), "install it")
            raise ConfigError(
                f"Pyomo solver {solver!r} is not available here; available: "
                f"{', '.join(available_solvers()) or 'none'}. To use it: {how}; or pick another."
            )
        self.solver_name, self.model, self.params = solver, model, {}

    def set_params(self, params: dict) -> None:
        """Options handed to the Pyomo solver at every solve, by the solver's own names.
        HiGHS's are checked here on a scratch HiGHS instance (Pyomo's appsi_highs ignores
        one HiGHS refuses); other solvers refuse a bad one at the first solve, which is then
        a ConfigError naming them."""
        refuse_reserved(self.solver_name, params, _OPTION_NAMES.get(self.solver_name, ()))
        if self.solver_name in ("appsi_highs", "highs"):
            from mpcnet.milp.solvers.highs_backend import check_highs_options

            check_highs_options(self.solver_name, params)
        self.params = dict(params)

    def update(self, model: MilpModel, coefficients) -> None:
        self.model = model  # rebuilt from the arrays at every solve

    def _pyomo_model(self):
        import pyomo.environ as pyo

        mdl, m = self.model, pyo.ConcreteModel()
        idx = range(mdl.num_cols)

        def bounds(_, j):
            lo, hi = mdl.col_lower[j], mdl.col_upper[j]
            return (None if np.isinf(lo) else lo, None if np.isinf(hi) else hi)

        def domain(_, j):
            return pyo.Integers if mdl.integrality[j] else pyo.Reals

        m.z = pyo.Var(idx, domain=domain, bounds=bounds)
        m.rows = pyo.ConstraintList()
        a = mdl.a
        for r in range(mdl.num_rows):
            start, end = a.indptr[r], a.indptr[r + 1]
            expr = sum(float(v) * m.z[int(c)] for c, v in zip(a.indices[start:end],
                                                              a.data[start:end], strict=True))
            lo, hi = mdl.row_lower[r], mdl.row_upper[r]
            if lo == hi:
                m.rows.add(expr == float(lo))
            else:
                m.rows.add((None if np.isinf(lo) else float(lo), expr,
                            None if np.isinf(hi) else float(hi)))
        nz = np.flatnonzero(mdl.cost)
        m.obj = pyo.Objective(expr=sum(float(mdl.cost[j]) * m.z[int(j)] for j in nz),
                              sense=pyo.minimize)
        return m

    def solve(self, options: SolveOptions, warm_start: np.ndarray | None = None) -> RawResult:
        import pyomo.environ as pyo
        from pyomo.opt import TerminationCondition as TC

        start = time.perf_counter()
        m = self._pyomo_model()
        solver = pyo.SolverFactory(self.solver_name)
        names = _OPTION_NAMES.get(self.solver_name, (None, None, None))
        opts = {}
        if options.time_limit and names[0]:
            opts[names[0]] = float(options.time_limit)
        if names[1]:
            opts[names[1]] = float(options.mip_gap)
        if options.threads and names[2]:
            opts[names[2]] = int(options.threads)
        if warm_start is not None:
            for j, v in enumerate(warm_start):
                m.z[j].set_value(float(v), skip_validation=True)
        solver.options.update({**opts, **self.params})
        kwargs = {"load_solutions": False}
        if warm_start is not None and self.solver_name != "appsi_highs":
            kwargs["warmstart"] = True
        try:
            results = solver.solve(m, **kwargs)
        except Exception as exc:  # e.g. gurobipy's size-limited licence
            if "size-limited" in str(exc) or "too large" in str(exc):
                raise ConfigError(
                    f"{self.solver_name}: this program ({self.model.num_cols} variables, "
                    f"{self.model.num_rows} constraints) is too large for the solver's "
                    "licence (gurobipy's pip licence allows 2,000 of each); use a shorter "
                    "horizon, fewer ReLUs or another backend.") from None
            if self.params:  # most likely one of the user's options: name them all
                raise ConfigError(f"{self.solver_name}: the solve failed with the parameters "
                                  f"{self.params} ({str(exc).splitlines()[0]}); check them "
                                  "against the solver's manual.") from None
            raise
        elapsed = time.perf_counter() - start
        tc = results.solver.termination_condition
        has_solution = len(results.solution) > 0 if hasattr(results, "solution") else False
        if tc in (TC.optimal, TC.locallyOptimal) or has_solution:
            try:
                m.solutions.load_from(results)
                has_solution = True
            except Exception:  # no loadable solution despite the status
                has_solution = False
        values = (np.array([pyo.value(m.z[j], exception=False) or 0.0
                            for j in range(self.model.num_cols)]) if has_solution else None)
        if tc == TC.optimal:
            status = "optimal"
        elif tc in (TC.infeasible, TC.infeasibleOrUnbounded):
            status = "infeasible"
        elif tc in (TC.maxTimeLimit, TC.maxIterations, TC.userInterrupt):
            status = "time_limit" if has_solution else "no_solution"
        else:
            status = "time_limit" if has_solution else "error"
        objective = float(pyo.value(m.obj)) if has_solution else np.inf
        lower = results.problem.lower_bound
        dual = float(lower) if lower is not None and np.isfinite(float(lower)) else -np.inf
        gap = (abs(objective - dual) / max(abs(objective), 1e-10)
               if has_solution and np.isfinite(dual) else np.inf)
        if status == "optimal":
            gap = min(gap, options.mip_gap)
        return RawResult(status=status, values=values, objective=objective, dual_bound=dual,
                         gap=gap, nodes=-1, solve_time_s=elapsed,
                         time_to_1pct_gap_s=elapsed if gap <= 0.01 else None,
                         warm_start_accepted=None)
