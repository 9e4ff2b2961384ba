"""Okapi BM25 (Lucene's idf) as precomputed per-term postings in numpy arrays.

Every (term, unit) weight is computed once when the index opens; a query adds up the postings of its terms
with one ``np.bincount``. The dict-of-lists version this replaces spent ~50 ms a query at 100 plans and
~0.5 s at 1,000 in Python loops; this one stays within a few milliseconds (benchmarks/bm25_bench.py, which
also measures the bm25s library on the same data).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from retrieval.lexical import TermMatrix

CHUNK_ROWS = 8192  # weights are computed a block of units at a time: float64 temporaries stay a few MB


class BM25:
    def __init__(self, docs: list[list[str]] | None = None, k1: float = 1.2, b: float = 0.75,
                 matrix: TermMatrix | None = None) -> None:
        m = matrix if matrix is not None else TermMatrix.from_terms(docs or [], [])
        self.k1, self.b = k1, b
        self.n = m.rows
        lengths = np.zeros(self.n)  # integer sums: exact
        full = np.diff(m.indptr) > 0
        if full.any():  # rows with terms, each summed up to the next such row's start
            lengths[full] = np.add.reduceat(m.tfs, m.indptr[:-1][full], dtype=np.int64)
        avgdl = float(lengths.mean()) if m.rows else 0.0
        df = np.bincount(m.ids, minlength=len(m.vocab)).astype(np.float64)
        idf = np.log(1 + (self.n - df + 0.5) / (df + 0.5))
        self.idf: dict[str, float] = {t: float(v) for t, v in zip(m.vocab, idf, strict=True)}
        self._term = {t: i for i, t in enumerate(m.vocab)}
        weight = _weights(m, idf, lengths, avgdl, k1, b)
        # postings by term, units ascending within a term: the unit-major arrays transposed in C (O(entries);
        # argsort took ~1.3 s and four 80 MB temporaries at 1,000 plans)
        csc = sparse.csr_matrix((weight, m.ids, m.indptr), shape=(self.n, len(m.vocab))).tocsc()
        self._units = csc.indices.astype(np.int32, copy=False)
        self._weights = csc.data.astype(np.float32, copy=False)
        self._ptr = csc.indptr.astype(np.int64, copy=False)

    def dense(self, query: list[str], allowed: np.ndarray | None = None) -> np.ndarray:
        """Every unit's score (0 outside ``allowed``, an array of unit numbers)."""
        if allowed is not None and len(allowed) * 8 < self.n:
            # a scope of a few plans (contiguous rows): only the postings inside it are read, found by
            # binary search in each term's sorted units; the additions happen in the same order as below
            return self._dense(query, _runs(allowed))
        s = self._dense(query)
        if allowed is None:
            return s
        masked = np.zeros_like(s)
        masked[allowed] = s[allowed]
        return masked

    def _dense(self, query: list[str], runs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        # sorted: the same additions in the same order, so equal indexes give bit-equal scores
        cols = sorted({self._term[t] for t in set(query) if t in self._term})
        if not cols:
            return np.zeros(self.n)
        spans = [(int(self._ptr[c]), int(self._ptr[c + 1])) for c in cols]
        if runs is None:
            units = np.concatenate([self._units[a:b] for a, b in spans])
            weights = np.concatenate([self._weights[a:b] for a, b in spans])
        else:
            pos = np.concatenate([a + _within(self._units[a:b], runs) for a, b in spans])
            units, weights = self._units[pos], self._weights[pos]
        return np.bincount(units, weights.astype(np.float64), minlength=self.n)

    def top(self, query: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best units (score > 0) as (unit, score), best first; ties by unit order."""
        return self.best(self.dense(query, allowed), k)

    @staticmethod
    def best(s: np.ndarray, k: int) -> list[tuple[int, float]]:
        hit = np.flatnonzero(s > 0)
        if len(hit) > k:  # the k-th best score; among units tied with it, the first ones
            thr = np.partition(s[hit], len(hit) - k)[len(hit) - k]
            above = hit[s[hit] > thr]
            hit = np.concatenate((above, hit[s[hit] == thr][: k - len(above)]))
        hit = hit[np.lexsort((hit, -s[hit]))]
        return [(int(i), float(s[i])) for i in hit]

    def scores(self, query: list[str], allowed: set[int] | None = None) -> dict[int, float]:
        s = self._dense(query)
        hit = np.flatnonzero(s > 0)
        return {int(i): float(s[i]) for i in hit if allowed is None or int(i) in allowed}


def _weights(m: TermMatrix, idf: np.ndarray, lengths: np.ndarray, avgdl: float, k1: float, b: float) -> np.ndarray:
    """Okapi weight of every (unit, term) entry, in the matrix's order, as float32 (computed in float64)."""
    out = np.empty(len(m.tfs), np.float32)
    norm = k1 * (1 - b + b * lengths / (avgdl or 1))
    for r0 in range(0, m.rows, CHUNK_ROWS):
        r1 = min(m.rows, r0 + CHUNK_ROWS)
        a, z = int(m.indptr[r0]), int(m.indptr[r1])
        if a == z:
            continue
        rows = np.repeat(np.arange(r0, r1), np.diff(m.indptr[r0 : r1 + 1]))
        tfs = m.tfs[a:z].astype(np.float64)
        out[a:z] = idf[m.ids[a:z]] * tfs * (k1 + 1) / (tfs + norm[rows])
    return out


def _runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted rows as runs of consecutive numbers: (starts, ends), ends exclusive."""
    r = np.unique(rows)
    if not len(r):
        return r, r
    cut = np.flatnonzero(np.diff(r) != 1) + 1
    return r[np.concatenate(([0], cut))], r[np.concatenate((cut - 1, [len(r) - 1]))] + 1


def _within(units: np.ndarray, runs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Positions in ``units`` (sorted) of the entries inside the runs, ascending."""
    lo, hi = np.searchsorted(units, runs[0]), np.searchsorted(units, runs[1])
    lens = hi - lo
    total = int(lens.sum())
    if not total:
        return np.zeros(0, np.int64)
    return np.repeat(lo - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(total)
