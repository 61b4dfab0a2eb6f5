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

**Obstacles** add, for every step ``t = 1..H``, every obstacle box ``B`` and every point ``p``
named by ``obstacle_points`` (pairs of state entries, e.g. the pusher and the keypoints),

    obstacle_weight * depth(p, B),  depth = max(0, min(p_x - x_low, x_high - p_x,
                                                       p_y - y_low, y_high - p_y)),

how deep the point lies inside the box (zero outside). It is piecewise linear but not
convex: the MILP needs a binary per side (:mod:`mpcnet.milp.encoding`), the sampling planners
and GD evaluate it as written. The boxes change per episode (:meth:`CostSpec.with_obstacles`);
a zero-area box is an empty slot (its depth is zero everywhere).

**Differences** between state entries add ``sum_k w_k |x_t[i_k] - x_t[j_k]|`` to the state term
of every step (``pair_terms``: ``(i, j, w)``), e.g. the distance of an agent to the object it
must reach; convex and piecewise linear, so the MILP encodes it with one auxiliary per term.
"""

from __future__ import annotations

import dataclasses
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
        obstacles: Boxes ``(B, 4)``, each ``(x_low, y_low, x_high, y_high)``; ``None``: none.
        obstacle_points: State entries ``(i_x, i_y)`` of each point kept out of the boxes.
        obstacle_weight: Weight of each point's depth inside each box, per step.
        pair_terms: ``(i, j, w)`` triples: ``w |x[i] - x[j]|`` joins the state term.
    """

    state_weight: np.ndarray
    action_weight: np.ndarray
    terminal_weight: float = 1.0
    goal_tolerance: np.ndarray | None = None
    obstacles: np.ndarray | None = None
    obstacle_points: tuple[tuple[int, int], ...] = ()
    obstacle_weight: float = 0.0
    pair_terms: tuple[tuple[int, int, float], ...] = ()

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
        boxes, points = _check_obstacles(self.obstacles, self.obstacle_points,
                                         self.obstacle_weight, sw.shape[0])
        object.__setattr__(self, "obstacles", boxes)
        object.__setattr__(self, "obstacle_points", points)
        object.__setattr__(self, "obstacle_weight", float(self.obstacle_weight))
        object.__setattr__(self, "pair_terms", _check_pairs(self.pair_terms, sw.shape[0]))
        for arr in (sw, aw, tol, boxes):
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
        """``sum_i state_weight[i] max(|x[i] - goal[i]| - tol[i], 0)`` over the last axis,
        plus the ``pair_terms``."""
        state = np.asarray(state)
        excess = np.abs(state - goal) - self.goal_tolerance
        cost = np.maximum(excess, 0.0) @ self.state_weight
        if self.pair_terms:
            i, j, w = self.pair_arrays()
            cost = cost + np.abs(state[..., i] - state[..., j]) @ w
        return cost

    def pair_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``pair_terms`` as index arrays ``i``, ``j`` and weights ``w``."""
        terms = np.asarray(self.pair_terms, dtype=np.float64).reshape(-1, 3)
        return terms[:, 0].astype(np.int64), terms[:, 1].astype(np.int64), terms[:, 2]

    @property
    def has_obstacles(self) -> bool:
        """Whether the cost has an obstacle term (boxes, points and a positive weight)."""
        return bool(len(self.obstacles) and self.obstacle_points and self.obstacle_weight > 0)

    def with_obstacles(self, boxes) -> CostSpec:
        """This cost with other obstacle boxes (the same points and weight)."""
        return dataclasses.replace(self, obstacles=np.asarray(boxes, dtype=np.float64))

    def obstacle_depths(self, states: np.ndarray) -> np.ndarray:
        """Depth of each point inside each box, shape ``(..., points, boxes)`` (numpy)."""
        p = np.asarray(states, dtype=np.float64)[..., point_index(self.obstacle_points)]
        return np.maximum(side_distances(p, p, self.obstacles, np.stack).min(-1), 0.0)

    def obstacle_cost(self, states: np.ndarray) -> np.ndarray:
        """``obstacle_weight * sum of depths`` over the last axis of ``states`` (numpy)."""
        states = np.asarray(states, dtype=np.float64)
        if not self.has_obstacles:
            return np.zeros(states.shape[:-1])
        return self.obstacle_weight * self.obstacle_depths(states).sum((-1, -2))

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
        return float(per_step @ weights + self.action_cost(actions).sum()
                     + self.obstacle_cost(states).sum())

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
        if self.pair_terms:
            i, j, w = self.pair_arrays()
            w = torch.tensor(w, dtype=states.dtype, device=states.device)
            per_step = per_step + ((states[..., i] - states[..., j]).abs() * w).sum(-1)
        step_w = torch.ones(per_step.shape[-1], dtype=states.dtype, device=states.device)
        step_w[-1] = self.terminal_weight
        total = (per_step * step_w).sum(-1) + (actions.abs() * aw).sum((-1, -2))
        if self.has_obstacles:
            boxes = torch.tensor(np.array(self.obstacles), dtype=states.dtype,
                                 device=states.device)
            total = total + self.obstacle_weight * obstacle_depths_torch(
                states, self.obstacle_points, boxes).sum((-1, -2, -3))
        return total

    def to_dict(self) -> dict:
        return {"state_weight": self.state_weight.tolist(),
                "action_weight": self.action_weight.tolist(),
                "terminal_weight": float(self.terminal_weight),
                "goal_tolerance": self.goal_tolerance.tolist(),
                "obstacles": self.obstacles.tolist(),
                "obstacle_points": [list(p) for p in self.obstacle_points],
                "obstacle_weight": self.obstacle_weight,
                "pair_terms": [list(t) for t in self.pair_terms]}

    @classmethod
    def from_dict(cls, d: dict) -> CostSpec:
        tol, boxes = d.get("goal_tolerance"), d.get("obstacles")
        return cls(np.asarray(d["state_weight"]), np.asarray(d["action_weight"]),
                   float(d.get("terminal_weight", 1.0)),
                   None if tol is None else np.asarray(tol),
                   None if boxes is None else np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                   tuple(tuple(p) for p in d.get("obstacle_points", ())),
                   float(d.get("obstacle_weight", 0.0)),
                   tuple(tuple(t) for t in d.get("pair_terms", ())))


def obstacle_depths_torch(states, points, boxes):
    """Depth of each point inside each box, ``(..., P, B)``, from ``states`` ``(..., n)``,
    point entries ``points`` ``((i_x, i_y), ...)`` and boxes ``(B, 4)`` (torch; the gradient
    of the deepest side, zero outside)."""
    import torch

    p = states[..., torch.as_tensor(point_index(points), device=states.device)]
    return side_distances(p, p, boxes, torch.stack).amin(-1).clamp_min(0.0)


def point_index(points) -> np.ndarray:
    """The state entries ``(P, 2)`` of the obstacle points, for ``states[..., index]``."""
    return np.asarray(points, dtype=np.int64).reshape(-1, 2)


def side_distances(low, high, boxes, stack):
    """Signed distances ``a_k`` of points to the four sides of each box (positive inside),
    ``(..., P, B, 4)``, from point coordinates ``(..., P, 2)`` in numpy or torch (``stack`` is
    ``np.stack`` or ``torch.stack``). For points known only to lie in ``[low, high]`` each
    is the smallest that side's distance can be (a sound lower bound); ``low = high`` gives the
    exact distances. The depth is ``max(0, min_k a_k)``."""
    lo, hi = low[..., :, None, :], high[..., :, None, :]
    return stack([lo[..., 0] - boxes[:, 0], boxes[:, 2] - hi[..., 0],
                  lo[..., 1] - boxes[:, 1], boxes[:, 3] - hi[..., 1]], -1)


def _check_pairs(terms, n: int) -> tuple[tuple[int, int, float], ...]:
    """The ``pair_terms`` as ``((i, j, w), ...)``, or a ConfigError that says what is wrong."""
    try:
        out = tuple((int(i), int(j), float(w)) for i, j, w in terms)
    except (TypeError, ValueError):
        raise ConfigError(f"CostSpec.pair_terms: expected (i, j, weight) triples, got "
                          f"{terms!r}.") from None
    for i, j, w in out:
        if not (0 <= i < n and 0 <= j < n and i != j and np.isfinite(w) and w >= 0):
            raise ConfigError(f"CostSpec.pair_terms: expected two different state entries in "
                              f"[0, {n}) and a finite weight >= 0, got ({i}, {j}, {w}).")
    return out


def _check_obstacles(boxes, points, weight, n: int):
    """The obstacle fields as arrays, or a ConfigError that says what is wrong."""
    boxes = np.zeros((0, 4)) if boxes is None else np.asarray(boxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ConfigError(f"CostSpec.obstacles: expected boxes of shape (B, 4), each (x_low, "
                          f"y_low, x_high, y_high), got shape {boxes.shape}.")
    if not np.isfinite(boxes).all() or (boxes[:, 2] < boxes[:, 0]).any() or (
            boxes[:, 3] < boxes[:, 1]).any():
        raise ConfigError("CostSpec.obstacles: expected finite boxes with x_low <= x_high and "
                          f"y_low <= y_high, got {boxes.tolist()}.")
    try:
        points = tuple((int(i), int(j)) for i, j in points)
    except (TypeError, ValueError):
        raise ConfigError("CostSpec.obstacle_points: expected pairs of state entries "
                          f"(i_x, i_y), got {points!r}.") from None
    if any(not (0 <= i < n and 0 <= j < n) for p in points for i, j in [p]):
        raise ConfigError(f"CostSpec.obstacle_points: expected state entries in [0, {n}), got "
                          f"{list(points)}.")
    if not (np.isfinite(weight) and weight >= 0):
        raise ConfigError(f"CostSpec.obstacle_weight: expected a finite value >= 0, got {weight}.")
    return boxes, points
