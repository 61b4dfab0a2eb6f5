"""A task file's ``[observation]`` section: from what an env observes to the flat state mpcnet
plans over.

Three steps, each optional, in this order::

    [observation]
    keys = ["agent", "block"]   # a Dict observation: these keys, in this order, flattened
    angles = [4]                # entries of that vector that wrap: each becomes (cos, sin)
    history = 2                 # the state is the last 2 of those vectors, oldest first

An angle kept as a number jumps by 2 pi at the seam: a model predicts it worse than "no
change" and an L1 cost cannot express a goal near it; as (cos, sin) neither sees a seam. An env
that hides a velocity is Markov again in the last two observations. Every other entry of the
task file (goal, weights, state box, success, groups) is written for the resulting state.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from mpcnet.errors import ConfigError

_ENTRIES = {"keys", "angles", "history"}


def _flat_box(space) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(space, gym.spaces.Box):
        raise ConfigError(f"task [observation]: expected Box observations (or a Dict of Boxes "
                          f"with keys = [...]), got {space}.")
    return (np.asarray(space.low, np.float64).ravel(),
            np.asarray(space.high, np.float64).ravel())


@dataclass(frozen=True)
class ObservationAdapter:
    """The ``[observation]`` section checked against an env's observation space."""

    keys: tuple[str, ...]
    angles: tuple[int, ...]
    history: int
    raw_size: int  # entries after the keys are flattened
    space: gym.spaces.Box  # the state's box (history observations, oldest first)

    @classmethod
    def from_dict(cls, raw: dict, observation_space) -> ObservationAdapter:
        unknown = sorted(set(raw) - _ENTRIES)
        if unknown:
            raise ConfigError(f"task [observation]: unknown entries {unknown}; expected some of "
                              f"{sorted(_ENTRIES)}.")
        keys = cls._keys(raw.get("keys"), observation_space)
        if keys:
            boxes = [_flat_box(observation_space[k]) for k in keys]
            low, high = np.concatenate([b[0] for b in boxes]), np.concatenate([b[1] for b in boxes])
        else:
            low, high = _flat_box(observation_space)
        angles = raw.get("angles", [])
        if not (isinstance(angles, list) and all(isinstance(i, int) for i in angles)
                and len(set(angles)) == len(angles)
                and all(0 <= i < low.size for i in angles)):
            raise ConfigError(f"task [observation] angles: expected distinct entries 0 to "
                              f"{low.size - 1} of the flattened observation, got {angles!r}.")
        history = raw.get("history", 1)
        if not (isinstance(history, int) and 1 <= history <= 16):
            raise ConfigError(f"task [observation] history: expected an integer from 1 to 16 "
                              f"(observations per state), got {history!r}.")
        angles = tuple(sorted(angles))
        low, high = _expand_box(low, high, angles)
        space = gym.spaces.Box(np.tile(low, history).astype(np.float32),
                               np.tile(high, history).astype(np.float32), dtype=np.float32)
        return cls(tuple(keys), angles, history, low.size - len(angles), space)

    @staticmethod
    def _keys(keys, observation_space) -> list[str]:
        is_dict = isinstance(observation_space, gym.spaces.Dict)
        if keys is None:
            if is_dict:
                raise ConfigError(f"task [observation] keys: the env observes a Dict with keys "
                                  f"{list(observation_space.spaces)}; say which to plan over, "
                                  "in order, e.g. keys = [\"" + next(iter(observation_space.spaces))
                                  + "\"].")
            return []
        if not is_dict:
            raise ConfigError(f"task [observation] keys: the env's observation is not a Dict "
                              f"({observation_space}); leave keys out.")
        if not (isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys)):
            raise ConfigError(f"task [observation] keys: expected a list of key names, got "
                              f"{keys!r}.")
        missing = [k for k in keys if k not in observation_space.spaces]
        if missing:
            raise ConfigError(f"task [observation] keys: unknown keys {missing}; the env's keys "
                              f"are {list(observation_space.spaces)}.")
        return keys

    @property
    def size(self) -> int:
        """Entries of one adapted observation (before the history)."""
        return self.raw_size + len(self.angles)

    def flatten(self, obs) -> np.ndarray:
        """The observation's selected keys, in order, as one float64 vector."""
        if self.keys:
            if not isinstance(obs, dict):
                raise ConfigError(f"task [observation] keys: expected a Dict observation, got "
                                  f"{type(obs).__name__}.")
            return np.concatenate([np.asarray(obs[k], np.float64).ravel() for k in self.keys])
        return np.asarray(obs, np.float64).ravel()

    def single(self, obs) -> np.ndarray:
        """One observation adapted: flattened, every angle replaced by (cos, sin)."""
        flat = self.flatten(obs)
        out = []
        for i, value in enumerate(flat):
            out += [np.cos(value), np.sin(value)] if i in self.angles else [value]
        return np.asarray(out, np.float64)

    def goal(self, raw_goal) -> np.ndarray:
        """A goal the env gives as an observation (``goal_from_info``), as a state."""
        return np.tile(self.single(raw_goal), self.history)


def _expand_box(low: np.ndarray, high: np.ndarray, angles) -> tuple[np.ndarray, np.ndarray]:
    """The box of :meth:`ObservationAdapter.single`: every angle's bounds become [-1, 1]
    twice (its cos and sin)."""
    lows, highs = [], []
    for i in range(low.size):
        lows += [-1.0, -1.0] if i in angles else [low[i]]
        highs += [1.0, 1.0] if i in angles else [high[i]]
    return np.asarray(lows), np.asarray(highs)
