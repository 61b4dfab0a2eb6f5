"""Mixed-integer encoding of ReluNet dynamics over an MPC horizon.

The network is encoded in its folded form (:mod:`mpcnet.nn.folded`): identity neurons are
composed into the linear maps, so the only hidden units are the ReLUs. Decision variables, for
``t = 0..H-1``: actions ``u_t`` (action box), the pre-activation ``a_{t,g}`` of every ReLU of
group ``g`` (= hidden layer ``g``), the post-activation ``y`` and binary ``d`` of each ReLU that
can switch, and states ``x_{t+1}`` (state box intersected with the propagated bounds).
``x_0`` is a parameter (a column fixed to the current state). Rows:

* ReLU inputs: ``a_{t,g} - A_g [x_t; u_t] - sum_{h<g} B_{g,h} y_{t,h} = b_g``, only non-zero
  weights written, where ``y`` is ``a`` itself for stably active ReLUs, the ``y`` column for
  switching ones, and absent for stably inactive ones (they contribute nothing);
* dynamics: ``x_{t+1} - x_t - A_o [x_t; u_t] - sum_h B_{o,h} y_{t,h} = b_o`` (without
  ``- x_t`` when not residual);
* a ReLU ``y = max(a, 0)`` with bounds ``l < 0 < u`` on ``a`` gets one binary ``d`` and the
  big-M inequalities, with per-neuron constants ``M^- = -l`` and ``M^+ = u`` taken from the
  bound pass (:mod:`mpcnet.milp.bounds`)::

      y >= 0   (column bound)          y >= a
      y <= a - l (1 - d)               y <= u d

  ``d = 1`` gives ``y = a``; ``d = 0`` gives ``y = 0`` and ``a <= 0``. A neuron with ``u <= 0``
  or ``l >= 0`` is linear and gets no binary;
* cost (:class:`~mpcnet.costs.CostSpec`, L1 and therefore linear): for each weighted state
  dimension ``s_{t,i} >= 0``, ``s_{t,i} >= x_{t,i} - g_i - tol_i`` and
  ``s_{t,i} >= g_i - tol_i - x_{t,i}`` (the distance to the goal box), for each weighted
  action dimension ``r_{t,j} >= |u_{t,j}|`` likewise; minimise
  ``sum_t w_t sum_i state_weight_i s_{t,i} + sum_t sum_j action_weight_j r_{t,j}``.

Obstacle terms of the cost (boxes the pusher and keypoints keep out of) are encoded exactly
with one binary per box side (:mod:`mpcnet.milp.obstacles`); a new episode's boxes change row
bounds only.

The program is built once for a box of initial states (its structure: which ReLUs may switch);
:meth:`MpcEncoding.set_parameters` then fixes ``x_0`` and the goal and, with ``tighten``,
recomputes bounds for that exact ``x_0``: neurons that become stable get their binary fixed,
the others get smaller big-M constants, without rebuilding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError, ShapeError, finite_vector, positive_int
from mpcnet.milp import obstacles
from mpcnet.milp.bounds import NetBounds, compute_bounds
from mpcnet.milp.model import MilpBuilder, MilpModel, MilpStats
from mpcnet.nn.folded import FoldedNet
from mpcnet.nn.relunet import ReluNet


@dataclass
class _SwitchingRelu:
    """Columns and rows of one ReLU that may switch (for parameter updates)."""

    t: int
    k: int
    j: int
    a_col: int
    y_col: int
    d_col: int
    lower_row: int  # y - a - l d <= -l
    upper_row: int  # y - u d <= 0
    in_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # a = w . v + b
    in_w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bias: float = 0.0


@dataclass
class MpcSolution:
    """The result of one MPC solve.

    ``status`` is one of ``"optimal"``, ``"time_limit"`` (an incumbent, not proven optimal),
    ``"gap_limit"``, ``"no_solution"`` (no feasible plan found in time), ``"infeasible"`` or
    ``"error"``. ``actions``/``states`` are ``None`` unless a feasible plan exists.
    """

    status: str
    actions: np.ndarray | None
    states: np.ndarray | None
    objective: float
    dual_bound: float
    gap: float
    nodes: int
    binaries: int
    build_time_s: float
    update_time_s: float
    solve_time_s: float
    time_to_1pct_gap_s: float | None = None
    warm_start_accepted: bool | None = None
    stats: dict = field(default_factory=dict)
    # (seconds into the solve, incumbent, bound) as they changed; with track_gap, HiGHS and
    # Gurobi only
    progress: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.actions is not None


class MpcEncoding:
    """A ReluNet MPC problem as a MILP, built once and re-parameterised per solve.

    Args:
        net: Dynamics network.
        cost: Cost; its dimensions must match the network.
        horizon: ``H``.
        action_low, action_high: Action box.
        state_low, state_high: Optional state (workspace) box for ``x_1..x_H``.
        x0_low, x0_high: Box of the initial states this program will be used with (defaults
            to the state box; required when there is no state box).
        bounds: ``"symbolic"`` (tight, default) or ``"interval"``.
    """

    def __init__(self, net: ReluNet, cost: CostSpec, horizon: int, action_low, action_high,
                 state_low=None, state_high=None, x0_low=None, x0_high=None,
                 bounds: str = "symbolic") -> None:
        start = time.perf_counter()
        n, m = net.state_dim, net.action_dim
        if cost.state_dim != n or cost.action_dim != m:
            raise ShapeError(
                f"cost: expected weights for {n} states and {m} actions, got "
                f"{cost.state_dim} and {cost.action_dim}."
            )
        horizon = positive_int("horizon", horizon)
        if x0_low is None or x0_high is None:
            if state_low is None or state_high is None:
                raise ConfigError(
                    "initial-state box: give x0_low/x0_high (or a state box) so bounds can be "
                    "computed; an unbounded initial state leaves the big-M constants undefined."
                )
            x0_low, x0_high = state_low, state_high
        self.net, self.cost, self.horizon, self.bounds_method = net, cost, horizon, bounds
        self.folded = FoldedNet.from_relunet(net)
        self.action_low = finite_vector("action_low", action_low, m, broadcast=True)
        self.action_high = finite_vector("action_high", action_high, m, broadcast=True)
        self.state_low = None if state_low is None else finite_vector(
            "state_low", state_low, n, broadcast=True)
        self.state_high = None if state_high is None else finite_vector(
            "state_high", state_high, n, broadcast=True)
        self.x0_low = finite_vector("x0_low", x0_low, n, broadcast=True)
        self.x0_high = finite_vector("x0_high", x0_high, n, broadcast=True)
        for name, low, high in (("action", self.action_low, self.action_high),
                                ("x0", self.x0_low, self.x0_high)):
            if (low > high).any():
                raise ConfigError(f"{name} box: expected low <= high, got {low.tolist()} and "
                                  f"{high.tolist()}.")
        self.obstacle_region = (obstacles.obstacle_region(cost, self.state_low, self.state_high)
                                if cost.has_obstacles else None)
        self.structure_bounds = self._bounds(self.x0_low, self.x0_high)
        self._build(self.structure_bounds)
        self.build_time_s = time.perf_counter() - start
        self.current_bounds: NetBounds = self.structure_bounds
        self.x0: np.ndarray | None = None
        self.goal: np.ndarray | None = None

    def _bounds(self, x0_low, x0_high) -> NetBounds:
        return compute_bounds(self.folded, x0_low, x0_high, self.action_low, self.action_high,
                              self.horizon, self.state_low, self.state_high, self.bounds_method)

    # ------------------------------------------------------------------------ build
    def _build(self, bounds: NetBounds) -> None:
        fnet, cost, horizon = self.folded, self.cost, self.horizon
        b = MilpBuilder()
        x_cols = [b.add_cols(bounds.state_lower[0], bounds.state_upper[0])]
        u_cols, a_cols, switching = [], [], []
        s_rows, s_cols, r_cols, pair_cols, obstacle_terms = [], [], [], [], []
        s_dims = np.flatnonzero(cost.state_weight > 0)
        r_dims = np.flatnonzero(cost.action_weight > 0)
        for t in range(horizon):
            u = b.add_cols(self.action_low, self.action_high)
            u_cols.append(u)
            z = np.concatenate([x_cols[t], u])
            ys: list[np.ndarray] = []  # per group: y column per ReLU, -1 when constantly zero
            a_step = []
            for g in range(fnet.groups + 1):
                last = g == fnet.groups
                if last:
                    out = b.add_cols(bounds.state_lower[t + 1], bounds.state_upper[t + 1])
                else:
                    lo, hi = bounds.pre_lower[t][g], bounds.pre_upper[t][g]
                    out = b.add_cols(lo, hi)
                    a_step.append(out)
                inputs = np.concatenate([z, *ys])
                weights = np.concatenate([fnet.a[g], *fnet.b[g]], axis=1)
                affine = []  # (input columns, weights, bias) of each neuron, for the cuts
                for j in range(len(out)):
                    w = weights[j]
                    live = (inputs >= 0) & (w != 0.0)
                    affine.append((inputs[live].astype(np.int64), w[live].copy(),
                                   float(fnet.bias[g][j])))
                    cols, vals = [out[j], *inputs[live]], [1.0, *(-w[live])]
                    if last and fnet.residual:
                        cols, vals = cols + [x_cols[t][j]], vals + [-1.0]
                    b.add_row(cols, vals, fnet.bias[g][j], fnet.bias[g][j])
                if last:
                    x_cols.append(out)
                    break
                y = out.copy()
                for j in range(len(out)):
                    if hi[j] <= 0:
                        y[j] = -1
                    elif lo[j] < 0:
                        yc = b.add_cols(0.0, hi[j])[0]
                        d = b.add_cols(0.0, 1.0, integer=True)[0]
                        b.add_row([yc, out[j]], [1.0, -1.0], 0.0, np.inf)
                        lower_row = b.add_row([yc, out[j], d], [1.0, -1.0, -lo[j]], -np.inf,
                                              -lo[j])
                        upper_row = b.add_row([yc, d], [1.0, -hi[j]], -np.inf, 0.0)
                        switching.append(_SwitchingRelu(t, g, j, out[j], yc, d, lower_row,
                                                        upper_row, *affine[j]))
                        y[j] = yc
                ys.append(y)
            a_cols.append(a_step)
            weight = cost.terminal_weight if t == horizon - 1 else 1.0
            s = b.add_cols(0.0, np.inf, cost=weight * cost.state_weight[s_dims], size=len(s_dims))
            s_cols.append(s)
            step_rows = []
            for i, col in zip(s_dims, s, strict=True):
                step_rows.append((b.add_row([col, x_cols[t + 1][i]], [1.0, -1.0], 0.0, np.inf),
                                  b.add_row([col, x_cols[t + 1][i]], [1.0, 1.0], 0.0, np.inf)))
            s_rows.append(step_rows)
            r = b.add_cols(0.0, np.inf, cost=cost.action_weight[r_dims], size=len(r_dims))
            r_cols.append(r)
            for j, col in zip(r_dims, r, strict=True):
                b.add_row([col, u[j]], [1.0, -1.0], 0.0, np.inf)
                b.add_row([col, u[j]], [1.0, 1.0], 0.0, np.inf)
            pair_cols.append(self._add_pairs(b, x_cols[t + 1], weight))
            if self.obstacle_region is not None:
                obstacle_terms += obstacles.add_terms(
                    b, cost, t, x_cols[t + 1], bounds.state_lower[t + 1],
                    bounds.state_upper[t + 1], self.obstacle_region)
        self.model: MilpModel = b.build()
        self.obstacle_terms = obstacles.ObstacleTerms.stack(obstacle_terms)
        self.boxes = None
        if self.obstacle_terms is not None:
            self.set_obstacles(cost.obstacles)
        self.x_cols, self.u_cols, self.a_cols = np.array(x_cols), np.array(u_cols), a_cols
        self.switching, self.s_dims, self.s_rows = switching, s_dims, s_rows
        self.r_dims, self.s_cols, self.r_cols = r_dims, s_cols, r_cols
        self.pair_cols = pair_cols
        # (a, y, d) columns of every switching ReLU, for vectorised warm starts
        self._switch_cols = np.array([(sw.a_col, sw.y_col, sw.d_col) for sw in switching],
                                     dtype=np.int64).reshape(-1, 3)
        self._coeff_pos = {(row, col): self._data_index(row, col)
                           for sw in switching
                           for row, col in ((sw.lower_row, sw.d_col), (sw.upper_row, sw.d_col))}

    def _data_index(self, row: int, col: int) -> int:
        a = self.model.a
        span = np.arange(a.indptr[row], a.indptr[row + 1])
        return int(span[np.flatnonzero(a.indices[span] == col)[0]])

    # ------------------------------------------------------------------------ parameters
    def set_obstacles(self, boxes) -> None:
        """This episode's obstacle boxes ``(B, 4)`` (at most as many as the cost had when the
        program was built; fewer are padded with empty boxes). ConfigError for a program
        built without obstacles, or boxes outside the points' state box."""
        if self.obstacle_terms is None:
            raise ConfigError("obstacles: this program was built from a cost without obstacle "
                              "points, boxes and weight; build it from the obstacle cost.")
        self.boxes = obstacles.check_boxes(boxes, len(self.cost.obstacles),
                                           self.obstacle_region)
        self.cost = self.cost.with_obstacles(self.boxes)
        obstacles.set_boxes(self.model, self.obstacle_terms, self.boxes)

    def set_parameters(self, x0, goal, tighten: bool = True) -> list[tuple[int, int, float]]:
        """Fix the initial state and the goal; optionally tighten bounds for this ``x0``.

        Returns:
            The matrix coefficients that changed, ``(row, col, value)``, for the backend.

        Raises:
            ShapeError: for an ``x0`` or goal of the wrong shape.
            ConfigError: if ``x0`` lies outside the box the program was built for.
        """
        n = self.net.state_dim
        x0 = finite_vector("x0", x0, n)
        goal = self.cost.check_goal(goal)
        tol = 1e-9 * (1 + np.abs(x0))
        if ((x0 < self.x0_low - tol) | (x0 > self.x0_high + tol)).any():
            i = int(np.argmax((x0 < self.x0_low - tol) | (x0 > self.x0_high + tol)))
            raise ConfigError(
                f"x0: state {i} = {x0[i]:.6g} lies outside the initial-state box "
                f"[{self.x0_low[i]:.6g}, {self.x0_high[i]:.6g}] the program was built for; "
                "build it with a larger box."
            )
        model = self.model
        model.col_lower[self.x_cols[0]] = x0
        model.col_upper[self.x_cols[0]] = x0
        tol = self.cost.goal_tolerance
        for step_rows in self.s_rows:
            for i, (minus_row, plus_row) in zip(self.s_dims, step_rows, strict=True):
                model.row_lower[minus_row] = -goal[i] - tol[i]
                model.row_lower[plus_row] = goal[i] - tol[i]
        self.x0, self.goal = x0, goal
        if not tighten:
            if self.obstacle_terms is not None:
                obstacles.fix_sides(model, self.obstacle_terms, self.boxes, fix=False)
            return []
        bounds = self._bounds(x0, x0)
        self.current_bounds = bounds
        changes = self._apply_bounds(bounds)
        if self.obstacle_terms is not None:  # after the state bounds, which fix sides
            obstacles.fix_sides(model, self.obstacle_terms, self.boxes, fix=True)
        return changes

    def _apply_bounds(self, bounds: NetBounds) -> list[tuple[int, int, float]]:
        model, sb = self.model, self.structure_bounds
        for t in range(self.horizon):
            for k, cols in enumerate(self.a_cols[t]):
                model.col_lower[cols] = np.maximum(sb.pre_lower[t][k], bounds.pre_lower[t][k])
                model.col_upper[cols] = np.minimum(sb.pre_upper[t][k], bounds.pre_upper[t][k])
            x = self.x_cols[t + 1]
            model.col_lower[x] = np.maximum(sb.state_lower[t + 1], bounds.state_lower[t + 1])
            model.col_upper[x] = np.minimum(sb.state_upper[t + 1], bounds.state_upper[t + 1])
        changes = []
        for sw in self.switching:
            changes += self.set_relu_bounds(sw, model.col_lower[sw.a_col],
                                            model.col_upper[sw.a_col])
        return changes

    def set_relu_bounds(self, sw: _SwitchingRelu, lo: float, hi: float
                        ) -> list[tuple[int, int, float]]:
        """New pre-activation bounds for one switching ReLU: fix its binary when it became
        stable, and always rewrite its big-M constants (constants left from another ``x0``
        would cut off valid points). Returns the changed coefficients."""
        model = self.model
        model.col_lower[sw.a_col], model.col_upper[sw.a_col] = lo, hi
        model.col_upper[sw.y_col] = max(hi, 0.0)
        if hi <= 0:
            model.col_lower[sw.d_col] = model.col_upper[sw.d_col] = 0.0
        elif lo >= 0:
            model.col_lower[sw.d_col] = model.col_upper[sw.d_col] = 1.0
        else:
            model.col_lower[sw.d_col], model.col_upper[sw.d_col] = 0.0, 1.0
        model.row_upper[sw.lower_row] = -lo
        changes = []
        for row, val in ((sw.lower_row, -lo), (sw.upper_row, -hi)):
            model.a.data[self._coeff_pos[(row, sw.d_col)]] = val
            changes.append((row, sw.d_col, val))
        return changes

    def tightening_order(self) -> list[tuple[int, _SwitchingRelu | None, int]]:
        """Columns to tighten by optimisation, in horizon order: ``(t, relu or None, col)``
        for each switching ReLU's pre-activation, then each state ``x_{t+1}``."""
        order = []
        for t in range(self.horizon):
            order += [(t, sw, sw.a_col) for sw in self.switching if sw.t == t]
            order += [(t, None, int(c)) for c in self.x_cols[t + 1]]
        return order

    # ------------------------------------------------------------------------ solutions
    def stats(self) -> MilpStats:
        return self.model.stats()

    def complete(self, actions: np.ndarray) -> np.ndarray:
        """A full column vector for ``actions`` (states, activations, binaries, costs).

        This is the warm start: a forward pass from the current ``x0`` fills every variable
        so that the solver gets a feasible point whenever the plan respects the state box.
        """
        if self.x0 is None:
            raise ConfigError("complete: call set_parameters(x0, goal) first.")
        h, m = self.horizon, self.net.action_dim
        actions = np.asarray(actions, dtype=np.float64)
        if actions.shape != (h, m):
            raise ShapeError(f"warm start: expected actions of shape ({h}, {m}), "
                             f"got {actions.shape}.")
        actions = np.clip(actions, self.action_low, self.action_high)
        z = np.zeros(self.model.num_cols)
        x = self.x0
        z[self.x_cols[0]] = x
        fnet = self.folded
        for t in range(h):
            z[self.u_cols[t]] = actions[t]
            pre, out = fnet.forward(np.concatenate([x, actions[t]]))
            for g, cols in enumerate(self.a_cols[t]):
                z[cols] = pre[g]
            x = x + out if fnet.residual else out
            z[self.x_cols[t + 1]] = x
        a = z[self._switch_cols[:, 0]]
        z[self._switch_cols[:, 1]] = np.maximum(a, 0.0)
        z[self._switch_cols[:, 2]] = (a > 0).astype(float)
        self._fill_costs(z)
        return z

    def _fill_costs(self, z: np.ndarray) -> None:
        """Set the L1 auxiliaries to their smallest feasible values
        ``max(|x - g| - tol, 0)`` and ``|u|``."""
        dims, tol = self.s_dims, self.cost.goal_tolerance
        for t in range(self.horizon):
            x = z[self.x_cols[t + 1]]
            z[self.s_cols[t]] = np.maximum(np.abs(x[dims] - self.goal[dims]) - tol[dims], 0.0)
            z[self.r_cols[t]] = np.abs(z[self.u_cols[t]][self.r_dims])
            if self.cost.pair_terms:
                i, j, _ = self.cost.pair_arrays()
                z[self.pair_cols[t]] = np.abs(x[i] - x[j])
        if self.obstacle_terms is not None:
            obstacles.fill(z, self.model, self.obstacle_terms, self.boxes)

    def _add_pairs(self, b: MilpBuilder, x: np.ndarray, step_weight: float) -> np.ndarray:
        """Columns ``d_k >= |x[i_k] - x[j_k]|`` costing ``step_weight * w_k`` (the cost's
        ``pair_terms``; minimised, so each equals the distance at the optimum)."""
        if not self.cost.pair_terms:
            return np.zeros(0, dtype=np.int64)
        i, j, w = self.cost.pair_arrays()
        d = b.add_cols(0.0, np.inf, cost=step_weight * w, size=len(w))
        for col, a, c in zip(d, x[i], x[j], strict=True):
            b.add_row([col, a, c], [1.0, -1.0, 1.0], 0.0, np.inf)
            b.add_row([col, a, c], [1.0, 1.0, -1.0], 0.0, np.inf)
        return d

    def extract(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(actions (H, m), states x_1..x_H (H, n))`` from a column vector."""
        return z[self.u_cols], z[self.x_cols[1:]]
