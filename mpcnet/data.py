"""Transition data collected from an environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mpcnet.artifacts import read_json, read_npz, write_json, write_npz
from mpcnet.errors import ArtifactError, ConfigError, ShapeError, check_shape

_KEYS = ["states", "actions", "next_states", "episode_ids"]
_OPTIONAL = ("contacts",)


@dataclass(frozen=True)
class TransitionData:
    """Transitions ``(x_t, u_t, x_{t+1})`` in time order within each episode.

    Attributes:
        states: ``(N, n)`` states ``x_t``.
        actions: ``(N, m)`` actions ``u_t``.
        next_states: ``(N, n)`` successor states ``x_{t+1}``.
        episode_ids: ``(N,)`` integer episode index; rows of one episode are contiguous and
            consecutive in time.
        contacts: ``(N,)`` bool, whether the pusher touched an object during the step, or
            ``None`` for a task without a pusher (data from another source).
        env_id: The environment the data came from.
        env_kwargs: The keyword arguments it was made with (e.g. ``max_step``), so models
            trained on the data are evaluated in the same env.
    """

    states: np.ndarray
    actions: np.ndarray
    next_states: np.ndarray
    episode_ids: np.ndarray
    contacts: np.ndarray | None
    env_id: str
    env_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.states.shape[0] if self.states.ndim == 2 else -1
        check_shape("states", self.states, (None, None))
        check_shape("actions", self.actions, (n, None))
        check_shape("next_states", self.next_states, self.states.shape)
        check_shape("episode_ids", self.episode_ids, (n,))
        if self.contacts is not None:
            check_shape("contacts", self.contacts, (n,))
        if n == 0:
            raise ShapeError("TransitionData: expected at least one transition, got 0.")
        for name in ("states", "actions", "next_states"):
            bad = np.flatnonzero(~np.isfinite(getattr(self, name)).all(axis=1))
            if len(bad):
                episodes = np.unique(self.episode_ids[bad])
                raise ShapeError(
                    f"TransitionData.{name}: expected finite numbers, got NaN or infinity in "
                    f"{len(bad)} rows (first: row {bad[0]}; episodes "
                    f"{episodes[:5].tolist()}{'...' if len(episodes) > 5 else ''}); drop those "
                    "episodes with select_episodes or collect again.")

    @property
    def state_dim(self) -> int:
        return int(self.states.shape[1])

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[1])

    def __len__(self) -> int:
        return int(self.states.shape[0])

    def episodes(self) -> np.ndarray:
        """The distinct episode ids, in order of appearance."""
        ids, first = np.unique(self.episode_ids, return_index=True)
        return ids[np.argsort(first)]

    def select_episodes(self, ids: np.ndarray) -> TransitionData:
        """The subset of transitions whose episode id is in ``ids``."""
        mask = np.isin(self.episode_ids, ids)
        return TransitionData(self.states[mask], self.actions[mask], self.next_states[mask],
                              self.episode_ids[mask],
                              None if self.contacts is None else self.contacts[mask], self.env_id,
                              dict(self.env_kwargs))

    def windows(self, horizon: int) -> np.ndarray:
        """Start indices of every length-``horizon`` window that stays inside one episode.

        A window starting at ``i`` covers transitions ``i .. i+horizon-1``; they are chained,
        i.e. ``next_states[i+k] == states[i+k+1]``.
        """
        if horizon < 1:
            raise ConfigError(f"window horizon: expected >= 1, got {horizon}.")
        n = len(self)
        if n < horizon:
            return np.zeros(0, dtype=np.int64)
        starts = np.arange(n - horizon + 1)
        same = self.episode_ids[starts] == self.episode_ids[starts + horizon - 1]
        return starts[same]

    def save(self, directory: Path) -> None:
        """Write ``data.npz`` and the side-car ``data.json`` into ``directory``."""
        write_npz(Path(directory) / "data.npz", {k: getattr(self, k) for k in (*_KEYS, *_OPTIONAL)
                                                 if getattr(self, k) is not None})
        write_json(Path(directory) / "data.json", {
            "env_id": self.env_id, "env_kwargs": self.env_kwargs, "transitions": len(self),
            "state_dim": self.state_dim, "action_dim": self.action_dim,
        })

    @classmethod
    def load(cls, directory: Path) -> TransitionData:
        """Load data written by :meth:`save` (e.g. by ``mpcnet collect``).

        Raises:
            ArtifactError: if the directory or its files are missing, corrupted or inconsistent.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ArtifactError(
                f"data directory {directory} does not exist; run `mpcnet collect` first "
                "or check the path."
            )
        arrays = read_npz(directory / "data.npz", _KEYS, what="data file", optional=_OPTIONAL)
        arrays.setdefault("contacts", None)
        side = read_json(directory / "data.json", what="data side-car")
        try:
            data = cls(env_id=str(side["env_id"]), env_kwargs=dict(side.get("env_kwargs", {})),
                       **arrays)
        except (ShapeError, KeyError) as exc:
            raise ArtifactError(
                f"data file {directory / 'data.npz'} is inconsistent: {exc}"
            ) from exc
        if len(data) != side.get("transitions"):
            raise ArtifactError(
                f"data file {directory / 'data.npz'} holds {len(data)} transitions but its "
                f"side-car says {side.get('transitions')}; the files do not belong together."
            )
        return data
