"""Artefact I/O: atomic writes and the versioned ``.npz`` + JSON formats.

Every file is written to a temporary name in its final directory and renamed into place, so a
crash never leaves a half-written artefact under the real name. Run directories (the
pipeline's) live in :mod:`training.rundirs`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mpcnet.errors import ArtifactError

FORMAT_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Any], None], mode: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; artefacts get normal modes
    try:
        with os.fdopen(fd, mode) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    atomic_write(Path(path), lambda h: h.write(text), "w")


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    atomic_write(Path(path), lambda h: h.write(text), "w")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def read_json(path: Path, what: str = "file") -> dict:
    """Read a JSON object, raising :class:`ArtifactError` naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{what} {path} does not exist; check the path.")
    try:
        obj = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{what} {path} is not valid JSON ({exc}); re-create it.") from exc
    if not isinstance(obj, dict):
        raise ArtifactError(f"{what} {path}: expected a JSON object, got {type(obj).__name__}.")
    return obj


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays to an uncompressed ``.npz`` file, atomically."""
    atomic_write(Path(path), lambda h: np.savez(h, **arrays), "wb")


def read_npz(path: Path, keys: list[str], what: str = "file",
             optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Read the named arrays from an ``.npz`` file (and those of ``optional`` it holds).

    Raises:
        ArtifactError: if the file is missing, unreadable or lacks one of ``keys``.
    """
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{what} {path} does not exist; check the path.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise ArtifactError(
                    f"{what} {path} lacks arrays {missing} (has {sorted(npz.files)}); "
                    "it was not written by this version of mpcnet."
                )
            return {k: np.asarray(npz[k]) for k in (*keys, *optional) if k in npz.files}
    except ArtifactError:
        raise
    except Exception as exc:  # zipfile/pickle/value errors all mean a corrupted file
        raise ArtifactError(f"{what} {path} is corrupted ({exc}); re-create it.") from exc
