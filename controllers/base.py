"""The controller protocol and the receding-horizon loop shared by every planner."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, ShapeError
from mpcnet.relunet import ReluNet
from mpcnet.rollout import rollout, torch_dynamics


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


@dataclass
class PlannerConfig:
    """Settings shared by every planner.

    Attributes:
        horizon: Planning horizon ``H``.
        budget_ms: Wall-clock budget per step; sampling planners iterate until it is spent,
            the MIP uses it as its time limit.
        iterations: If set, a fixed number of iterations instead of the time budget (makes a
            planner exactly reproducible; used by tests).
    """

    horizon: int = 6
    budget_ms: float = 200.0
    iterations: int | None = None

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ConfigError(f"horizon: expected >= 1, got {self.horizon}.")
        if not self.budget_ms > 0:
            raise ConfigError(f"budget_ms: expected > 0, got {self.budget_ms}.")
        if self.iterations is not None and self.iterations < 1:
            raise ConfigError(f"iterations: expected >= 1 or None, got {self.iterations}.")


class PlanningController:
    """Receding-horizon control written once; subclasses implement :meth:`plan`.

    Every step the previous plan is shifted by one (last action repeated) and handed to
    :meth:`plan` as the warm start; the first action of the new plan is applied.
    """

    name = "base"

    def __init__(self, net: ReluNet, cost: CostSpec, action_low, action_high,
                 config: PlannerConfig | None = None) -> None:
        if cost.state_dim != net.state_dim or cost.action_dim != net.action_dim:
            raise ShapeError(
                f"cost: expected {net.state_dim} state and {net.action_dim} action weights, "
                f"got {cost.state_dim} and {cost.action_dim}."
            )
        self.net, self.cost, self.config = net, cost, config or PlannerConfig()
        self.low = np.asarray(action_low, dtype=np.float64).reshape(net.action_dim)
        self.high = np.asarray(action_high, dtype=np.float64).reshape(net.action_dim)
        self.model = torch_dynamics(net, dtype=torch.float64)
        self.goal: np.ndarray | None = None
        self.rng = np.random.default_rng(0)
        self.previous: np.ndarray | None = None

    @property
    def horizon(self) -> int:
        return self.config.horizon

    def reset(self, seed: int, goal: np.ndarray) -> None:
        if self.goal is None:  # first episode: pay torch's one-off set-up costs here, not in act
            u = torch.zeros(2, self.horizon, self.net.action_dim, dtype=torch.float64,
                            requires_grad=True)
            states = rollout(self.model, torch.zeros(self.net.state_dim, dtype=torch.float64), u)
            states.sum().backward()
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.goal = self.cost.check_goal(goal)
        self.previous = None

    def act(self, state: np.ndarray) -> ControlStep:
        if self.goal is None:
            raise ConfigError(f"{self.name}: call reset(seed, goal) before act().")
        state = np.asarray(state, dtype=np.float64).reshape(self.net.state_dim)
        start = time.perf_counter()
        deadline = start + self.config.budget_ms / 1000.0
        warm = self._shifted()
        plan, predicted, status, info = self.plan(state, warm, deadline)
        plan = np.clip(plan, self.low, self.high)
        self.previous = plan
        return ControlStep(action=plan[0].copy(), plan=plan,
                           plan_time_s=time.perf_counter() - start,
                           predicted_cost=float(predicted), status=status, info=info)

    def _shifted(self) -> np.ndarray:
        if self.previous is None:
            return np.zeros((self.horizon, self.net.action_dim))
        return np.concatenate([self.previous[1:], self.previous[-1:]])

    def keep_going(self, iteration: int, deadline: float) -> bool:
        """Whether to run iteration ``iteration`` (0-based): at least one, then budget-bound."""
        if self.config.iterations is not None:
            return iteration < self.config.iterations
        return iteration == 0 or time.perf_counter() < deadline

    def costs(self, x0: np.ndarray, plans: torch.Tensor) -> torch.Tensor:
        """Model-predicted cost of each plan ``(K, H, m)`` from ``x0`` (batched kernel)."""
        states = rollout(self.model, torch.as_tensor(x0), plans)
        return self.cost.plan_cost_torch(states, plans, self.goal)

    def plan(self, x0: np.ndarray, warm: np.ndarray, deadline: float):
        """Return ``(plan (H, m), predicted cost, status, info)``."""
        raise NotImplementedError
