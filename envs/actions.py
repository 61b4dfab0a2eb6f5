"""A task file's ``[action]`` section: planning displacements for an env whose action is an
absolute target::

    [action]
    relative_to = [0, 1]   # the state entries the env's action is a target for
    low = [-0.05, -0.05]   # the box of the displacement planned each step
    high = [0.05, 0.05]

Planners start from zero actions and the action cost pulls towards zero: on an env that takes
the target position of its agent, zero means "go to the corner". Planned relative to the
agent's position, zero means "stay", and the action cost prices motion. The env still gets an
absolute target: the named state entries plus the displacement, clipped into its action box.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from mpcnet.errors import ConfigError

_ENTRIES = {"relative_to", "low", "high"}


@dataclass(frozen=True)
class RelativeActions:
    """Displacements planned in ``space``, sent to the env as ``state[relative_to] + u``."""

    relative_to: tuple[int, ...]
    space: gym.spaces.Box
    env_low: np.ndarray
    env_high: np.ndarray

    @classmethod
    def from_dict(cls, raw: dict, state_size: int, env_space) -> RelativeActions | None:
        """``None`` without ``relative_to`` (the env's own actions are planned)."""
        unknown = sorted(set(raw) - _ENTRIES)
        if unknown:
            raise ConfigError(f"task [action]: unknown entries {unknown}; expected some of "
                              f"{sorted(_ENTRIES)}.")
        if "relative_to" not in raw:
            if raw:
                raise ConfigError("task [action]: low and high bound relative actions; give "
                                  "relative_to = [...] too, or leave [action] out.")
            return None
        m = env_space.shape[0]
        index = raw["relative_to"]
        if not (isinstance(index, list) and len(index) == m
                and all(isinstance(i, int) and 0 <= i < state_size for i in index)):
            raise ConfigError(f"task [action] relative_to: expected {m} state entries (one per "
                              f"action entry) from 0 to {state_size - 1}, got {index!r}.")
        box = []
        for key in ("low", "high"):
            try:
                value = np.asarray(raw.get(key), np.float64)
            except (TypeError, ValueError):
                value = np.zeros(0)
            if value.shape != (m,) or not np.isfinite(value).all():
                raise ConfigError(f"task [action] {key}: expected {m} finite numbers (the box "
                                  f"of one step's displacement), got {raw.get(key)!r}.")
            box.append(value)
        if not (box[0] < box[1]).all():
            raise ConfigError(f"task [action]: expected low < high, got {box[0].tolist()} and "
                              f"{box[1].tolist()}.")
        return cls(tuple(index), gym.spaces.Box(box[0].astype(np.float32),
                                                box[1].astype(np.float32), dtype=np.float32),
                   np.asarray(env_space.low, np.float64), np.asarray(env_space.high, np.float64))

    def target(self, state: np.ndarray, displacement) -> np.ndarray:
        """The env's action: the named state entries moved by ``displacement``, in its box."""
        u = np.clip(np.asarray(displacement, np.float64), self.space.low, self.space.high)
        goal = np.asarray(state, np.float64)[list(self.relative_to)] + u
        return np.clip(goal, self.env_low, self.env_high).astype(np.float32)
