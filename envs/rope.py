"""Shaping a rope on a table with a pusher, simulated in PyBullet (``mpcnet/Rope-v0``).

The rope is a planar chain of rigid capsules: one PyBullet multibody whose links are joined by
revolute joints about the vertical (point constraints in the plane), so it bends freely, keeps
its length exactly and drags on the table with friction. A weak motor on every joint resists
bending a little, as a real rope's stiffness does. Like Push-v1 the pushing is quasi-static:
every body stops at the end of each control step, so the observation (positions only) is the
whole state.
"""

from __future__ import annotations

import math

import numpy as np
from gymnasium import spaces

from envs.bullet import BulletEnv, Simulation, pybullet
from envs.checks import checked_options
from envs.push import MAX_STEP, MAX_STEP_LIMIT, PUSHER_LIMIT, PUSHER_RADIUS, TIMESTEP, drag_pusher
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError

LINKS = 20  # capsules in the rope
LINK_LENGTH = 0.015  # metres between joints: the rope is 30 cm long
RADIUS = 0.006  # capsule radius
LINK_MASS = 0.01  # kg per link
FRICTION = 0.6  # rope-table friction (PyBullet multiplies it with the table's 1.0)
BEND_FRICTION = 2e-4  # N m: the joint motors' force, a little bending resistance
KEYPOINTS = 10  # observed points at equal fractions of the rope's length, ends included
WORKSPACE = 0.45  # a keypoint beyond |x| or |y| = 0.45 m ends the episode
GOAL_LIMIT = 0.3  # goal keypoints stay inside |x|, |y| <= 0.3 m
OBS_LIMIT = 0.5
SUCCESS_DISTANCE = 0.02  # mean keypoint distance to the goal under 2 cm is success
ACTION_WEIGHT = 0.01  # L1 action penalty per metre of pusher motion, as in pushing
SHAPES = ("line", "arc", "L", "U")
RESET_OPTIONS = {"rope_pose": (3,), "goal_pose": (3,), "pusher": (2,)}
SHAPE_OPTIONS = ("start_shape", "goal_shape")


def shape_polyline(shape: str, length: float) -> np.ndarray:
    """Corner points ``(k, 2)`` of a rope ``shape`` of arc length ``length``, centred on the
    mean of its points and running along +x: a straight line, a 120-degree arc, an L (two
    equal legs at a right angle) or a U (a base of half the length, legs of a quarter)."""
    if shape == "line":
        points = np.array([[0.0, 0.0], [length, 0.0]])
    elif shape == "arc":
        sweep = 2 * math.pi / 3
        radius = length / sweep
        angles = np.linspace(-sweep / 2, sweep / 2, 61)
        points = radius * np.c_[np.sin(angles), 1.0 - np.cos(angles)]
        points *= length / np.linalg.norm(np.diff(points, axis=0), axis=1).sum()  # chords
    elif shape == "L":
        half = length / 2
        points = np.array([[0.0, 0.0], [half, 0.0], [half, half]])
    elif shape == "U":
        leg, base = length / 4, length / 2
        points = np.array([[0.0, leg], [0.0, 0.0], [base, 0.0], [base, leg]])
    else:
        raise ConfigError(f"rope shape: expected one of {SHAPES}, got {shape!r}.")
    return points - resample(points, KEYPOINTS).mean(axis=0)


def resample(polyline: np.ndarray, count: int) -> np.ndarray:
    """``count`` points at equal arc-length fractions of ``polyline`` (ends included)."""
    segments = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    along = np.r_[0.0, np.cumsum(segments)]
    wanted = np.linspace(0.0, along[-1], count)
    return np.c_[np.interp(wanted, along, polyline[:, 0]), np.interp(wanted, along, polyline[:, 1])]


def placed(points: np.ndarray, pose) -> np.ndarray:
    """``points`` turned by ``pose[2]`` about the origin, then moved to ``pose[:2]``."""
    c, s = math.cos(pose[2]), math.sin(pose[2])
    return points @ np.array([[c, s], [-s, c]]) + np.asarray(pose[:2])


class RopeEnv(BulletEnv):
    """Push a rope into a target shape with a cylindrical pusher.

    A 30 cm rope of 20 capsules (radius 6 mm) lies on a table; the pusher (radius 1.5 cm) is
    moved kinematically in the plane as in ``mpcnet/Push-v1``.

    ## Action space
    ``Box(-0.03, 0.03, (2,), float32)``: the pusher displacement in metres for one control
    step of 0.1 s (``max_step=`` up to 0.1 m). The pusher target is clipped to ``|x|, |y| <=
    0.35`` m. (A 4-D push primitive, start point and push vector, is not offered: the planners
    and models of pushing take displacements unchanged.)

    ## Observation space (the MPC state)
    ``Box(-0.5, 0.5, (22,), float32)``, metres, world frame: 10 keypoints ``(x, y)`` at equal
    fractions of the rope's length from its first end to its last (entries 0 to 19), then the
    pusher centre (entries 20 and 21).

    ## Cost and reward
    ``reward = -cost`` with :class:`~mpcnet.costs.CostSpec`: the L1 distance of the 10
    keypoints to the goal keypoints plus ``0.01 * |u|_1``. The rope's ends are told apart:
    keypoint 0 must reach goal keypoint 0.

    ## Goals
    A target shape (``goals=``, default all four): a straight ``line``, a 120-degree ``arc``,
    an ``L`` or a ``U`` of the rope's length, as 10 goal keypoints. Its centre lies up to 6 cm
    from the rope's start centre, turned by up to 45 degrees from the rope's start direction,
    with every goal keypoint inside ``|x|, |y| <= 0.3`` m.

    ## Episode end
    ``terminated`` when the mean Euclidean keypoint distance is under 2 cm (success,
    ``info["is_success"]``) or a keypoint leaves ``|x|, |y| <= 0.45`` m; ``truncated`` by the
    registration's step limit (100).

    ## Reset
    The rope starts straight (``start_shape=`` any of the shapes), centred uniformly in
    ``[-0.08, 0.08]^2`` m with a uniform direction; the pusher starts 1 to 4 cm beside a random
    inner part of the rope. ``options`` may fix ``rope_pose`` and ``goal_pose`` (each ``(x, y,
    yaw)``: centre and direction), ``start_shape`` and ``goal_shape`` (names), and ``pusher``
    (``(x, y)``, clear of the rope).

    ## Info
    ``goal`` (22,), ``goal_shape``, ``contact`` (the pusher touched the rope in the last step),
    ``keypoint_distance`` (mean, m), ``rope_length`` (m, along the links' joints),
    ``is_success``.
    """

    workspace, camera_height = WORKSPACE, 0.9
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    explorer = "rope"  # mpcnet collect pushes across the rope (training.collect.RopeExplorer)
    # a graph model (--model gnn --edges chain) takes the keypoints as its objects
    num_objects = KEYPOINTS

    def __init__(self, render_mode: str | None = None, max_step: float = MAX_STEP,
                 goals: tuple[str, ...] | list[str] | str = SHAPES,
                 link_length: float = LINK_LENGTH, bend_friction: float = BEND_FRICTION) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}.")
        if not (isinstance(max_step, int | float) and 0.0 < max_step <= MAX_STEP_LIMIT):
            raise ConfigError(f"max_step: expected a step length in (0, {MAX_STEP_LIMIT}] m, "
                              f"got {max_step!r}.")
        goals = (goals,) if isinstance(goals, str) else tuple(goals)
        if not goals or any(g not in SHAPES for g in goals):
            raise ConfigError(f"goals: expected shapes from {SHAPES}, got {goals!r}.")
        if not (isinstance(link_length, int | float) and 0.008 <= link_length <= 0.03):
            raise ConfigError(f"link_length: expected metres in [0.008, 0.03], got "
                              f"{link_length!r}.")
        if not (isinstance(bend_friction, int | float) and 0.0 <= bend_friction <= 0.01):
            raise ConfigError(f"bend_friction: expected N m in [0, 0.01], got "
                              f"{bend_friction!r}.")
        self.render_mode, self.max_step, self.goals = render_mode, float(max_step), goals
        self.link_length, self.bend_friction = float(link_length), float(bend_friction)
        self.length = LINKS * self.link_length
        self.action_space = spaces.Box(-self.max_step, self.max_step, (2,), np.float32)
        self.observation_space = spaces.Box(-OBS_LIMIT, OBS_LIMIT, (2 * KEYPOINTS + 2,),
                                            np.float32)
        self.cost_spec = CostSpec(np.r_[np.ones(2 * KEYPOINTS), 0.0, 0.0],
                                  np.full(2, ACTION_WEIGHT))
        self.state_low = np.r_[np.full(2 * KEYPOINTS, -WORKSPACE), np.full(2, -PUSHER_LIMIT)]
        self.state_high = -self.state_low
        self._sim: Simulation | None = None
        self._goal_kp = np.zeros((KEYPOINTS, 2))
        self._goal_shape = goals[0]
        self._last_contact = False

    # ------------------------------------------------------------------ simulation set-up
    def _build(self) -> Simulation:
        sim = Simulation(TIMESTEP)
        sim.add_box("table", (0.6, 0.6, 0.01), (0, 0, -0.01), 0.0, (0.8, 0.8, 0.8, 1),
                    friction=1.0)
        sim.bodies["rope"] = self._add_rope(sim)
        sim.add_cylinder("pusher", PUSHER_RADIUS, 0.05, (0, 0, 0.027), 1.0, (0.2, 0.2, 0.9, 1),
                         friction=0.3)
        c = sim.client
        self._joint = c.createConstraint(sim.bodies["pusher"], -1, -1, -1, c.JOINT_FIXED,
                                         [0, 0, 0], [0, 0, 0], [0, 0, 0.027])
        self._goal_markers = [sim.client.createMultiBody(
            0.0, -1, sim.client.createVisualShape(pybullet.GEOM_SPHERE, radius=0.005,
                                                  rgbaColor=(0.1, 0.8, 0.2, 0.8)),
            [0, 0, 0.001]) for _ in range(KEYPOINTS)]
        return sim

    def _add_rope(self, sim: Simulation) -> int:
        """The rope: a floating base capsule and ``LINKS - 1`` capsules, each joined to the
        one before at its end by a revolute joint about z. A frame's origin is its joint
        (the base's: the rope's first end); every capsule runs along its frame's +x."""
        c, half = sim.client, self.link_length / 2
        along_x = c.getQuaternionFromEuler([0.0, math.pi / 2, 0.0])  # capsules lie along z
        shape = dict(radius=RADIUS, collisionFramePosition=[half, 0, 0],
                     collisionFrameOrientation=along_x)
        col = c.createCollisionShape(pybullet.GEOM_CAPSULE, height=self.link_length - RADIUS,
                                     **shape)
        vis = c.createVisualShape(pybullet.GEOM_CAPSULE, length=self.link_length - RADIUS,
                                  radius=RADIUS, rgbaColor=(0.9, 0.4, 0.1, 1),
                                  visualFramePosition=[half, 0, 0],
                                  visualFrameOrientation=along_x)
        n = LINKS - 1
        body = c.createMultiBody(
            baseMass=LINK_MASS, baseCollisionShapeIndex=col, baseVisualShapeIndex=vis,
            basePosition=[0, 0, RADIUS], baseInertialFramePosition=[half, 0, 0],
            linkMasses=[LINK_MASS] * n, linkCollisionShapeIndices=[col] * n,
            linkVisualShapeIndices=[vis] * n, linkPositions=[[self.link_length, 0, 0]] * n,
            linkOrientations=[[0, 0, 0, 1]] * n, linkInertialFramePositions=[[half, 0, 0]] * n,
            linkInertialFrameOrientations=[[0, 0, 0, 1]] * n,
            linkParentIndices=list(range(n)), linkJointTypes=[pybullet.JOINT_REVOLUTE] * n,
            linkJointAxis=[[0, 0, 1]] * n)
        for link in range(-1, n):
            c.changeDynamics(body, link, lateralFriction=FRICTION, rollingFriction=0.0,
                             spinningFriction=0.0, linearDamping=0.0, angularDamping=0.0)
        # the joints' default velocity motors would hold the rope rigid: keep only a weak one
        c.setJointMotorControlArray(body, list(range(n)), c.VELOCITY_CONTROL,
                                    targetVelocities=[0.0] * n, forces=[self.bend_friction] * n)
        return body

    def _place_rope(self, joints: np.ndarray) -> None:
        """Put the rope's ``LINKS + 1`` joint points (first end ... last end) on the table."""
        c, body = self._sim.client, self._sim.bodies["rope"]
        headings = np.arctan2(*np.diff(joints, axis=0)[:, ::-1].T)
        # PyBullet places a base by its centre of mass, half a link from the rope's end
        centre = joints[0] + self.link_length / 2 * _direction(headings[0])
        c.resetBasePositionAndOrientation(body, [*centre, RADIUS],
                                          c.getQuaternionFromEuler([0.0, 0.0, headings[0]]))
        c.resetBaseVelocity(body, [0, 0, 0], [0, 0, 0])
        turns = np.angle(np.exp(1j * np.diff(headings)))  # wrapped to (-pi, pi]
        for joint, turn in enumerate(turns):
            c.resetJointState(body, joint, float(turn), 0.0)

    def _rope_joints(self) -> np.ndarray:
        """``(LINKS + 1, 2)``: the rope's first end, its joints and its last end."""
        c, body = self._sim.client, self._sim.bodies["rope"]
        centre, orn = c.getBasePositionAndOrientation(body)  # the base's centre of mass
        half = self.link_length / 2
        first = np.asarray(centre[:2]) - half * _direction(c.getEulerFromQuaternion(orn)[2])
        states = c.getLinkStates(body, list(range(LINKS - 1)))  # [4]: the joint's frame
        joints = np.asarray([s[4][:2] for s in states])
        last_yaw = c.getEulerFromQuaternion(states[-1][5])[2]
        end = joints[-1] + self.link_length * _direction(last_yaw)
        return np.vstack([first, joints, end])

    def _stop(self) -> None:
        c, body = self._sim.client, self._sim.bodies["rope"]
        c.resetBaseVelocity(body, [0, 0, 0], [0, 0, 0])
        for joint in range(LINKS - 1):
            c.resetJointState(body, joint, c.getJointState(body, joint)[0], 0.0)
        self._sim.stop("pusher")

    def _move_constraint(self, xy) -> None:
        self._sim.client.changeConstraint(self._joint, [xy[0], xy[1], 0.027], maxForce=200.0)

    # ------------------------------------------------------------------ episode set-up
    def _shape_joints(self, shape: str, pose) -> np.ndarray:
        return placed(resample(shape_polyline(shape, self.length), LINKS + 1), pose)

    def _sample_goal(self, rope_pose, shape: str) -> np.ndarray:
        rng = self.np_random
        for _ in range(100):
            offset = 0.06 * math.sqrt(rng.uniform()) * np.array(
                [math.cos(a := rng.uniform(-math.pi, math.pi)), math.sin(a)])
            pose = np.r_[rope_pose[:2] + offset, rope_pose[2] + rng.uniform(-1, 1) * math.pi / 4]
            if np.abs(self._goal_points(shape, pose)).max() <= GOAL_LIMIT:
                return pose
        raise ConfigError("rope goal: no goal pose inside the workspace near the rope; start "
                          "the rope nearer the table centre (options['rope_pose']).")

    def _goal_points(self, shape: str, pose) -> np.ndarray:
        return placed(resample(shape_polyline(shape, self.length), KEYPOINTS), pose)

    def _sample_pusher(self, joints: np.ndarray) -> np.ndarray:
        rng = self.np_random
        for _ in range(100):
            i = int(rng.integers(2, LINKS - 1))
            along = joints[i + 1] - joints[i]
            normal = np.array([-along[1], along[0]]) / np.linalg.norm(along)
            gap = RADIUS + PUSHER_RADIUS + rng.uniform(0.01, 0.04)
            pusher = joints[i] + rng.choice([-1.0, 1.0]) * gap * normal
            if self._clear_of_rope(pusher, joints) and np.abs(pusher).max() <= PUSHER_LIMIT:
                return pusher
        return np.array([PUSHER_LIMIT, PUSHER_LIMIT])  # a corner, clear of any drawn rope

    def _clear_of_rope(self, pusher, joints) -> bool:
        return float(_distance_to_polyline(pusher, joints)) > RADIUS + PUSHER_RADIUS + 0.003

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options is not None and not isinstance(options, dict):
            checked_options(options, RESET_OPTIONS)  # refuses it, naming the keys
        shapes = {k: (options or {}).get(k) for k in SHAPE_OPTIONS}
        numeric = {k: v for k, v in (options or {}).items() if k not in SHAPE_OPTIONS}
        options = checked_options(numeric, RESET_OPTIONS)
        for key, value in shapes.items():
            if value is not None and value not in SHAPES:
                raise ConfigError(f"options[{key!r}]: expected one of {SHAPES}, got {value!r}.")
        if self._sim is not None:  # a fresh simulation per episode, as in pushing
            self._sim.close()
        self._sim = self._build()
        rng = self.np_random
        rope_pose = options.get("rope_pose", np.r_[rng.uniform(-0.08, 0.08, 2),
                                                   rng.uniform(-math.pi, math.pi)])
        start = shapes["start_shape"] or "line"
        joints = self._shape_joints(start, rope_pose)
        if np.abs(joints).max() > WORKSPACE - 0.05:
            raise ConfigError(f"options['rope_pose']: the {start} rope at {list(rope_pose)} "
                              f"leaves |x|, |y| <= {WORKSPACE - 0.05:g} m; move it inwards.")
        goal_shape = shapes["goal_shape"] or self.goals[int(rng.integers(len(self.goals)))]
        goal_pose = options.get("goal_pose")
        if goal_pose is None:
            goal_pose = self._sample_goal(rope_pose, goal_shape)
        goal = self._goal_points(goal_shape, goal_pose)
        if np.abs(goal).max() > GOAL_LIMIT:
            raise ConfigError(f"options['goal_pose']: the {goal_shape} goal at "
                              f"{list(goal_pose)} leaves |x|, |y| <= {GOAL_LIMIT:g} m; move it "
                              "inwards.")
        pusher = options.get("pusher")
        if pusher is None:
            pusher = self._sample_pusher(joints)
        elif not self._clear_of_rope(pusher, joints) or np.abs(pusher).max() > PUSHER_LIMIT:
            raise ConfigError(f"options['pusher']: expected a point clear of the rope and inside "
                              f"|x|, |y| <= {PUSHER_LIMIT:g} m, got {list(pusher)}.")
        self._place_rope(joints)
        self._sim.set_pose("pusher", *pusher, 0.027, 0.0)
        self._move_constraint(pusher)
        self._goal_kp, self._goal_shape = goal, goal_shape
        for marker, point in zip(self._goal_markers, goal, strict=True):
            self._sim.client.resetBasePositionAndOrientation(marker, [*point, 0.001],
                                                             [0, 0, 0, 1])
        self._last_contact = False
        return self._observe()

    def step(self, action):
        action, contact = drag_pusher(self, action, "rope")
        self._stop()  # quasi-static: nothing moves between steps
        self._last_contact = contact
        return self._finish_step(action)

    def _observe(self) -> tuple[np.ndarray, dict]:
        joints = self._rope_joints()
        keypoints = resample(joints, KEYPOINTS)
        pusher = self._sim.planar_pose("pusher")[:2]
        obs = np.r_[keypoints.ravel(), pusher].astype(np.float32)
        distance = float(np.linalg.norm(keypoints - self._goal_kp, axis=1).mean())
        info = {"goal": self.goal_state(), "goal_shape": self._goal_shape,
                "contact": self._last_contact, "keypoint_distance": distance,
                "rope_length": float(np.linalg.norm(np.diff(joints, axis=0), axis=1).sum()),
                "is_success": distance < SUCCESS_DISTANCE}
        return obs, info

    def goal_state(self) -> np.ndarray:
        """The goal as a state vector: goal keypoints, then zeros for the pusher."""
        return np.r_[self._goal_kp.ravel(), 0.0, 0.0]


def _direction(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw), math.sin(yaw)])


def _distance_to_polyline(point, polyline: np.ndarray) -> float:
    """Shortest distance from ``point`` to the segments of ``polyline``."""
    a, b = polyline[:-1], polyline[1:]
    ab = b - a
    t = np.clip(((point - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0.0, 1.0)
    return float(np.linalg.norm(a + t[:, None] * ab - point, axis=1).min())
