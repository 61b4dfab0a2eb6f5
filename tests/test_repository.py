"""The repository as a newcomer meets it: short front pages, small benchmark folders, no paths
of one machine, no numbers of a tracker the reader cannot see."""

import re
import subprocess
from pathlib import Path

from tests.fixtures import ROOT

# an absolute path of a machine: a home, scratch or system directory at the start of a path
# (the names are joined here so that this file does not spell such a path itself)
_ROOTS = ("work", "home", "root", "tmp", "Users", "mnt", "opt", "scratch", "data")
ABSOLUTE = re.compile(r"(?<![\w.~/-])/(?:" + "|".join(_ROOTS) + r")/[\w.-]+")
USER_FACING = ["README.md", "BENCHMARKS.md", "CHANGELOG.md", "docs", "benchmarks", "examples"]


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [ROOT / name for name in out.split("\0") if name and (ROOT / name).is_file()]


def _text(path: Path) -> str | None:
    try:
        return path.read_text()
    except (UnicodeDecodeError, OSError):
        return None  # binary (a PNG)


def test_no_file_names_an_absolute_path_of_a_machine():
    found = []
    for path in tracked_files():
        text = _text(path)
        if text is None:
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in ABSOLUTE.finditer(text)]
    assert found == [], "\n".join(found[:20])


def test_the_absolute_path_check_catches_one():
    scratch, home = "/".join(("", "work", "bench", "model_pf")), "/".join(("", "home", "me"))
    assert ABSOLUTE.search(f'models = ["{scratch}"]')
    assert ABSOLUTE.search(f"cd {home}/mpcnet && make")
    assert not ABSOLUTE.search("see docs/notes/x.md and runs/push/model, 2/2 opt, 1/3")


def test_front_pages_are_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150
    assert len((ROOT / "BENCHMARKS.md").read_text().splitlines()) <= 300


def test_benchmarks_stay_small():
    files = [p for p in tracked_files() if "benchmarks" in p.relative_to(ROOT).parts[:1]]
    assert sum(p.stat().st_size for p in files) < 300_000
    for suite in {p.relative_to(ROOT).parts[1] for p in files if len(p.parts) > 1}:
        size = sum(p.stat().st_size for p in files if p.relative_to(ROOT).parts[1] == suite)
        assert size < 100_000, f"benchmarks/{suite}: {size:,} bytes"


def test_user_facing_text_names_no_tracker_issue():
    found = []
    for name in USER_FACING:
        paths = [ROOT / name] if (ROOT / name).is_file() else sorted((ROOT / name).rglob("*"))
        for path in paths:
            text = _text(path) if path.is_file() else None
            if text and re.search(r"\bissues? #?\d+", text, re.IGNORECASE):
                found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = text[text.index("```bash\n") + 8:]
    first_two = block[:block.index("```")].strip().splitlines()
    assert [line.split()[:2] for line in first_two] == [["make", "demo"], ["make", "test"]]
