"""Progress bars that suit where the output goes.

On a terminal: tqdm as usual. Elsewhere (CI, ``nohup``, a file, a sweep worker) a bar that
redraws itself with carriage returns writes thousands of updates into the log (``make demo >
log`` wrote about 85 kB of them); there each bar writes a plain line when it starts, at most
one every ``LOG_INTERVAL_S`` seconds while it runs, and one when it ends.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

LOG_INTERVAL_S = 10.0


class _LineStream:
    """A file for tqdm that turns each redraw into one line (and drops the blank redraws
    with which a bar that does not stay erases itself)."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        for part in text.replace("\r", "\n").split("\n"):
            if part.strip():
                self.stream.write(part.strip() + "\n")

    def flush(self) -> None:
        self.stream.flush()


class Progress(tqdm):
    """tqdm, or where stderr is not a terminal, one line per stage or per ``LOG_INTERVAL_S``.

    ``set_postfix`` and ``set_description`` redraw at once in tqdm; off a terminal they wait
    for the next interval instead.
    """

    def __init__(self, *args, **kwargs) -> None:
        stream = kwargs.get("file") or sys.stderr
        self._terminal = bool(getattr(stream, "isatty", lambda: False)())
        if not self._terminal:
            kwargs.update(file=_LineStream(stream), mininterval=LOG_INTERVAL_S,
                          maxinterval=LOG_INTERVAL_S, dynamic_ncols=False, ncols=100,
                          leave=True)
        super().__init__(*args, **kwargs)

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs) -> None:
        super().set_postfix(ordered_dict, refresh=refresh and self._terminal, **kwargs)

    def set_description(self, desc=None, refresh=True) -> None:
        super().set_description(desc, refresh=refresh and self._terminal)
