import contextlib
import io
import runpy
import sys
import unittest.mock
import warnings

import pytest

from tests.fixtures import ROOT

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes

# every example but the quickstart takes --tiny (the quickstart is the README's, tested below)
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("[0-9]*.py") if p.name[:2] != "00")


def run_script(script, argv: list[str], cwd) -> str:
    """Run an example as ``python script argv`` would, in this process (no start-up cost);
    its standard output. A warning that an old API is deprecated fails it."""
    out = io.StringIO()
    with (contextlib.chdir(cwd), contextlib.redirect_stdout(out), warnings.catch_warnings(),
          unittest.mock.patch.object(sys, "argv", [str(script), *argv])):
        # mpcnet's own deprecations (a moved module, a result unpacked as a tuple)
        warnings.filterwarnings("error", message=r"(.* moved to .*|unpacking a .*)",
                                category=DeprecationWarning)
        runpy.run_path(str(script), run_name="__main__")
    return out.getvalue()


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_with_tiny_settings(script, tmp_path):
    assert run_script(script, ["--tiny"], tmp_path).strip()


def test_there_are_five_examples_and_the_quickstart():
    assert len(EXAMPLES) == 5 and QUICKSTART.is_file()


QUICKSTART = ROOT / "examples" / "00_quickstart.py"
# the quickstart's sizes, made tiny for the test; each must still be in the file
TINY = {"episodes=200": "episodes=8", "epochs=100": "epochs=2",
        "SparsifyConfig(relus=16)": "SparsifyConfig(relus=16, relaxed_epochs=2, finetune_epochs=1)",
        "seed=0)": "seed=0, max_steps=3)"}


def _readme_quickstart() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("```python\n", text.index("## Quickstart")) + len("```python\n")
    return text[start:text.index("```", start)]


def test_the_readme_quickstart_is_the_example_and_at_most_15_lines():
    code = QUICKSTART.read_text()
    assert _readme_quickstart() == code
    assert len(code.splitlines()) <= 15


def test_the_quickstart_runs(tmp_path):
    code = QUICKSTART.read_text()
    for full, tiny in TINY.items():
        assert full in code, f"the quickstart no longer says {full}; update TINY"
        code = code.replace(full, tiny)
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    assert run_script(script, [], tmp_path).startswith("16 ReLUs: success ")


@pytest.mark.slow
def test_the_quickstart_at_its_own_sizes(tmp_path):
    """What a newcomer runs: 200 episodes, 100 epochs, 16 ReLUs, one MIP episode (about two
    minutes on 2 cores)."""
    out = run_script(QUICKSTART, [], tmp_path)
    assert out.startswith("16 ReLUs: success ") and "final cost" in out
