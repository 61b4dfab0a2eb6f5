"""MIP-MPC: receding-horizon control that solves the MILP over the (sparse) network."""

from __future__ import annotations

import time

from controllers.base import PlannerConfig, PlanningController
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, MpcnetError
from mpcnet.mip_mpc import MipMpc
from mpcnet.relunet import ReluNet
from mpcnet.sampling import best_sampled_plan
from mpcnet.solvers import SolveOptions


class MipController(PlanningController):
    """Solve the MPC problem as a MILP with HiGHS each step, within the step budget.

    The program is built once (for every initial state in the workspace box); each step sets
    ``x0`` and the goal, tightens bounds for that ``x0`` and solves with the remaining budget
    as time limit, warm-started from the better of the shifted previous plan and the best of
    ``warm_samples`` random plans. Without an incumbent in time it falls back to that warm
    start and reports ``status="fallback"``.

    Args:
        state_low, state_high: Workspace box (also the box of initial states).
        bounds: ``"symbolic"`` (default) or ``"lp"`` (adds LP tightening, at most
            ``lp_fraction`` of the budget) or ``"interval"``.
        warm_samples: Random plans tried for the warm start (0: shifted plan only).
        mip_gap: Relative gap at which HiGHS stops early.
    """

    name = "mip"

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None, state_low=None, state_high=None,
                 bounds: str = "symbolic", warm_samples: int = 256, mip_gap: float = 1e-3,
                 lp_fraction: float = 0.4) -> None:
        super().__init__(net, cost, action_low, action_high, config)
        self.mpc = MipMpc(net, cost, self.horizon, self.low, self.high, state_low, state_high,
                          bounds=bounds)
        self.mpc.lp_time_budget = lp_fraction * self.config.budget_ms / 1000.0
        self.warm_samples, self.mip_gap = warm_samples, mip_gap

    def plan(self, x0, warm, deadline):
        if self.warm_samples:
            warm, warm_cost = best_sampled_plan(self.model, self.cost, x0, self.goal,
                                                self.horizon, self.low, self.high,
                                                self.warm_samples, self.rng, include=warm)
        else:
            warm_cost = float(self.cost.plan_cost(self.net.rollout(x0, warm), warm, self.goal))
        return self.solve_from(x0, warm, warm_cost, deadline)

    def solve_from(self, x0, warm, warm_cost, deadline):
        """Solve the MILP until ``deadline`` from the incumbent ``warm`` (cost ``warm_cost``)."""
        if self.config.iterations is not None:
            deadline = None  # reproducible mode: solve to the gap, however long
        try:
            sol = self.mpc.solve(x0, self.goal, warm_start=warm, deadline=deadline,
                                 options=SolveOptions(mip_gap=self.mip_gap, threads=1))
        except MpcnetError as exc:  # e.g. a state outside the box the program was built for
            return warm, warm_cost, "fallback", {"reason": str(exc)}
        info = {"gap": sol.gap, "dual_bound": sol.dual_bound, "binaries": sol.binaries,
                "nodes": sol.nodes, "solver_status": sol.status,
                "solve_time_s": sol.solve_time_s, "update_time_s": sol.update_time_s}
        # a rejected warm start can leave a worse incumbent: never return worse than the warm plan
        if not sol.feasible or sol.objective > warm_cost + 1e-6 * (1.0 + abs(warm_cost)):
            return warm, warm_cost, "fallback", info
        return sol.actions, sol.objective, sol.status, info


class MipMppiController(MipController):
    """MPPI for the first ``mppi_fraction`` of the step budget, then the MILP from its plan.

    Sampling finds good plans fast but proves nothing; branch and bound proves but, on
    programs with hundreds of binaries, spends a short budget improving a weak incumbent. Here
    MPPI supplies the incumbent, so the plan is never worse under the model than MPPI's own in
    the shorter time, and the MILP improves it and reports the gap to the optimum.
    """

    name = "mip-mppi"

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None, state_low=None, state_high=None,
                 bounds: str = "symbolic", mppi_fraction: float = 0.4, **kwargs) -> None:
        super().__init__(net, cost, action_low, action_high, config, state_low, state_high,
                         bounds=bounds, warm_samples=0, **kwargs)
        if not 0.0 < mppi_fraction < 1.0:
            raise ConfigError(f"mppi_fraction: expected in (0, 1), got {mppi_fraction}.")
        from controllers.sampling import MPPI

        self.mppi_fraction = mppi_fraction
        self.sampler = MPPI(net, cost, action_low, action_high, self.config)
        self.sampler.model = self.model  # one compiled rollout kernel for both

    def reset(self, seed: int, goal) -> None:
        super().reset(seed, goal)
        self.sampler.reset(seed, goal)

    def plan(self, x0, warm, deadline):
        now = time.perf_counter()
        warm, warm_cost, _, _ = self.sampler.plan(
            x0, warm, now + self.mppi_fraction * max(deadline - now, 0.0))
        return self.solve_from(x0, warm, warm_cost, deadline)
