"""Conversation sessions in SQLite (survive a restart), with idle expiry and bounded history.

A web client that asks one question and leaves must not leave a row behind (a load test would
otherwise store tens of thousands): ids the API has just minted are ``begin``-ed and held in a
small in-memory LRU until the conversation continues (a second question), and only then written
to SQLite. The table is capped at ``max_rows`` (oldest first) and the file shrinks again through
SQLite's incremental vacuum when rows go.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

MAX_ROWS = 100_000
MAX_PROVISIONAL = 10_000
VACUUM_PAGES = 2_000  # pages returned to the file system per sweep (4 kB each)


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

    def __init__(self, path: Path | str, ttl_seconds: int = 3600, max_turns: int = 10, clock=time.time,
                 max_rows: int = MAX_ROWS, max_provisional: int = MAX_PROVISIONAL) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        if self._db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            # only takes effect on an empty file or after a full VACUUM (done once, on an old file)
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            with contextlib.suppress(sqlite3.OperationalError):  # another connection holds it: next start
                self._db.execute("VACUUM")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, turns TEXT NOT NULL, "
            "meta TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated)")
        self._lock = threading.Lock()
        self.ttl, self.max_turns, self.clock = ttl_seconds, max_turns, clock
        self.max_rows, self.max_provisional = max_rows, max_provisional
        self._count = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        # id -> (turns JSON, meta JSON, updated) for conversations of one question so far (not on disk);
        # kept as JSON like the rows, so a caller mutating what it read changes nothing here either
        self._provisional: OrderedDict[str, tuple[str, str, float]] = OrderedDict()

    # ---- provisional (in memory until the conversation continues) ----------------------------
    def begin(self, session_id: str) -> None:
        """Mark a freshly minted id: its first question stays in memory, the second one stores the session."""
        with self._lock:
            self._provisional[session_id] = ("[]", "{}", self.clock())
            while len(self._provisional) > self.max_provisional:
                self._provisional.popitem(last=False)

    def _row(self, sid: str) -> tuple[list[str], dict] | None:
        mem = self._provisional.get(sid)
        if mem is not None:
            if self.clock() - mem[2] > self.ttl:
                del self._provisional[sid]
                return None
            return json.loads(mem[0]), json.loads(mem[1])
        row = self._db.execute("SELECT turns, meta, updated FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            return None
        if self.clock() - row[2] > self.ttl:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
            self._count -= 1
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
        if sid in self._provisional and len(turns) <= 1:
            self._provisional[sid] = (json.dumps(turns, ensure_ascii=False), json.dumps(meta, ensure_ascii=False),
                                      self.clock())
            self._provisional.move_to_end(sid)
            return
        self._provisional.pop(sid, None)  # the conversation continues: it becomes a stored session
        cur = self._db.execute(
            "INSERT INTO sessions (id, turns, meta, updated) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            (sid, json.dumps(turns, ensure_ascii=False), json.dumps(meta, ensure_ascii=False), self.clock()),
        )
        if cur.rowcount == 1:
            self._count += 1
            if self._count > self.max_rows:
                self._evict(self._count - self.max_rows)
            return
        self._db.execute("UPDATE sessions SET turns = ?, meta = ?, updated = ? WHERE id = ?",
                         (json.dumps(turns, ensure_ascii=False), json.dumps(meta, ensure_ascii=False),
                          self.clock(), sid))

    def _evict(self, n: int) -> None:
        """Drop the ``n`` least recently used sessions (the cap protects the disk from floods of new chats)."""
        cur = self._db.execute("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY updated LIMIT ?)",
                               (n,))
        self._count -= cur.rowcount

    def count(self) -> int:
        """Sessions stored on disk (provisional ones excluded)."""
        with self._lock:
            return self._count

    def purge_expired(self) -> int:
        """Delete expired sessions and give the freed pages back to the file system."""
        with self._lock:
            cutoff = self.clock() - self.ttl
            cur = self._db.execute("DELETE FROM sessions WHERE updated < ?", (cutoff,))
            removed = cur.rowcount
            self._count -= removed
            for sid in [k for k, v in self._provisional.items() if v[2] < cutoff]:
                del self._provisional[sid]
            # executescript steps the pragma to the end (execute() would free a single page)
            self._db.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES});")
        return removed


class MemorySessions(SQLiteSessions):
    """The same behaviour in memory (CLI one-shots, tests)."""

    def __init__(self, ttl_seconds: int = 3600, max_turns: int = 10, clock=time.time) -> None:
        super().__init__(":memory:", ttl_seconds, max_turns, clock)
