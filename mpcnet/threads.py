"""Process-wide torch thread settings, owned in one place.

The networks here are small (tens to hundreds of neurons): one intra-op thread is as fast as
two for them, and a second thread turns every op into a barrier that stalls whenever another
process holds the other core. Measured on a 2-core machine (docs/notes, "Threads"):
`mpcnet train` beside another torch job took 9.5x its time alone with torch's default threads.
So mpcnet runs with one thread unless told otherwise, by ``--threads`` on the command line or
the ``MPCNET_THREADS`` environment variable.
"""

from __future__ import annotations

import ctypes
import os
import sys

from mpcnet.errors import ConfigError

THREADS_ENV = "MPCNET_THREADS"
# glibc mallopt parameters (malloc.h) and the values set: 256 MiB keeps every tensor of these
# planners on the heap; trimming only above 512 MiB keeps freed pages for the next call
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 256 << 20, 512 << 20
DEFAULT_THREADS = 1


def requested_threads(threads: int | None = None) -> int:
    """``threads`` if given, else ``$MPCNET_THREADS``, else 1; ConfigError if not >= 1."""
    source = "threads="
    if threads is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        if not text:
            return DEFAULT_THREADS
        source = f"${THREADS_ENV}"
        try:
            threads = int(text)
        except ValueError:
            raise ConfigError(f"{source}: expected a positive integer, got {text!r}; unset it "
                              "or set e.g. MPCNET_THREADS=1.") from None
    if threads < 1:
        raise ConfigError(f"{source}: expected a positive integer, got {threads}.")
    return threads


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads for this process (see :func:`requested_threads`).

    Returns:
        The number of threads now in use.
    """
    import torch

    n = requested_threads(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def pin_heap_thresholds() -> bool:
    """Stop glibc from mapping and unmapping every large tensor (Linux only; no-op elsewhere).

    glibc serves allocations above a *dynamic* threshold (128 KiB at start) with ``mmap`` and
    returns them with ``munmap``, so a planner that allocates the same 0.5 MB activations every
    step pays page faults on each touch, or not, depending on the history of the process.
    Measured (docs/notes, "Threads"): the same float64 rollout at K = 1024, H = 20 took 4.6
    to 6.6 ms from run to run, and pytorch_mppi's ``command()`` 9.8 to 21 ms; with the
    thresholds pinned, 4.6 to 5.0 and 9.8 to 10.8 ms. Set ``MALLOC_MMAP_THRESHOLD_`` in the
    environment to choose otherwise (then nothing is changed here).

    Returns:
        True if the thresholds were set.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                    and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to pin
        return False
