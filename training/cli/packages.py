"""mpcnet's own top-level packages, and a check that nothing else answers to their names.

mpcnet installs four top-level packages: ``mpcnet`` (the core) and, beside it, ``envs``,
``controllers`` and ``training`` (the project layout). The last three are common names: a
folder ``envs/`` in the directory a script runs from, or another distribution that installs
a ``training`` package, comes first on ``sys.path`` and would be imported in their place, with
baffling errors far from the cause. :func:`check_own_packages` finds that before anything is
imported and names both paths; the ``mpcnet`` command runs it first (:func:`training.cli.main`).
The console script itself starts from its own ``bin`` directory, so a folder in the working
directory cannot shadow ``training``; ``python -m training.cli`` runs the same check.

Install mpcnet into its own virtual environment (``make`` does) so that its packages shadow
nothing of yours; the check covers the other direction.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mpcnet.errors import ConfigError

OWN_PACKAGES = ("envs", "controllers", "training")


def _root() -> Path:
    return Path(__file__).resolve().parents[2]


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
