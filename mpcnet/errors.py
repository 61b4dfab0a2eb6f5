"""The error hierarchy of mpcnet.

Every error a user can cause derives from :class:`MpcnetError`. Messages follow one pattern:
what was expected, what was received, and what to do. The command line prints the message on
one line and exits with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MpcnetError(Exception):
    """Base class of every error caused by input, configuration or files."""


class ConfigError(MpcnetError, ValueError):
    """A configuration value or argument is invalid."""


class ShapeError(MpcnetError, ValueError):
    """An array does not have the shape a data type or function requires."""


class ArtifactError(MpcnetError):
    """A file or run directory is missing, corrupted, mismatched or would be overwritten."""


class UnknownNameError(MpcnetError, KeyError):
    """A name (environment id, controller, ...) is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def unknown_name(kind: str, name: str, known: Iterable[str],
                 advice: str = "") -> UnknownNameError:
    """Build an :class:`UnknownNameError` with a "did you mean" suggestion.

    Args:
        kind: What the name names, e.g. ``"environment id"``.
        name: The name that was given.
        known: All valid names.
        advice: A sentence appended to the message (what else the name could be).
    """
    known = sorted(known)
    by_lower = {k.lower(): k for k in known}  # "MPPI" is "mppi" with the wrong case
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=1, cutoff=0.5)
    hint = f" Did you mean {by_lower[close[0]]!r}?" if close else ""
    return UnknownNameError(
        f"unknown {kind} {name!r}.{hint} Known: {', '.join(known) or '(none)'}.{advice}"
    )


def check_shape(name: str, array, expected: tuple) -> None:
    """Raise :class:`ShapeError` unless ``array.shape`` matches ``expected``.

    ``None`` in ``expected`` matches any size along that axis.
    """
    shape = tuple(getattr(array, "shape", ()))
    ok = len(shape) == len(expected) and all(
        e is None or e == s for e, s in zip(expected, shape, strict=True)
    )
    if not ok:
        pretty = tuple("*" if e is None else e for e in expected)
        raise ShapeError(f"{name}: expected shape {pretty}, got {shape}.")


class InfeasibleError(MpcnetError):
    """A problem is provably infeasible before solving (e.g. an unreachable state box)."""


SEED_MAX = 2**63 - 1


def check_field_limits(config) -> None:
    """Raise :class:`ConfigError` for a dataclass field above its ``metadata["max"]`` or below
    its ``metadata["min"]`` (limits that stop a typo from exhausting memory or time).

    ``None`` values (a planner's own default) are not checked.
    """
    from dataclasses import fields

    for f in fields(config):
        value = getattr(config, f.name)
        if value is None or isinstance(value, bool | str):
            continue
        values = value if isinstance(value, tuple) else (value,)
        low, high = f.metadata.get("min"), f.metadata.get("max")
        for v in values:
            if low is not None and v < low:
                raise ConfigError(f"{f.name}: expected a value >= {low}, got {v!r}.")
            if high is not None and v > high:
                raise ConfigError(f"{f.name}: expected at most {high:,} (the limit that keeps "
                                  f"a typo from exhausting memory or time), got {v:,}.")


def finite_array(name: str, value, shape: tuple[int, ...], what: str | None = None):
    """``value`` as a float64 array of ``shape``, finite.

    Args:
        what: How the message names what was expected (default ``"N numbers"``).

    Raises:
        ShapeError: not numbers, or of another shape.
        ConfigError: a NaN or an infinity.
    """
    import numpy as np

    what = what or f"{int(np.prod(shape))} numbers"
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ShapeError(f"{name}: expected {what}, got {value!r}.") from None
    if array.shape != tuple(shape):
        raise ShapeError(f"{name}: expected {what} (shape {tuple(shape)}), got shape "
                         f"{array.shape}.")
    if not np.isfinite(array).all():
        raise ConfigError(f"{name}: expected finite numbers, got {array.tolist()}.")
    return array


def finite_vector(name: str, value, size: int, broadcast: bool = False):
    """``value`` as a float64 array of shape ``(size,)``, finite (see :func:`finite_array`).

    Args:
        broadcast: Also accept a scalar (or shape ``(1,)``), repeated ``size`` times (for
            boxes such as ``action_low=-1``).
    """
    import numpy as np

    if broadcast:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):  # finite_array names it
            array = None
        if array is not None and array.size == 1:
            value = np.full(size, float(array.reshape(())))
    return finite_array(name, value, (size,))


def positive_int(name: str, value) -> int:
    """``value`` as an ``int`` >= 1 (a float such as 2.5 or a bool is refused)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(f"{name}: expected an integer >= 1, got {value!r}.")
    return int(value)
