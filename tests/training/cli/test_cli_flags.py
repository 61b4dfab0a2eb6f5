"""The core's errors name parameters; the command line shows the flags that set them."""

import ast
import re
from pathlib import Path

import pytest

from tests.fixtures import ROOT
from training.cli import build_parser
from training.cli.flags import flag_names, params_as_flags

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


@pytest.mark.parametrize("core, cli", [
    ("train with relative=False.", "train with --no-relative."),
    ("use frame='world'.", "use --frame world."),
    ("use device='cpu' or device='auto'.", "use --device cpu or --device auto."),
    ("use budget_ms=48 or more, or a shorter horizon=.", "use --budget-ms 48 or more, or a "
     "shorter --horizon."),
    ("leave out residual=True.", "leave out --residual."),
    ("got env_id=Pendulum-v1; pass task= FILE", "got --env Pendulum-v1; pass --task FILE"),
    ("threads=: expected a positive integer", "--threads: expected a positive integer"),
    ("set MPCNET_THREADS=1 or mip_heuristic_effort=0.3", "set MPCNET_THREADS=1 or "
     "mip_heuristic_effort=0.3"),  # not options of mpcnet: left as written
])
def test_parameters_become_the_flags_that_set_them(core, cli):
    assert params_as_flags(core, flag_names(build_parser())) == cli


def _raised_strings(path: Path) -> list[str]:
    """The literal text of every ``raise`` statement in a module (f-strings' constant parts)."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and node.exc is not None:
            texts += [c.value for c in ast.walk(node.exc)
                      if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return texts


def test_the_core_envs_and_controllers_raise_no_command_line_flags():
    named = [f"{path.relative_to(ROOT)}: {text!r}"
             for package in ("mpcnet", "envs", "controllers")
             for path in sorted((ROOT / package).rglob("*.py"))
             for text in _raised_strings(path)
             if FLAG.search(text.replace("pip install", ""))]
    assert named == [], "name the parameter (relative=False), not the flag:\n" + "\n".join(named)
