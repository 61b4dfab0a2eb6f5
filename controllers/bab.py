"""Branch and bound over the action box (in the spirit of Shen et al., "BaB-ND", ICLR 2025).

The MILP branches on neurons, so its size grows with ReLUs x horizon. This planner branches on
the actions instead: the search space is the box of action sequences, ``D = H m`` numbers,
whatever the network's size.

* **Bound**: :class:`~mpcnet.bab.plan_bounds.PlanBounds` gives a sound lower bound of the plan cost
  over each of a batch of sub-boxes (linear bounds through the unrolled network).
* **Search**: best first, in batches. Each iteration takes the ``batch`` open boxes with the
  lowest bounds, samples plans inside them (the incumbent projected into the box, the box's
  centre, Gaussian perturbations of the projected incumbent and uniform points) and around the
  incumbent over the whole box (perturbations at four scales: a local search), splits each
  along the dimension with the best branching score (an estimate of how much the split raises
  both children's bounds), bounds the children in one batched call, and drops every box whose
  bound is not below the incumbent. A child's bound is at least its parent's.
* **Anytime**: at the deadline (or a fixed number of iterations) it returns the best plan, its
  model cost, the global lower bound (the smallest bound of an open box) and the relative gap
  ``(cost - bound) / |cost|``. An empty set of open boxes proves the plan optimal. Time too
  short for another batch of boxes goes to the local search.

The controller (``bab``) spends the first ``mppi_fraction`` of each step's budget on MPPI from
the shifted previous plan (the first incumbent), then branches and bounds until the deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from controllers.base import CallTimer, PlannerConfig, PlanningController
from mpcnet.bab.plan_bounds import SPLIT_RULES, PlanBounds
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import ReluNet
from mpcnet.plan_cost import PlanCost

_PRUNE_TOL = 1e-9  # relative: bounds are widened by as much against rounding


@dataclass(frozen=True)
class BabResult:
    """The outcome of one search: ``plan`` ``(H, m)``, its model ``objective``, the proven
    ``lower_bound`` and ``gap``, and how much work was done."""

    plan: np.ndarray
    objective: float
    lower_bound: float
    gap: float
    iterations: int
    boxes_bounded: int
    open_boxes: int
    time_s: float

    def to_dict(self) -> dict:
        return {"objective": self.objective, "lower_bound": self.lower_bound, "gap": self.gap,
                "iterations": self.iterations, "boxes_bounded": self.boxes_bounded,
                "open_boxes": self.open_boxes, "time_s": self.time_s}


def relative_gap(objective: float, lower: float) -> float:
    """``(objective - lower) / |objective|`` (0 when equal; 1e-9 floors the denominator)."""
    if not np.isfinite(objective):
        return np.inf
    if objective - lower <= 0:
        return 0.0
    return float((objective - lower) / max(abs(objective), 1e-9))


class _Pool:
    """The open boxes (corners, bounds, branching scores) and the smallest bound of the boxes
    pruned so far (a box is pruned when its bound is within rounding of the incumbent, so the
    proven bound is the smaller of the two)."""

    def __init__(self, lo, hi, lb, score) -> None:
        self.lo, self.hi, self.lb, self.score = lo, hi, lb, score
        self.pruned_floor = np.inf

    @property
    def size(self) -> int:
        return int(self.lo.shape[0])

    def lower(self, best_cost: float) -> float:
        """The proven lower bound of the whole action box."""
        open_min = float(self.lb.min()) if self.size else np.inf
        return min(open_min, self.pruned_floor, best_cost)

    def prune(self, best_cost: float) -> None:
        drop = self.lb >= best_cost - _PRUNE_TOL * (1.0 + abs(best_cost))
        if bool(drop.any()):
            self.pruned_floor = min(self.pruned_floor, float(self.lb[drop].min()))
            keep = ~drop
            self.lo, self.hi, self.lb, self.score = (self.lo[keep], self.hi[keep],
                                                     self.lb[keep], self.score[keep])

    def take_lowest(self, k: int):
        """Remove and return the ``k`` boxes with the lowest bounds."""
        order = torch.argsort(self.lb)
        take, rest = order[:k], order[k:]
        out = (self.lo[take], self.hi[take], self.lb[take], self.score[take])
        self.lo, self.hi, self.lb, self.score = (self.lo[rest], self.hi[rest], self.lb[rest],
                                                 self.score[rest])
        return out

    def add(self, lo, hi, lb, score) -> None:
        self.lo, self.hi = torch.cat([self.lo, lo]), torch.cat([self.hi, hi])
        self.lb, self.score = torch.cat([self.lb, lb]), torch.cat([self.score, score])


class ActionBranchAndBound:
    """The search (see the module docstring), reusable across steps.

    Args:
        bounds: The bounding pass (its problem set by :meth:`solve`).
        kernel: A float64 :class:`PlanCost` on the same device, for the sampled plans.
        low, high: Action box ``(m,)``.
        batch: Boxes split per iteration (at most; fewer when fewer are open or time is short).
        samples_per_box: Plans sampled in each box taken.
        gap: Stop when the relative gap is at most this.
        split: Branching rule of :meth:`PlanBounds.bound`: ``"coef"`` (default: the fastest
            per box; measured best on the push model at 1 s), ``"gradient"`` (closes small
            problems in fewer boxes, but each costs a backward pass) or ``"widest"``.
    """

    def __init__(self, bounds: PlanBounds, kernel: PlanCost, low, high, batch: int = 16,
                 samples_per_box: int = 16, gap: float = 1e-4, split: str = "coef") -> None:
        if split is None or split not in SPLIT_RULES:
            raise ConfigError(f"split: expected one of {SPLIT_RULES[1:]}, got {split!r}.")
        if not gap >= 0:
            raise ConfigError(f"bab: expected gap >= 0, got {gap!r}.")
        if batch < 1 or samples_per_box < 2:
            raise ConfigError(f"bab: expected batch >= 1 and samples_per_box >= 2, got "
                              f"{batch} and {samples_per_box}.")
        self.bounds, self.kernel = bounds, kernel
        self.h, self.m = bounds.horizon, bounds.m
        dev, dt = bounds.device, bounds.dtype
        self.low = torch.tensor(np.tile(low, self.h), dtype=dt, device=dev)
        self.high = torch.tensor(np.tile(high, self.h), dtype=dt, device=dev)
        self.batch, self.samples_per_box, self.gap = int(batch), int(samples_per_box), gap
        self.split = split
        bounds.set_action_box(low, high)
        self.timer = CallTimer()

    def _sample(self, lo, hi, incumbent, gen):
        """Plans ``(k * s, D)`` inside boxes ``lo, hi`` ``(k, D)``."""
        k, s = lo.shape[0], self.samples_per_box
        width = hi - lo
        inside = torch.minimum(torch.maximum(incumbent, lo), hi)
        rand = torch.rand((k, s, self.h * self.m), generator=gen, dtype=lo.dtype,
                          device=lo.device)
        uniform = lo[:, None] + rand * width[:, None]
        noise = torch.randn((k, s, self.h * self.m), generator=gen, dtype=lo.dtype,
                            device=lo.device)
        near = inside[:, None] + 0.1 * width[:, None] * noise
        plans = torch.where(torch.arange(s, device=lo.device)[None, :, None] < s // 2, near,
                            uniform)
        plans[:, 0], plans[:, 1] = inside, 0.5 * (lo + hi)
        plans = torch.minimum(torch.maximum(plans, lo[:, None]), hi[:, None])
        return torch.cat([plans.reshape(k * s, self.h * self.m), self._polish(incumbent, gen)])

    def _polish(self, incumbent, gen):
        """Perturbations of the incumbent over the whole box at a few scales (a local search
        that box sampling alone, confined to small boxes late in the search, does poorly)."""
        scales = torch.tensor([0.1, 0.03, 0.01, 0.003], dtype=incumbent.dtype,
                              device=incumbent.device).repeat_interleave(self.samples_per_box)
        noise = torch.randn((len(scales), incumbent.shape[0]), generator=gen,
                            dtype=incumbent.dtype, device=incumbent.device)
        plans = incumbent + scales[:, None] * (self.high - self.low) * noise
        return torch.minimum(torch.maximum(plans, self.low), self.high)

    def _polish_until(self, x, best, best_cost, deadline, gen):
        """Spend what is left before ``deadline`` improving the incumbent locally."""
        spent = 0.0
        while time.perf_counter() + 1.2 * spent <= deadline:
            tic = time.perf_counter()
            best, best_cost = self._improve(x, self._polish(best, gen), best, best_cost)
            spent = time.perf_counter() - tic
        return best, best_cost

    def _improve(self, x, plans, best, best_cost):
        """The incumbent after trying ``plans``: the cheapest of them if it beats ``best``."""
        costs = self._costs(x, plans)
        i = int(torch.argmin(costs))
        if float(costs[i]) < best_cost:
            return plans[i].clone(), float(costs[i])
        return best, best_cost

    def _plan(self, flat: torch.Tensor) -> np.ndarray:
        return flat.reshape(self.h, self.m).detach().to("cpu", torch.float64).numpy()

    def _costs(self, x0, plans):
        """Model costs of flat plans; ``inf`` where a state leaves the bounds' state box."""
        plans = plans.reshape(-1, self.h, self.m)
        with torch.no_grad():
            if self.bounds.state_low is None:
                return self.kernel(x0, plans)
            states = self.kernel.states(x0, plans)  # (H, K, n)
            outside = ((states < self.bounds.state_low) | (states > self.bounds.state_high))
            costs = self.kernel.cost_of(states, plans)
            return torch.where(outside.any(2).any(0), torch.inf, costs)

    def solve(self, x0, goal, incumbent: np.ndarray, deadline: float | None,
              gen: torch.Generator, iterations: int | None = None) -> BabResult:
        """Search from ``x0`` towards ``goal`` until ``deadline`` (``time.perf_counter()``)
        or, when given, for ``iterations`` iterations (the deadline is then ignored), starting
        from the plan ``incumbent`` ``(H, m)``."""
        start = time.perf_counter()
        self.bounds.set_problem(x0, goal)
        self.kernel.set_goal(goal)
        x = self.kernel.tensor(x0)
        best = torch.minimum(torch.maximum(self.kernel.tensor(incumbent).reshape(-1),
                                           self.low), self.high)
        best_cost = float(self._costs(x, best[None])[0])
        timed = deadline is not None and iterations is None
        if timed and not self._fits(1, deadline):  # not even the root bound fits: no proof
            best, best_cost = self._polish_until(x, best, best_cost, deadline, gen)
            return BabResult(self._plan(best), best_cost, -np.inf, np.inf, 0, 0, 1,
                             time.perf_counter() - start)
        root_lo, root_hi = self.low[None].clone(), self.high[None].clone()
        tic = time.perf_counter()
        root = self.bounds.bound(root_lo, root_hi, split=self.split)
        self.timer.record(1, time.perf_counter() - tic)
        pool = _Pool(root_lo, root_hi, root.lower, root.split_score)
        pool.prune(best_cost)
        bounded, it = 1, 0
        while pool.size and relative_gap(best_cost, pool.lower(best_cost)) > self.gap:
            k = min(self.batch, pool.size)
            if iterations is not None and it >= iterations:
                break
            if timed and not self._fits(2 * k, deadline):
                k = self._largest_fitting(k, deadline)
                if k == 0:
                    break
            t_lo, t_hi, t_lb, t_score = pool.take_lowest(k)
            best, best_cost = self._improve(x, self._sample(t_lo, t_hi, best, gen), best,
                                            best_cost)
            c_lo, c_hi, c_parent = self._split(t_lo, t_hi, t_lb, t_score)
            tic = time.perf_counter()
            child = self.bounds.bound(c_lo, c_hi, split=self.split)
            self.timer.record(c_lo.shape[0], time.perf_counter() - tic)
            bounded += c_lo.shape[0]
            pool.add(c_lo, c_hi, torch.maximum(child.lower, c_parent), child.split_score)
            pool.prune(best_cost)
            it += 1
        if timed:  # time too short for another batch of boxes
            best, best_cost = self._polish_until(x, best, best_cost, deadline, gen)
        lower = pool.lower(best_cost)
        return BabResult(self._plan(best), best_cost, lower, relative_gap(best_cost, lower), it,
                         bounded, pool.size, time.perf_counter() - start)

    def _split(self, lo, hi, lb, score):
        """Children of each box, halved along its best-scoring dimension."""
        dim = torch.argmax(score, 1)
        rows = torch.arange(lo.shape[0], device=lo.device)
        mid = 0.5 * (lo[rows, dim] + hi[rows, dim])
        low_hi, high_lo = hi.clone(), lo.clone()
        low_hi[rows, dim] = mid
        high_lo[rows, dim] = mid
        return (torch.cat([lo, high_lo]), torch.cat([low_hi, hi]), torch.cat([lb, lb]))

    def _fits(self, size: int, deadline: float) -> bool:
        return time.perf_counter() + 1.2 * self.timer.estimate(size) <= deadline

    def _largest_fitting(self, k: int, deadline: float) -> int:
        """The most boxes (at most ``k``) whose two children each can be bounded in time."""
        while k >= 1 and not self._fits(2 * k, deadline):
            k //= 2
        return k


class BabController(PlanningController):
    """Action-space branch and bound within each step's budget (module docstring).

    Args:
        state_low, state_high: Ignored unless ``use_state_box`` (the MILP's state box; the
            sampling planners do not impose one either).
        mppi_fraction: Share of the budget for the MPPI incumbent.
        batch, samples_per_box, gap, split: As in :class:`ActionBranchAndBound`.
        slope_steps: As in :class:`~mpcnet.bab.plan_bounds.PlanBounds`.
    """

    name = "bab"
    kernel_dtype = "float64"  # costs are compared with float64 bounds
    kernel_on_config_device = True

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None, state_low=None, state_high=None,
                 mppi_fraction: float = 0.3, batch: int = 16, samples_per_box: int = 16,
                 gap: float = 1e-3, use_state_box: bool = False, split: str = "coef",
                 slope_steps: int = 2) -> None:
        if not 0.0 <= mppi_fraction < 1.0:
            raise ConfigError(f"mppi_fraction: expected in [0, 1), got {mppi_fraction}.")
        super().__init__(net, cost, action_low, action_high, config)
        from controllers.sampling import MPPI

        self.mppi_fraction = mppi_fraction
        self.sampler = MPPI(net, cost, action_low, action_high, config)
        box = (state_low, state_high) if use_state_box else (None, None)
        bounds = PlanBounds(net, cost, self.horizon, *box, device=self.config.device,
                            slope_steps=slope_steps)
        self.search = ActionBranchAndBound(bounds, self.kernel, self.low, self.high, batch,
                                           samples_per_box, gap, split)

    def reset(self, seed: int, goal) -> None:
        super().reset(seed, goal)
        self.sampler.reset(seed, goal)

    def set_obstacles(self, boxes) -> None:
        super().set_obstacles(boxes)
        self.sampler.set_obstacles(boxes)
        self.search.bounds.set_obstacles(boxes)

    def warm_up(self) -> None:
        """One short search, so that one-off costs (allocations, the first timing of a batch
        of boxes) are not paid inside the first step's budget."""
        x0 = np.zeros(self.net.state_dim)
        self.search.solve(x0, self.goal, np.zeros((self.horizon, self.net.action_dim)), None,
                          self.gen, iterations=1)

    def plan(self, x0, warm, deadline):
        now = time.perf_counter()
        if self.mppi_fraction > 0:
            warm, _, _, _ = self.sampler.plan(
                x0, warm, now + self.mppi_fraction * max(deadline - now, 0.0))
        result = self.search.solve(x0, self.goal, np.clip(warm, self.low, self.high),
                                   deadline, self.gen, self.config.iterations)
        status = "optimal" if result.gap <= self.search.gap else "time_limit"
        return result.plan, result.objective, status, result.to_dict()
