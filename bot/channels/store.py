"""Durable channel state in ``CCHC_DATA_DIR/channels.sqlite3``: event ids, inbox, outbox, Zalo tokens.

Telegram and Zalo both re-deliver an event when our reply is slow or lost; remembering recent ids on
disk (not only in memory) means a restart between two deliveries still answers once. Zalo refresh
tokens are single-use and rotate on every refresh, so the newest one must be on disk before it is
used: losing it means an official has to re-authorise the OA by hand.

No answer is lost: an accepted event sits in ``inbox`` until its replies are in ``outbox`` (one
transaction), and a reply stays in ``outbox`` until the platform took it or it expired. A crash
or a platform outage therefore delays the answer instead of dropping it (at-least-once delivery;
our own event ids keep it from being answered twice).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

EVENT_TTL_SECONDS = 7 * 24 * 3600
PURGE_EVERY_SECONDS = 600.0


@dataclass
class OutboxItem:
    id: int
    channel: str
    chat_id: str
    text: str
    fmt: str  # "html" (Telegram) or "text"
    attempts: int
    expires: float


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
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS inbox (channel TEXT NOT NULL, event_id TEXT NOT NULL, payload TEXT NOT NULL, "
            "received REAL NOT NULL, PRIMARY KEY (channel, event_id))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, "
            "chat_id TEXT NOT NULL, key TEXT UNIQUE, text TEXT NOT NULL, fmt TEXT NOT NULL, created REAL NOT NULL, "
            "next_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, expires REAL NOT NULL, last_error TEXT)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS outbox_chat ON outbox (channel, chat_id, id)")
        self._lock = threading.Lock()
        self.clock = clock
        self._purged = 0.0

    def first_delivery(self, channel: str, event_id: str, payload: str | None = None) -> bool:
        """Record ``event_id``; True only the first time it is seen within EVENT_TTL_SECONDS.

        With ``payload`` the event also enters the inbox (same transaction) until ``done`` is called.
        """
        now = self.clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO channel_events (channel, event_id, seen) VALUES (?, ?, ?) "
                    "ON CONFLICT(channel, event_id) DO UPDATE SET seen = excluded.seen WHERE channel_events.seen < ?",
                    (channel, str(event_id), now, now - EVENT_TTL_SECONDS))
                first = cur.rowcount == 1
                if first and payload is not None:
                    self._db.execute("INSERT OR REPLACE INTO inbox (channel, event_id, payload, received) "
                                     "VALUES (?, ?, ?, ?)", (channel, str(event_id), payload, now))
                if now - self._purged > PURGE_EVERY_SECONDS:
                    self._purged = now
                    self._db.execute("DELETE FROM channel_events WHERE seen < ?", (now - EVENT_TTL_SECONDS,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return first

    # ---- inbox / outbox -------------------------------------------------------------------------
    def done(self, channel: str, event_id: str | None, chat_id: str, replies: list[tuple[str, str]],
             ttl: float) -> int:
        """Queue the replies to one event (text, fmt) and take the event out of the inbox, atomically."""
        now = self.clock()
        added = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for i, (text, fmt) in enumerate(replies):
                    key = f"{channel}:{event_id}:{i}" if event_id is not None else None
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO outbox (channel, chat_id, key, text, fmt, created, next_at, expires) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (channel, str(chat_id), key, text, fmt, now, now, now + ttl))
                    added += cur.rowcount
                if event_id is not None:
                    self._db.execute("DELETE FROM inbox WHERE channel = ? AND event_id = ?", (channel, str(event_id)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def pending_events(self, channel: str) -> list[tuple[str, str]]:
        """(event_id, payload) accepted but not yet answered (a crash or restart came in between)."""
        with self._lock:
            return self._db.execute("SELECT event_id, payload FROM inbox WHERE channel = ? ORDER BY received",
                                    (channel,)).fetchall()

    def due(self, channel: str, limit: int = 32) -> list[OutboxItem]:
        """The oldest pending reply of each chat, when it is due (replies to one chat go out in order)."""
        now = self.clock()
        with self._lock:
            rows = self._db.execute(
                "SELECT o.id, o.channel, o.chat_id, o.text, o.fmt, o.attempts, o.expires FROM outbox o "
                "WHERE o.channel = ? AND o.id = (SELECT MIN(id) FROM outbox p WHERE p.channel = o.channel "
                "AND p.chat_id = o.chat_id) AND o.next_at <= ? ORDER BY o.id LIMIT ?", (channel, now, limit)).fetchall()
        return [OutboxItem(*r) for r in rows]

    def next_due(self, channel: str) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(next_at) FROM outbox WHERE channel = ?", (channel,)).fetchone()
        return row[0] if row else None

    def delivered(self, item_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def retry_later(self, item_id: int, next_at: float, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
                             (next_at, error[:200], item_id))

    def pending_replies(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is None:
                return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM outbox WHERE channel = ?", (channel,)).fetchone()[0]

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
