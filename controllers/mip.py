"""MIP-MPC: receding-horizon control that solves the MILP over the (sparse) network."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from controllers.base import PlannerConfig, PlanningController
from controllers.sampling import MPPI, GradientDescent
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, MpcnetError
from mpcnet.milp.mip_mpc import MipMpc
from mpcnet.milp.solvers import SolveOptions
from mpcnet.nn.relunet import ReluNet

# the per-step bound update may use at most this share of the budget; a budget it does not
# leave enough of is refused up front, with the budget that would do
UPDATE_SHARE = 0.6
# random plans a warm-started MIP tries when its sampler's plan leaves the state box
OUTSIDE_SAMPLES = 256

log = logging.getLogger(__name__)


class MipController(PlanningController):
    """Solve the MPC problem as a MILP each step, within the step budget, with HiGHS or the
    solver ``config.mip_solver`` names (Gurobi, SCIP).

    The program is built once (for every initial state in the workspace box); each step sets
    ``x0`` and the goal, tightens bounds for that ``x0`` and solves with the remaining budget
    as time limit, warm-started from the better of the shifted previous plan and the best of
    ``warm_samples`` random plans. Without an incumbent in time it falls back to that warm
    start and reports ``status="fallback"``.

    The step budget covers all of it. At construction the controller times one bound update
    (setting ``x0`` and tightening); if that alone takes over 60 % of the budget it raises
    :class:`ConfigError` naming the budget that would fit, instead of overrunning every step.

    Args:
        state_low, state_high: Workspace box (also the box of initial states).
        bounds: ``"symbolic"`` (default) or ``"lp"`` (adds LP tightening, at most
            ``lp_fraction`` of the budget) or ``"interval"``.
        warm_samples: Random plans tried for the warm start (0: shifted plan only).
        mip_gap: Relative gap at which the solver stops early.
        solver_params: The ``config.mip_solver`` solver's own parameters by its own names
            (e.g. ``{"MIPFocus": 1}`` for Gurobi; see :class:`~mpcnet.milp.mip_mpc.MipMpc`),
            on top of ``config.mip_params`` (these win where both name one).
    """

    name = "mip"
    kernel_dtype = "float64"  # warm-start costs are compared with the MILP's objective

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None, state_low=None, state_high=None,
                 bounds: str = "symbolic", warm_samples: int = 256, mip_gap: float = 1e-3,
                 lp_fraction: float = 0.4, solver_params: dict | None = None) -> None:
        super().__init__(net, cost, action_low, action_high, config)
        self.mpc = MipMpc(net, cost, self.horizon, self.low, self.high, state_low, state_high,
                          bounds=bounds, backend=self.config.mip_solver,
                          solver_params={**self.config.mip_solver_params(),
                                         **(solver_params or {})})
        self.mpc.lp_time_budget = lp_fraction * self.budget_s
        self.warm_samples, self.mip_gap = warm_samples, mip_gap
        self._warned_box = True  # no warning from the dry run of the budget check
        self.update_time_s = self._check_budget()
        self._warned_box = False

    def set_obstacles(self, boxes) -> None:
        super().set_obstacles(boxes)
        self.mpc.set_obstacles(boxes)

    def _check_budget(self) -> float:
        """Seconds of one bound update; ConfigError if the budget cannot hold the shortest
        step: a dry run of :meth:`plan` with no time left (bound update, warm start, the
        solver's shortest solve). The dry run also primes ``overrun_s``, the solver's overrun
        of a time limit, so the first real step respects the budget too."""
        enc = self.mpc.encoding
        middle = 0.5 * (enc.x0_low + enc.x0_high)
        seconds = min(self.mpc.time_update(middle, middle) for _ in range(2))
        if self.fixed_iterations():
            return seconds  # no budget to hold: the node limit bounds every solve
        self._set_goal(middle)
        shortest = np.inf
        for _ in range(2):  # the first run pays one-off costs
            start = time.perf_counter()
            self.plan(middle, np.zeros((self.horizon, self.net.action_dim)), start)
            shortest = min(shortest, time.perf_counter() - start)
        self.goal = None
        if seconds > UPDATE_SHARE * self.budget_s or shortest > 0.9 * self.budget_s:
            need = int(np.ceil(1000 * max(seconds / UPDATE_SHARE, shortest / 0.9)))
            raise ConfigError(
                f"{self.name}: a budget of {self.config.budget_ms:g} ms is too small for "
                f"horizon {self.horizon}: the shortest step (bound update "
                f"{1000 * seconds:.3g} ms, warm start, shortest solve) takes "
                f"{1000 * shortest:.3g} ms ({shortest / self.budget_s:.1f}x the budget); use "
                f"budget_ms={need} or more, or a shorter horizon=.")
        return seconds

    def _set_goal(self, goal: np.ndarray) -> None:
        self.goal = goal
        self.kernel.set_goal(goal)

    def warm_up(self) -> None:
        pass  # the MIP's sampling is small; its timing is not used

    def plan(self, x0, warm, deadline):
        warm, warm_cost, _ = self.warm_start(x0, [warm], self.warm_samples)
        return self.solve_from(x0, warm, warm_cost, deadline)

    def warm_start(self, x0, candidates, samples: int):
        """The incumbent for the MILP: the cheapest of ``candidates`` and ``samples`` random
        plans whose predicted states stay in the program's state box, as ``(plan, cost,
        inside)``.

        The MILP can take only such a plan as its incumbent. A plan that leaves the box (a
        model that does not know the pusher stops at the workspace's edge predicts it beyond)
        would leave HiGHS to find a first feasible plan by itself, which at a real-time budget
        it often does not: it then falls back to that plan unimproved. When no plan stays in
        the box, the one that leaves it least.
        """
        x = self.kernel.tensor(x0)
        with torch.no_grad():
            plans = torch.stack([self.kernel.tensor(np.clip(c, self.low, self.high))
                                 for c in candidates])
            if samples:
                plans = torch.cat([plans, self.sample_uniform(samples)])
            states = self.kernel.states(x, plans)
            costs = self.kernel.cost_of(states, plans)
            score, inside = costs, None  # no state box: every plan is inside
            enc = self.mpc.encoding
            if enc.state_low is not None:
                low, high = self.kernel.tensor(enc.state_low), self.kernel.tensor(enc.state_high)
                excess = torch.maximum(states - high, low - states).amax(dim=(0, 2))
                inside = excess <= 1e-9
                score = torch.where(inside, costs, torch.inf) if inside.any() else excess
            i = int(torch.argmin(score))
        return plans[i].numpy(), float(costs[i]), inside is None or bool(inside[i])

    def solve_from(self, x0, warm, warm_cost, deadline):
        """Solve the MILP until ``deadline`` from the incumbent ``warm`` (cost ``warm_cost``)."""
        nodes = None
        if self.fixed_iterations():  # reproducible mode: a node limit instead of the clock
            deadline, nodes = None, self.config.iterations
        try:
            sol = self.mpc.solve(x0, self.goal, warm_start=warm, deadline=deadline,
                                 options=SolveOptions(mip_gap=self.mip_gap, threads=1,
                                                      node_limit=nodes))
        except MpcnetError as exc:  # e.g. a state outside the box the program was built for
            return warm, warm_cost, "fallback", {"reason": str(exc), "improved": False}
        info = {"gap": sol.gap, "dual_bound": sol.dual_bound, "binaries": sol.binaries,
                "nodes": sol.nodes, "solver_status": sol.status,
                "solve_time_s": sol.solve_time_s, "update_time_s": sol.update_time_s,
                "warm_cost": warm_cost, "improved": False}
        tolerance = 1e-6 * (1.0 + abs(warm_cost))
        # a rejected warm start can leave a worse incumbent: never return worse than the warm plan
        if not sol.feasible or sol.objective > warm_cost + tolerance:
            return warm, warm_cost, self._fallback_status(x0, warm), info
        info["improved"] = bool(sol.objective < warm_cost - tolerance)
        return sol.actions, sol.objective, sol.status, info

    def _fallback_status(self, x0, warm) -> str:
        """``"fallback_warm_infeasible"`` when the warm plan's predicted states leave the
        program's state box (the MILP cannot take it as an incumbent: pad the box), with a
        warning the first time; ``"fallback"`` otherwise (no better plan in time)."""
        enc = self.mpc.encoding
        if enc.state_low is None:
            return "fallback"
        states = self.net.rollout(np.asarray(x0, np.float64), np.asarray(warm, np.float64))
        outside = (states < enc.state_low - 1e-9) | (states > enc.state_high + 1e-9)
        if not outside.any():
            return "fallback"
        if not self._warned_box:
            self._warned_box = True
            entries = sorted(set(np.nonzero(outside)[1].tolist()))
            log.warning("%s: the predicted states of every warm-start candidate leave the "
                        "state box (entries %s), so the MILP has no incumbent and falls back to "
                        "the plan that leaves it least; pad the state box (a task file's "
                        "[state_box] margin). Counted as status 'fallback_warm_infeasible'.",
                        self.name, entries)
        return "fallback_warm_infeasible"


class _SamplerWarmStart(MipController):
    """A sampling planner for the first ``fraction`` of the step budget, then the MILP from
    its plan.

    Sampling and gradient descent find good plans fast but prove nothing; branch and bound
    proves but, on programs with hundreds of binaries, spends a short budget improving a weak
    incumbent. Here the sampler supplies the incumbent, so the plan is never worse under the
    model than the sampler's own in the shorter time, and the MILP improves it and reports the
    gap to the optimum (``info["improved"]`` says in which steps it did). A sampler knows
    nothing of the program's state box: when its plan leaves the box, the best plan that stays
    inside (:meth:`warm_start`) is the incumbent instead, and the plan is the program's.
    """

    sampler_class: type[PlanningController]  # the subclasses name theirs
    fraction_name = ""

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None, state_low=None, state_high=None,
                 bounds: str = "symbolic", fraction: float = 0.4, **kwargs) -> None:
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"{self.fraction_name}: expected in (0, 1), got {fraction}.")
        self.fraction = fraction
        self.sampler = self.sampler_class(net, cost, action_low, action_high, config)
        super().__init__(net, cost, action_low, action_high, config, state_low, state_high,
                         bounds=bounds, warm_samples=0, **kwargs)

    def reset(self, seed: int, goal) -> None:
        super().reset(seed, goal)
        self.sampler.reset(seed, goal)

    def set_obstacles(self, boxes) -> None:
        super().set_obstacles(boxes)
        self.sampler.set_obstacles(boxes)

    def _set_goal(self, goal: np.ndarray) -> None:
        super()._set_goal(goal)
        self.sampler.reset(0, goal)

    def plan(self, x0, warm, deadline):
        now = time.perf_counter()
        sampled, _, _, _ = self.sampler.plan(
            x0, warm, now + self.fraction * max(deadline - now, 0.0))
        # the sampler's plan first; should it leave the state box, the shifted previous plan
        # or random ones that stay inside give the MILP its incumbent (the MILP's costs are
        # compared in float64)
        plan, cost, inside = self.warm_start(x0, [sampled], 0)
        if not inside:
            plan, cost, _ = self.warm_start(x0, [sampled, warm], OUTSIDE_SAMPLES)
        return self.solve_from(x0, plan, cost, deadline)


class MipMppiController(_SamplerWarmStart):
    """MPPI for the first ``mppi_fraction`` of the step budget, then the MILP from its plan."""

    name = "mip-mppi"
    sampler_class = MPPI
    fraction_name = "mppi_fraction"

    def __init__(self, *args, mppi_fraction: float = 0.4, **kwargs) -> None:
        super().__init__(*args, fraction=mppi_fraction, **kwargs)


class MipGdController(_SamplerWarmStart):
    """Gradient descent for the first ``gd_fraction`` of the step budget, then the MILP from
    its plan: on a model where gradient descent reaches the model's optimum (the push models;
    BENCHMARKS) this separates what the MILP adds from the quality of its incumbent."""

    name = "mip-gd"
    sampler_class = GradientDescent
    fraction_name = "gd_fraction"

    def __init__(self, *args, gd_fraction: float = 0.4, **kwargs) -> None:
        super().__init__(*args, fraction=gd_fraction, **kwargs)
