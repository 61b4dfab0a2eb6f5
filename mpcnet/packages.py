"""mpcnet's own top-level packages, and a check that nothing else answers to their names.

mpcnet installs four top-level packages: ``mpcnet`` (the core) and, beside it, ``envs``,
``controllers`` and ``training`` (the project layout). The last three are common names: a
folder ``envs/`` in the directory a script runs from, or another distribution that installs
a ``training`` package, comes first on ``sys.path`` and would be imported in their place, with
baffling errors far from the cause. :func:`check_own_packages` finds that before anything is
imported and names both paths; the ``mpcnet`` command runs it first (:func:`main`).

Install mpcnet into its own virtual environment (``make`` does) so that its packages shadow
nothing of yours; the check covers the other direction.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from mpcnet.errors import ConfigError

OWN_PACKAGES = ("envs", "controllers", "training")


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


def foreign_packages() -> list[tuple[str, str]]:
    """``(name, where)`` of each of :data:`OWN_PACKAGES` that resolves to another location
    than the one beside ``mpcnet`` (``where`` is "missing" if it resolves to nothing)."""
    found = []
    for name in OWN_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        places = [] if spec is None else [Path(p).resolve() for p in
                                          (spec.submodule_search_locations or [])]
        if not places:
            found.append((name, "missing"))
        elif _root() / name not in places or len(places) > 1:
            found.append((name, ", ".join(str(p) for p in places)))
    return found


def check_own_packages() -> None:
    """Raise :class:`ConfigError` naming every package that is not mpcnet's own."""
    foreign = foreign_packages()
    if not foreign:
        return
    name, where = foreign[0]
    if where == "missing":
        raise ConfigError(f"mpcnet's package {name!r} is not installed beside {_root()}; "
                          "reinstall mpcnet (make demo or pip install -e .).")
    raise ConfigError(f"the package {name!r} resolves to {where}, not to mpcnet's "
                      f"{_root() / name}: a folder or distribution of that name comes first on "
                      "sys.path; run from another directory, rename it, or use mpcnet in its "
                      "own virtual environment.")


def main(argv: list[str] | None = None) -> int:
    """The ``mpcnet`` command: check the packages, then run :func:`training.cli.main`.

    The core never imports ``training``; this launcher loads it by name only when the command
    runs, after the check, so a shadowing ``training`` is reported instead of a traceback.
    """
    try:
        check_own_packages()
    except ConfigError as exc:
        print(f"mpcnet: error: {exc}", file=sys.stderr)
        return 2
    return importlib.import_module("training.cli").main(argv)
