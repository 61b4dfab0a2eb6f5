"""Two pieces of import plumbing for a public surface that stays light and stays compatible.

- :func:`lazy_exports`: a package re-exports names of its submodules without importing them
  until first use (PEP 562), so ``import mpcnet`` loads neither torch nor a solver, and
  ``from mpcnet.milp import MipMpc`` still works.
- :class:`MovedModules`: an old module path (``mpcnet.mip_mpc``) imports its new home
  (``mpcnet.milp.mip_mpc``) with a ``DeprecationWarning``, for one release after the move.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Callable


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each exported name to the
    module that defines it; the module is imported when the name is first read."""
    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name]), name)
        setattr(sys.modules[package], name, value)  # the next read is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers for module paths that moved: importing ``old`` gives the module at ``new``
    (the same object, so its names and identity are unchanged) and warns once per import.

    First on ``sys.meta_path``, so that a module under a moved package
    (``mpcnet.solvers.highs_backend``) is not found again through the new package's path and
    executed a second time under its old name. It answers only for the paths in ``moves``,
    none of which exists any more.
    """

    def __init__(self, moves: dict[str, str], removal: str) -> None:
        self.moves = dict(moves)
        self.removal = removal

    def find_spec(self, fullname, path=None, target=None):  # noqa: D102 - import protocol
        if fullname not in self.moves:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):  # noqa: D102 - import protocol
        new = self.moves[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; import it from there (the old path goes "
                      f"in {self.removal})", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:  # noqa: D102 - import protocol
        pass  # the module was executed under its new name

    @classmethod
    def install(cls, moves: dict[str, str], removal: str) -> None:
        """Put a finder for ``moves`` first on ``sys.meta_path`` (once per table)."""
        if not any(isinstance(f, cls) and f.moves == moves for f in sys.meta_path):
            sys.meta_path.insert(0, cls(moves, removal))
