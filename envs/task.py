"""Task files: any registered gymnasium env as an mpcnet task.

An mpcnet task is an env plus what MPC needs to know about it and the env does not say: the
cost (a :class:`~mpcnet.costs.CostSpec` and a goal), a finite state box for the MILP, a success
test and how to explore it when collecting data. A task file says it in TOML::

    env = "Pendulum-v1"                  # optional; checked against the env id when present
    import = ["my_package"]              # optional: modules that register the env
    units = ""                           # unit of a squared state error in the summaries
    action_repeat = 2                    # each control step applies its action this often

    [observation]                        # optional (envs.observation): what the state is
    keys = ["agent", "block"]            # a Dict observation: these keys, in order, flattened
    angles = [4]                         # wrapping entries, each turned into (cos, sin)
    history = 2                          # the state: the last 2 observations, oldest first

    [action]                             # optional (envs.actions): an absolute-target env
    relative_to = [0, 1]                 # plan displacements of these state entries
    low = [-0.05, -0.05]                 # the box of one step's displacement
    high = [0.05, 0.05]

    [cost]                               # J = sum_t sum_i w_i max(|x_i - goal_i| - tol_i, 0)
    goal = [1.0, 0.0, 0.0]               #     + sum_t sum_j a_j |u_j|
    state_weight = [1.0, 0.0, 0.05]
    action_weight = [0.001]
    terminal_weight = 1.0                # optional
    goal_tolerance = [0.0, 0.0, 0.0]     # optional: a goal box instead of a point
    goal_from_info = ""                  # optional: read the goal from info[KEY] at reset
    differences = [{from = [2, 3], to = [4, 5], weight = 1.0}]  # optional: + w |x_2 - x_4|
                                         #     + w |x_3 - x_5| every step (agent to object)

    [state_box]                          # optional; default: the observation space
    low = [-1.0, -1.0, -8.0]
    high = [1.0, 1.0, 8.0]
    margin = 0.05                        # each side padded by this share of the width

    [success]                            # one or more; the episode's last step decides
    within = [0.05, 0.3, 1.0]            # every |x_i - goal_i| <= within_i
    cost_below = 0.1                     # the state cost <= this
    on_terminated = false                # the env ending the episode is success
    info = "coverage"                    # the env's own measure: success when
    info_at_least = 0.95                 #     info["coverage"] >= 0.95 (a bool: >= 1)

    [record]                             # optional: info entries kept per step in the
    info = ["coverage"]                  #     episode files of evaluate and compare

    [explore]                            # data collection (mpcnet collect)
    hold = [1, 8]                        # each uniformly random action is held 1 to 8 steps
    reset_hook = "envs.task_hooks:pendulum_state"   # optional: random initial states
    approach_from = [0, 1]               # optional: a share of the segments moves these
    approach_to = [4, 5]                 #     entries towards these (an agent to an object),
    approach_share = 0.5                 #     half of them,
    approach_noise = 0.2                 #     with noise of 0.2 x the action box

    [groups]                             # optional: state entries reported apart in metrics
    angle = [0, 1]
    velocity = [2]

    [loss_weights]                       # optional: train and sparsify weigh these groups'
    angle = 10.0                         #     squared errors so (others 1; mean weight 1)

    [plot]
    xy = [1, 0]                          # the two state entries drawn as the path

    [env_kwargs]                         # optional: keyword arguments of gymnasium.make

The reset hook is ``"module:function"``; the function takes the unwrapped env and a
``numpy.random.Generator``, puts the env in a random state and returns its observation. It is
called only when collecting, so evaluation episodes start as the env starts them.

Why the state box matters: the MILP needs finite bounds on every state entry at every step,
and a model predicts slightly outside the observation space now and then (``|cos| > 1``).
Without a margin the MILP's warm start is infeasible and it falls back to it; the margin
makes room for that.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from envs.actions import RelativeActions
from envs.observation import ObservationAdapter
from mpcnet.costs import CostSpec
from mpcnet.errors import ConfigError

TASK_DIR = Path(__file__).parent / "tasks"
_SECTIONS = {"env", "import", "units", "action_repeat", "observation", "action", "cost",
             "state_box", "success", "explore", "groups", "loss_weights", "plot", "record",
             "env_kwargs"}


def shipped_tasks() -> dict[str, Path]:
    """The task files that come with mpcnet, by name (``pendulum``, ``mountain_car``)."""
    return {p.stem: p for p in sorted(TASK_DIR.glob("*.toml"))}


def shipped_task_envs() -> list[str]:
    """The gymnasium ids the shipped task files are written for."""
    return [str(tomllib.loads(p.read_text()).get("env", "")) for p in shipped_tasks().values()]


def read_task_file(name_or_path: str | Path) -> dict:
    """The parsed task file: a path, the name of a shipped task (``pendulum``) or of an
    example (``examples/pusht``: a task for an env of another package, installed with mpcnet
    so it is found from any directory)."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = shipped_tasks()
        example = TASK_DIR / f"{name_or_path}.toml"
        if str(name_or_path) in shipped:
            path = shipped[str(name_or_path)]
        elif str(name_or_path).startswith("examples/") and example.is_file():
            path = example
        else:
            examples = ", ".join(f"examples/{p.stem}"
                                 for p in sorted((TASK_DIR / "examples").glob("*.toml")))
            raise ConfigError(f"task={name_or_path}: expected a TOML task file, a shipped "
                              f"task ({', '.join(shipped)}) or an example ({examples}), got "
                              "none of these; see envs/task.py.")
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"task={path}: not a readable TOML file ({exc}).") from None
    return raw


def _vector(raw: dict, key: str, size: int, where: str, default=None) -> np.ndarray | None:
    if key not in raw:
        return None if default is None else np.full(size, float(default))
    try:
        value = np.asarray(raw[key], dtype=np.float64)
    except (TypeError, ValueError):
        value = np.zeros(0)
    if value.shape != (size,) or np.isnan(value).any():
        raise ConfigError(f"task [{where}] {key}: expected {size} numbers (the state or action "
                          f"size of the env), got {raw[key]!r}.")
    return value


@dataclass(frozen=True)
class Approach:
    """``[explore] approach_from``, ``approach_to``, ``approach_share`` and ``approach_noise``:
    a share of the exploration segments steers the state entries ``source`` (those the action
    moves: an agent) towards ``target`` (an object), with Gaussian noise of ``noise`` times the
    action box, so the data holds contacts that uniform actions rarely make."""

    source: tuple[int, ...]
    target: tuple[int, ...]
    share: float
    noise: float

    @classmethod
    def from_dict(cls, explore: dict, n: int, m: int) -> Approach | None:
        if "approach_from" not in explore and "approach_to" not in explore:
            return None
        source, target = explore.get("approach_from"), explore.get("approach_to")
        for key, idx in (("approach_from", source), ("approach_to", target)):
            if not (isinstance(idx, list) and len(idx) == m
                    and all(isinstance(i, int) and 0 <= i < n for i in idx)):
                raise ConfigError(f"task [explore] {key}: expected {m} state entries (one per "
                                  f"action entry) from 0 to {n - 1}, got {idx!r}.")
        share, noise = explore.get("approach_share", 0.5), explore.get("approach_noise", 0.2)
        if not all(isinstance(v, int | float) and 0.0 <= v <= 1.0 for v in (share, noise)):
            raise ConfigError(f"task [explore] approach_share and approach_noise: expected "
                              f"numbers from 0 to 1, got {share!r} and {noise!r}.")
        return cls(tuple(source), tuple(target), float(share), float(noise))


@dataclass(frozen=True)
class Task:
    """A task file checked against its env's spaces (see the module docstring)."""

    cost: CostSpec
    goal: np.ndarray
    goal_from_info: str
    state_low: np.ndarray
    state_high: np.ndarray
    success_within: np.ndarray | None
    success_cost_below: float | None
    success_on_terminated: bool
    action_repeat: int
    hold: tuple[int, int]
    reset_hook: str
    groups: dict
    plot_xy: tuple[int, int]
    units: str
    success_info: str = ""  # success when info[success_info] >= success_info_at_least
    success_info_at_least: float = 1.0
    record_info: tuple[str, ...] = ()  # info keys kept per step in the episode files
    approach: Approach | None = None  # exploration that moves towards a state group

    @classmethod
    def from_dict(cls, raw: dict, observation_space, action_space) -> Task:
        if not isinstance(observation_space, gym.spaces.Box) or len(
                observation_space.shape) != 1 or not isinstance(action_space, gym.spaces.Box):
            raise ConfigError("task: mpcnet plans over flat Box observations and Box actions; "
                              f"this env has {observation_space} and {action_space}.")
        unknown = sorted(set(raw) - _SECTIONS)
        if unknown:
            raise ConfigError(f"task: unknown entries {unknown}; expected some of "
                              f"{sorted(_SECTIONS)}.")
        n, m = observation_space.shape[0], action_space.shape[0]
        cost_raw = dict(raw.get("cost", {}))
        weights = _vector(cost_raw, "state_weight", n, "cost")
        if weights is None:
            raise ConfigError(f"task [cost] state_weight: expected {n} weights, got none; every "
                              "task says which state entries its cost tracks.")
        cost = CostSpec(weights, _vector(cost_raw, "action_weight", m, "cost", default=0.0),
                        float(cost_raw.get("terminal_weight", 1.0)),
                        _vector(cost_raw, "goal_tolerance", n, "cost"),
                        cost_raw.get("obstacles"),
                        tuple(tuple(p) for p in cost_raw.get("obstacle_points", ())),
                        float(cost_raw.get("obstacle_weight", 0.0)),
                        _differences(cost_raw.get("differences", []), n))
        goal = _vector(cost_raw, "goal", n, "cost", default=0.0)
        low, high = cls._state_box(dict(raw.get("state_box", {})), observation_space)
        success = dict(raw.get("success", {}))
        within = _vector(success, "within", n, "success")
        below = success.get("cost_below")
        on_terminated = bool(success.get("on_terminated", False))
        info_key, at_least, record = _info_terms(success, dict(raw.get("record", {})))
        if within is None and below is None and not on_terminated and not info_key:
            raise ConfigError("task [success]: expected within, cost_below, info or "
                              "on_terminated, got none; say when an episode succeeds.")
        explore = dict(raw.get("explore", {}))
        hold = tuple(int(h) for h in explore.get("hold", (1, 1)))
        if len(hold) != 2 or not 1 <= hold[0] <= hold[1]:
            raise ConfigError(f"task [explore] hold: expected [shortest, longest] with "
                              f"1 <= shortest <= longest, got {explore.get('hold')!r}.")
        approach = Approach.from_dict(explore, n, action_space.shape[0])
        repeat = int(raw.get("action_repeat", 1))
        if repeat < 1:
            raise ConfigError(f"task action_repeat: expected an integer >= 1, got {repeat}.")
        groups = {str(k): [int(i) for i in v] for k, v in dict(raw.get("groups", {})).items()}
        for name, weight in dict(raw.get("loss_weights", {})).items():
            if name not in groups or isinstance(weight, bool) or not isinstance(
                    weight, int | float) or not (np.isfinite(weight) and weight > 0):
                raise ConfigError(f"task [loss_weights] {name}: expected a weight > 0 of one of "
                                  f"the [groups] {sorted(groups)}, got {weight!r}.")
        xy = tuple(int(i) for i in dict(raw.get("plot", {})).get("xy", (0, min(1, n - 1))))
        for what, idx in [*(("groups " + k, v) for k, v in groups.items()), ("plot xy", xy)]:
            if not idx or any(not 0 <= i < n for i in idx):
                raise ConfigError(f"task {what}: expected state indices 0 to {n - 1}, got "
                                  f"{list(idx)}.")
        return cls(cost, goal, str(cost_raw.get("goal_from_info", "")), low, high, within,
                   None if below is None else float(below), on_terminated, repeat,
                   (hold[0], hold[1]), str(explore.get("reset_hook", "")), groups,
                   (xy[0], xy[1]) if len(xy) == 2 else (xy[0], xy[0]),
                   str(raw.get("units", "")), info_key, at_least, record, approach)

    @staticmethod
    def _state_box(raw: dict, observation_space) -> tuple[np.ndarray, np.ndarray]:
        n = observation_space.shape[0]
        low = _vector(raw, "low", n, "state_box")
        high = _vector(raw, "high", n, "state_box")
        low = np.asarray(observation_space.low, np.float64) if low is None else low
        high = np.asarray(observation_space.high, np.float64) if high is None else high
        if not (np.isfinite(low).all() and np.isfinite(high).all() and (low < high).all()):
            raise ConfigError(f"task [state_box]: expected finite low < high for every state "
                              f"entry (the MILP needs them), got low {low.tolist()} and high "
                              f"{high.tolist()}; give [state_box] low and high.")
        margin = float(raw.get("margin", 0.05))
        if not 0.0 <= margin <= 10.0:
            raise ConfigError(f"task [state_box] margin: expected a share of the width from 0 "
                              f"to 10, got {margin}.")
        pad = margin * (high - low)
        return low - pad, high + pad

    def is_success(self, state: np.ndarray, goal: np.ndarray, terminated: bool,
                   info: dict | None = None, at_reset: bool = False) -> bool:
        if self.success_on_terminated and terminated:
            return True
        tests = []
        if self.success_info:
            info = info or {}
            if self.success_info in info:
                tests.append(float(info[self.success_info]) >= self.success_info_at_least)
            elif at_reset:  # many envs fill their measures in step() only
                tests.append(False)
            else:
                raise ConfigError(f"task [success] info: the env's step info has no "
                                  f"{self.success_info!r} (it has {sorted(info)}).")
        if self.success_within is not None:
            tests.append(bool((np.abs(state - goal) <= self.success_within).all()))
        if self.success_cost_below is not None:
            tests.append(float(self.cost.state_cost(state, goal)) <= self.success_cost_below)
        return bool(tests) and all(tests)


def _differences(raw, n: int) -> tuple[tuple[int, int, float], ...]:
    """``[cost] differences = [{from = [2, 3], to = [4, 5], weight = 1.0}]``: the L1
    distance between two groups of state entries, entry by entry, as ``CostSpec.pair_terms``."""
    terms = []
    for term in raw if isinstance(raw, list) else [raw]:
        ok = isinstance(term, dict) and set(term) <= {"from", "to", "weight"}
        a, b = (term.get("from"), term.get("to")) if ok else (None, None)
        weight = term.get("weight", 1.0) if ok else None
        if not (isinstance(a, list) and isinstance(b, list) and a and len(a) == len(b)
                and all(isinstance(i, int) and 0 <= i < n for i in a + b)
                and all(i != j for i, j in zip(a, b, strict=True))
                and isinstance(weight, int | float) and not isinstance(weight, bool)
                and np.isfinite(weight) and weight >= 0):
            raise ConfigError(f"task [cost] differences: expected entries like {{from = [2, 3], "
                              f"to = [4, 5], weight = 1.0}} (as many state entries 0 to {n - 1} "
                              f"on each side, pairwise different, weight >= 0), got {term!r}.")
        terms += [(i, j, float(weight)) for i, j in zip(a, b, strict=True)]
    return tuple(terms)


def _info_terms(success: dict, record: dict) -> tuple[str, float, tuple[str, ...]]:
    """``[success] info`` and ``info_at_least`` (the env's own success signal, e.g. a
    coverage), and ``[record] info`` (keys kept per step), checked."""
    key = success.get("info", "")
    if not isinstance(key, str):
        raise ConfigError(f"task [success] info: expected the name of an info entry, got "
                          f"{key!r}.")
    at_least = success.get("info_at_least", 1.0)
    if isinstance(at_least, bool) or not isinstance(at_least, int | float) or not np.isfinite(
            at_least):
        raise ConfigError(f"task [success] info_at_least: expected a number (success when "
                          f"info[{key!r}] >= it), got {at_least!r}.")
    unknown = sorted(set(record) - {"info"})
    keys = record.get("info", [])
    if unknown or not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ConfigError(f"task [record]: expected info = [names of info entries], got "
                          f"{record!r}.")
    return key, float(at_least), tuple(keys)


def load_hook(path: str):
    """The reset hook ``"module:function"``, with an error that says what was wrong."""
    module, _, name = path.partition(":")
    try:
        hook = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"task [explore] reset_hook: expected 'module:function' of an "
                          f"importable function, got {path!r} ({exc}).") from None
    if not callable(hook):
        raise ConfigError(f"task [explore] reset_hook: {path!r} is not a function.")
    return hook


class TaskEnv(gym.Wrapper):
    """A gymnasium env with an mpcnet task: ``cost_spec``, ``state_low``/``state_high``,
    ``info["goal"]`` and ``info["is_success"]``, and ``action_repeat`` env steps per step.

    The reward is the env's own (summed over the repeated steps), so results can report it
    beside the task cost. ``reset(options={"explore": True})`` applies the task's reset hook.
    """

    def __init__(self, env: gym.Env, task: dict) -> None:
        super().__init__(env)
        self.task_dict = task
        self.adapter = ObservationAdapter.from_dict(dict(task.get("observation", {})),
                                                    env.observation_space)
        self.observation_space = self.adapter.space
        self.relative = RelativeActions.from_dict(dict(task.get("action", {})),
                                                  self.adapter.space.shape[0], env.action_space)
        if self.relative is not None:
            self.action_space = self.relative.space
        self.task = Task.from_dict(task, self.adapter.space, self.action_space)
        self._frames: list[np.ndarray] = []
        self.cost_spec = self.task.cost
        self.state_low, self.state_high = self.task.state_low, self.task.state_high
        self._goal = self.task.goal
        self._hook = load_hook(self.task.reset_hook) if self.task.reset_hook else None

    def _info(self, obs, info: dict, terminated: bool = False, at_reset: bool = False) -> dict:
        state = np.asarray(obs, dtype=np.float64)
        return {**info, "goal": self._goal.copy(),
                "is_success": self.task.is_success(state, self._goal, terminated, info,
                                                   at_reset)}

    def reset(self, *, seed=None, options=None):
        options = dict(options or {})
        explore = bool(options.pop("explore", False))
        obs, info = self.env.reset(seed=seed, options=options or None)
        if explore and self._hook is not None:
            rng = np.random.default_rng(seed)
            obs = self._hook(self.env.unwrapped, rng)
        if self.task.goal_from_info:
            if self.task.goal_from_info not in info:
                raise ConfigError(f"task [cost] goal_from_info: the env's reset info has no "
                                  f"{self.task.goal_from_info!r} (it has {sorted(info)}).")
            self._goal = self.adapter.goal(info[self.task.goal_from_info])
        self._frames = [self.adapter.single(obs)] * self.adapter.history
        state = self._state()
        return state, self._info(state, info, at_reset=True)

    def _state(self) -> np.ndarray:
        return np.concatenate(self._frames).astype(np.float32)

    def step(self, action):
        total = 0.0
        if self.relative is not None:  # a displacement: the env takes the target it reaches
            action = self.relative.target(self._state(), action)
        for _ in range(self.task.action_repeat):
            obs, reward, terminated, truncated, info = self.env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
        self._frames = [*self._frames[1:], self.adapter.single(obs)]
        state = self._state()
        return state, total, terminated, truncated, self._info(state, info, terminated)

    def object_centres(self, obs) -> np.ndarray:
        """``(1, 2)``: the two state entries the task draws as the path (``[plot] xy``)."""
        return np.asarray(obs, dtype=np.float64)[list(self.task.plot_xy)][None, :]

    def goal_regions(self, goal) -> tuple[np.ndarray, np.ndarray]:
        xy = list(self.task.plot_xy)
        return (np.asarray(goal, np.float64)[xy][None, :],
                self.task.cost.goal_tolerance[xy][None, :])
