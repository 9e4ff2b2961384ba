"""Durable channel state in ``CCHC_DATA_DIR/channels.sqlite3``: delivered event ids and Zalo tokens.

Telegram and Zalo both re-deliver an event when our reply is slow or lost; remembering recent ids on
disk (not only in memory) means a restart between two deliveries still answers once. Zalo refresh
tokens are single-use and rotate on every refresh, so the newest one must be on disk before it is
used: losing it means an official has to re-authorise the OA by hand.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

EVENT_TTL_SECONDS = 7 * 24 * 3600


@dataclass
class ZaloTokens:
    access_token: str | None
    refresh_token: str | None
    expires_at: float | None  # unix time; None when unknown (a token pasted into the environment)
    seed: str | None = None  # fingerprint of the environment refresh token this row descends from


def fingerprint(secret: str | None) -> str | None:
    """A short one-way fingerprint, so the store can tell that the env token changed without keeping it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else None


class ChannelStore:
    def __init__(self, path: Path, clock=time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS channel_events (channel TEXT NOT NULL, event_id TEXT NOT NULL, "
            "seen REAL NOT NULL, PRIMARY KEY (channel, event_id))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS zalo_tokens (app_id TEXT PRIMARY KEY, access_token TEXT, "
            "refresh_token TEXT, expires_at REAL, seed TEXT, updated REAL NOT NULL)"
        )
        self._lock = threading.Lock()
        self.clock = clock
        self._inserts = 0

    def first_delivery(self, channel: str, event_id: str) -> bool:
        """Record ``event_id``; True only the first time it is seen (within EVENT_TTL_SECONDS)."""
        now = self.clock()
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO channel_events (channel, event_id, seen) VALUES (?, ?, ?)",
                                   (channel, str(event_id), now))
            self._inserts += 1
            if self._inserts % 500 == 0:
                self._db.execute("DELETE FROM channel_events WHERE seen < ?", (now - EVENT_TTL_SECONDS,))
        return cur.rowcount == 1

    def load_zalo_tokens(self, app_id: str) -> ZaloTokens | None:
        with self._lock:
            row = self._db.execute("SELECT access_token, refresh_token, expires_at, seed FROM zalo_tokens "
                                   "WHERE app_id = ?", (app_id,)).fetchone()
        return ZaloTokens(*row) if row else None

    def save_zalo_tokens(self, app_id: str, tokens: ZaloTokens) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO zalo_tokens (app_id, access_token, refresh_token, expires_at, seed, updated) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(app_id) DO UPDATE SET access_token = excluded.access_token, "
                "refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, seed = excluded.seed, "
                "updated = excluded.updated",
                (app_id, tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.seed, self.clock()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
