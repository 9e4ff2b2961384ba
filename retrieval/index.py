"""The hybrid index: BM25 over folded terms + vectors in Chroma, fused by reciprocal rank.

How it is built, stored, switched and verified lives in :mod:`retrieval.build`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from corpus.vocab import Vocabulary
from retrieval.bm25 import BM25
from retrieval.embedders import Embedder
from retrieval.lexical import TermMatrix
from retrieval.text import index_terms
from retrieval.units import Unit
from retrieval.unittable import UnitTable
from retrieval.vectors import IndexVectors

RRF_K = 60


@dataclass
class Hit:
    unit: Unit
    score: float  # fused
    bm25: float
    vector: float


class HybridIndex:
    def __init__(self, units: Sequence[Unit], unit_terms: list[list[str]] | TermMatrix, vectors: IndexVectors | None,
                 embedder: Embedder | None, vocab: Vocabulary, content_hash: str = "",
                 vector_ids: list[str] | None = None) -> None:
        # a UnitTable (built indexes) makes a Unit only when one is read; a list (tests) is used as is
        self.units = units
        # a vector id names one version of a unit's text (see retrieval.vectors)
        self.by_vid = ({v: i for i, v in enumerate(vector_ids) if v} if vector_ids is not None
                       else dict(self.by_uid))
        self.bm25 = BM25(matrix=unit_terms) if isinstance(unit_terms, TermMatrix) else BM25(unit_terms)
        self.vectors, self.embedder, self.vocab = vectors, embedder, vocab
        self.content_hash = content_hash
        self._qcache: dict[str, object] = {}
        if isinstance(units, UnitTable):
            self._by_doc = units.rows_by_doc()
        else:
            by_doc: dict[str, list[int]] = {}
            for i, u in enumerate(units):
                by_doc.setdefault(u.doc_id, []).append(i)
            self._by_doc = {d: np.asarray(ix, np.int64) for d, ix in by_doc.items()}

    @cached_property
    def by_uid(self) -> dict[str, int]:
        return {u.uid: i for i, u in enumerate(self.units)}

    def _embed_query(self, embedder: Embedder, query: str):
        """Query embeddings are memoised: portal visitors click the same suggested questions all day."""
        cached = self._qcache.get(query)
        if cached is None:
            cached = embedder.embed_query(query)
            if len(self._qcache) >= 2048:
                self._qcache.pop(next(iter(self._qcache)))
            self._qcache[query] = cached
        return cached

    @property
    def size(self) -> int:
        return len(self.units)

    @property
    def embedded(self) -> int:
        """Units the vector side holds (kinds in retrieval.build.NO_VECTOR_KINDS are left to BM25)."""
        return len(self.vectors.ids) if self.vectors is not None else 0

    def search(self, query: str, doc_ids: set[str] | None = None, k: int = 30,
               use_vectors: bool = True) -> list[Hit]:
        allowed = None
        if doc_ids is not None:
            parts = [self._by_doc[d] for d in doc_ids if d in self._by_doc]
            allowed = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        q_terms = index_terms(query, self.vocab)
        bm = self.bm25.dense(q_terms, allowed)
        bm_rank = [i for i, _ in self.bm25.best(bm, k * 2)]
        vec: dict[int, float] = {}
        vec_rank: list[int] = []
        if use_vectors and self.vectors is not None and self.embedder is not None:
            qv = self._embed_query(self.embedder, query)
            for vid, sim in self.vectors.query(qv, k * 2, doc_ids):
                if vid in self.by_vid:
                    vec[self.by_vid[vid]] = sim
                    vec_rank.append(self.by_vid[vid])
        fused: dict[int, float] = {}
        for rank, i in enumerate(bm_rank):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, i in enumerate(vec_rank):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.units[i], fused[i], float(bm[i]), vec.get(i, 0.0)) for i in order]
