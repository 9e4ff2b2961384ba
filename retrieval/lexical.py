"""The lexical side of one index version as arrays: each unit's terms and counts, saved with the version.

Keeping every unit's term list as Python strings cost about 150 MB per 100 plans in the serving process and
seconds to read back; these arrays cost a tenth of that and load in milliseconds. A new version reuses the
rows of every unit whose text the previous version already held (keyed by text hash), so adding, replacing
or withdrawing one plan tokenises one plan, whatever the corpus size. The vocabulary is kept sorted and
holds only terms some unit uses, so a matrix built incrementally equals one built from nothing.
"""

from __future__ import annotations

import heapq
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILE = "lexical.npz"


@dataclass
class TermMatrix:
    """Rows = units (keyed by text hash), columns = terms; values = how often the term occurs."""

    vocab: list[str]  # sorted
    indptr: np.ndarray  # int64, one more than there are rows
    ids: np.ndarray  # int32 column of each entry
    tfs: np.ndarray  # int32 count of each entry
    hashes: list[str]  # text hash of each row (empty when rows are reused per plan, not per text)

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_terms(cls, docs: list[list[str]], hashes: list[str]) -> TermMatrix:
        vocab: dict[str, int] = {}
        indptr = np.zeros(len(docs) + 1, np.int64)
        ids: list[int] = []
        tfs: list[int] = []
        for i, doc in enumerate(docs):
            c = Counter(doc)
            ids.extend(vocab.setdefault(t, len(vocab)) for t in c)
            tfs.extend(c.values())
            indptr[i + 1] = len(ids)
        return cls(list(vocab), indptr, np.asarray(ids, np.int32), np.asarray(tfs, np.int32), list(hashes))._sorted()

    def _sorted(self) -> TermMatrix:
        """Drop unused terms and sort the vocabulary (ids follow), so equal content gives equal arrays."""
        used = np.unique(self.ids) if len(self.ids) else np.zeros(0, np.int64)
        names = np.asarray(self.vocab, dtype=object)[used] if len(used) else np.zeros(0, object)
        order = np.argsort(names.astype(str), kind="stable") if len(names) else np.zeros(0, np.int64)
        remap = np.full(len(self.vocab), -1, np.int32)
        remap[used[order]] = np.arange(len(order), dtype=np.int32)
        return TermMatrix([str(x) for x in names[order]], self.indptr, remap[self.ids] if len(self.ids) else self.ids,
                          self.tfs, self.hashes)

    def take(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row lengths, term names' ids and counts of the given rows, in order (ids of this vocabulary)."""
        starts, ends = self.indptr[rows], self.indptr[np.asarray(rows, np.int64) + 1]
        lens = ends - starts
        if not len(rows) or not lens.sum():
            return lens, np.zeros(0, np.int32), np.zeros(0, np.int32)
        # one gather: positions start..end-1 of every row, concatenated
        pos = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(lens.sum())
        return lens, self.ids[pos], self.tfs[pos]

    @classmethod
    def assemble(cls, hashes: list[str], old: TermMatrix | None, new: TermMatrix) -> TermMatrix:
        """Rows for ``hashes``, each taken from ``old`` when it holds that text, else from ``new``."""
        sources = [m for m in (old, new) if m is not None]
        vocab = sorted(set().union(*(m.vocab for m in sources)))
        index = {t: i for i, t in enumerate(vocab)}
        where = {}
        for k, m in enumerate(sources):
            where.update({h: (k, r) for r, h in enumerate(m.hashes)})
        lens_all = np.zeros(len(hashes), np.int64)
        parts: dict[int, tuple[list[int], list[int]]] = {}  # source -> (positions in result, rows in source)
        for pos, h in enumerate(hashes):
            k, r = where[h]
            parts.setdefault(k, ([], []))[0].append(pos)
            parts[k][1].append(r)
        chunks_ids, chunks_tfs, chunk_pos = [], [], []
        for k, (positions, rows) in parts.items():
            m = sources[k]
            remap = np.asarray([index[t] for t in m.vocab], np.int32)
            lens, ids, tfs = m.take(rows)
            lens_all[positions] = lens
            chunks_ids.append(remap[ids] if len(ids) else ids)
            chunks_tfs.append(tfs)
            chunk_pos.append((np.asarray(positions), lens))
        indptr = np.concatenate(([0], np.cumsum(lens_all))).astype(np.int64)
        ids_out = np.zeros(int(indptr[-1]), np.int32)
        tfs_out = np.zeros(int(indptr[-1]), np.int32)
        for (pos_arr, lens), ids, tfs in zip(chunk_pos, chunks_ids, chunks_tfs, strict=True):
            if not len(ids):
                continue
            starts = indptr[pos_arr]
            dest = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(lens.sum())
            ids_out[dest], tfs_out[dest] = ids, tfs
        return cls(vocab, indptr, ids_out, tfs_out, list(hashes))._sorted()

    @classmethod
    def concat(cls, parts: list[tuple[TermMatrix, int, int]], hashes: list[str] | None = None) -> TermMatrix:
        """Rows ``start:end`` of each matrix, in order: a version from plan-sized slices of others.

        Array work only (one remap per source matrix, not per row), and the result is canonical like
        ``from_terms`` (sorted vocabulary of the terms used), so it equals a matrix built from nothing.
        """
        sources: list[TermMatrix] = []
        for m, _, _ in parts:
            if not any(m is s for s in sources):
                sources.append(m)
        vocab = _union_sorted([s.vocab for s in sources])
        index = {t: i for i, t in enumerate(vocab)} if len(sources) > 1 else None
        remaps = [np.arange(len(s.vocab), dtype=np.int32) if index is None
                  else np.fromiter((index[t] for t in s.vocab), np.int32, len(s.vocab)) for s in sources]
        lens, ids, tfs = [], [], []
        for m, start, end in parts:
            remap = next(r for s, r in zip(sources, remaps, strict=True) if s is m)
            a, b = int(m.indptr[start]), int(m.indptr[end])
            lens.append(np.diff(m.indptr[start : end + 1]))
            ids.append(remap[m.ids[a:b]])
            tfs.append(m.tfs[a:b])
        indptr = np.zeros(sum(len(x) for x in lens) + 1, np.int64)
        if len(indptr) > 1:
            np.cumsum(np.concatenate(lens), out=indptr[1:])
        ids_out = np.concatenate(ids).astype(np.int32, copy=False) if ids else np.zeros(0, np.int32)
        tfs_out = np.concatenate(tfs).astype(np.int32, copy=False) if tfs else np.zeros(0, np.int32)
        used = np.bincount(ids_out, minlength=len(vocab)) > 0
        if not used.all():  # terms only withdrawn rows used: dropped, the order of the rest kept
            keep = np.flatnonzero(used)
            new_id = np.full(len(vocab), -1, np.int32)
            new_id[keep] = np.arange(len(keep), dtype=np.int32)
            vocab = [vocab[i] for i in keep.tolist()]
            ids_out = new_id[ids_out]
        return cls(vocab, indptr, ids_out, tfs_out, list(hashes or []))

    def save(self, directory: Path) -> None:
        tmp = directory / f".{FILE}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, indptr=self.indptr, ids=self.ids, tfs=self.tfs,
                     vocab=np.frombuffer(json.dumps(self.vocab, ensure_ascii=False).encode("utf-8"), np.uint8),
                     hashes=np.frombuffer(json.dumps(self.hashes).encode("ascii"), np.uint8))
        os.replace(tmp, directory / FILE)

    @classmethod
    def load(cls, directory: Path) -> TermMatrix:
        with np.load(directory / FILE, allow_pickle=False) as z:
            return cls(json.loads(z["vocab"].tobytes().decode("utf-8")), z["indptr"], z["ids"], z["tfs"],
                       json.loads(z["hashes"].tobytes().decode("ascii")))


def _union_sorted(vocabs: list[list[str]]) -> list[str]:
    """The sorted union of sorted vocabularies; the largest one is not re-sorted (a small change stays cheap)."""
    if not vocabs:
        return []
    if len(vocabs) == 1:
        return list(vocabs[0])
    big = max(vocabs, key=len)
    known = set(big)
    extra = sorted({t for v in vocabs if v is not big for t in v if t not in known})
    if not extra:
        return list(big)
    return list(heapq.merge(big, extra))
