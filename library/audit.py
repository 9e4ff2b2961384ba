"""The audit log: one JSON line per change in ``<data>/audit.log``, appended and never rewritten."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

AUDIT_LOG = "audit.log"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def token_fingerprint(token: str) -> str:
    """Who did it, without the secret: the first 8 hex digits of sha256(token)."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]


def append_audit(path: Path, entry: dict[str, Any]) -> None:
    """One JSON line, appended and flushed to disk (the log is never rewritten)."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


LOCAL_TZ = "Asia/Ho_Chi_Minh"


def local_time(when: str | None) -> str | None:
    """'2026-12-02T13:31:00Z' -> '02/12/2026 20:31:00' in Vietnam's time (what the admin reads)."""
    if not when:
        return None
    from zoneinfo import ZoneInfo

    try:
        t = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return when
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(ZoneInfo(LOCAL_TZ)).strftime("%d/%m/%Y %H:%M:%S")
