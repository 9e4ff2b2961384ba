"""Index-build progress on the command line: a tqdm bar per stage on a terminal, plain lines otherwise.

Everything goes to stderr, so ``--json`` output and ``--batch`` files stay clean.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from retrieval.progress import Progress, stage_label

PLAIN_EVERY_S = 5.0  # a log line at most this often per stage (and at its start and end)


class CliProgress:
    """A ``Progress`` listener. Use as a context manager around the build: it closes the last bar."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._stage: str | None = None
        self._bar: Any = None  # a tqdm bar on a terminal (tqdm is untyped)
        self._last_line = 0.0
        self._last_done = 0

    def attach(self, progress: Progress) -> Progress:
        progress.listeners.append(self)
        return progress

    def __call__(self, p: Progress) -> None:
        snap = p.snapshot()
        stage, done, total = snap["stage"], snap["done"], snap["total"]
        if stage in ("idle", "ready", "error"):
            self._close()
            return
        if stage != self._stage:
            self._close()
            self._stage, self._last_done = stage, 0
            if total == 0:
                return
            if self.tty:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=stage_label(stage), unit="mục", file=self.stream,
                                 dynamic_ncols=True, leave=True)
            else:
                self._line(stage, done, total)
        if self._bar is not None:
            self._bar.update(done - self._last_done)
            self._last_done = done
        elif total and (done == total or time.monotonic() - self._last_line >= PLAIN_EVERY_S):
            self._line(stage, done, total)

    def _line(self, stage: str, done: int, total: int) -> None:
        self._last_line = time.monotonic()
        pct = 100 * done // total if total else 100
        print(f"[chỉ mục] {stage_label(stage)}: {done}/{total} ({pct}%)", file=self.stream, flush=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._stage = None

    def __enter__(self) -> CliProgress:
        return self

    def __exit__(self, *exc) -> None:
        self._close()
