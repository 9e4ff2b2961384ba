"""The hybrid index: BM25 over folded terms + vectors in Chroma, fused by reciprocal rank.

Persisted under ``<data>/index/<content-hash>-<embedder>-<build>/``; ``current.json`` names the live one and is
replaced atomically, so a half-built index is never used and the previous one keeps serving.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from corpus.store import StoredDocument
from corpus.vocab import Vocabulary
from retrieval.bm25 import BM25
from retrieval.embedders import Embedder
from retrieval.text import index_terms
from retrieval.units import Unit, units_for
from retrieval.vectors import ChromaVectors

RRF_K = 60
EMBED_CHARS = 480
FORMAT = 2


@dataclass
class Hit:
    unit: Unit
    score: float  # fused
    bm25: float
    vector: float


class HybridIndex:
    def __init__(self, units: list[Unit], unit_terms: list[list[str]], vectors: ChromaVectors | None,
                 embedder: Embedder | None, vocab: Vocabulary, content_hash: str = "") -> None:
        self.units = units
        self.by_uid = {u.uid: i for i, u in enumerate(units)}
        self.bm25 = BM25(unit_terms)
        self.vectors, self.embedder, self.vocab = vectors, embedder, vocab
        self.content_hash = content_hash
        self._qcache: dict[str, object] = {}
        self._by_doc: dict[str, set[int]] = {}
        for i, u in enumerate(units):
            self._by_doc.setdefault(u.doc_id, set()).add(i)

    def _embed_query(self, query: str):
        """Query embeddings are memoised: portal visitors click the same suggested questions all day."""
        cached = self._qcache.get(query)
        if cached is None:
            cached = self.embedder.embed_query(query)
            if len(self._qcache) >= 2048:
                self._qcache.pop(next(iter(self._qcache)))
            self._qcache[query] = cached
        return cached

    @property
    def size(self) -> int:
        return len(self.units)

    def search(self, query: str, doc_ids: set[str] | None = None, k: int = 30,
               use_vectors: bool = True) -> list[Hit]:
        allowed = None
        if doc_ids is not None:
            allowed = set().union(*(self._by_doc.get(d, set()) for d in doc_ids)) if doc_ids else set()
        q_terms = index_terms(query, self.vocab)
        bm = self.bm25.scores(q_terms, allowed)
        bm_rank = sorted(bm, key=lambda i: -bm[i])[: k * 2]
        vec: dict[int, float] = {}
        vec_rank: list[int] = []
        if use_vectors and self.vectors is not None and self.embedder is not None:
            qv = self._embed_query(query)
            for uid, sim in self.vectors.query(qv, k * 2, doc_ids):
                if uid in self.by_uid:
                    vec[self.by_uid[uid]] = sim
                    vec_rank.append(self.by_uid[uid])
        fused: dict[int, float] = {}
        for rank, i in enumerate(bm_rank):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, i in enumerate(vec_rank):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.units[i], fused[i], bm.get(i, 0.0), vec.get(i, 0.0)) for i in order]


def _index_root(data_dir: Path) -> Path:
    return data_dir / "index"


def load_current(data_dir: Path) -> dict | None:
    cur = _index_root(data_dir) / "current.json"
    if not cur.exists():
        return None
    try:
        return json.loads(cur.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def build_index(docs: list[StoredDocument], content_hash: str, data_dir: Path, embedder: Embedder,
                vocab: Vocabulary, chroma_factory, collection_prefix: str = "cchc") -> HybridIndex:
    """Build a new index next to the live one, then switch ``current.json`` to it."""
    root = _index_root(data_dir)
    # A fresh directory name per build: Chroma caches one client per path inside a process, so reusing
    # a path (same content rebuilt, or a corpus change undone) would write through a stale client and
    # leave an empty vector store on disk.
    name = f"{content_hash[:16]}-{_safe(embedder.name)}-{uuid.uuid4().hex[:8]}"
    target = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir(parents=True)
    previous = (load_current(data_dir) or {}).get("dir")
    try:
        units: list[Unit] = [u for d in docs for u in units_for(d.parsed)]
        unit_terms = [index_terms(u.text, vocab) for u in units]
        (tmp / "units.json").write_text(
            json.dumps({"format": FORMAT, "hash": content_hash, "embedder": embedder.name,
                        "units": [u.to_dict() for u in units], "terms": unit_terms}, ensure_ascii=False),
            encoding="utf-8")
        collection = f"{collection_prefix}-{content_hash[:16]}-{_safe(embedder.name)}"[:60]
        client = chroma_factory(tmp / "chroma")
        vectors = ChromaVectors(client, collection)
        if vectors.count() != len(units):
            # the vector side sees each unit's opening (e5-small cost grows with length; BM25 sees it all)
            vecs = embedder.embed_passages([u.text[:EMBED_CHARS] for u in units])
            vectors.add([u.uid for u in units], vecs, [{"doc_id": u.doc_id, "kind": u.kind} for u in units])
        del vectors, client
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves nothing behind
        raise
    os.replace(tmp, target)
    _write_current(root, {"format": FORMAT, "hash": content_hash, "dir": name, "collection": collection,
                          "embedder": embedder.name})
    # keep the index that was live until now: requests still running on it must not lose its files
    for old in root.iterdir():
        if old.is_dir() and old.name not in (name, previous) and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
        elif old.is_dir() and old.name.startswith(".tmp-") and not _pid_alive(old.name.rsplit("-", 1)[-1]):
            shutil.rmtree(old, ignore_errors=True)  # left by a build that crashed
    return open_index(data_dir, embedder, vocab, chroma_factory)


def open_index(data_dir: Path, embedder: Embedder, vocab: Vocabulary, chroma_factory) -> HybridIndex:
    cur = load_current(data_dir)
    if cur is None:
        raise FileNotFoundError("no index")
    d = _index_root(data_dir) / cur["dir"]
    data = json.loads((d / "units.json").read_text(encoding="utf-8"))
    units = [Unit(**u) for u in data["units"]]
    client = chroma_factory(d / "chroma")
    vectors = ChromaVectors(client, cur["collection"])
    return HybridIndex(units, data["terms"], vectors, embedder, vocab, cur["hash"])


def _write_current(root: Path, obj: dict) -> None:
    tmp = root / f"current.json.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(obj))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / "current.json")


def _pid_alive(pid: str) -> bool:
    """Whether the process that owns a ``.tmp-…-<pid>`` build directory may still be running."""
    if not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)
