"""PyBullet gymnasium environments of mpcnet, registered lazily by string id, and any other
gymnasium env described by a task file (:mod:`envs.task`).

``import envs`` registers the ids; the PyBullet modules load only when an env is made.
"""

from __future__ import annotations

import importlib
import math

import gymnasium as gym

from mpcnet.errors import ConfigError, unknown_name

# the hard variants of Push-v1 (envs.push_hard): where a global search should matter. They
# change starts, goals and costs, not physics, so a Push(T)-v1 model plans on them unchanged.
_HARD_VARIANTS = (("Obstacle", {"obstacles": 3}), ("Around", {"start": "around"}),
                  ("Turn", {"max_turn": math.pi}))
_SHAPES = (("", "box"), ("T", "t"))
_ROPE_GOALS = (("Line", "line"), ("Arc", "arc"), ("L", "L"), ("U", "U"))

# v2: Push-v1 with the pusher kept by the object (``approach_weight``) and a 12-step default
# horizon, the recipe measured best (benchmarks/push_recipe); v1: quasi-static pushing (the
# observation is the whole state); v0: the object slides on after a push, with a velocity the
# observation does not hold (kept to reproduce old results). Same physics in v1 and v2.
APPROACH_WEIGHT = 0.05
_V2 = {"quasi_static": True, "approach_weight": APPROACH_WEIGHT}
ENV_IDS = {
    "mpcnet/Push-v2": ("envs.push:PushEnv", {"shape": "box", **_V2}, 100),
    "mpcnet/PushT-v2": ("envs.push:PushEnv", {"shape": "t", **_V2}, 100),
    "mpcnet/Push-v1": ("envs.push:PushEnv", {"shape": "box", "quasi_static": True}, 100),
    "mpcnet/PushT-v1": ("envs.push:PushEnv", {"shape": "t", "quasi_static": True}, 100),
    "mpcnet/Push-v0": ("envs.push:PushEnv", {"shape": "box"}, 100),
    "mpcnet/PushT-v0": ("envs.push:PushEnv", {"shape": "t"}, 100),
    "mpcnet/Sort-v0": ("envs.sort:SortEnv", {"num_objects": 4}, 12),
    "mpcnet/Rope-v0": ("envs.rope:RopeEnv", {}, 100),
    # one goal family each, to compare planners per family; a longer rope to test a model on
    **{f"mpcnet/Rope{name}-v0": ("envs.rope:RopeEnv", {"goals": (shape,)}, 100)
       for name, shape in _ROPE_GOALS},
    "mpcnet/RopeLong-v0": ("envs.rope:RopeEnv", {"link_length": 0.0175}, 100),
    # the hard variants: v0 with Push-v1's cost, v1 with Push-v2's
    **{f"mpcnet/Push{t}{name}-v{version}": ("envs.push_hard:HardPushEnv",
                                            {"shape": shape, **kwargs, **extra}, 100)
       for t, shape in _SHAPES for name, kwargs in _HARD_VARIANTS
       for version, extra in ((0, {}), (1, {"approach_weight": APPROACH_WEIGHT}))},
}
SAME_DYNAMICS = {**{f"mpcnet/Push{t}{name}-v{version}": f"mpcnet/Push{t}-v1"
                    for t, _ in _SHAPES for name, _ in _HARD_VARIANTS for version in (0, 1)},
                 **{f"mpcnet/Push{t}-v2": f"mpcnet/Push{t}-v1" for t, _ in _SHAPES},
                 **{f"mpcnet/Rope{name}-v0": "mpcnet/Rope-v0" for name, _ in _ROPE_GOALS}}

DEFAULT_ENV_ID = "mpcnet/Push-v2"  # what the commands use when neither --env nor a model says
# the current push envs, whose defaults are the push recipe: the planning horizon is 12 (at 6
# the correction an object needs near its goal does not fit in the plan; benchmarks/
# push_recipe), and training.recipes picks their data, model size and sparsification
PUSH_RECIPE_ENVS = frozenset(
    [f"mpcnet/Push{t}-v2" for t, _ in _SHAPES]
    + [f"mpcnet/Push{t}{name}-v1" for t, _ in _SHAPES for name, _ in _HARD_VARIANTS])
DEFAULT_HORIZON, LONG_HORIZON = 6, 12


for _env_id, (_entry, _kwargs, _steps) in ENV_IDS.items():
    if _env_id not in gym.registry:
        gym.register(_env_id, entry_point=_entry, kwargs=_kwargs, max_episode_steps=_steps)


def dynamics_of(env_id: str) -> str:
    """The env whose dynamics ``env_id`` shares (itself unless it is a hard push variant,
    Push(T)-v2 or a rope with one goal family)."""
    return SAME_DYNAMICS.get(env_id, env_id)


def default_horizon(env_id: str | None) -> int:
    """The planning horizon a controller on ``env_id`` uses unless told (``--horizon``)."""
    return LONG_HORIZON if env_id in PUSH_RECIPE_ENVS else DEFAULT_HORIZON


def registered_id(env_id: str, task: dict | None = None) -> str:
    """The gymnasium id that ``env_id`` names, after importing what registers it: the module of
    gymnasium's ``module:EnvId`` form and the modules a task file lists under ``import``."""
    modules = (task or {}).get("import", [])
    if not (isinstance(modules, list) and all(isinstance(m, str) and m for m in modules)):
        raise ConfigError(f"task import: expected a list of module names, e.g. import = "
                          f"[\"my_package\"], got {modules!r}.")
    name = env_id
    if ":" in env_id:
        module, _, name = env_id.partition(":")
        modules = [module, *modules]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"{env_id}: cannot import {module!r}, which registers the env "
                              f"({exc}); install its package or check the name.") from None
    return name


def check_env_id(env_id: str, task: dict | None = None) -> None:
    """Refuse an env id that is neither an mpcnet env nor a registered gymnasium env with a
    task; the message says which one is missing. ``module:EnvId`` and a task's ``import``
    list import the package that registers the env first."""
    name = registered_id(env_id, task)
    if task and task.get("env", env_id) not in (env_id, name):
        raise ConfigError(f"the task (task=, or the model's) is written for {task['env']}, "
                          f"got env_id={env_id}; pass the env the task names.")
    if name in ENV_IDS:
        if task:
            raise ConfigError(f"task=: {env_id} is an mpcnet env with its own cost and state "
                              "box; task files are for other gymnasium envs.")
        return
    if name not in gym.registry:
        from envs.task import shipped_task_envs

        raise unknown_name("environment id", env_id, [*ENV_IDS, *shipped_task_envs()],
                           advice=" An env of another package: name the module that registers "
                           "it, as gymnasium does (module:EnvId), or in the task file (import "
                           "= [\"module\"]).")
    if not task:
        from envs.task import shipped_tasks

        raise ConfigError(f"{env_id} is a gymnasium env without an mpcnet task: pass task= "
                          f"FILE with its cost, state box and success test (shipped: "
                          f"{', '.join(shipped_tasks())}; see envs/task.py).")


def make(env_id: str, task: dict | None = None, **kwargs) -> gym.Env:
    """``gymnasium.make`` for an mpcnet env, or a gymnasium env wrapped in its task
    (:class:`envs.task.TaskEnv`); a "did you mean" error for unknown ids."""
    check_env_id(env_id, task)
    if not task:
        return gym.make(env_id, **kwargs)
    from envs.task import TaskEnv

    repeat = int(task.get("action_repeat", 1))
    if kwargs.get("max_episode_steps"):  # control steps, each ``action_repeat`` env steps
        kwargs["max_episode_steps"] = kwargs["max_episode_steps"] * max(repeat, 1)
    return TaskEnv(gym.make(env_id, **{**task.get("env_kwargs", {}), **kwargs}), task)


def task_of(env: gym.Env):
    """What carries the task of a made env (``cost_spec``, ``state_low``, ...): its
    :class:`~envs.task.TaskEnv` wrapper, else the mpcnet env itself."""
    from envs.task import TaskEnv

    layer = env
    while isinstance(layer, gym.Wrapper):
        if isinstance(layer, TaskEnv):
            return layer
        layer = layer.env
    return env.unwrapped
