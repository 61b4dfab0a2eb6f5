"""Process-wide torch thread settings, owned in one place.

The networks here are small (tens to hundreds of neurons): one intra-op thread is as fast as
two for them, and a second thread turns every op into a barrier that stalls whenever another
process holds the other core. Measured on a 2-core machine (BENCHMARKS.md, "Threads"):
`mpcnet train` beside another torch job took 9.5x its time alone with torch's default threads.
So mpcnet runs with one thread unless told otherwise, by ``--threads`` on the command line or
the ``MPCNET_THREADS`` environment variable.
"""

from __future__ import annotations

import os

from mpcnet.errors import ConfigError

THREADS_ENV = "MPCNET_THREADS"
DEFAULT_THREADS = 1


def requested_threads(threads: int | None = None) -> int:
    """``threads`` if given, else ``$MPCNET_THREADS``, else 1; ConfigError if not >= 1."""
    source = "--threads"
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
