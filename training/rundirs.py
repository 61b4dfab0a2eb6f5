"""Run directories and provenance: the pipeline's places for its artefacts.

Run directories are created exclusively: an existing directory is only replaced when the caller
says so (``overwrite``), and then only after the new run has finished. Every stage writes
``config.json`` and ``meta.json`` (versions, git commit, time) beside its artefacts.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from mpcnet.artifacts import FORMAT_VERSION, write_json
from mpcnet.errors import ArtifactError, MpcnetError


def safe_name(text: str) -> str:
    """Turn an id such as ``mpcnet/Push-v0`` into a file-name-safe ``mpcnet-Push-v0``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def default_run_dir(env_id: str, stage: str, seed: int, root: Path = Path("runs")) -> Path:
    """``runs/{env}__{stage}__s{seed}__{timestamp}`` (the design's run-directory convention)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{safe_name(env_id)}__{stage}__s{seed}__{stamp}"


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest existing ancestor."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_creatable(path: Path, what: str, flag: str) -> None:
    """Raise ArtifactError unless ``path`` (a file or directory to be made) can be created:
    no ancestor is a file and the closest existing ancestor is a writable directory."""
    anchor = path if path.is_dir() else _nearest_existing(path.parent)
    if anchor.exists() and not anchor.is_dir():
        raise ArtifactError(f"{flag} {path}: {anchor} is a file, not a directory; choose a "
                            f"{what} path elsewhere.")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise ArtifactError(f"{flag} {path}: cannot write in {anchor} (permission denied); "
                            f"choose a {what} path in a writable directory.")


def check_out_dir(path: Path | None, overwrite: bool = False, flag: str = "--out",
                  can_overwrite: bool = True) -> None:
    """Check, without touching anything, that a run directory can be created at ``path``.

    Raises:
        ArtifactError: ``path`` is a file (or lies under one), cannot be written, or is a
            non-empty directory and ``overwrite`` is false.
    """
    if path is None:
        path = Path("runs")
        if path.exists() and not path.is_dir():
            raise ArtifactError("runs exists and is a file; pass --out to choose a run "
                                "directory.")
        _check_creatable(path / "x", "run directory", flag)
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ArtifactError(f"{flag} {path} exists and is not a directory; choose another "
                            f"{flag}.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        hint = " or pass --overwrite to replace it" if can_overwrite else ""
        raise ArtifactError(f"output directory {path} already exists and is not empty; "
                            f"choose another {flag}{hint}.")
    _check_creatable(path, "run directory", flag)
    if path.is_dir() and overwrite and not os.access(path.parent, os.W_OK | os.X_OK):
        raise ArtifactError(f"{flag} {path}: cannot move the old run aside in {path.parent} "
                            "(permission denied).")


def check_out_file(path: Path | None, flag: str = "--json") -> None:
    """Check, without touching anything, that a file can be written at ``path``."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise ArtifactError(f"{flag} {path} is a directory; name a file such as "
                            f"{path / 'results.json'}.")
    if path.exists() and not os.access(path, os.W_OK):
        raise ArtifactError(f"{flag} {path}: the file is not writable (permission denied).")
    _check_creatable(path, "file", flag)


@contextmanager
def run_directory(path: Path | None, env_id: str, stage: str, seed: int,
                  overwrite: bool = False, flag: str = "--out",
                  can_overwrite: bool = True) -> Iterator[Path]:
    """A fresh run directory for the body of a ``with`` block.

    With ``overwrite``, an existing run is first *moved aside* (``NAME.replaced-TIME``) and
    removed only when the block finishes without error. If the block fails before writing
    anything, the old run is moved back; if it fails after writing, both are kept and the
    error says where the old one is. A directory the block left empty is removed.

    Raises:
        ArtifactError: as :func:`check_out_dir`.
    """
    check_out_dir(path, overwrite, flag, can_overwrite)
    path = _run_path(path, env_id, stage, seed)
    aside = None
    if path.is_dir() and any(path.iterdir()):
        aside = path.with_name(f"{path.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
        n = 1
        while aside.exists():
            n += 1
            aside = aside.with_name(f"{aside.name}-{n}")
        path.rename(aside)
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException as exc:
        wrote = path.is_dir() and any(path.iterdir())
        if path.is_dir() and not wrote:
            path.rmdir()
        if aside is not None:
            if not wrote:
                aside.rename(path)
            elif isinstance(exc, MpcnetError):
                exc.args = (f"{exc} (the run it was to replace is kept at {aside})",)
            else:
                print(f"the run that {path} was to replace is kept at {aside}", file=sys.stderr)
        raise
    if aside is not None:
        shutil.rmtree(aside)


def _run_path(path: Path | None, env_id: str, stage: str, seed: int) -> Path:
    if path is not None:
        return Path(path)
    path = base = default_run_dir(env_id, stage, seed)
    n = 1
    while path.exists():  # two runs in the same second get distinct directories
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def create_run_dir(path: Path | None, env_id: str, stage: str, seed: int) -> Path:
    """Create a fresh, empty run directory and return it, for a run that does not fit in a
    ``with`` block (prefer :func:`run_directory`).

    Raises:
        ArtifactError: as :func:`check_out_dir` (an existing non-empty directory is refused).
    """
    check_out_dir(path, can_overwrite=False)
    path = _run_path(path, env_id, stage, seed)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance() -> dict[str, Any]:
    """Versions, git commit and time, written as ``meta.json`` beside every artefact."""
    import torch

    import mpcnet

    versions = {"mpcnet": mpcnet.__version__, "python": platform.python_version(),
                "numpy": np.__version__, "torch": torch.__version__}
    for module in ("gymnasium", "pybullet", "highspy", "scipy"):
        try:
            from importlib.metadata import version

            versions[module] = version(module)
        except Exception:  # not installed: simply not recorded
            pass
    return {
        "format_version": FORMAT_VERSION,
        "versions": versions,
        "git_commit": _git_commit(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": platform.node(),
    }


def write_stage(out: Path, config: dict, metrics: dict | None = None) -> None:
    """Write ``config.json``, ``meta.json`` and optionally ``metrics.json`` into ``out``."""
    write_json(Path(out) / "config.json", config)
    write_json(Path(out) / "meta.json", provenance())
    if metrics is not None:
        write_json(Path(out) / "metrics.json", metrics)
