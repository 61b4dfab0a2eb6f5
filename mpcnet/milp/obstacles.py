"""The obstacle term of the cost in the MILP: exact, with one binary per side of each box.

For a point ``p`` at step ``t`` and a box ``(x_low, y_low, x_high, y_high)`` the cost holds
``depth = max(0, min_k a_k)`` with the four signed distances to the sides

    a_0 = p_x - x_low,  a_1 = x_high - p_x,  a_2 = p_y - y_low,  a_3 = y_high - p_y.

The minimum of affine functions is concave, so ``e >= min_k a_k`` is a disjunction: the
point is behind at least one side. With binaries ``z_k``, ``sum_k z_k = 1``:

    e >= 0,   e >= a_k - M_k (1 - z_k)   (k = 0..3),   cost += obstacle_weight * e.

Minimisation picks the side with the smallest ``a_k``, so ``e`` equals the depth at every
optimum (the auxiliary is exact, as for the L1 terms). ``M_k`` is the largest value ``a_k``
can take: the point's bound on the far side minus the nearest place a box side may lie (the
*region*, the state box of the points). The box coordinates appear only in the rows' lower
bounds, so a new episode's boxes change bounds, never the matrix: the program is built once.
Per ``x0``, a point whose bounds keep it behind one side (``max a_k <= 0``) gets that side's
binary fixed to one, and its term costs no branching.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError
from mpcnet.milp.model import MilpBuilder, MilpModel

# side k: a_k = SIGN[k] * p[AXIS[k]] + const_k(box), const = (-x_low, x_high, -y_low, y_high)
AXIS = np.array([0, 0, 1, 1])
SIGN = np.array([1.0, -1.0, 1.0, -1.0])


def box_constants(boxes: np.ndarray) -> np.ndarray:
    """``const_k`` of each box, ``(B, 4)``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([-boxes[:, 0], boxes[:, 2], -boxes[:, 1], boxes[:, 3]], 1)


@dataclass
class ObstacleTerms:
    """Columns and rows of every point's depth inside every box at every step, one row of
    each array per term (``T`` terms), so per-step updates are array operations."""

    box: np.ndarray  # (T,) the box slot
    point: np.ndarray  # (T, 2) the columns of (p_x, p_y) in x_{t+1}
    depth_col: np.ndarray  # (T,)
    z_cols: np.ndarray  # (T, 4)
    rows: np.ndarray  # (T, 4)
    big_m: np.ndarray  # (T, 4)

    @classmethod
    def stack(cls, terms: list[tuple]) -> ObstacleTerms | None:
        """The terms from :func:`add_terms`'s tuples; ``None`` for none."""
        if not terms:
            return None
        return cls(*(np.array(column) for column in zip(*terms, strict=True)))

    def side_coords(self) -> np.ndarray:
        """``(T, 4)``: the column each side's distance ``a_k`` is measured along."""
        return self.point[:, AXIS]


def obstacle_region(cost: CostSpec, state_low, state_high) -> np.ndarray:
    """``(x_low, y_low, x_high, y_high)`` inside which every box must lie: the state box of the
    points. ConfigError without a state box (the constants ``M_k`` would be undefined)."""
    if state_low is None or state_high is None:
        raise ConfigError("obstacles: the MILP needs a state box (state_low, state_high) to "
                          "bound how deep a point can lie inside a box; give one.")
    idx = np.asarray(cost.obstacle_points, dtype=np.int64).reshape(-1, 2)
    low, high = np.asarray(state_low)[idx], np.asarray(state_high)[idx]
    return np.r_[low.min(0), high.max(0)]


def add_terms(b: MilpBuilder, cost: CostSpec, t: int, x_cols: np.ndarray, x_low: np.ndarray,
              x_high: np.ndarray, region: np.ndarray) -> list[tuple]:
    """The terms of step ``t`` (states ``x_{t+1}`` in ``x_cols``, bounded by ``x_low``,
    ``x_high``): for every box slot and point, a depth column, four binaries, four rows and
    the row that picks one side, as tuples for :meth:`ObstacleTerms.stack`. The rows' lower
    bounds are set by :func:`set_boxes`."""
    terms = []
    region_low, region_high = region[:2], region[2:]
    for box in range(len(cost.obstacles)):
        for ix, iy in cost.obstacle_points:
            point = np.array([x_cols[ix], x_cols[iy]])
            p_low, p_high = np.array([x_low[ix], x_low[iy]]), np.array([x_high[ix], x_high[iy]])
            big_m = np.maximum(np.where(SIGN > 0, p_high[AXIS] - region_low[AXIS],
                                        region_high[AXIS] - p_low[AXIS]), 1e-6)
            depth = b.add_cols(0.0, np.inf, cost=cost.obstacle_weight)[0]
            z = b.add_cols(0.0, 1.0, integer=True, size=4)
            rows = np.array([b.add_row([depth, point[AXIS[k]], z[k]], [1.0, -SIGN[k], -big_m[k]],
                                       -np.inf, np.inf) for k in range(4)])
            b.add_row(z, np.ones(4), 1.0, 1.0)
            terms.append((box, point, depth, z, rows, big_m))
    return terms


def check_boxes(boxes, slots: int, region: np.ndarray) -> np.ndarray:
    """``boxes`` as ``(slots, 4)`` inside ``region``, or a ConfigError that says what is
    wrong; fewer boxes than slots are padded with empty (zero-area) boxes."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) > slots:
        raise ConfigError(f"obstacles: the program was built for {slots} boxes, got "
                          f"{len(boxes)}; build it with a cost of as many boxes.")
    low, high = region[:2], region[2:]
    if ((boxes[:, :2] < low - 1e-12) | (boxes[:, 2:] > high + 1e-12)).any():
        raise ConfigError(f"obstacles: every box must lie inside the points' state box "
                          f"{region.tolist()}, got {boxes.tolist()}.")
    empty = np.tile(np.r_[high, high], (slots - len(boxes), 1))
    return np.concatenate([boxes, empty])


def set_boxes(model: MilpModel, terms: ObstacleTerms, boxes: np.ndarray) -> None:
    """Write the boxes (``(slots, 4)``, from :func:`check_boxes`) into the rows' bounds."""
    model.row_lower[terms.rows] = box_constants(boxes)[terms.box] - terms.big_m


def fix_sides(model: MilpModel, terms: ObstacleTerms, boxes: np.ndarray, fix: bool) -> None:
    """Free every side binary, then (``fix``) fix to one the side a point provably stays
    behind, given the current bounds of the state columns."""
    model.col_lower[terms.z_cols], model.col_upper[terms.z_cols] = 0.0, 1.0
    if not fix:
        return
    coords = terms.side_coords()
    far = np.where(SIGN > 0, model.col_upper[coords], model.col_lower[coords])
    largest = SIGN * far + box_constants(boxes)[terms.box]  # the largest value of each a_k
    k = np.argmin(largest, 1)
    behind = np.flatnonzero(largest[np.arange(len(k)), k] <= 0)
    model.col_upper[terms.z_cols[behind]] = 0.0
    side = terms.z_cols[behind, k[behind]]
    model.col_lower[side] = model.col_upper[side] = 1.0


def fill(z: np.ndarray, model: MilpModel, terms: ObstacleTerms, boxes: np.ndarray) -> None:
    """Warm-start values: the depth of each point and its nearest side (or the fixed one)."""
    sides = SIGN * z[terms.side_coords()] + box_constants(boxes)[terms.box]
    fixed = model.col_lower[terms.z_cols] > 0.5
    k = np.where(fixed.any(1), fixed.argmax(1), sides.argmin(1))
    z[terms.z_cols] = 0.0
    z[terms.z_cols[np.arange(len(k)), k]] = 1.0
    z[terms.depth_col] = np.maximum(sides.min(1), 0.0)
