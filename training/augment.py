"""Rotation augmentation for planar pushing data.

Pushing on a flat table with isotropic friction looks the same from every direction: turn a
whole transition (object points, pusher, displacement action, next state) about any vertical
axis and it is again a transition the simulator could have produced. The explorer's data cover
each contact configuration from only the directions it happened to push in; training on
randomly turned copies shows the model every configuration from every direction, at no
collection cost. The model's inputs are relative to the pusher, so where the turn is centred
does not matter; the origin is used.

It holds for states of 2-D points ending with the pusher and 2-D displacement actions (the
Push envs). It stops holding where the env clips: the pusher's ``|x|, |y| <= 0.35`` m box and
the square action box (a turned 3 cm diagonal step is 4.2 cm along an axis). Both are rare in
the data and only make the augmented set slightly wider than the env.
"""

from __future__ import annotations

import numpy as np
import torch

from mpcnet.errors import ConfigError

AUGMENTS = ("none", "rotate")


# the envs whose scene is planar points pushed on an isotropic table (the object or the rope)
PLANAR_PUSH_ENVS = ("mpcnet/Push", "mpcnet/Rope")


def is_planar_push(state_dim: int, action_dim: int, env_id: str) -> bool:
    """Whether data are planar pushing: states of 2-D points ending with the pusher, 2-D
    displacement actions, an mpcnet/Push or mpcnet/Rope env."""
    return (state_dim >= 4 and state_dim % 2 == 0 and action_dim == 2
            and env_id.startswith(PLANAR_PUSH_ENVS))


def check_rotatable(state_dim: int, action_dim: int, env_id: str) -> None:
    """Refuse data whose transitions do not stay valid when turned (see the module doc)."""
    if not is_planar_push(state_dim, action_dim, env_id):
        raise ConfigError(
            f"augment 'rotate': expected planar pushing data (states of 2-D points ending with "
            f"the pusher, 2-D displacement actions, an mpcnet/Push or Rope env), got {env_id} with "
            f"states of {state_dim} and actions of {action_dim}; use --augment none.")


def rotation_matrices(angles: torch.Tensor) -> torch.Tensor:
    """``(B, 2, 2)`` matrices turning row vectors by ``angles`` (radians) counter-clockwise:
    ``v @ R`` is ``v`` turned."""
    c, s = torch.cos(angles), torch.sin(angles)
    return torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)


def turn_points(flat: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:
    """Turn every consecutive (x, y) pair of ``flat`` ``(B, ..., 2P)`` by ``rot`` ``(B, 2, 2)``."""
    shape = flat.shape
    points = flat.reshape(shape[0], -1, 2)
    return (points @ rot).reshape(shape)


def rotate_windows(x0: torch.Tensor, actions: torch.Tensor, targets: torch.Tensor,
                   gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each window ``(x0 (B, n), actions (B, H, 2), targets (B, H, n))`` turned by its own
    uniform random angle drawn from ``gen``."""
    angles = torch.rand(x0.shape[0], generator=gen) * (2 * torch.pi)
    rot = rotation_matrices(angles).to(device=x0.device, dtype=x0.dtype)
    return turn_points(x0, rot), turn_points(actions, rot), turn_points(targets, rot)


def rotated_copy(states: np.ndarray, actions: np.ndarray, next_states: np.ndarray,
                 seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every transition turned by its own random angle (for normalisation statistics that
    match the augmented training data)."""
    gen = torch.Generator().manual_seed(seed)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    x, u, y = rotate_windows(as_t(states), as_t(actions)[:, None], as_t(next_states)[:, None],
                             gen)
    return x.numpy(), u[:, 0].numpy(), y[:, 0].numpy()
