"""Sorting several objects of two classes into their zones with push primitives, in PyBullet."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from envs.bullet import BulletEnv, Simulation
from envs.checks import checked_action, checked_options
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError

# Geometry and physics (SI units: metres, kilograms, seconds).
TIMESTEP = 1.0 / 240.0
PUSH_SUBSTEPS = 120  # the pusher sweeps its segment in 0.5 s
SETTLE_SUBSTEPS = 48  # then rests 0.2 s so objects stop sliding before the next observation
OBJECT_RADIUS = 0.03
PUSHER_RADIUS = 0.015
HEIGHT = 0.05
START_LIMIT = (0.4, 0.3)  # push start point: |x| <= 0.4, |y| <= 0.3
PUSH_LIMIT = 0.2  # push vector: |dx|, |dy| <= 0.2
ZONE_CENTRE_X = 0.275  # class 0 zone centred at (-0.275, 0), class 1 at (+0.275, 0)
ZONE_HALF = (0.125, 0.25)  # zone half-widths: x in [0.15, 0.40], |y| <= 0.25
WORKSPACE = 0.45  # an object beyond |x| or |y| = 0.45 m ends the episode
OBS_LIMIT = 1.0
ACTION_WEIGHT = 0.01  # L1 penalty per metre of push vector (the start point is free)
SPAWN = (0.1, 0.16)  # objects start with |x| <= 0.1, |y| <= 0.16, apart from each other
MIN_OBJECTS, MAX_OBJECTS = 2, 6
CLASS_COLOURS = ((0.85, 0.25, 0.2, 1.0), (0.2, 0.4, 0.85, 1.0))


def zone_centres(classes: np.ndarray) -> np.ndarray:
    """Centre ``(N, 2)`` of each object's target zone."""
    x = np.where(np.asarray(classes) == 0, -ZONE_CENTRE_X, ZONE_CENTRE_X)
    return np.stack([x, np.zeros_like(x)], axis=1)


class SortEnv(BulletEnv):
    """Push ``N`` cylinders of two classes into their class zones with push primitives.

    A flat table with two target zones (class 0 on the left, class 1 on the right, 25 x 50 cm
    each), ``N`` cylinders of radius 3 cm coloured by class, and a cylindrical pusher of radius
    1.5 cm. Why push primitives: with small pusher displacements (as in ``mpcnet/Push-v0``)
    sorting four objects takes dozens of steps and most of them do not touch any object, so a
    planner with a horizon of a few steps sees a flat cost. One primitive moves an object
    decimetres, so a horizon of 2 to 4 pushes covers a useful part of the task.

    ## Action space
    ``Box(4,)``: the pusher is placed at the start point ``(sx, sy)`` and swept at constant
    speed along ``(dx, dy)`` in 0.5 s, then rests 0.2 s while the objects settle.

    | Num | Action | Min (m) | Max (m) |
    |-----|--------|---------|---------|
    | 0   | sx     | -0.4    | 0.4     |
    | 1   | sy     | -0.3    | 0.3     |
    | 2   | dx     | -0.2    | 0.2     |
    | 3   | dy     | -0.2    | 0.2     |

    A start point inside an object pushes that object aside as the pusher lands (the physics
    resolves the overlap); the learned model sees this like any other contact.

    ## Observation space (the MPC state)
    ``Box(-1, 1, (2N+2,), float32)``: the planar centre ``(x, y)`` of every object in order,
    then the pusher's. The pusher's position is where its last push ended; the next push
    starts wherever the action says, so it does not influence the dynamics.

    ## Cost and reward
    ``reward = -cost`` with the shared :class:`~mpcnet.costs.CostSpec` (``self.cost_spec``):
    the sum over objects of the L1 distance of the object's centre to its class zone (zero
    inside; the goal state ``info["goal"]`` holds each object's zone centre and the cost's
    ``goal_tolerance`` the zone half-widths), plus ``0.01 * (|dx| + |dy|)``.

    ## Episode end
    ``terminated`` when every object is inside its zone (``info["is_success"]``) or an object
    leaves ``|x|, |y| <= 0.45`` m; ``truncated`` by ``max_episode_steps`` (default 12).

    ## Reset
    Classes are balanced (``N // 2`` of class 0) in random order; objects are placed
    uniformly in ``|x| <= 0.1, |y| <= 0.16`` m at least 1 cm apart; the pusher starts at
    ``(0, 0.3)``. ``options`` may fix ``positions`` (``(N, 2)``) and ``classes`` (``(N,)``).

    ## Info
    ``goal`` (2N+2,), ``classes`` (N,), ``in_zone`` (N,), ``contact`` (the pusher touched an
    object in the last step), ``is_success``.
    """

    workspace, camera_height = WORKSPACE, 1.2
    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, num_objects: int = 4, render_mode: str | None = None) -> None:
        if not (isinstance(num_objects, int | np.integer)
                and MIN_OBJECTS <= num_objects <= MAX_OBJECTS):
            raise ValueError(f"num_objects: expected an integer from {MIN_OBJECTS} to "
                             f"{MAX_OBJECTS}, got {num_objects!r}.")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}.")
        self.num_objects, self.render_mode = int(num_objects), render_mode
        n = 2 * self.num_objects + 2
        low = np.array([-START_LIMIT[0], -START_LIMIT[1], -PUSH_LIMIT, -PUSH_LIMIT], np.float32)
        self.action_space = spaces.Box(low, -low, dtype=np.float32)
        self.observation_space = spaces.Box(-OBS_LIMIT, OBS_LIMIT, (n,), np.float32)
        objects = np.r_[np.ones(n - 2), 0.0, 0.0]
        self.cost_spec = CostSpec(objects, np.array([0.0, 0.0, ACTION_WEIGHT, ACTION_WEIGHT]),
                                  goal_tolerance=np.r_[np.tile(ZONE_HALF, self.num_objects),
                                                       0.0, 0.0])
        # Box the MPC may assume for states (the workspace), used by the MILP bounds. The
        # pusher ends inside the start box grown by the push vector.
        reach = np.array(START_LIMIT) + PUSH_LIMIT
        self.state_low = np.r_[np.full(n - 2, -WORKSPACE), -reach]
        self.state_high = -self.state_low
        self._sim: Simulation | None = None
        self.classes = np.zeros(self.num_objects, dtype=np.int64)
        self._last_contact = False

    # ------------------------------------------------------------------ simulation set-up
    def _build(self) -> Simulation:
        sim = Simulation(TIMESTEP)
        sim.add_box("table", (0.6, 0.6, 0.01), (0, 0, -0.01), 0.0, (0.8, 0.8, 0.8, 1), friction=0.4)
        for k, colour in enumerate(CLASS_COLOURS):
            x = ZONE_CENTRE_X * (1 if k else -1)
            faded = (*colour[:3], 0.3)
            sim.add_compound(f"zone{k}", [((*ZONE_HALF, 0.001), (0, 0, 0))], (x, 0, 0.001), 0.0,
                             faded, collide=False)
        for i, c in enumerate(self.classes):
            sim.add_cylinder(f"object{i}", OBJECT_RADIUS, HEIGHT, (0, 0, HEIGHT / 2), 0.2,
                             CLASS_COLOURS[int(c)], friction=0.4)
        sim.add_cylinder("pusher", PUSHER_RADIUS, HEIGHT, (0, 0, HEIGHT / 2 + 0.002), 1.0,
                         (0.2, 0.2, 0.2, 1), friction=0.3)
        c = sim.client
        self._joint = c.createConstraint(sim.bodies["pusher"], -1, -1, -1, c.JOINT_FIXED,
                                         [0, 0, 0], [0, 0, 0], [0, 0, HEIGHT / 2 + 0.002])
        return sim

    def _move_constraint(self, xy) -> None:
        self._sim.client.changeConstraint(self._joint, [xy[0], xy[1], HEIGHT / 2 + 0.002],
                                          maxForce=200.0)

    def _place_pusher(self, xy) -> None:
        self._sim.set_pose("pusher", xy[0], xy[1], HEIGHT / 2 + 0.002, 0.0)
        self._move_constraint(xy)

    def _sample_positions(self) -> np.ndarray:
        rng, gap = self.np_random, 2 * OBJECT_RADIUS + 0.01
        positions: list[np.ndarray] = []
        while len(positions) < self.num_objects:  # rejection sampling; 6 objects fit easily
            p = rng.uniform(-np.array(SPAWN), np.array(SPAWN))
            if all(np.linalg.norm(p - q) >= gap for q in positions):
                positions.append(p)
        return np.array(positions)

    def _sample_classes(self) -> np.ndarray:
        half = self.num_objects // 2
        classes = np.r_[np.zeros(half), np.ones(self.num_objects - half)]
        return self.np_random.permutation(classes).astype(np.int64)

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = checked_options(options, {"classes": (self.num_objects,),
                                            "positions": (self.num_objects, 2)})
        classes = self._sample_classes()
        positions = self._sample_positions()
        classes = options.get("classes", classes)
        positions = options.get("positions", positions)
        if not np.isin(classes, (0, 1)).all():
            raise ConfigError(f"options['classes']: expected {self.num_objects} values in "
                              f"{{0, 1}}, got {np.asarray(classes).tolist()}.")
        classes = np.asarray(classes, dtype=np.int64)
        self.classes = classes
        # A fresh simulation per episode, as in the push env: no contact caches carried over.
        if self._sim is not None:
            self._sim.close()
        self._sim = self._build()
        for i, p in enumerate(positions):
            self._sim.set_pose(f"object{i}", p[0], p[1], HEIGHT / 2, 0.0)
        self._place_pusher((0.0, START_LIMIT[1]))
        self._last_contact = False
        return self._observe()

    def step(self, action):
        action = np.clip(checked_action(action, self.action_space),
                         self.action_space.low, self.action_space.high)
        start, push = action[:2], action[2:]
        sim = self._sim
        self._place_pusher(start)
        contact = False
        for i in range(1, PUSH_SUBSTEPS + SETTLE_SUBSTEPS + 1):
            if i <= PUSH_SUBSTEPS:
                self._move_constraint(start + push * (i / PUSH_SUBSTEPS))
            sim.step()
            if i <= PUSH_SUBSTEPS and i % 4 == 0 and not contact:
                contact = any(sim.in_contact("pusher", f"object{k}")
                              for k in range(self.num_objects))
        self._last_contact = contact
        return self._finish_step(action)

    # ------------------------------------------------------------------ helpers
    def _observe(self) -> tuple[np.ndarray, dict]:
        sim = self._sim
        objects = np.array([sim.planar_pose(f"object{i}")[:2] for i in range(self.num_objects)])
        obs = np.r_[objects.ravel(), sim.planar_pose("pusher")[:2]].astype(np.float32)
        offset = np.abs(objects - zone_centres(self.classes))
        in_zone = (offset <= np.array(ZONE_HALF)).all(axis=1)
        info = {"goal": self.goal_state(), "classes": self.classes.copy(), "in_zone": in_zone,
                "contact": self._last_contact, "is_success": bool(in_zone.all())}
        return obs, info

    def goal_state(self) -> np.ndarray:
        """The goal as a state vector: each object's zone centre, then zeros for the pusher."""
        return np.r_[zone_centres(self.classes).ravel(), 0.0, 0.0]

    @staticmethod
    def object_centres(state) -> np.ndarray:
        """``(N, 2)``: every object's position in a state or goal vector."""
        return np.asarray(state, dtype=np.float64)[:-2].reshape(-1, 2)

    def goal_regions(self, goal) -> tuple[np.ndarray, np.ndarray]:
        """Centre and half-size ``(N, 2)`` of each object's zone (the cost's goal box), for
        plots."""
        return self.object_centres(goal), self.object_centres(self.cost_spec.goal_tolerance)
