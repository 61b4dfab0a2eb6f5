"""Planar pushing of one rigid object to a goal pose, simulated in PyBullet."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from envs.bullet import BulletEnv, Simulation
from envs.checks import checked_action, checked_options
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError

# Geometry and physics (SI units: metres, kilograms, seconds, radians).
TIMESTEP = 1.0 / 240.0
SUBSTEPS = 24  # physics steps per control step: one control step lasts 0.1 s
RESET_OPTIONS = {"object_pose": (3,), "goal_pose": (3,), "pusher": (2,)}  # (x, y, yaw), (x, y)
MAX_STEP = 0.03  # default action box: |dx|, |dy| <= 3 cm per control step
MAX_STEP_LIMIT = 0.1  # longest step the env accepts (the box is 10 cm)
PUSHER_RADIUS = 0.015
PUSHER_LIMIT = 0.35  # the pusher stays inside |x|, |y| <= 0.35 m
WORKSPACE = 0.45  # an object keypoint beyond |x| or |y| = 0.45 m ends the episode
OBS_LIMIT = 0.5
HEIGHT = 0.05  # object and pusher height
SUCCESS_DISTANCE = 0.02  # mean keypoint distance to the goal under 2 cm is success
ACTION_WEIGHT = 0.01  # L1 action penalty per metre of pusher motion

# Friction coefficients of the table and the object (PyBullet multiplies the two): v0's 0.4
# gives 0.16 and the object slides about 1.7 cm on after a push; v1's 0.7 gives 0.49.
SLIDING_FRICTION, QUASI_STATIC_FRICTION = 0.4, 0.7


def approach_terms(weight: float) -> tuple[tuple[int, int, float], ...]:
    """``weight * |pusher - keypoint|_1`` for each of the four keypoints, as
    ``CostSpec.pair_terms`` (none for a zero weight): it keeps the pusher by the object, where
    the models were trained, when no plan in the horizon moves the object nearer its goal."""
    if not weight:
        return ()
    return tuple((8 + axis, 2 * k + axis, weight) for k in range(4) for axis in (0, 1))


@dataclass(frozen=True)
class Shape:
    """A rigid planar object: boxes ``(half_extents_xy, offset_xy)`` and 4 body-frame keypoints."""

    parts: tuple[tuple[tuple[float, float], tuple[float, float]], ...]
    keypoints: tuple[tuple[float, float], ...]
    mass: float = 0.3

    @property
    def radius(self) -> float:
        """Distance from the body origin to its farthest point (for spawning the pusher)."""
        return max(math.hypot(abs(ox) + hx, abs(oy) + hy) for (hx, hy), (ox, oy) in self.parts)


BOX = Shape(parts=(((0.05, 0.05), (0.0, 0.0)),),
            keypoints=((0.05, 0.05), (-0.05, 0.05), (-0.05, -0.05), (0.05, -0.05)))
# A T: a 12 x 3 cm bar on top of a 3 x 9 cm stem. Keypoints: bar ends, stem foot, bar centre.
T_BLOCK = Shape(parts=(((0.06, 0.015), (0.0, 0.03)), ((0.015, 0.045), (0.0, -0.03))),
                keypoints=((0.06, 0.03), (-0.06, 0.03), (0.0, -0.075), (0.0, 0.03)))


def keypoints_world(shape: Shape, x: float, y: float, yaw: float) -> np.ndarray:
    """Keypoints of ``shape`` at pose ``(x, y, yaw)``, shape ``(4, 2)``."""
    c, s = math.cos(yaw), math.sin(yaw)
    local = np.asarray(shape.keypoints)
    return local @ np.array([[c, s], [-s, c]]) + np.array([x, y])


def drag_pusher(env, action, body: str) -> tuple[np.ndarray, bool]:
    """One control step of the pusher of ``env`` (a Push or Rope env): ``action`` checked and
    clipped to the env's step box, the target to the pusher's reach, then the constraint
    dragged along the straight line over ``SUBSTEPS`` physics steps (arriving at 3/4 of them,
    so the last quarter settles). Returns the applied action and whether the pusher touched
    ``body``."""
    action = np.clip(checked_action(action, env.action_space), -env.max_step, env.max_step)
    sim = env._sim
    start = np.asarray(sim.planar_pose("pusher")[:2])
    target = np.clip(start + action, -PUSHER_LIMIT, PUSHER_LIMIT)
    contact = False
    for i in range(1, SUBSTEPS + 1):
        env._move_constraint(start + (target - start) * min(1.0, i / (SUBSTEPS * 0.75)))
        sim.step()
        contact = contact or sim.in_contact("pusher", body)
    return action, contact


class PushEnv(BulletEnv):
    """Push a rigid object to a goal pose with a cylindrical pusher.

    A flat table, one object (a 10 x 10 cm box, or a T-shaped block in ``mpcnet/PushT-v0``)
    with friction, and a cylindrical pusher of radius 1.5 cm moved kinematically in the plane
    (a stiff constraint drags it along a straight line over 24 physics substeps of 1/240 s).

    ## Action space
    ``Box(-0.03, 0.03, (2,), float32)``: the pusher displacement in metres for one control
    step of 0.1 s.

    | Num | Action | Min (m) | Max (m) |
    |-----|--------|---------|---------|
    | 0   | dx     | -0.03   | 0.03    |
    | 1   | dy     | -0.03   | 0.03    |

    The pusher target is clipped to ``|x|, |y| <= 0.35`` m. ``gym.make(..., max_step=S)``
    makes the box ``[-S, S]^2`` (up to 0.1 m): a longer step reaches as far with a shorter
    horizon. ``mpcnet collect --max-step`` records it with the data, and models trained on that
    data are evaluated with it.

    ## Observation space (the MPC state)
    ``Box(-0.5, 0.5, (10,), float32)``, in metres, world frame:

    | Num | Observation                 | Min  | Max |
    |-----|-----------------------------|------|-----|
    | 0-1 | keypoint 0 (x, y)           | -0.5 | 0.5 |
    | 2-3 | keypoint 1 (x, y)           | -0.5 | 0.5 |
    | 4-5 | keypoint 2 (x, y)           | -0.5 | 0.5 |
    | 6-7 | keypoint 3 (x, y)           | -0.5 | 0.5 |
    | 8-9 | pusher centre (x, y)        | -0.35| 0.35|

    Box keypoints are its four corners; T keypoints are the two bar ends, the stem foot and
    the bar centre.

    ## Cost and reward
    ``reward = -cost`` with the shared :class:`~mpcnet.costs.CostSpec` (``self.cost_spec``):
    the L1 distance of the four keypoints to the goal keypoints plus ``0.01 * |u|_1``. The goal
    state is ``info["goal"]`` (pusher entries are zero and carry zero weight). With
    ``approach_weight=w`` (default 0) the cost also holds ``w * |pusher - keypoint|_1`` for
    each keypoint (:func:`approach_terms`), so planners keep the pusher by the object; success
    does not change.

    ## Physics: quasi-static (v1) or sliding (v0)
    ``mpcnet/Push-v1`` and ``mpcnet/PushT-v1`` (``quasi_static=True``) push quasi-statically:
    table-object friction 0.49 and every body stops at the end of each control step, so the
    observation (positions only) is the whole state and the next one depends on it and the
    action alone. In ``mpcnet/Push-v0`` (friction 0.16, no stop) a pushed object slides on:
    in the explorer's data it moves 17 mm on average in the step after contact ends, driven by a
    velocity no model of the observation can see. v0 is kept to reproduce the results measured
    on it.

    ## Episode end
    ``terminated`` when the mean Euclidean keypoint distance is under 2 cm (success,
    ``info["is_success"]``) or a keypoint leaves ``|x|, |y| <= 0.45`` m; ``truncated`` by the
    step limit of the registration (``max_episode_steps``, default 100).

    ## Reset
    The object centre is uniform in ``[-0.12, 0.12]^2`` m with uniform yaw; the goal is 8 to 18
    cm away with a yaw change of up to 45 degrees; the pusher starts 2 to 6 cm outside the
    object, on the side facing away from the goal (within 60 degrees). ``options`` may fix
    ``object_pose``, ``goal_pose`` (each ``(x, y, yaw)``) and ``pusher`` (``(x, y)``).

    ## Info
    ``goal`` (10,), ``goal_pose``, ``object_pose``, ``contact`` (pusher touched the object in the
    last step), ``keypoint_distance`` (mean, m), ``is_success``.
    """

    workspace, camera_height = WORKSPACE, 0.9
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, shape: str = "box", render_mode: str | None = None,
                 max_step: float = MAX_STEP, quasi_static: bool = False,
                 approach_weight: float = 0.0) -> None:
        shapes = {"box": BOX, "t": T_BLOCK}
        if shape not in shapes:
            raise ValueError(f"shape: expected one of {sorted(shapes)}, got {shape!r}.")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}.")
        if not (isinstance(max_step, int | float) and 0.0 < max_step <= MAX_STEP_LIMIT):
            raise ConfigError(f"max_step: expected a step length in (0, {MAX_STEP_LIMIT}] m, "
                              f"got {max_step!r}.")
        self.shape, self.render_mode = shapes[shape], render_mode
        self.max_step = float(max_step)
        self.quasi_static = bool(quasi_static)
        self.action_space = spaces.Box(-self.max_step, self.max_step, (2,), np.float32)
        self.observation_space = spaces.Box(-OBS_LIMIT, OBS_LIMIT, (10,), np.float32)
        if not (isinstance(approach_weight, int | float) and 0.0 <= approach_weight <= 1.0):
            raise ConfigError(f"approach_weight: expected a weight in [0, 1], got "
                              f"{approach_weight!r}.")
        self.approach_weight = float(approach_weight)
        self.cost_spec = CostSpec(np.r_[np.ones(8), 0.0, 0.0], np.full(2, ACTION_WEIGHT),
                                  pair_terms=approach_terms(self.approach_weight))
        # Box the MPC may assume for states (the workspace), used by the MILP bounds.
        self.state_low = np.r_[np.full(8, -WORKSPACE), np.full(2, -PUSHER_LIMIT)]
        self.state_high = -self.state_low
        self._sim: Simulation | None = None
        self._goal_pose = np.zeros(3)
        self._goal_kp = keypoints_world(self.shape, 0.0, 0.0, 0.0)
        self._last_contact = False

    # ------------------------------------------------------------------ simulation set-up
    def _build(self) -> Simulation:
        sim = Simulation(TIMESTEP)
        friction = QUASI_STATIC_FRICTION if self.quasi_static else SLIDING_FRICTION
        sim.add_box("table", (0.6, 0.6, 0.01), (0, 0, -0.01), 0.0, (0.8, 0.8, 0.8, 1),
                    friction=friction)
        parts3 = [((hx, hy, HEIGHT / 2), (ox, oy, 0.0)) for (hx, hy), (ox, oy) in self.shape.parts]
        sim.add_compound("object", parts3, (0, 0, HEIGHT / 2), self.shape.mass,
                         (0.9, 0.4, 0.1, 1), friction=friction)
        sim.add_compound("goal", [((hx, hy, 0.001), o) for (hx, hy, _), o in parts3],
                         (0, 0, 0.001), 0.0, (0.1, 0.8, 0.2, 0.5), collide=False)
        sim.add_cylinder("pusher", PUSHER_RADIUS, HEIGHT, (0, 0, HEIGHT / 2 + 0.002), 1.0,
                         (0.2, 0.2, 0.9, 1), friction=0.3)
        c = sim.client
        self._joint = c.createConstraint(sim.bodies["pusher"], -1, -1, -1, c.JOINT_FIXED,
                                         [0, 0, 0], [0, 0, 0], [0, 0, HEIGHT / 2 + 0.002])
        return sim

    def _place(self, object_pose, goal_pose, pusher_xy) -> None:
        sim = self._sim
        sim.set_pose("object", *object_pose[:2], HEIGHT / 2, object_pose[2])
        sim.set_pose("goal", *goal_pose[:2], 0.001, goal_pose[2])
        sim.set_pose("pusher", *pusher_xy, HEIGHT / 2 + 0.002, 0.0)
        self._move_constraint(pusher_xy)
        self._goal_pose = np.asarray(goal_pose, dtype=np.float64)
        self._goal_kp = keypoints_world(self.shape, *self._goal_pose)

    def _move_constraint(self, xy) -> None:
        self._sim.client.changeConstraint(self._joint, [xy[0], xy[1], HEIGHT / 2 + 0.002],
                                          maxForce=200.0)

    def _sample_poses(self):
        rng = self.np_random
        obj = np.r_[rng.uniform(-0.12, 0.12, 2), rng.uniform(-math.pi, math.pi)]
        angle, dist = rng.uniform(-math.pi, math.pi), rng.uniform(0.08, 0.18)
        goal_xy = np.clip(obj[:2] + dist * np.array([math.cos(angle), math.sin(angle)]), -0.2, 0.2)
        goal = np.r_[goal_xy, obj[2] + rng.uniform(-math.pi / 4, math.pi / 4)]
        # The pusher starts behind the object as seen from the goal (within +-60 degrees), so
        # pushing towards the goal is possible without first walking around the object.
        away = math.atan2(*(obj[:2] - goal[:2])[::-1])
        angle = away + rng.uniform(-math.pi / 3, math.pi / 3)
        gap = self.shape.radius + PUSHER_RADIUS + rng.uniform(0.02, 0.06)
        pusher = np.clip(obj[:2] + gap * np.array([math.cos(angle), math.sin(angle)]),
                         -PUSHER_LIMIT, PUSHER_LIMIT)
        return obj, goal, pusher

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = checked_options(options, RESET_OPTIONS)
        # A fresh simulation per episode: PyBullet keeps contact caches and constraint state
        # across teleports, which would make episodes depend on their predecessors.
        if self._sim is not None:
            self._sim.close()
        self._sim = self._build()
        obj, goal, pusher = self._sample_poses()
        obj = options.get("object_pose", obj)
        goal = options.get("goal_pose", goal)
        pusher = options.get("pusher", pusher)
        self._place(obj, goal, pusher)
        self._last_contact = False
        return self._observe()

    def step(self, action):
        action, contact = drag_pusher(self, action, "object")
        sim = self._sim
        if self.quasi_static:  # nothing moves between steps: no hidden velocity
            sim.stop("object")
            sim.stop("pusher")
        self._last_contact = contact
        return self._finish_step(action)

    # ------------------------------------------------------------------ helpers
    def _observe(self) -> tuple[np.ndarray, dict]:
        """Observation and info, from one read of the object and pusher poses."""
        pose = np.asarray(self._sim.planar_pose("object"))
        kp = keypoints_world(self.shape, *pose)
        obs = np.r_[kp.ravel(), self._sim.planar_pose("pusher")[:2]].astype(np.float32)
        dist = float(np.linalg.norm(kp - self._goal_kp, axis=1).mean())
        info = {"goal": self.goal_state(), "goal_pose": self._goal_pose.copy(),
                "object_pose": pose, "contact": self._last_contact,
                "keypoint_distance": dist, "is_success": dist < SUCCESS_DISTANCE}
        return obs, info

    def goal_state(self) -> np.ndarray:
        """The goal as a state vector: goal keypoints, then zeros for the pusher."""
        return np.r_[self._goal_kp.ravel(), 0.0, 0.0]
