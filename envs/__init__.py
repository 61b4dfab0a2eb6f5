"""PyBullet gymnasium environments of mpcnet, registered lazily by string id.

``import envs`` registers the ids; the PyBullet modules load only when an env is made.
"""

from __future__ import annotations

import gymnasium as gym

from mpcnet.errors import unknown_name

ENV_IDS = {
    "mpcnet/Push-v0": ("envs.push:PushEnv", {"shape": "box"}, 100),
    "mpcnet/PushT-v0": ("envs.push:PushEnv", {"shape": "t"}, 100),
    "mpcnet/Sort-v0": ("envs.sort:SortEnv", {"num_objects": 4}, 12),
}

for _env_id, (_entry, _kwargs, _steps) in ENV_IDS.items():
    if _env_id not in gym.registry:
        gym.register(_env_id, entry_point=_entry, kwargs=_kwargs, max_episode_steps=_steps)


def make(env_id: str, **kwargs) -> gym.Env:
    """``gymnasium.make`` with a "did you mean" error for unknown mpcnet ids."""
    if env_id not in ENV_IDS:
        raise unknown_name("environment id", env_id, ENV_IDS)
    return gym.make(env_id, **kwargs)
