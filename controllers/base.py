"""The controller protocol and the receding-horizon loop shared by every planner."""


from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from controllers.config import PlannerConfig
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, ShapeError, finite_vector
from mpcnet.nn.relunet import ReluNet
from mpcnet.plan_cost import PlanCost


@dataclass(frozen=True)
class ControlStep:
    """What a controller returns for one state.

    Attributes:
        action: ``(m,)`` action to apply, inside the action box.
        plan: ``(H, m)`` the whole planned sequence (``plan[0] == action``).
        plan_time_s: Wall-clock seconds spent planning.
        predicted_cost: Cost of ``plan`` under the model.
        status: ``"ok"`` for sampling/gradient planners; the MIP's solver status otherwise
            (``"optimal"``, ``"time_limit"``, ``"fallback"`` when no incumbent was found).
        info: Planner-specific numbers (MIP: gap, dual bound, binaries, nodes).
    """

    action: np.ndarray
    plan: np.ndarray
    plan_time_s: float
    predicted_cost: float
    status: str = "ok"
    info: dict = field(default_factory=dict)


class Controller(Protocol):
    """``reset(seed, goal)`` at the start of an episode, then ``act(state)`` every step."""

    name: str

    def reset(self, seed: int, goal: np.ndarray) -> None: ...

    def act(self, state: np.ndarray) -> ControlStep: ...


class CallTimer:
    """How long kernel calls of a given batch size take (a decaying average per size), so a
    planner only starts work that ends before its deadline."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}

    def record(self, size: int, seconds: float) -> None:
        old = self.seconds.get(size)
        self.seconds[size] = seconds if old is None else 0.7 * old + 0.3 * seconds

    def estimate(self, size: int) -> float:
        """Seconds for a call of ``size`` items (0 when nothing was measured yet)."""
        if size in self.seconds:
            return self.seconds[size]
        if not self.seconds:
            return 0.0
        near = min(self.seconds, key=lambda s: abs(s - size))
        return self.seconds[near] * max(size / near, 1.0)


class PlanningController:
    """Receding-horizon control written once; subclasses implement :meth:`plan`.

    Every step the previous plan is shifted by the number of its actions that were applied
(one, or what :meth:`executed` says; the last action repeated) and handed to
    :meth:`plan` as the warm start; the first action of the new plan is applied.

    Budgets hold: plans are evaluated in chunks sized to a quarter of the budget at most, and
    a chunk (or a gradient iteration) starts only if its measured duration fits before the
    deadline, so a step ends within its budget even when one full iteration would not fit.
    """

    name = "base"
    defaults: dict = {}
    kernel_dtype: str | None = None  # None: the config's dtype (the MIP needs float64)
    kernel_on_config_device = False  # with a kernel_dtype: CPU (the MIP) or the config's device
    warmed_up = False

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None) -> None:
        if cost.state_dim != net.state_dim or cost.action_dim != net.action_dim:
            raise ShapeError(
                f"cost: expected {net.state_dim} state and {net.action_dim} action weights, "
                f"got {cost.state_dim} and {cost.action_dim}."
            )
        self.net, self.cost, self.config = net, cost, config or PlannerConfig()
        self.low = finite_vector("action_low", action_low, net.action_dim, broadcast=True)
        self.high = finite_vector("action_high", action_high, net.action_dim, broadcast=True)
        if not (self.low <= self.high).all():
            raise ConfigError(f"action box: expected finite low <= high, got {self.low} and "
                              f"{self.high}.")
        device = ("cpu" if self.kernel_dtype and not self.kernel_on_config_device
                  else self.config.device)
        self.kernel = PlanCost(net, cost, self.kernel_dtype or self.config.dtype, device)
        self.low_t, self.high_t = self.kernel.tensor(self.low), self.kernel.tensor(self.high)
        self.span_t = self.high_t - self.low_t
        self.gen = torch.Generator(device=self.kernel.device)
        self.timer = CallTimer()
        self.goal: np.ndarray | None = None
        self.rng = np.random.default_rng(0)
        self.previous: np.ndarray | None = None
        self._applied = 1

    @property
    def horizon(self) -> int:
        return self.config.horizon

    @property
    def budget_s(self) -> float:
        return self.config.budget_ms / 1000.0

    def setting(self, name: str):
        """The config's value of ``name``, or this planner's default when it is ``None``."""
        value = getattr(self.config, name)
        return self.defaults.get(name) if value is None else value

    def reset(self, seed: int, goal: np.ndarray) -> None:
        self.goal = self.cost.check_goal(goal)
        self.kernel.set_goal(self.goal)
        if not self.warmed_up:  # first episode: pay one-off set-up costs here, not in act
            self.warm_up()
            self.warmed_up = True
        self.rng = np.random.default_rng(seed)
        self.gen.manual_seed(int(seed) % 2**63)
        self.previous = None
        self._applied = 1

    def set_obstacles(self, boxes) -> None:
        """This episode's obstacle boxes ``(B, 4)``: the cost every plan is scored by changes
        (see :class:`~mpcnet.costs.CostSpec`); call before :meth:`reset`."""
        self.kernel.set_obstacles(boxes)
        self.cost = self.kernel.cost

    def warm_up(self) -> None:
        """Run the kernel once at full width (allocations, and the first timing)."""
        x0 = torch.zeros(self.net.state_dim, dtype=self.kernel.dtype, device=self.kernel.device)
        size = self.setting("samples") or 2
        plans = self.sample_uniform(size)
        with torch.no_grad():
            for _ in range(2):  # the first call is slow; the second sets the timing
                self.timed_costs(x0, plans)

    def act(self, state: np.ndarray) -> ControlStep:
        if self.goal is None:
            raise ConfigError(f"{self.name}: call reset(seed, goal) before act().")
        state = finite_vector("state", state, self.net.state_dim)
        start = time.perf_counter()
        deadline = start + self.budget_s
        warm = self._shifted()
        plan, predicted, status, info = self.plan(state, warm, deadline)
        plan = np.clip(np.asarray(plan, dtype=np.float64), self.low, self.high)
        self.previous = plan
        return ControlStep(action=plan[0].copy(), plan=plan,
                           plan_time_s=time.perf_counter() - start,
                           predicted_cost=float(predicted), status=status, info=info)

    def executed(self, steps: int) -> None:
        """Say that ``steps`` actions of the last plan were applied (``--execute K`` applies
        K before replanning), so the next warm start is that plan shifted by ``steps``."""
        self._applied = max(1, int(steps))

    def _shifted(self) -> np.ndarray:
        if self.previous is None:
            return np.zeros((self.horizon, self.net.action_dim))
        k = min(self._applied, len(self.previous))
        self._applied = 1
        return np.concatenate([self.previous[k:], np.repeat(self.previous[-1:], k, axis=0)])

    # ------------------------------------------------------------ budget-aware evaluation
    def fixed_iterations(self) -> bool:
        return self.config.iterations is not None

    def fits(self, seconds: float, deadline: float | None) -> bool:
        """Whether work estimated at ``seconds`` ends before ``deadline``."""
        return deadline is None or time.perf_counter() + 1.1 * seconds <= deadline

    def keep_going(self, iteration: int, deadline: float | None, size: int = 1) -> bool:
        """Whether to run iteration ``iteration`` (0-based) of ``size`` plans: at least one;
        then a fixed count, or while its first chunk fits before the deadline."""
        if self.fixed_iterations():
            return iteration < self.config.iterations
        if iteration == 0:
            return True
        return self.fits(self.timer.estimate(self.chunk_size(size)), deadline)

    def chunk_size(self, size: int) -> int:
        """Plans per kernel call: all of them, unless that takes over a quarter of the budget."""
        full = self.timer.estimate(size)
        if self.fixed_iterations() or full <= 0.25 * self.budget_s:
            return size
        return max(1, int(size * 0.25 * self.budget_s / full))

    def timed_costs(self, x0: torch.Tensor, plans: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        costs = self.kernel(x0, plans)
        if costs.device.type == "cuda":
            torch.cuda.synchronize(costs.device)
        self.timer.record(plans.shape[0], time.perf_counter() - start)
        return costs

    @torch.no_grad()
    def evaluate(self, x0: torch.Tensor, plans: torch.Tensor,
                 deadline: float | None) -> torch.Tensor:
        """Costs of the leading plans that fit before ``deadline`` (all of them without a
        deadline or with fixed iterations); at least the first chunk is evaluated."""
        size = plans.shape[0]
        chunk = self.chunk_size(size)
        if chunk >= size:
            return self.timed_costs(x0, plans)
        parts = []
        for start in range(0, size, chunk):
            part = plans[start:start + chunk]
            if parts and not self.fixed_iterations() and not self.fits(
                    self.timer.estimate(part.shape[0]), deadline):
                break
            parts.append(self.timed_costs(x0, part))
        return torch.cat(parts)

    def sample_uniform(self, size: int) -> torch.Tensor:
        """``size`` plans uniform in the action box."""
        u = torch.rand((size, self.horizon, self.net.action_dim), generator=self.gen,
                       dtype=self.kernel.dtype, device=self.kernel.device)
        return self.low_t + u * self.span_t

    def clamp(self, plans: torch.Tensor) -> torch.Tensor:
        return torch.maximum(torch.minimum(plans, self.high_t), self.low_t)

    def plan(self, x0: np.ndarray, warm: np.ndarray, deadline: float):
        """Return ``(plan (H, m), predicted cost, status, info)``."""
        raise NotImplementedError


__all__ = ["ControlStep", "Controller", "PlannerConfig", "PlanningController"]
