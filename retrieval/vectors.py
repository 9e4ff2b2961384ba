"""Vector index in ChromaDB: embedded PersistentClient by default, HttpClient for a shared server.

One collection per embedder holds the vectors of every index version; a vector's id is the unit id plus
the hash of the text it embeds (``<uid>@<hash>``), so a new version adds only what changed and the index
still being served never sees its vectors disappear. Each ``HybridIndex`` looks through an ``IndexVectors``
view that keeps only its own ids. Clients are opened once per path/server and reused by every build (a
new client per build leaked threads and open files). We always pass our own embeddings (Chroma's default
embedding function downloads a model).
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np

HNSW = {"hnsw:space": "cosine", "hnsw:search_ef": 200}  # ef high enough that results match an exact search
COUNT_TTL = 30.0  # seconds a collection size is trusted (other workers may add to a shared server)
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


class VectorStoreError(RuntimeError):
    """The vector store cannot be opened or read (a damaged file, a server that does not answer)."""


def chroma_client(path: Path | None = None, host: str | None = None, port: int = 8000):
    """The process-wide client for a path or a server (created on first use)."""
    key = f"http://{host}:{port}" if host else str(Path(path or ".").resolve())
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _new_client(path, host, port)
            _clients[key] = client
        return client


def _new_client(path: Path | None, host: str | None, port: int):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=cfg)
        assert path is not None
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=cfg)
    except Exception as exc:  # chromadb raises many kinds (ValueError, its own errors, Rust panics)
        raise VectorStoreError(f"không mở được kho vector ({type(exc).__name__}: {str(exc)[:200]})") from exc


def drop_local_store(path: Path) -> None:
    """Forget and delete a damaged embedded store so that it can be created again from the cache."""
    key = str(path.resolve())
    with _clients_lock:
        _clients.pop(key, None)
        try:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except Exception:  # noqa: BLE001 - best effort; the directory goes anyway
            pass
    shutil.rmtree(path, ignore_errors=True)


class ChromaVectors:
    """One collection: add, remove, look up and query vectors by id."""

    def __init__(self, client, collection: str) -> None:
        self.client = client
        self.name = collection
        try:
            self.col = client.get_or_create_collection(name=collection, metadata=HNSW, embedding_function=None)
        except Exception as exc:
            raise VectorStoreError(f"không mở được bộ sưu tập vector ({type(exc).__name__})") from exc
        self._size: tuple[float, int] | None = None

    def count(self) -> int:
        return self.col.count()

    def size(self) -> int:
        """The collection size as last seen (counting costs ~8 ms a query at 100 plans); exact after our writes."""
        now = time.monotonic()
        if self._size is None or now - self._size[0] > COUNT_TTL:
            self._size = (now, self.col.count())
        return self._size[1]

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict], on_batch=None) -> None:
        for i in range(0, len(ids), 500):
            self.col.upsert(ids=ids[i : i + 500], embeddings=np.asarray(vectors[i : i + 500]),
                            metadatas=metadatas[i : i + 500])
            if on_batch:
                on_batch(len(ids[i : i + 500]))
        self._size = None

    def present(self, ids: list[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(ids), 5000):
            out.update(self.col.get(ids=ids[i : i + 5000], include=[])["ids"])
        return out

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (those the store holds)."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 5000):
            got = self.col.get(ids=ids[i : i + 5000], include=["embeddings"])
            out.update(zip(got["ids"], np.asarray(got["embeddings"], np.float32), strict=True))
        return out

    def all_ids(self) -> set[str]:
        return set(self.col.get(include=[])["ids"])

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 5000):
            self.col.delete(ids=ids[i : i + 5000])
        self._size = None

    def query(self, vector: np.ndarray, n: int, doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            ids = sorted(doc_ids)
            where = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        n = max(1, min(n, self.size()))
        res = self.col.query(query_embeddings=[vector.tolist()], n_results=n, where=where,
                             include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=False)]


class IndexVectors:
    """The vectors of one index version inside the shared collection.

    A question scoped to a few plans (a province, a year) is answered from those plans' vectors, read once
    from the store and kept (``SCOPE_CACHE`` plans): Chroma's filtered query cost ~30 ms at 1,000 plans
    whatever the scope, an exact dot product over a few hundred vectors costs well under 1 ms.
    """

    SCOPE_MAX = 4000  # vectors; a wider scope goes to the store's own filtered search
    SCOPE_CACHE = 256  # plans whose vectors are kept (~60 KB each at 384 dimensions)

    def __init__(self, store: ChromaVectors, ids: list[str], by_doc: dict[str, list[str]] | None = None) -> None:
        self.store = store
        self.ids = set(ids) - {""}  # "": a unit the vector side leaves out
        self.by_doc = by_doc  # doc_id -> its vector ids (enables the scoped path)
        self._scoped: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()

    def count(self) -> int:
        """How many of this index's vectors the store holds (equals ``HybridIndex.embedded`` when intact)."""
        return len(self.store.present(sorted(self.ids)))

    def query(self, vector: np.ndarray, n: int, doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        if doc_ids is not None and self.by_doc is not None:
            if sum(len(self.by_doc.get(d, ())) for d in doc_ids) <= self.SCOPE_MAX:
                return self._scoped_query(vector, n, doc_ids)
        # over-fetch by the vectors that belong to other versions (the previous index, an unfinished build)
        extra = max(0, self.store.size() - len(self.ids))
        # and ask for 4 × n: HNSW is approximate at the edge of what it returns; the best n of 4 n are stable
        hits = self.store.query(vector, max(4 * n, n + min(extra, 2000)), doc_ids)
        # best first by similarity, then id: Chroma merges its unindexed and indexed parts in no fixed order
        return _best((vid, sim) for vid, sim in hits if vid in self.ids)[:n]

    def _scoped_query(self, vector: np.ndarray, n: int, doc_ids: set[str]) -> list[tuple[str, float]]:
        """Exact cosine similarity over the vectors of ``doc_ids`` (as the store's cosine space defines it)."""
        parts = [self._doc_vectors(d) for d in sorted(doc_ids) if self.by_doc and self.by_doc.get(d)]
        parts = [p for p in parts if p[0]]
        if not parts:
            return []
        vids = [v for ids, _ in parts for v in ids]
        mat = np.vstack([m for _, m in parts])
        q = np.asarray(vector, np.float32)
        sims = (mat @ q) / np.maximum(np.linalg.norm(mat, axis=1) * np.linalg.norm(q), 1e-12)
        return _best(zip(vids, sims.tolist(), strict=True))[:n]

    def _doc_vectors(self, doc_id: str) -> tuple[list[str], np.ndarray]:
        with self._lock:
            cached = self._scoped.get(doc_id)
        if cached is None:
            ids = (self.by_doc or {}).get(doc_id, [])
            got = self.store.vectors(ids)
            have = [v for v in ids if v in got]
            cached = (have, np.vstack([got[v] for v in have]) if have else np.zeros((0, 0), np.float32))
            with self._lock:
                if len(self._scoped) >= self.SCOPE_CACHE:
                    self._scoped.pop(next(iter(self._scoped)), None)
                self._scoped[doc_id] = cached
        return cached


def _best(hits) -> list[tuple[str, float]]:
    """Best first, ties by id. Similarities are rounded to 6 decimals: the store (float32 HNSW) and the
    scoped dot product differ by ~1e-7, and equal texts must rank the same whichever path answered."""
    return sorted(((vid, round(float(sim), 6)) for vid, sim in hits), key=lambda h: (-h[1], h[0]))
