"""Data collection with a contact-seeking exploration policy."""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np

import envs
from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from training.config import CollectConfig
from training.progress import Progress
from training.recipes import recipe_for
from training.results import CollectResult

log = logging.getLogger(__name__)


class ContactExplorer:
    """Exploration that makes the pusher touch the object from many sides.

    It alternates two phases, using only the observed state (object points, pusher last):
    *approach* a point 2 cm outside the object on a random side (far from the origin, mostly
    the outer side, so the object stays in the workspace), then *push* towards the object
    centre (with a random lateral offset, so the object also turns) for 4 to 10 steps. With
    probability ``random_action_prob`` a step takes a uniformly random action instead, so
    free-space motion is represented too. Random-only exploration rarely touches the object.

    With probability ``retreat_prob`` a push is followed by a *retreat*: 4 to 12 steps away
    from the object at full speed (the workspace edge stops the pusher). Without it the
    pusher stays within about 15 cm of the object, and a model extrapolates past that: on
    Push-v1 one predicted the object moving 4 mm a step towards its goal with the pusher 55 cm
    away, and gradient descent walked the pusher off to get it.
    """

    def __init__(self, rng: np.random.Generator, max_step: float, random_action_prob: float,
                 object_radius: float = 0.07, retreat_prob: float = 0.0) -> None:
        self.rng, self.max_step = rng, max_step
        self.random_action_prob, self.radius = random_action_prob, object_radius
        self.retreat_prob = retreat_prob
        self.phase, self.steps_left, self.angle, self.offset = "approach", 0, 0.0, 0.0

    def reset(self) -> None:
        self._new_approach(np.zeros(2))

    def _after_push(self, centre: np.ndarray) -> None:
        # drawn only when asked, so retreat_prob=0 leaves the generator's draws unchanged
        if self.retreat_prob and self.rng.random() < self.retreat_prob:
            self.phase, self.steps_left = "retreat", int(self.rng.integers(4, 13))
            self.offset = self.rng.uniform(-0.8, 0.8)  # radians off straight away
        else:
            self._new_approach(centre)

    def _new_approach(self, centre: np.ndarray) -> None:
        """Pick the side to push from; far from the origin, prefer pushing back towards it."""
        self.phase, self.steps_left = "approach", 12
        distance = float(np.linalg.norm(centre))
        if self.rng.random() < min(1.0, distance / 0.25):
            self.angle = math.atan2(centre[1], centre[0]) + self.rng.uniform(-0.6, 0.6)
        else:
            self.angle = self.rng.uniform(-math.pi, math.pi)

    def act(self, obs: np.ndarray) -> np.ndarray:
        points = np.asarray(obs, dtype=np.float64).reshape(-1, 2)
        centre, pusher = points[:-1].mean(axis=0), points[-1]
        rng = self.rng
        if rng.random() < self.random_action_prob:
            return rng.uniform(-self.max_step, self.max_step, 2)
        if self.phase == "retreat":
            away = math.atan2(*(pusher - centre)[::-1]) + self.offset
            target = pusher + 2 * self.max_step * np.array([math.cos(away), math.sin(away)])
            self.steps_left -= 1
            if self.steps_left <= 0:
                self._new_approach(centre)
        if self.phase == "approach":
            # Orbit around the object in 45-degree steps instead of crossing it.
            here = math.atan2(*(pusher - centre)[::-1])
            turn = (self.angle - here + math.pi) % (2 * math.pi) - math.pi
            angle = here + float(np.clip(turn, -math.pi / 4, math.pi / 4))
            direction = np.array([math.cos(angle), math.sin(angle)])
            target = centre + (self.radius + 0.02) * direction
            self.steps_left -= 1
            if abs(turn) < 0.3 and np.linalg.norm(target - pusher) < 0.015 or self.steps_left <= 0:
                self.phase, self.steps_left = "push", int(rng.integers(4, 11))
                self.offset = rng.uniform(-0.04, 0.04)
        if self.phase == "push":
            to_centre = centre - pusher
            normal = np.array([-to_centre[1], to_centre[0]]) / (np.linalg.norm(to_centre) + 1e-9)
            target = centre + self.offset * normal
            self.steps_left -= 1
            if self.steps_left <= 0:
                self._after_push(centre)
        delta = target - pusher
        speed = self.max_step * rng.uniform(0.5, 1.0)
        step = delta * min(1.0, speed / (np.abs(delta).max() + 1e-9))
        step += rng.normal(0.0, 0.15 * self.max_step, 2)
        return np.clip(step, -self.max_step, self.max_step)


class RopeExplorer:
    """Exploration for a rope (``mpcnet/Rope-v0``): pushes across it at a random keypoint.

    It alternates *approach*, to 3 cm beside a random keypoint on a random side (the side
    facing away from the origin when the rope is far from it, so pushes bring it back), and
    *push*, across the rope through that keypoint with a random tilt for 3 to 10 steps, so
    the rope bends as well as slides; with probability ``random_action_prob`` a step is
    uniformly random instead.
    """

    def __init__(self, rng: np.random.Generator, max_step: float,
                 random_action_prob: float) -> None:
        self.rng, self.max_step, self.random_action_prob = rng, max_step, random_action_prob
        self.phase, self.steps_left = "approach", 0
        self.keypoint, self.side, self.tilt = 0, 1.0, 0.0

    def reset(self) -> None:
        self.phase, self.steps_left = "approach", 0

    def _normal(self, points: np.ndarray) -> np.ndarray:
        """The unit normal of the rope at the chosen keypoint."""
        k = self.keypoint
        along = points[min(k + 1, len(points) - 1)] - points[max(k - 1, 0)]
        return np.array([-along[1], along[0]]) / (np.linalg.norm(along) + 1e-9)

    def _new_approach(self, points: np.ndarray) -> None:
        rng = self.rng
        self.phase, self.steps_left = "approach", 12
        self.keypoint = int(rng.integers(len(points)))
        centre = points.mean(axis=0)
        outward = float(self._normal(points) @ centre)
        far = rng.random() < min(1.0, float(np.linalg.norm(centre)) / 0.2)
        self.side = (1.0 if outward > 0 else -1.0) if far else float(rng.choice([-1.0, 1.0]))

    def act(self, obs: np.ndarray) -> np.ndarray:
        rng = self.rng
        points = np.asarray(obs, dtype=np.float64).reshape(-1, 2)
        rope, pusher = points[:-1], points[-1]
        if rng.random() < self.random_action_prob:
            return rng.uniform(-self.max_step, self.max_step, 2)
        if self.phase == "approach" and self.steps_left <= 0:
            self._new_approach(rope)
        normal = self._normal(rope)
        if self.phase == "approach":
            target = rope[self.keypoint] + 0.03 * self.side * normal
            self.steps_left -= 1
            if np.linalg.norm(target - pusher) < 0.015 or self.steps_left <= 0:
                self.phase, self.steps_left = "push", int(rng.integers(3, 11))
                self.tilt = rng.uniform(-0.6, 0.6)
        if self.phase == "push":
            c, s = math.cos(self.tilt), math.sin(self.tilt)
            across = -self.side * normal
            target = pusher + np.array([c * across[0] - s * across[1],
                                        s * across[0] + c * across[1]])
            self.steps_left -= 1
            if self.steps_left <= 0:
                self.phase = "approach"
        delta = target - pusher
        speed = self.max_step * rng.uniform(0.5, 1.0)
        step = delta * min(1.0, speed / (np.abs(delta).max() + 1e-9))
        step += rng.normal(0.0, 0.15 * self.max_step, 2)
        return np.clip(step, -self.max_step, self.max_step)


class PushPrimitiveExplorer:
    """Exploration for push-primitive envs (``mpcnet/Sort-v0``): mostly pushes that hit.

    Each step picks a random object and a direction (towards one of the two zones along x
    with a random tilt, or any direction), starts the pusher just behind the object with a
    random lateral offset and pushes 2 to 20 cm past the contact point; the push vector is
    clipped to the action box. With probability ``random_action_prob`` the action is uniform
    instead, so starts inside objects, near misses and free pushes are represented too.
    """

    def __init__(self, rng: np.random.Generator, low: np.ndarray, high: np.ndarray,
                 random_action_prob: float, contact_distance: float = 0.045) -> None:
        self.rng, self.low, self.high = rng, np.asarray(low, float), np.asarray(high, float)
        self.random_action_prob, self.contact = random_action_prob, contact_distance

    def reset(self) -> None:
        """Stateless: every push is chosen from the current observation alone."""

    def act(self, obs: np.ndarray) -> np.ndarray:
        rng = self.rng
        if rng.random() < self.random_action_prob:
            return rng.uniform(self.low, self.high)
        objects = np.asarray(obs, dtype=np.float64)[:-2].reshape(-1, 2)
        target = objects[rng.integers(len(objects))]
        if rng.random() < 0.7:
            angle = (0.0 if rng.random() < 0.5 else math.pi) + rng.uniform(-0.7, 0.7)
        else:
            angle = rng.uniform(-math.pi, math.pi)
        direction = np.array([math.cos(angle), math.sin(angle)])
        normal = np.array([-direction[1], direction[0]])
        behind = self.contact + rng.uniform(0.0, 0.03)
        start = target - behind * direction + rng.uniform(-0.03, 0.03) * normal
        push = (behind + rng.uniform(0.02, 0.2)) * direction
        return np.clip(np.r_[start, push], self.low, self.high)


class HeldRandomExplorer:
    """Exploration of a task-file env: uniformly random actions, each held for a random
    number of steps in the task's ``[explore] hold`` range (held actions build up momentum,
    which single random steps average away); with ``[explore] approach_*`` a share of those
    segments steers an agent towards an object instead (:class:`envs.task.Approach`)."""

    def __init__(self, rng: np.random.Generator, low, high, hold: tuple[int, int],
                 approach=None) -> None:
        self.rng, self.low, self.high, self.hold = rng, low, high, hold
        self.approach = approach  # envs.task.Approach: some segments steer towards a group
        self.action, self.steps_left, self.approaching = None, 0, False

    def reset(self) -> None:
        self.steps_left = 0

    def act(self, obs: np.ndarray) -> np.ndarray:
        rng = self.rng
        if self.steps_left <= 0:
            self.action = rng.uniform(self.low, self.high)
            self.steps_left = int(rng.integers(self.hold[0], self.hold[1] + 1))
            self.approaching = self.approach is not None and rng.random() < self.approach.share
        self.steps_left -= 1
        if not self.approaching:
            return self.action
        state = np.asarray(obs, np.float64)
        towards = state[list(self.approach.target)] - state[list(self.approach.source)]
        noise = rng.normal(0.0, self.approach.noise, towards.shape) * (self.high - self.low)
        return np.clip(towards + noise, self.low, self.high)


def make_explorer(env, config: CollectConfig, rng: np.random.Generator):
    """The exploration policy that suits the env's action: displacement (pushes across a rope
    for envs that say ``explorer = "rope"``) or push primitive, or held random actions for a
    task-file env."""
    task = getattr(envs.task_of(env), "task", None)
    if task is not None:
        return HeldRandomExplorer(rng, env.action_space.low, env.action_space.high, task.hold,
                                  task.approach)
    if env.action_space.shape == (4,):
        return PushPrimitiveExplorer(rng, env.action_space.low, env.action_space.high,
                                     config.random_action_prob)
    if getattr(env.unwrapped, "explorer", None) == "rope":
        return RopeExplorer(rng, float(env.action_space.high[0]), config.random_action_prob)
    return ContactExplorer(rng, float(env.action_space.high[0]), config.random_action_prob,
                           retreat_prob=config.retreat_prob)


def env_kwargs(config: CollectConfig) -> dict:
    """Keyword arguments of ``envs.make`` from the config (``num_objects`` for sorting, the
    parsed task file for a gymnasium env; the config has checked them)."""
    from envs.task import read_task_file

    kwargs = {"num_objects": config.num_objects} if config.num_objects else {}
    if config.task:
        kwargs["task"] = read_task_file(config.task)
    if config.max_step:
        kwargs["max_step"] = config.max_step
    return kwargs


def _episode(env, policy, config: CollectConfig, index: int, seed: int) -> dict:
    """One exploration episode, reset and explored from its own seed (so episode ``index``
    is the same whichever process runs it); its rows and whether it ended early."""
    obs, _ = env.reset(seed=seed, options={"explore": True} if config.task else None)
    policy.rng = np.random.default_rng(seed)
    policy.reset()
    rows: dict[str, list] = {k: [] for k in ("states", "actions", "next_states", "contacts")}
    terminated = False
    for _ in range(config.steps):
        action = policy.act(obs).astype(np.float32)
        next_obs, _, terminated, truncated, info = env.step(action)
        for key, value in (("states", obs), ("actions", action), ("next_states", next_obs),
                           ("contacts", info.get("contact"))):
            rows[key].append(value)
        obs = next_obs
        if terminated or truncated:
            break
    return {**rows, "ids": [index] * len(rows["states"]), "ended_early": bool(terminated)}


def _explorer_env(config: CollectConfig):
    """An env and its explorer (the explorer's generator is re-seeded every episode)."""
    env = envs.make(config.env_id, max_episode_steps=config.steps, **env_kwargs(config))
    return env, make_explorer(env, config, np.random.default_rng(0))


_WORKER: dict = {}  # a collection worker's env, explorer and config


def _start_worker(config: CollectConfig) -> None:
    # collection runs the simulator only: a worker imports neither torch nor a solver
    env, policy = _explorer_env(config)
    _WORKER.update(env=env, policy=policy, config=config)


def _worker_episode(job: tuple[int, int]) -> dict:
    return _episode(_WORKER["env"], _WORKER["policy"], _WORKER["config"], *job)


def _episodes(config: CollectConfig, jobs: list[tuple[int, int]], workers: int):
    """Each episode's rows, in episode order, from ``workers`` processes (1: this one)."""
    if workers == 1:
        env, policy = _explorer_env(config)
        try:
            for job in jobs:
                yield _episode(env, policy, config, *job)
        finally:
            env.close()
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chunk = max(1, min(16, len(jobs) // (8 * workers)))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=_start_worker, initargs=(config,)) as pool:
        yield from pool.map(_worker_episode, jobs, chunksize=chunk)


def resolve_collect_config(config: CollectConfig) -> CollectConfig:
    """``config`` with its auto choices made for its env: the explorer's retreat probability
    (:mod:`training.recipes`)."""
    if config.retreat_prob is not None:
        return config
    return dataclasses.replace(config, retreat_prob=recipe_for(config.env_id).retreat_prob)


def collect(config: CollectConfig, progress: bool = False, workers: int = 1) -> CollectResult:
    """Run ``config.episodes`` exploration episodes; their transitions and figures.

    Episode ``i`` is reset, and explored, from its own seed drawn from ``config.seed``, so the
    same config gives the same data, byte for byte, on any number of ``workers`` (processes
    with a simulator each).
    """
    if not isinstance(workers, int) or not 1 <= workers <= 1024:
        raise ConfigError(f"workers: expected an integer from 1 to 1,024, got {workers!r}.")
    config = resolve_collect_config(config)
    seeds = np.random.SeedSequence(config.seed).generate_state(config.episodes)
    jobs = [(i, int(seed)) for i, seed in enumerate(seeds)]
    rows: dict[str, list] = {k: [] for k in ("states", "actions", "next_states", "ids", "contacts")}
    ended_early = 0
    bar = Progress(total=config.episodes, desc="collect", unit="ep", disable=not progress)
    with bar:
        for episode in _episodes(config, jobs, min(workers, config.episodes)):
            for key in rows:
                rows[key].extend(episode[key])
            ended_early += episode["ended_early"]
            bar.update(1)
    contacts = None if config.task else np.asarray(rows["contacts"], bool)
    data = TransitionData(np.asarray(rows["states"], np.float64),
                          np.asarray(rows["actions"], np.float64),
                          np.asarray(rows["next_states"], np.float64),
                          np.asarray(rows["ids"], np.int64), contacts, config.env_id,
                          env_kwargs(config))
    metrics = {"transitions": len(data), "episodes": config.episodes,
               "contact_fraction": None if contacts is None else float(contacts.mean()),
               "episodes_terminated_early": ended_early}
    log.info("collected %d transitions (contact fraction %s)", len(data),
             metrics["contact_fraction"])
    return CollectResult(data, metrics)
