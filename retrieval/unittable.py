"""The units of one index version as columns, saved with the version and read back without JSON.

At 1,000 plans (73,000 units) a list of ``Unit`` objects loaded from ``units.json`` cost ~150 MB at its peak
in the serving process and seconds to write on every change. Here the texts are one UTF-8 buffer with
offsets and the rest small integer arrays; a ``Unit`` is made only when someone reads it (a search hit,
a record lookup). A version is assembled from per-plan row ranges (``PlanRows``), so a new version copies
the rows of every unchanged plan from the previous one as array slices: one plan's worth of Python work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from retrieval.units import Unit

FILE = "units.npz"


@dataclass(frozen=True)
class PlanRows:
    """One plan's place in a version: its key (what it was built from) and its rows ``start:end``."""

    doc_id: str
    key: str
    start: int
    end: int


class UnitTable(Sequence[Unit]):
    """Read-only sequence of units; ``table[i]`` makes the ``Unit`` (uid ``<doc_id>:<kind>:<idx>``)."""

    def __init__(self, docs: list[str], kinds: list[str], doc: np.ndarray, kind: np.ndarray, idx: np.ndarray,
                 offsets: np.ndarray, blob: bytes, vids: list[str], plans: list[PlanRows]) -> None:
        self.docs, self.kinds = docs, kinds
        self.doc, self.kind, self.idx = doc, kind, idx  # int32 / int8 / int32 per row
        self.offsets, self.blob = offsets, blob  # text of row i: blob[offsets[i]:offsets[i + 1]]
        self.vids = vids  # vector id per row ("" when the vector side leaves the unit out)
        self.plans = plans

    # -- building
    @classmethod
    def from_units(cls, units: list[Unit], vids: list[str], plans: list[PlanRows]) -> UnitTable:
        """Units made now (the plans no earlier version held), with their plans' row ranges."""
        docs = sorted({u.doc_id for u in units})
        kinds = sorted({u.kind for u in units})
        dpos, kpos = {d: i for i, d in enumerate(docs)}, {k: i for i, k in enumerate(kinds)}
        for u in units:
            if u.uid != f"{u.doc_id}:{u.kind}:{u.idx}":
                raise ValueError(f"unit id {u.uid!r} does not follow <doc_id>:<kind>:<idx>")
        texts = [u.text.encode("utf-8") for u in units]
        offsets = np.zeros(len(units) + 1, np.int64)
        if units:
            np.cumsum([len(t) for t in texts], out=offsets[1:])
        return cls(docs, kinds, np.asarray([dpos[u.doc_id] for u in units], np.int32),
                   np.asarray([kpos[u.kind] for u in units], np.int8), np.asarray([u.idx for u in units], np.int32),
                   offsets, b"".join(texts), list(vids), list(plans))

    @classmethod
    def concat(cls, parts: list[tuple[UnitTable, PlanRows]]) -> UnitTable:
        """The rows of each (table, plan) in order: one version from slices of others (no Unit is made)."""
        docs = sorted({p.doc_id for _, p in parts})
        kinds = sorted({k for t, _ in parts for k in t.kinds})
        dpos, kpos = {d: i for i, d in enumerate(docs)}, {k: i for i, k in enumerate(kinds)}
        doc, kind, idx, lens, blobs, vids, plans = [], [], [], [], [], [], []
        at = 0
        for t, p in parts:
            s, e = p.start, p.end
            if e > s and t.docs[int(t.doc[s])] != p.doc_id:
                raise ValueError("plan rows do not belong to the plan")
            doc.append(np.full(e - s, dpos[p.doc_id], np.int32))
            kind.append(np.asarray([kpos[k] for k in t.kinds], np.int8)[t.kind[s:e]] if e > s else np.zeros(0, np.int8))
            idx.append(t.idx[s:e])
            lens.append(np.diff(t.offsets[s : e + 1]))
            blobs.append(t.blob[int(t.offsets[s]) : int(t.offsets[e])])
            vids.extend(t.vids[s:e])
            plans.append(PlanRows(p.doc_id, p.key, at, at + e - s))
            at += e - s
        offsets = np.zeros(at + 1, np.int64)
        if at:
            np.cumsum(np.concatenate(lens), out=offsets[1:])
        return cls(docs, kinds, _cat(doc, np.int32), _cat(kind, np.int8), _cat(idx, np.int32), offsets,
                   b"".join(blobs), vids, plans)

    # -- reading
    def __len__(self) -> int:
        return len(self.idx)

    @overload
    def __getitem__(self, i: int) -> Unit: ...

    @overload
    def __getitem__(self, i: slice) -> list[Unit]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        d, k, n = self.docs[int(self.doc[i])], self.kinds[int(self.kind[i])], int(self.idx[i])
        return Unit(f"{d}:{k}:{n}", k, d, n, self.text(i))

    def __iter__(self) -> Iterator[Unit]:
        return (self[i] for i in range(len(self)))

    def text(self, i: int) -> str:
        return self.blob[int(self.offsets[i]) : int(self.offsets[i + 1])].decode("utf-8")

    def rows_by_doc(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for p in self.plans:
            rows = np.arange(p.start, p.end, dtype=np.int64)
            out[p.doc_id] = np.concatenate((out[p.doc_id], rows)) if p.doc_id in out else rows
        return out

    # -- files
    def save(self, directory: Path) -> None:
        head = {"docs": self.docs, "kinds": self.kinds,
                "plans": [[p.doc_id, p.key, p.start, p.end] for p in self.plans]}
        tmp = directory / f".{FILE}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, head=_bytes(json.dumps(head, ensure_ascii=False)), doc=self.doc, kind=self.kind,
                     idx=self.idx, offsets=self.offsets, blob=np.frombuffer(self.blob, np.uint8),
                     vids=_bytes("\n".join(self.vids)))
        os.replace(tmp, directory / FILE)

    @classmethod
    def load(cls, directory: Path) -> UnitTable:
        with np.load(directory / FILE, allow_pickle=False) as z:
            head = json.loads(z["head"].tobytes().decode("utf-8"))
            vids = z["vids"].tobytes().decode("utf-8").split("\n") if len(z["idx"]) else []
            table = cls(head["docs"], head["kinds"], z["doc"], z["kind"], z["idx"], z["offsets"],
                        z["blob"].tobytes(), vids, [PlanRows(*p) for p in head["plans"]])
        if len(table.vids) != len(table) or len(table.offsets) != len(table) + 1:
            raise ValueError("unit columns differ in length")
        return table


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), np.uint8)


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
