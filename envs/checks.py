"""Argument checks shared by the environments: actions and reset options.

A wrong action or option raises :class:`~mpcnet.errors.ShapeError` or
:class:`~mpcnet.errors.ConfigError` (both ``ValueError``, as gymnasium users expect), naming
the argument, what was expected and what came: never numpy's broadcast message, and never a
NaN that the simulation would silently propagate into observations and rewards.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from mpcnet.errors import ConfigError, finite_array


def checked_action(action, space: spaces.Box) -> np.ndarray:
    """``action`` as float64 of the space's shape; refused if not numeric, of another size,
    or not finite (values outside the box are clipped by the env, as before)."""
    expected = (f"{space.shape[0]} numbers in [{space.low.min():g}, {space.high.max():g}]")
    action = np.asarray(action) if isinstance(action, list | tuple) else action
    if getattr(action, "shape", None) is not None and np.size(action) == space.shape[0]:
        action = np.reshape(action, space.shape)  # (1, m) and (m,) both accepted, as before
    return finite_array("action", action, space.shape, expected)


def checked_options(options, allowed: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Reset ``options`` as arrays: a dict (or ``None``) whose keys are in ``allowed``
    (name -> shape), each array of that shape and finite."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ConfigError(f"options: expected a dict with keys from {sorted(allowed)} or None, "
                          f"got {type(options).__name__}.")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(f"options: unknown keys {unknown}; expected keys from "
                          f"{sorted(allowed)}.")
    return {key: finite_array(f"options[{key!r}]", value, allowed[key])
            for key, value in options.items()}
