"""A PyBullet simulation owned by one environment instance.

Each env gets its own physics server in DIRECT mode (headless, no shared global state), so
several envs can live in one process and tests can run in parallel. Bodies are kept by name.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import gymnasium as gym
import numpy as np

from mpcnet.errors import ConfigError


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout/stderr (PyBullet prints its build time and argv)."""
    saved = []
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # replaced stream (pytest, notebooks)
                continue
            stream.flush()
            saved.append((fd, os.dup(fd)))
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd, _ in saved:
            os.dup2(devnull, fd)
        os.close(devnull)
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


try:
    with _quiet_stdout():
        import pybullet
        from pybullet_utils.bullet_client import BulletClient
except ImportError:  # only the PyBullet tasks need it; task-file envs run without
    raise ConfigError("the PyBullet tasks (mpcnet/Push-v0, mpcnet/PushT-v0, mpcnet/Sort-v0) "
                      "need pybullet: pip install 'mpcnet[bullet]' (make demo installs it)."
                      ) from None


class Simulation:
    """One DIRECT-mode PyBullet client with named bodies.

    Args:
        timestep: Physics time step in seconds.
        gravity: Gravity along -z in m/s^2.
    """

    def __init__(self, timestep: float, gravity: float = 9.81) -> None:
        with _quiet_stdout():
            self.client = BulletClient(connection_mode=pybullet.DIRECT)
        self.timestep = timestep
        self.bodies: dict[str, int] = {}
        self.client.setTimeStep(timestep)
        self.client.setGravity(0.0, 0.0, -gravity)
        # Deterministic solver settings: fixed iterations, no sleeping bodies.
        self.client.setPhysicsEngineParameter(numSolverIterations=50,
                                              deterministicOverlappingPairs=1)

    def add_box(self, name: str, half_extents, position, mass: float, rgba,
                yaw: float = 0.0, friction: float = 0.5) -> int:
        """Add a box body (``mass=0`` makes it static)."""
        c = self.client
        col = c.createCollisionShape(pybullet.GEOM_BOX, halfExtents=half_extents)
        vis = c.createVisualShape(pybullet.GEOM_BOX, halfExtents=half_extents, rgbaColor=rgba)
        return self._add(name, mass, col, vis, position, yaw, friction)

    def add_compound(self, name: str, parts, position, mass: float, rgba, yaw: float = 0.0,
                     friction: float = 0.5, collide: bool = True) -> int:
        """Add one rigid body made of boxes ``[(half_extents, offset), ...]``.

        With ``collide=False`` the body is visual only (a goal marker).
        """
        c = self.client
        halves = [list(h) for h, _ in parts]
        offsets = [list(o) for _, o in parts]
        n = len(parts)
        col = -1
        if collide:
            col = c.createCollisionShapeArray([pybullet.GEOM_BOX] * n, halfExtents=halves,
                                              collisionFramePositions=offsets)
        vis = c.createVisualShapeArray([pybullet.GEOM_BOX] * n, halfExtents=halves,
                                       visualFramePositions=offsets, rgbaColors=[rgba] * n)
        return self._add(name, mass, col, vis, position, yaw, friction)

    def add_cylinder(self, name: str, radius: float, height: float, position, mass: float,
                     rgba, friction: float = 0.5) -> int:
        c = self.client
        col = c.createCollisionShape(pybullet.GEOM_CYLINDER, radius=radius, height=height)
        vis = c.createVisualShape(pybullet.GEOM_CYLINDER, radius=radius, length=height,
                                  rgbaColor=rgba)
        return self._add(name, mass, col, vis, position, 0.0, friction)

    def _add(self, name, mass, col, vis, position, yaw, friction) -> int:
        c = self.client
        body = c.createMultiBody(baseMass=mass, baseCollisionShapeIndex=col,
                                 baseVisualShapeIndex=vis, basePosition=list(position),
                                 baseOrientation=c.getQuaternionFromEuler([0.0, 0.0, yaw]))
        if col != -1:
            c.changeDynamics(body, -1, lateralFriction=friction, rollingFriction=0.0,
                             spinningFriction=0.001, linearDamping=0.0, angularDamping=0.0)
        self.bodies[name] = body
        return body

    def set_pose(self, name: str, x: float, y: float, z: float, yaw: float) -> None:
        """Teleport a body and zero its velocity."""
        c, body = self.client, self.bodies[name]
        c.resetBasePositionAndOrientation(body, [x, y, z],
                                          c.getQuaternionFromEuler([0.0, 0.0, yaw]))
        c.resetBaseVelocity(body, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])

    def stop(self, name: str) -> None:
        """Zero a body's linear and angular velocity."""
        self.client.resetBaseVelocity(self.bodies[name], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])

    def planar_pose(self, name: str) -> tuple[float, float, float]:
        """``(x, y, yaw)`` of a body."""
        c = self.client
        pos, orn = c.getBasePositionAndOrientation(self.bodies[name])
        return pos[0], pos[1], c.getEulerFromQuaternion(orn)[2]

    def in_contact(self, a: str, b: str) -> bool:
        return bool(self.client.getContactPoints(self.bodies[a], self.bodies[b]))

    def step(self) -> None:
        self.client.stepSimulation()

    def close(self) -> None:
        try:
            self.client.disconnect()
        except pybullet.error:  # already disconnected
            pass


class BulletEnv(gym.Env):
    """What the PyBullet tasks share: the end of a step (reward and termination from the
    observation), a top-down camera and closing the simulation.

    A subclass sets ``cost_spec``, ``render_mode``, ``_sim`` and the class attributes below,
    and implements ``_observe() -> (obs, info)`` with ``info["goal"]`` and
    ``info["is_success"]``. The observation ends with the pusher's position; every entry
    before it is an object coordinate.
    """

    workspace: float  # an object coordinate beyond +-workspace (m) ends the episode
    camera_height: float  # metres above the table centre, looking down

    def _finish_step(self, action) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Gymnasium's step result after the simulation has moved: the reward is minus the
        task's cost; success or an object leaving the workspace terminates."""
        obs, info = self._observe()
        cost = self.cost_spec.state_cost(obs.astype(np.float64), info["goal"])
        cost += self.cost_spec.action_cost(action)
        out_of_workspace = bool(np.abs(obs[:-2]).max() > self.workspace)
        terminated = info["is_success"] or out_of_workspace
        return obs, float(-cost), bool(terminated), False, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        c = self._sim.client
        view = c.computeViewMatrix([0, 0, self.camera_height], [0, 0, 0], [0, 1, 0])
        proj = c.computeProjectionMatrixFOV(45, 1.0, 0.1, 2.0)
        _, _, rgba, _, _ = c.getCameraImage(240, 240, view, proj, renderer=c.ER_TINY_RENDERER)
        return np.asarray(rgba, dtype=np.uint8).reshape(240, 240, 4)[:, :, :3]

    # the Python side of a step's state beside the simulation (restored with it)
    _step_attributes: tuple[str, ...] = ("_last_contact",)

    def save_state(self) -> tuple[int, dict]:
        """A snapshot of the whole episode state: PyBullet's in-memory ``saveState`` and the
        Python attributes a step changes. Free it with :meth:`drop_state`."""
        return (self._sim.client.saveState(),
                {name: getattr(self, name) for name in self._step_attributes})

    def restore_state(self, snapshot: tuple[int, dict]) -> None:
        """Return to a :meth:`save_state` snapshot of this episode (bodies, velocities and
        contacts; a step overwrites the pusher's constraint target before simulating)."""
        state_id, attributes = snapshot
        self._sim.client.restoreState(stateId=state_id)
        for name, value in attributes.items():
            setattr(self, name, value)

    def drop_state(self, snapshot: tuple[int, dict]) -> None:
        self._sim.client.removeState(snapshot[0])

    def close(self) -> None:
        if self._sim is not None:
            self._sim.close()
            self._sim = None
