"""Conversation sessions in SQLite (survive a restart), with idle expiry and bounded history."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol


class SessionStore(Protocol):
    """What the assistant and the service need from a conversation store; SQLiteSessions is the default.

    Another implementation (a shared database for several workers) is plugged in with ``CCHC_SESSIONS_FACTORY``.
    """

    def history(self, session_id: str) -> list[str]: ...

    def append(self, session_id: str, question: str, meta: dict | None = None) -> None: ...

    def get_meta(self, session_id: str) -> dict: ...

    def set_meta(self, session_id: str, meta: dict) -> None: ...

    def purge_expired(self) -> int: ...


class SQLiteSessions:
    """One row per session: the last ``max_turns`` questions and small metadata (chosen province)."""

    def __init__(self, path: Path | str, ttl_seconds: int = 3600, max_turns: int = 10, clock=time.time) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, turns TEXT NOT NULL, "
            "meta TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL)"
        )
        self._lock = threading.Lock()
        self.ttl, self.max_turns, self.clock = ttl_seconds, max_turns, clock

    def _row(self, sid: str) -> tuple[list[str], dict] | None:
        row = self._db.execute("SELECT turns, meta, updated FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            return None
        if self.clock() - row[2] > self.ttl:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
            return None
        return json.loads(row[0]), json.loads(row[1])

    def history(self, session_id: str) -> list[str]:
        with self._lock:
            row = self._row(session_id)
        return row[0] if row else []

    def get_meta(self, session_id: str) -> dict:
        with self._lock:
            row = self._row(session_id)
        return row[1] if row else {}

    def append(self, session_id: str, question: str, meta: dict | None = None) -> None:
        with self._lock:
            row = self._row(session_id)
            turns, old_meta = row if row else ([], {})
            turns = (turns + [question])[-self.max_turns :]
            self._write(session_id, turns, {**old_meta, **(meta or {})})

    def set_meta(self, session_id: str, meta: dict) -> None:
        with self._lock:
            row = self._row(session_id)
            turns, old = row if row else ([], {})
            self._write(session_id, turns, {**old, **meta})

    def _write(self, sid: str, turns: list[str], meta: dict) -> None:
        self._db.execute(
            "INSERT INTO sessions (id, turns, meta, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET turns = excluded.turns, meta = excluded.meta, updated = excluded.updated",
            (sid, json.dumps(turns, ensure_ascii=False), json.dumps(meta, ensure_ascii=False), self.clock()),
        )

    def purge_expired(self) -> int:
        with self._lock:
            cur = self._db.execute("DELETE FROM sessions WHERE updated < ?", (self.clock() - self.ttl,))
        return cur.rowcount


class MemorySessions(SQLiteSessions):
    """The same behaviour in memory (CLI one-shots, tests)."""

    def __init__(self, ttl_seconds: int = 3600, max_turns: int = 10, clock=time.time) -> None:
        super().__init__(":memory:", ttl_seconds, max_turns, clock)
