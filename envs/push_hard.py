"""Hard variants of quasi-static pushing: obstacles, the pusher on the wrong side, large turns.

On the plain task the pusher starts behind the object and the goal is turned by at most 45
degrees: gradient descent finds the model's optimum there. These variants make the planning
problem non-convex, where a global search should matter:

* ``mpcnet/PushObstacle-v0``: one to three axis-aligned boxes lie between the object and a goal
  24 to 32 cm away. They are *not* physical: they are forbidden zones for the pusher and the
  object keypoints, priced by the cost (:class:`~mpcnet.costs.CostSpec`'s obstacle term, which
  every planner and the MILP see the same way), counted per step in ``info["violations"]``,
  and a point deeper than ``violation_depth`` (1 cm) inside one ends the episode as a failure.
  Because nothing physical changes, models trained on Push-v1 stay valid.
* ``mpcnet/PushAround-v0``: the pusher starts anywhere around the object, also on the goal
  side, so it must first walk around the object.
* ``mpcnet/PushTurn-v0``: the goal yaw differs by up to 180 degrees, which takes several
  contact switches.
* ``mpcnet/PushT{Obstacle,Around,Turn}-v0``: the same with the T-shaped object.

Physics, observation and action are Push-v1's (quasi-static).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from envs.push import MAX_STEP, PUSHER_LIMIT, PUSHER_RADIUS, WORKSPACE, PushEnv
from mpcnet.errors import ConfigError

MAX_OBSTACLES = 3
OBSTACLE_WEIGHT = 50.0  # per metre of depth, per point and step: 5 mm outweighs the largest
# gain of one step towards the goal (8 coordinates x 3 cm = 0.24)
VIOLATION_DEPTH = 0.01  # a point deeper than this inside an obstacle ends the episode
OBSTACLE_HALF_SIZE = (0.015, 0.035)  # half-widths drawn per axis, metres
OBSTACLE_GOAL_DISTANCE = (0.24, 0.32)  # goals far enough that an obstacle fits between
GOAL_LIMIT = 0.25  # goal centres of the obstacle variant stay inside |x|, |y| <= 0.25 m
CLEARANCE = 0.01  # drawn and given obstacles keep this far from the starts and the goal
POINTS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))  # the keypoints and the pusher
STARTS = ("behind", "around")


class HardPushEnv(PushEnv):
    """Push-v1 with obstacles, a pusher on any side, or large turns (module docstring).

    Reset options, besides Push-v1's ``object_pose``, ``goal_pose`` and ``pusher``:
    ``obstacles``, boxes ``(k, 4)`` (``k`` up to the env's ``obstacles``), each
    ``(x_low, y_low, x_high, y_high)`` in metres inside ``|x|, |y| <= 0.45``, clear of the
    object's start, the goal and the pusher by 1 cm; an empty list means none this episode.

    Info, besides Push-v1's: ``obstacles`` (the boxes of this episode, ``(k, 4)``),
    ``violations`` (how many point-box pairs overlap after this step), ``violation_depth``
    (the deepest, m) and ``violated`` (the episode ended on a violation; never a success).
    """

    def __init__(self, shape: str = "box", render_mode: str | None = None,
                 max_step: float = MAX_STEP, obstacles: int = 0, start: str = "behind",
                 max_turn: float = math.pi / 4,
                 violation_depth: float = VIOLATION_DEPTH, approach_weight: float = 0.0) -> None:
        super().__init__(shape, render_mode, max_step, quasi_static=True,
                         approach_weight=approach_weight)
        if not (isinstance(obstacles, int) and 0 <= obstacles <= MAX_OBSTACLES):
            raise ConfigError(f"obstacles: expected an integer in [0, {MAX_OBSTACLES}], got "
                              f"{obstacles!r}.")
        if start not in STARTS:
            raise ConfigError(f"start: expected one of {STARTS}, got {start!r}.")
        if not (isinstance(max_turn, int | float) and 0.0 <= max_turn <= math.pi):
            raise ConfigError(f"max_turn: expected radians in [0, pi], got {max_turn!r}.")
        if not (isinstance(violation_depth, int | float) and violation_depth > 0):
            raise ConfigError(f"violation_depth: expected metres > 0, got {violation_depth!r}.")
        self.max_obstacles, self.start, self.max_turn = obstacles, start, float(max_turn)
        self.violation_depth = float(violation_depth)
        self._boxes = np.zeros((0, 4))
        if obstacles:
            # Push-v1's cost with the obstacle terms added: every other term (the approach
            # term too) is kept, whatever CostSpec grows
            self.base_cost_spec = dataclasses.replace(self.cost_spec,
                                                      obstacles=empty_boxes(obstacles),
                                                      obstacle_points=POINTS,
                                                      obstacle_weight=OBSTACLE_WEIGHT)
            self.cost_spec = self.base_cost_spec

    # ------------------------------------------------------------------ episodes
    def _sample_poses(self):
        obj, goal, pusher = super()._sample_poses()
        rng = self.np_random
        if self.max_obstacles:  # farther goals, so that an obstacle fits between
            obj[:2] = rng.uniform(-0.08, 0.08, 2)
            dist = rng.uniform(*OBSTACLE_GOAL_DISTANCE)
            while True:  # a direction whose goal stays on the table (most do)
                angle = rng.uniform(-math.pi, math.pi)
                goal[:2] = obj[:2] + dist * np.array([math.cos(angle), math.sin(angle)])
                if np.abs(goal[:2]).max() <= GOAL_LIMIT:
                    break
        goal[2] = obj[2] + rng.uniform(-self.max_turn, self.max_turn)
        away = math.atan2(*(obj[:2] - goal[:2])[::-1])
        spread = math.pi if self.start == "around" else math.pi / 3
        angle = away + rng.uniform(-spread, spread)
        gap = self.shape.radius + PUSHER_RADIUS + rng.uniform(0.02, 0.06)
        pusher = np.clip(obj[:2] + gap * np.array([math.cos(angle), math.sin(angle)]),
                         -PUSHER_LIMIT, PUSHER_LIMIT)
        return obj, goal, pusher

    def _draw_obstacles(self, obj, goal, pusher) -> np.ndarray:
        """One to ``max_obstacles`` boxes: the first across the straight path, the others
        beside it, each drawn again (up to 50 times) while it touches a start or the goal."""
        rng = self.np_random
        count = int(rng.integers(1, self.max_obstacles + 1))
        line = goal[:2] - obj[:2]
        dist = max(float(np.linalg.norm(line)), 1e-9)
        direction = line / dist
        normal = np.array([-direction[1], direction[0]])
        reach = self.shape.radius + CLEARANCE + 0.005
        # the first box across the straight path, placed (and if need be shrunk) to fit
        # between the object's start and the goal
        half = rng.uniform(*OBSTACLE_HALF_SIZE, 2)
        room = dist - 2 * reach
        half *= min(1.0, room / (2 * np.linalg.norm(half)))
        slack = max(room / 2 - np.linalg.norm(half), 0.0)
        centre = (obj[:2] + (dist / 2 + rng.uniform(-slack, slack)) * direction
                  + rng.uniform(-0.02, 0.02) * normal)
        boxes = [np.r_[centre - half, centre + half]]
        for _ in range(count - 1):  # the others beside the path, where they fit
            for _ in range(50):
                side = rng.choice([-1.0, 1.0]) * rng.uniform(0.06, 0.12)
                centre = obj[:2] + rng.uniform(0.3, 0.7) * line + side * normal
                half = rng.uniform(*OBSTACLE_HALF_SIZE, 2)
                box = np.r_[centre - half, centre + half]
                if not self._blocking(box, obj, goal, pusher):
                    boxes.append(box)
                    break
        return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)

    def _blocking(self, box, obj, goal, pusher) -> str:
        """What ``box`` overlaps or leaves (``""``: nothing): the workspace, the object's
        start, the goal pose or the pusher's start, with a clearance."""
        if (np.abs(box) > WORKSPACE).any():
            return f"leaves the workspace |x|, |y| <= {WORKSPACE} m"
        reach = self.shape.radius + CLEARANCE
        for name, centre, radius in (("the object's start", obj[:2], reach),
                                     ("the goal", goal[:2], reach),
                                     ("the pusher's start", pusher, PUSHER_RADIUS + CLEARANCE)):
            nearest = np.clip(centre, box[:2], box[2:])
            if np.linalg.norm(centre - nearest) < radius:
                return f"overlaps {name} (keep {radius:.3f} m from its centre)"
        return ""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        options = dict(options or {}) if isinstance(options, dict) else options
        given = options.pop("obstacles", None) if isinstance(options, dict) else None
        obs, info = super().reset(seed=seed, options=options)
        if not self.max_obstacles:
            if given is not None:
                raise ConfigError("options['obstacles']: this env has no obstacles; use "
                                  "mpcnet/PushObstacle-v0 or PushTObstacle-v0.")
            return obs, info
        obj, goal = info["object_pose"], info["goal_pose"]
        pusher = obs[8:10].astype(np.float64)
        boxes = (self._draw_obstacles(obj, goal, pusher) if given is None
                 else self._checked_boxes(given, obj, goal, pusher))
        self._boxes = boxes
        self.cost_spec = self.base_cost_spec.with_obstacles(
            np.concatenate([boxes, empty_boxes(self.max_obstacles - len(boxes))]))
        for i, box in enumerate(boxes):
            half, centre = (box[2:] - box[:2]) / 2, (box[2:] + box[:2]) / 2
            self._sim.add_compound(f"obstacle{i}", [((*half, 0.0005), (0.0, 0.0, 0.0))],
                                   (*centre, 0.0006), 0.0, (0.9, 0.1, 0.1, 0.5), collide=False)
        return self._observe()

    def _checked_boxes(self, given, obj, goal, pusher) -> np.ndarray:
        try:
            boxes = np.asarray(given, dtype=np.float64).reshape(-1, 4)
        except (TypeError, ValueError):
            raise ConfigError("options['obstacles']: expected boxes (k, 4), each (x_low, y_low, "
                              f"x_high, y_high) in metres, got {given!r}.") from None
        if len(boxes) > self.max_obstacles or not np.isfinite(boxes).all() or (
                boxes[:, 2:] < boxes[:, :2]).any():
            raise ConfigError(f"options['obstacles']: expected at most {self.max_obstacles} "
                              "finite boxes with x_low <= x_high and y_low <= y_high, got "
                              f"{boxes.tolist()}.")
        for box in boxes:
            problem = self._blocking(box, obj, goal, pusher)
            if problem:
                raise ConfigError(f"options['obstacles']: the box {box.tolist()} {problem}; "
                                  "move it or change the poses.")
        return boxes

    # ------------------------------------------------------------------ steps
    def _observe(self) -> tuple[np.ndarray, dict]:
        obs, info = super()._observe()
        if self.max_obstacles:
            depths = self.cost_spec.obstacle_depths(obs.astype(np.float64))
            info.update(obstacles=self._boxes.copy(), violations=int((depths > 0).sum()),
                        violation_depth=float(depths.max(initial=0.0)), violated=False)
        return obs, info

    def _finish_step(self, action):
        obs, reward, terminated, truncated, info = super()._finish_step(action)
        if self.max_obstacles:
            reward -= float(self.cost_spec.obstacle_cost(obs.astype(np.float64)))
            if info["violation_depth"] > self.violation_depth:
                info.update(violated=True, is_success=False)
                terminated = True
        return obs, reward, terminated, truncated, info


def empty_boxes(count: int) -> np.ndarray:
    """``count`` zero-area boxes at the workspace corner: empty obstacle slots."""
    return np.tile(np.full(4, WORKSPACE), (count, 1))
