import subprocess
import sys

import pytest

from tests.fixtures import ROOT

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes

# every example but the quickstart takes --tiny (the quickstart is the README's, tested below)
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("[0-9]*.py") if p.name[:2] != "00")


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_with_tiny_settings(script, tmp_path):
    proc = subprocess.run([sys.executable, str(script), "--tiny"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()


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
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", str(script)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("16 ReLUs: success ")
