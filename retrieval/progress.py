"""Progress of an index build or an admin change, shared by whoever wants to show it.

A build reports stages (``parse`` → ``terms`` → ``embed`` → ``store`` → ``ready``) with done/total counts;
``/readyz``, ``/admin/progress`` and the CLI bar read the same object. Listeners are called on every
change from the building thread, so they must be quick (the CLI redraws at most a few times a second).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

STAGES = {"idle": "chờ", "parse": "đọc kế hoạch", "terms": "tách từ khóa", "embed": "nhúng vector",
          "store": "ghi kho vector", "verify": "kiểm tra chỉ mục", "ready": "sẵn sàng", "error": "lỗi"}

Listener = Callable[["Progress"], None]


class Progress:
    """Thread-safe: a build thread writes, request threads read ``snapshot()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stage, self.done, self.total = "idle", 0, 0
        self.running = False
        self.op: str | None = None
        self.doc_id: str | None = None
        self.listeners: list[Listener] = []
        self.timings: dict[str, float] = {}  # seconds spent per stage in the last operation (benchmarks, logs)
        self._since = time.perf_counter()

    def begin(self, op: str, doc_id: str | None = None) -> None:
        """An operation starts (``index``, ``add``, ``replace``, ``remove``)."""
        with self._lock:
            self.running, self.op, self.doc_id = True, op, doc_id
            self.stage, self.done, self.total = "idle", 0, 0
            self.timings, self._since = {}, time.perf_counter()
        self._notify()

    def end(self, stage: str = "ready") -> None:
        with self._lock:
            self._lap()
            self.running, self.stage = False, stage
        self._notify()

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            self._lap()
            self.stage, self.done, self.total = stage, 0, max(0, int(total))
        self._notify()

    def _lap(self) -> None:
        now = time.perf_counter()
        self.timings[self.stage] = self.timings.get(self.stage, 0.0) + now - self._since
        self._since = now

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done = min(self.total, self.done + n) if self.total else self.done + n
        self._notify()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"running": self.running, "op": self.op, "doc_id": self.doc_id, "stage": self.stage,
                    "done": self.done, "total": self.total}

    def _notify(self) -> None:
        for fn in list(self.listeners):
            try:
                fn(self)
            except Exception:  # noqa: BLE001 - a broken display must never break a build
                pass


def stage_label(stage: str) -> str:
    return STAGES.get(stage, stage)
