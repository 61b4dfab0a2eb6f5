"""MIP-MPC: a ReluNet MPC problem encoded once, solved to proven optimality per step."""

from __future__ import annotations

import collections
import dataclasses
import time

import numpy as np

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, InfeasibleError
from mpcnet.milp.encoding import MpcEncoding, MpcSolution
from mpcnet.milp.solvers import BACKENDS, SolveOptions
from mpcnet.nn.relunet import ReluNet

# how many recent solves' overruns of the time limit a deadline-bound solve allows for: on
# the rope's 32-ReLU MILP (H = 6, 200 ms) 5 to 7% of HiGHS's solves overran by 30 to 130 ms,
# in its root cut loop, which checks neither the clock nor callbacks. A window of 20 forgot
# each such overrun before the next came (plan-time p95 0.231 s); a window of 100 keeps it
# (p95 0.153 s and 0.141 s on the L and U goals, 6 episodes each)
OVERRUN_WINDOW = 100


class MipMpc:
    """Build once, then :meth:`solve` for each new initial state and goal.

    Args:
        net, cost, horizon, action_low, action_high, state_low, state_high, x0_low, x0_high,
        bounds: ``"interval"``, ``"symbolic"`` (default) or ``"lp"`` (symbolic, then LP-based
            tightening of every switching ReLU and state for each ``x0``, see
            :func:`~mpcnet.milp.tightening.lp_tighten`).
        backend: ``"highs"`` (direct, default), ``"gurobi"`` (gurobipy, direct), ``"pyomo"``
            or ``"scip"`` (PySCIPOpt).
        cuts: ``"none"``, ``"root"`` (ideal ReLU cuts from a root loop, highs) or
            ``"separator"`` (the same cuts at every node, scip).
        pyomo_solver: The Pyomo solver name for the Pyomo backend.
        tighten: Recompute bounds for each exact ``x0`` (fixes binaries of neurons that
            become stable, shrinks big-M constants).
        tighten_cuts: Rounds of ideal ReLU cuts in each LP of the bound tightening (needs
            ``bounds="lp"``; 0: plain LPs). The bounds serve every backend; with
            ``cuts="root"`` the cuts also seed the root loop and go into the MIP.
        solver_params: The solver's own parameters by its own names (e.g. ``{"MIPFocus": 2}``
            for Gurobi, ``{"mip_heuristic_effort": 0.3}`` for HiGHS), kept for every solve.
            Time limit, gap, threads and node limit are refused here: they come from
            :class:`~mpcnet.milp.solvers.SolveOptions`. A name or value the solver refuses is
            a ConfigError (the Pyomo path: at the first solve).
    """

    def __init__(self, net: ReluNet, cost: CostSpec, horizon: int, action_low, action_high,
                 state_low=None, state_high=None, x0_low=None, x0_high=None,
                 bounds: str = "symbolic", backend: str = "highs",
                 pyomo_solver: str = "appsi_highs", tighten: bool = True,
                 cuts: str = "none", solver_params: dict | None = None,
                 tighten_cuts: int = 0) -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"backend: expected one of {BACKENDS}, got {backend!r}.")
        if cuts not in ("none", "root", "separator"):
            raise ConfigError(f"cuts: expected 'none', 'root' or 'separator', got {cuts!r}.")
        if cuts == "root" and backend != "highs":
            raise ConfigError("cuts: 'root' needs the highs backend (the root loop adds rows "
                              "to the HiGHS model); with scip use 'separator'.")
        if cuts == "separator" and backend != "scip":
            raise ConfigError("cuts: 'separator' needs the scip backend (a SCIP separator "
                              "plugin); with highs use 'root'.")
        self.cuts = cuts
        start = time.perf_counter()
        if bounds not in ("interval", "symbolic", "lp"):
            raise ConfigError(
                f"bounds: expected 'interval', 'symbolic' or 'lp', got {bounds!r}."
            )
        self.lp_tightening = bounds == "lp"
        if isinstance(tighten_cuts, bool) or not isinstance(tighten_cuts, int | np.integer) \
                or not 0 <= tighten_cuts <= 100:
            raise ConfigError(f"tighten_cuts: expected cut rounds from 0 to 100, got "
                              f"{tighten_cuts!r}.")
        if tighten_cuts and not self.lp_tightening:
            raise ConfigError(f"tighten_cuts: cuts go into the LP bound tightening, which "
                              f"bounds={bounds!r} does not run; use bounds='lp'.")
        self.tighten_cuts = int(tighten_cuts)
        self.encoding = MpcEncoding(net, cost, horizon, action_low, action_high, state_low,
                                    state_high, x0_low, x0_high,
                                    "symbolic" if bounds == "lp" else bounds)
        if backend == "highs":
            from mpcnet.milp.solvers.highs_backend import HighsBackend

            self.backend = HighsBackend(self.encoding.model)
        elif backend == "gurobi":
            from mpcnet.milp.solvers.gurobi_backend import GurobiBackend

            self.backend = GurobiBackend(self.encoding.model)
        elif backend == "scip":
            from mpcnet.milp.solvers.scip_backend import ScipBackend

            self.backend = ScipBackend(self.encoding.model,
                                       self.encoding if cuts == "separator" else None)
        else:
            from mpcnet.milp.solvers.pyomo_backend import PyomoBackend

            self.backend = PyomoBackend(self.encoding.model, pyomo_solver)
        self.backend.set_params(dict(solver_params or {}))
        self.tighten = tighten
        self.lp_time_budget = np.inf
        # how far the solver ran past its time limit in its last solves: deadline-bound solves
        # stop by the largest of them earlier. HiGHS checks its limit only between stages of
        # its search (its root cut loop can run 130 ms past it), and a decaying memory of the
        # last overrun let 1 step in 10 run past a 200 ms budget by over 10%.
        self._overruns: collections.deque = collections.deque(maxlen=OVERRUN_WINDOW)
        self._build_stats = self.encoding.stats().to_dict()
        self.build_time_s = time.perf_counter() - start

    @property
    def build_stats(self) -> dict:
        """Program size as built, for the whole initial-state box (before any per-``x0``
        tightening fixes binaries)."""
        return dict(self._build_stats)

    def set_obstacles(self, boxes) -> None:
        """This episode's obstacle boxes (:meth:`MpcEncoding.set_obstacles`)."""
        self.encoding.set_obstacles(boxes)

    def time_update(self, x0, goal) -> float:
        """Seconds one per-step update takes: setting ``x0`` and the goal, tightening the
        bounds for that ``x0`` (LP tightening excluded: it has its own cap) and passing the
        changes to the solver. Controllers use it to refuse a budget it cannot fit in."""
        start = time.perf_counter()
        changes = self.encoding.set_parameters(x0, goal, tighten=self.tighten)
        self.backend.update(self.encoding.model, changes)
        return time.perf_counter() - start

    @property
    def overrun_s(self) -> float:
        """The largest overrun of the solver's time limit in its last ``OVERRUN_WINDOW``
        deadline-bound solves (0 before the first)."""
        return max(self._overruns, default=0.0)

    def solve(self, x0, goal, warm_start: np.ndarray | None = None,
              options: SolveOptions | None = None,
              fixed_actions: np.ndarray | None = None,
              deadline: float | None = None) -> MpcSolution:
        """Solve from ``x0`` towards ``goal``.

        Args:
            warm_start: Actions ``(H, m)``; completed to a full solution by a forward pass.
            options: Time limit, gap, threads.
            fixed_actions: Fix the actions (for checking the program against the network).
            deadline: ``time.perf_counter()`` value by which the solve must end: the time
                limit is cut so that setting ``x0``, bound tightening and the warm-start
                completion count against it too (a controller's step budget), and by the
                solver's recent overrun of its limit (``overrun_s``).

        Returns:
            The plan and statistics. A provably infeasible problem or one with no incumbent
            in time comes back with that status and no plan, never as an exception.
        """
        options = options or SolveOptions()
        enc = self.encoding
        start = time.perf_counter()
        try:
            changes = enc.set_parameters(x0, goal, tighten=self.tighten)
        except InfeasibleError as exc:
            return self._failed("infeasible", time.perf_counter() - start, str(exc))
        tighten_stats = {}
        if self.lp_tightening and self.tighten:
            from mpcnet.milp.tightening import lp_tighten

            more, tighten_stats = lp_tighten(enc, self.lp_time_budget, self.tighten_cuts)
            changes += more
        tightening_cuts = tighten_stats.pop("cut_rows", [])
        cuts = []
        if self.cuts == "root":
            from mpcnet.milp.tightening import root_cuts

            cuts, cut_stats = root_cuts(enc, time_budget=self.lp_time_budget,
                                        initial_rows=tightening_cuts)
            tighten_stats = {**tighten_stats, **cut_stats}
        model = enc.model
        saved = None
        if fixed_actions is not None:
            fixed = np.asarray(fixed_actions, dtype=np.float64).reshape(enc.u_cols.shape)
            saved = (model.col_lower[enc.u_cols].copy(), model.col_upper[enc.u_cols].copy())
            model.col_lower[enc.u_cols] = fixed
            model.col_upper[enc.u_cols] = fixed
        self.backend.update(model, changes)
        if cuts:
            self.backend.add_rows(cuts)
        update_time = time.perf_counter() - start
        stats = {**enc.stats().to_dict(), **tighten_stats}
        start_vector = None if warm_start is None else enc.complete(warm_start)
        if deadline is not None:
            left = max(deadline - time.perf_counter() - self.overrun_s, 1e-3)
            limit = left if options.time_limit is None else min(options.time_limit, left)
            options = dataclasses.replace(options, time_limit=limit)
        try:
            raw = self.backend.solve(options, start_vector)
            if deadline is not None:
                self._overruns.append(max(raw.solve_time_s - options.time_limit, 0.0))
        finally:
            if cuts:  # built from this solve's bounds: not valid for the next x0
                self.backend.drop_rows_after(model.num_rows)
            if saved is not None:
                model.col_lower[enc.u_cols], model.col_upper[enc.u_cols] = saved
                self.backend.update(model, [])
        actions = states = None
        objective = raw.objective
        if raw.values is not None:
            actions, states = enc.extract(raw.values)
            inside = np.clip(actions, enc.action_low, enc.action_high)
            if (inside != actions).any():  # the solver's tolerance let it out by ~1e-7
                actions = inside  # the plan returned is in the box; say what it costs
                states = enc.net.rollout(enc.x0, actions)
                objective = float(enc.cost.plan_cost(states, actions, enc.goal))
        return MpcSolution(status=raw.status, actions=actions, states=states,
                           objective=objective, dual_bound=raw.dual_bound, gap=raw.gap,
                           nodes=raw.nodes, binaries=stats["binaries"],
                           build_time_s=self.build_time_s, update_time_s=update_time,
                           solve_time_s=raw.solve_time_s,
                           time_to_1pct_gap_s=raw.time_to_1pct_gap_s,
                           warm_start_accepted=raw.warm_start_accepted, stats=stats,
                           progress=raw.progress)

    def _failed(self, status: str, update_time: float, reason: str) -> MpcSolution:
        return MpcSolution(status=status, actions=None, states=None, objective=np.inf,
                           dual_bound=np.inf, gap=np.inf, nodes=0, binaries=0,
                           build_time_s=self.build_time_s, update_time_s=update_time,
                           solve_time_s=0.0, stats={"reason": reason})
