"""Vector index in ChromaDB: embedded PersistentClient by default, HttpClient for a shared server.

We always pass our own embeddings (Chroma's default embedding function downloads a model).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def chroma_client(path: Path | None = None, host: str | None = None, port: int = 8000):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=cfg)
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=cfg)


class ChromaVectors:
    def __init__(self, client, collection: str) -> None:
        self.client = client
        self.name = collection
        self.col = client.get_or_create_collection(name=collection, metadata={"hnsw:space": "cosine"},
                                                   embedding_function=None)

    def count(self) -> int:
        return self.col.count()

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        for i in range(0, len(ids), 500):
            self.col.upsert(ids=ids[i : i + 500], embeddings=vectors[i : i + 500].tolist(),
                            metadatas=metadatas[i : i + 500])

    def query(self, vector: np.ndarray, n: int, doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            ids = sorted(doc_ids)
            where = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        n = max(1, min(n, self.count()))
        res = self.col.query(query_embeddings=[vector.tolist()], n_results=n, where=where,
                             include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=False)]
