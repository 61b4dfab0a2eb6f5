"""One cost definition shared by the environment, the planners and the MILP encoder.

The MPC cost of a plan from state ``x_0`` with actions ``u_0..u_{H-1}`` and predicted states
``x_1..x_H`` is

    J = sum_{t=1..H} w_t * sum_i state_weight[i] * max(|x_t[i] - goal[i]| - tol[i], 0)
        + sum_{t=0..H-1} sum_j action_weight[j] * |u_t[j]|

with ``w_t = 1`` for ``t < H`` and ``w_H = terminal_weight``. ``tol`` (``goal_tolerance``,
zero by default) turns the point goal into a box ``[goal - tol, goal + tol]``: the state term is
then the L1 distance to that box, zero inside it (the sorting task's target zones). Every term
is piecewise linear (an L1 norm with a dead zone), so the mixed-integer encoder represents it
exactly with auxiliary variables (HiGHS solves MILPs, not mixed-integer QPs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpcnet.errors import ConfigError, check_shape, finite_vector


@dataclass(frozen=True)
class CostSpec:
    """Weighted L1 tracking cost on states plus an L1 action penalty.

    Attributes:
        state_weight: Non-negative weight per state dimension, shape ``(n,)``.
        action_weight: Non-negative weight per action dimension, shape ``(m,)``.
        terminal_weight: Multiplier of the state term at the last horizon step.
        goal_tolerance: Non-negative half-width per state dimension of the goal box, shape
            ``(n,)``; ``None`` means zero (a point goal).
    """

    state_weight: np.ndarray
    action_weight: np.ndarray
    terminal_weight: float = 1.0
    goal_tolerance: np.ndarray | None = None

    def __post_init__(self) -> None:
        sw = np.asarray(self.state_weight, dtype=np.float64)
        aw = np.asarray(self.action_weight, dtype=np.float64)
        check_shape("CostSpec.state_weight", sw, (None,))
        check_shape("CostSpec.action_weight", aw, (None,))
        if (sw < 0).any() or (aw < 0).any() or not np.isfinite(np.r_[sw, aw]).all():
            raise ConfigError("CostSpec weights must be finite and non-negative.")
        if not (np.isfinite(self.terminal_weight) and self.terminal_weight >= 0):
            raise ConfigError(
                "CostSpec.terminal_weight: expected a finite value >= 0, "
                f"got {self.terminal_weight}."
            )
        tol = np.zeros_like(sw) if self.goal_tolerance is None else np.asarray(
            self.goal_tolerance, dtype=np.float64)
        check_shape("CostSpec.goal_tolerance", tol, sw.shape)
        if (tol < 0).any() or not np.isfinite(tol).all():
            raise ConfigError("CostSpec.goal_tolerance must be finite and non-negative.")
        for arr in (sw, aw, tol):
            arr.setflags(write=False)
        object.__setattr__(self, "state_weight", sw)
        object.__setattr__(self, "action_weight", aw)
        object.__setattr__(self, "goal_tolerance", tol)

    @property
    def state_dim(self) -> int:
        return int(self.state_weight.shape[0])

    @property
    def action_dim(self) -> int:
        return int(self.action_weight.shape[0])

    def check_goal(self, goal: np.ndarray) -> np.ndarray:
        """Return ``goal`` as a float array of shape ``(n,)``; ShapeError for another shape,
        ConfigError for a NaN or an infinity (which would give a finite, wrong plan)."""
        return finite_vector("goal", goal, self.state_dim)

    def state_cost(self, state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """``sum_i state_weight[i] max(|x[i] - goal[i]| - tol[i], 0)`` over the last axis."""
        excess = np.abs(np.asarray(state) - goal) - self.goal_tolerance
        return np.maximum(excess, 0.0) @ self.state_weight

    def action_cost(self, action: np.ndarray) -> np.ndarray:
        """``sum_j action_weight[j] |u[j]|`` over the last axis (numpy)."""
        return np.abs(np.asarray(action)) @ self.action_weight

    def plan_cost(self, states: np.ndarray, actions: np.ndarray, goal: np.ndarray) -> float:
        """Cost of one plan (numpy).

        Args:
            states: Predicted states ``x_1..x_H``, shape ``(H, n)``.
            actions: Actions ``u_0..u_{H-1}``, shape ``(H, m)``.
            goal: Goal state, shape ``(n,)``.
        """
        goal = self.check_goal(goal)
        check_shape("states", states, (None, self.state_dim))
        check_shape("actions", actions, (states.shape[0], self.action_dim))
        per_step = self.state_cost(states, goal)
        weights = np.ones(len(per_step))
        weights[-1] = self.terminal_weight
        return float(per_step @ weights + self.action_cost(actions).sum())

    def plan_cost_torch(self, states, actions, goal):
        """Batched cost of many plans (torch, differentiable).

        Args:
            states: ``(K, H, n)`` predicted states ``x_1..x_H``.
            actions: ``(K, H, m)`` actions.
            goal: ``(n,)`` or ``(K, n)`` goal states.

        Returns:
            ``(K,)`` costs.
        """
        import torch

        sw = torch.tensor(np.array(self.state_weight), dtype=states.dtype, device=states.device)
        aw = torch.tensor(np.array(self.action_weight), dtype=actions.dtype, device=actions.device)
        tol = torch.tensor(np.array(self.goal_tolerance), dtype=states.dtype,
                           device=states.device)
        goal = torch.as_tensor(goal, dtype=states.dtype, device=states.device)
        if goal.dim() == 2:
            goal = goal[:, None, :]
        per_step = (((states - goal).abs() - tol).clamp_min(0.0) * sw).sum(-1)  # (K, H)
        step_w = torch.ones(per_step.shape[-1], dtype=states.dtype, device=states.device)
        step_w[-1] = self.terminal_weight
        return (per_step * step_w).sum(-1) + (actions.abs() * aw).sum((-1, -2))

    def to_dict(self) -> dict:
        return {"state_weight": self.state_weight.tolist(),
                "action_weight": self.action_weight.tolist(),
                "terminal_weight": float(self.terminal_weight),
                "goal_tolerance": self.goal_tolerance.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> CostSpec:
        tol = d.get("goal_tolerance")
        return cls(np.asarray(d["state_weight"]), np.asarray(d["action_weight"]),
                   float(d.get("terminal_weight", 1.0)),
                   None if tol is None else np.asarray(tol))
