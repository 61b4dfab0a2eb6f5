"""The dependency rule, checked over every module's imports (top-level and inside functions):

    training.cli -> training.experiments -> training.bench -> training (the stages)
    training -> controllers -> mpcnet <- envs          (and training -> envs)

A room may import itself and the rooms its arrow reaches; nothing imports ``training.cli``.
"""

import ast
from pathlib import Path

import pytest

from tests.fixtures import ROOT

PACKAGES = ("mpcnet", "envs", "controllers", "training")

# room -> the rooms it may import (besides itself and third-party libraries)
ALLOWED = {
    "mpcnet": set(),
    "envs": {"mpcnet"},
    "controllers": {"mpcnet"},
    "training": {"mpcnet", "envs", "controllers"},
    "training.bench": {"training", "mpcnet", "envs", "controllers"},
    "training.experiments": {"training.bench", "training", "mpcnet", "envs", "controllers"},
    "training.cli": {"training.experiments", "training.bench", "training", "mpcnet", "envs",
                     "controllers"},
}
SUBROOMS = ("training.cli", "training.experiments", "training.bench")


def room_of(module: str) -> str | None:
    """The room of a dotted module name, or ``None`` for a third-party module."""
    for sub in SUBROOMS:
        if module == sub or module.startswith(sub + "."):
            return sub
    top = module.split(".")[0]
    return top if top in PACKAGES else None


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this repository."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import statement, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[:len(module.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from training.cli import bench` imports the module training.cli.bench
            found += [(node.lineno, f"{base}.{a.name}" if is_module(f"{base}.{a.name}")
                       else base) for a in node.names]
    return found


def violations(source: str, module: str) -> list[str]:
    room = room_of(module)
    bad = []
    for line, target in imports_of(source, module):
        other = room_of(target)
        if other is not None and other != room and other not in ALLOWED[room]:
            bad.append(f"{module}:{line} imports {target} ({room} may not import {other})")
    return bad


def repository_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(p), p) for package in PACKAGES
                  for p in (ROOT / package).rglob("*.py"))


def test_every_module_keeps_the_dependency_rule():
    bad = [v for name, path in repository_modules()
           for v in violations(path.read_text(), name)]
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("module, source", [
    ("mpcnet.costs", "from training.train import train\n"),
    ("mpcnet.milp.encoding", "def f():\n    import envs\n"),
    ("controllers.mip", "from envs.push import PushEnv\n"),
    ("training.evaluate", "from training.experiments.stats import wilson_interval\n"),
    ("training.bench.mip", "from training import experiments\n"),
    ("training.experiments.report", "from training.cli.stages import run_report\n"),
])
def test_a_wrong_import_is_caught(module, source):
    assert len(violations(source, module)) == 1


@pytest.mark.parametrize("module, source", [
    ("training.cli.stages", "from training.experiments.report import write_report\n"),
    ("training.experiments.report", "from training.bench.mip import grid_table\n"),
    ("envs.push", "from mpcnet.costs import CostSpec\nimport numpy\n"),
    ("training.bench.bab", "from .mip import start_states\n"),
])
def test_an_allowed_import_passes(module, source):
    assert violations(source, module) == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the directed graph as a path ``[a, b, ..., a]``, or ``[]``."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                return path[path.index(nxt):] + [nxt]
            if nxt not in done:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        done.add(node)
        return []

    for start in sorted(graph):
        if start not in done:
            found = visit(start, [start])
            if found:
                return found
    return []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circle_between_modules():
    """No cycle among the modules' imports, top-level or inside functions (a cycle through a
    function-level import is the same circle in disguise). A submodule importing its own
    package is not a circle (the package re-exports the submodule's names)."""
    names = dict(repository_modules())
    graph = {name: {t for _, t in imports_of(path.read_text(), name)
                    if t in names and t != name and not name.startswith(t + ".")}
             for name, path in names.items()}
    assert find_cycle(graph) == []
