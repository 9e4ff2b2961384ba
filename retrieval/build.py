"""Building, switching and opening the hybrid index, incrementally.

Layout under ``<data>``:

- ``index/<hash>-<embedder>-<build>/``: one index version: ``version.json`` (what it was built with),
  ``units.npz`` (units, vector ids and each plan's rows: retrieval.unittable) and ``lexical.npz`` (the units'
  terms as arrays: retrieval.lexical);
- ``index/current.json``: names the live version; replaced atomically, so a half-built version is never
  used, and the version live before it is kept (requests still running on it must not lose it);
- ``index/vectors/``: the embedded Chroma store shared by every version (or a Chroma server);
- ``cache/``: embeddings by (embedder, text hash) and BM25 terms by text hash.

A build copies the rows of every plan the previous version holds unchanged (same parse key) as array
slices, makes units and terms only for new or changed plans, embeds only texts no earlier build embedded
and adds only vectors the store lacks, so adding, replacing or withdrawing one plan costs about one plan's
work plus array copies of the rest.
Opening verifies that the store holds every vector of the version and restores missing ones from the
cache (a deleted or damaged embedded store is rebuilt; a server that does not answer is reported).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np

from corpus.records import ParsedPlan
from corpus.vocab import Vocabulary
from retrieval.embedcache import EmbeddingCache, TermsCache, text_hash
from retrieval.embedders import Embedder
from retrieval.index import HybridIndex
from retrieval.lexical import TermMatrix
from retrieval.progress import Progress
from retrieval.text import index_terms
from retrieval.units import Unit, units_for
from retrieval.unittable import PlanRows, UnitTable
from retrieval.vectors import ChromaVectors, IndexVectors, VectorStoreError, drop_local_store

log = logging.getLogger("cchc.index")

EMBED_CHARS = 200  # the vector side sees each unit's opening: quality holds at 200 (benchmarks/results/embed_chars.md)
# unit kinds the vector side leaves to BM25. Prose passages are embedded again: without them questions worded unlike a
# plan's prose lost answers on the frozen sets (v4 49 -> 51/60, v5 29 -> 30/60, FAQ v1 28 -> 29/40, same run); the
# plan-header unit is covered by its fields and BM25.
NO_VECTOR_KINDS: tuple[str, ...] = ("plan",)
EMBED_BATCH = 64
FORMAT = 5  # 5: columnar units.npz + version.json (4: units.json)
TERMS_FORMAT = 4  # what the terms cache and lexical rows depend on (unchanged by FORMAT 5: the cache stays valid)
VERSION_FILE = "version.json"
_HERE = Path(__file__).parent
_DATA = _HERE.parent / "corpus" / "data"


class IndexFormatError(ValueError):
    """The live index was written by an older version of this code: it is rebuilt."""


@lru_cache(maxsize=1)
def units_fingerprint() -> str:
    """Changes when the code that turns a parsed plan into units changes (a version's plans are then not reused)."""
    return hashlib.sha256((_HERE / "units.py").read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=1)
def terms_fingerprint() -> str:
    """Changes when the code that turns text into terms, or the vocabulary it uses, changes."""
    h = hashlib.sha256(str(TERMS_FORMAT).encode())
    for p in [_HERE / "text.py", _HERE.parent / "corpus" / "vocab.py", *sorted(_DATA.glob("*.json"))]:
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def vector_id(unit: Unit, chars: int = EMBED_CHARS, skip: tuple[str, ...] = NO_VECTOR_KINDS) -> str:
    """``<uid>@<hash of the embedded text>``; empty for a unit of a kind the vector side leaves out."""
    if unit.kind in skip:
        return ""
    return f"{unit.uid}@{text_hash(unit.text[:chars])[:16]}"


def collection_name(prefix: str, embedder: Embedder) -> str:
    return f"{prefix}-{_safe(embedder.name)}"[:60].rstrip("-")


def _index_root(data_dir: Path) -> Path:
    return data_dir / "index"


def _cache_dir(data_dir: Path) -> Path:
    return data_dir / "cache"


def load_current(data_dir: Path) -> dict | None:
    cur = _index_root(data_dir) / "current.json"
    if not cur.exists():
        return None
    try:
        return json.loads(cur.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


# ---- the two expensive steps, each remembered per text ---------------------------------------------

def unit_terms(units: list[Unit], vocab: Vocabulary, cache_dir: Path, progress: Progress) -> list[list[str]]:
    """Each unit's BM25 terms, tokenising only texts no earlier build tokenised (underthesea is slow)."""
    hashes = [text_hash(u.text) for u in units]
    with TermsCache(cache_dir, terms_fingerprint()) as cache:
        known = cache.get(sorted(set(hashes)))
        todo = {h: u.text for h, u in zip(hashes, units, strict=True) if h not in known}
        progress.start("terms", len(todo))
        fresh: dict[str, list[str]] = {}
        for h, text in todo.items():
            fresh[h] = index_terms(text, vocab)
            progress.advance()
            if len(fresh) >= 2000:
                cache.put(fresh)
                known.update(fresh)
                fresh = {}
        cache.put(fresh)
        known.update(fresh)
    return [known[h] for h in hashes]


def ensure_vectors(units: UnitTable | list[Unit], vids: list[str], store: ChromaVectors, embedder: Embedder,
                   cache_dir: Path, progress: Progress, chars: int = EMBED_CHARS,
                   check: list[int] | None = None) -> int:
    """Add the vectors the store lacks (of rows ``check``, default all), embedding only texts never embedded
    before; returns how many were added."""
    rows = range(len(vids)) if check is None else check
    present = store.present([vids[i] for i in rows if vids[i]])
    need = [i for i in rows if vids[i] and vids[i] not in present]
    if not need:
        return 0
    opening = {i: _text(units, i)[:chars] for i in need}
    texts = {text_hash(t): t for t in opening.values()}
    with EmbeddingCache(cache_dir, embedder.name) as cache:
        vecs = cache.get(sorted(texts))
        # similar lengths batched together: the model pads every text of a batch to the longest one
        todo = sorted((h for h in texts if h not in vecs), key=lambda h: len(texts[h]))
        progress.start("embed", len(todo))
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i : i + EMBED_BATCH]
            out = np.asarray(embedder.embed_passages([texts[h] for h in batch]), dtype=np.float32)
            cache.put(batch, out)  # kept even if a later batch fails: an interrupted build resumes
            vecs.update(zip(batch, out, strict=True))
            progress.advance(len(batch))
    progress.start("store", len(need))
    matrix = np.vstack([vecs[text_hash(opening[i])] for i in need])
    meta = [{"doc_id": _doc(units, i), "kind": _kind(units, i)} for i in need]
    store.add([vids[i] for i in need], matrix, meta, on_batch=progress.advance)
    return len(need)


def _text(units: UnitTable | list[Unit], i: int) -> str:
    return units.text(i) if isinstance(units, UnitTable) else units[i].text


def _doc(units: UnitTable | list[Unit], i: int) -> str:
    return units.docs[int(units.doc[i])] if isinstance(units, UnitTable) else units[i].doc_id


def _kind(units: UnitTable | list[Unit], i: int) -> str:
    return units.kinds[int(units.kind[i])] if isinstance(units, UnitTable) else units[i].kind


def open_store(data_dir: Path, chroma_factory, collection: str) -> ChromaVectors:
    """The shared vector store; a damaged embedded store is deleted and created again (empty)."""
    local = _index_root(data_dir) / "vectors"
    try:
        store = ChromaVectors(chroma_factory(local), collection)
        store.count()
        return store
    except (VectorStoreError, Exception) as exc:  # noqa: BLE001 - chromadb raises many kinds on a bad file
        if not local.exists():
            raise VectorStoreError(str(exc)) from exc
        log.warning("vector store unreadable (%s); rebuilding it from the embedding cache", type(exc).__name__)
    drop_local_store(local)
    try:
        store = ChromaVectors(chroma_factory(local), collection)
        store.count()
    except Exception as exc:  # noqa: BLE001
        raise VectorStoreError(f"không tạo lại được kho vector ({type(exc).__name__})") from exc
    return store


# ---- build and open ------------------------------------------------------------------------------------

def plan_key(plan: ParsedPlan) -> str:
    """What a plan's units and terms are made from, when the caller has no parse key (tests, tools)."""
    h = hashlib.sha256()
    for u in units_for(plan):
        h.update(f"{u.uid}\x00{u.text}\x01".encode())
    return h.hexdigest()[:32]


def build_index(plans: list[ParsedPlan], content_hash: str, data_dir: Path, embedder: Embedder,
                vocab: Vocabulary, chroma_factory, collection_prefix: str = "cchc",
                progress: Progress | None = None, embed_chars: int = EMBED_CHARS,
                skip_kinds: tuple[str, ...] = NO_VECTOR_KINDS, plan_keys: list[str] | None = None) -> HybridIndex:
    """Build a new version next to the live one, then switch ``current.json`` to it.

    ``plan_keys`` name what each plan was parsed from (library.store's parse key: file hash, id, overrides,
    parser code); a plan whose key the live version holds is copied from it, not made again.
    """
    progress = progress or Progress()
    root = _index_root(data_dir)
    # a fresh directory name per build: an undone change never overwrites a version that may be serving
    name = f"{content_hash[:16]}-{_safe(embedder.name)}-{uuid.uuid4().hex[:8]}"
    target = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir(parents=True)
    previous = (load_current(data_dir) or {}).get("dir")
    collection = collection_name(collection_prefix, embedder)
    meta = {"format": FORMAT, "hash": content_hash, "embedder": embedder.name, "collection": collection,
            "embed_chars": embed_chars, "skip_kinds": list(skip_kinds), "terms_fingerprint": terms_fingerprint(),
            "units_fingerprint": units_fingerprint()}
    try:
        keys = plan_keys if plan_keys is not None else [plan_key(p) for p in plans]
        prev, same_store = _previous_version(root, previous, meta)
        units, matrix, fresh_rows = _assemble(plans, keys, prev, vocab, _cache_dir(data_dir), progress,
                                              embed_chars, skip_kinds)
        units.save(tmp)
        matrix.save(tmp)
        store = open_store(data_dir, chroma_factory, collection)
        # vectors of plans copied from the live version were verified when it was built or opened
        ensure_vectors(units, units.vids, store, embedder, _cache_dir(data_dir), progress, embed_chars,
                       check=fresh_rows if prev is not None and same_store else None)
        (tmp / VERSION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves no version behind (its cache stays)
        raise
    os.replace(tmp, target)
    _write_current(root, {k: meta[k] for k in ("format", "hash", "collection", "embedder", "embed_chars",
                                               "skip_kinds")} | {"dir": name})
    prev_ids = set(prev[0].vids) if prev is not None else _version_ids(root, previous)
    _sweep(root, keep=(name, previous), store=store, keep_ids=set(units.vids) | prev_ids)
    return HybridIndex(units, matrix, _vectors(store, units), embedder, vocab, content_hash, units.vids)


def _assemble(plans: list[ParsedPlan], keys: list[str], prev: tuple[UnitTable, TermMatrix] | None,
              vocab: Vocabulary, cache_dir: Path, progress: Progress, embed_chars: int,
              skip_kinds: tuple[str, ...]) -> tuple[UnitTable, TermMatrix, list[int]]:
    """The version's units and term matrix, plan by plan: copied from ``prev`` or made now.

    Returns also the rows made now (their vectors are checked against the store)."""
    held = {(p.doc_id, p.key): p for p in prev[0].plans} if prev is not None else {}
    fresh_units: list[Unit] = []
    fresh_plans: list[PlanRows] = []
    order: list[tuple[str, PlanRows]] = []  # ("prev" | "new", rows in that source)
    for plan, key in zip(plans, keys, strict=True):
        doc_id = plan.plan.doc_id
        rows = held.get((doc_id, key))
        if rows is not None:
            order.append(("prev", rows))
            continue
        us = units_for(plan)
        fresh_plans.append(PlanRows(doc_id, key, len(fresh_units), len(fresh_units) + len(us)))
        fresh_units.extend(us)
        order.append(("new", fresh_plans[-1]))
    vids = [vector_id(u, embed_chars, skip_kinds) for u in fresh_units]
    new_units = UnitTable.from_units(fresh_units, vids, fresh_plans)
    new_matrix = _fresh_matrix(fresh_units, vocab, cache_dir, progress)
    sources = {"new": (new_units, new_matrix)}
    if prev is not None:
        sources["prev"] = prev
    units = UnitTable.concat([(sources[src][0], rows) for src, rows in order])
    matrix = TermMatrix.concat([(sources[src][1], rows.start, rows.end) for src, rows in order])
    fresh_rows = [i for (src, _), p in zip(order, units.plans, strict=True) if src == "new"
                  for i in range(p.start, p.end)]
    return units, matrix, fresh_rows


def _fresh_matrix(units: list[Unit], vocab: Vocabulary, cache_dir: Path, progress: Progress) -> TermMatrix:
    """Term rows of units made now; each distinct text tokenised once (and only if no build did before)."""
    hashes = [text_hash(u.text) for u in units]
    distinct: dict[str, Unit] = {}
    for h, u in zip(hashes, units, strict=True):
        distinct.setdefault(h, u)
    terms = dict(zip(distinct, unit_terms(list(distinct.values()), vocab, cache_dir, progress), strict=True))
    return TermMatrix.from_terms([terms[h] for h in hashes], [])


def _previous_version(root: Path, name: str | None, meta: dict) -> tuple[tuple[UnitTable, TermMatrix] | None, bool]:
    """The live version's units and terms, when made by this code with the same settings (else nothing is
    reused), and whether its vectors are in the same collection (then only new rows need checking)."""
    if not name:
        return None, False
    try:
        head = json.loads((root / name / VERSION_FILE).read_text(encoding="utf-8"))
        same = ("format", "embed_chars", "skip_kinds", "terms_fingerprint", "units_fingerprint")
        if any(head.get(k) != meta[k] for k in same):
            return None, False
        units, matrix = UnitTable.load(root / name), TermMatrix.load(root / name)
    except (OSError, ValueError, KeyError):
        return None, False
    if matrix.rows != len(units):
        return None, False
    return (units, matrix), head.get("collection") == meta["collection"]


def open_index(data_dir: Path, embedder: Embedder, vocab: Vocabulary, chroma_factory,
               progress: Progress | None = None) -> HybridIndex:
    """Open the live version; vectors missing from the store are restored (from the cache) before serving."""
    progress = progress or Progress()
    cur = load_current(data_dir)
    if cur is None:
        raise FileNotFoundError("no index")
    if cur.get("format") != FORMAT:
        raise IndexFormatError(f"index format {cur.get('format')} (this code writes {FORMAT})")
    where = _index_root(data_dir) / cur["dir"]
    head = json.loads((where / VERSION_FILE).read_text(encoding="utf-8"))
    try:  # saved with the version: no tokenising, no JSON per unit
        units, matrix = UnitTable.load(where), TermMatrix.load(where)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexFormatError(f"index arrays unreadable ({type(exc).__name__})") from exc
    if matrix.rows != len(units) or head.get("terms_fingerprint") != terms_fingerprint():
        raise IndexFormatError("lexical arrays do not match the units or this code")
    store = open_store(data_dir, chroma_factory, cur["collection"])
    progress.start("verify", len(units.vids))
    added = ensure_vectors(units, units.vids, store, embedder, _cache_dir(data_dir), progress,
                           int(head.get("embed_chars") or EMBED_CHARS))
    if added:
        log.warning("vector store lacked %d of %d vectors of the live index; restored", added, len(units.vids))
    return HybridIndex(units, matrix, _vectors(store, units), embedder, vocab, cur["hash"], units.vids)


def _vectors(store: ChromaVectors, units: UnitTable) -> IndexVectors:
    """The version's view of the store, with each plan's vector ids (questions scoped to plans use them)."""
    by_doc: dict[str, list[str]] = {}
    for p in units.plans:
        by_doc.setdefault(p.doc_id, []).extend(v for v in units.vids[p.start : p.end] if v)
    return IndexVectors(store, units.vids, by_doc)


def _version_ids(root: Path, name: str | None) -> set[str]:
    """The vector ids of a version (format 4 kept them in units.json: a version being replaced by an upgrade)."""
    if not name:
        return set()
    try:
        if (root / name / "units.json").exists():
            return set(json.loads((root / name / "units.json").read_text(encoding="utf-8"))["vector_ids"]) - {""}
        return set(UnitTable.load(root / name).vids) - {""}
    except (OSError, ValueError, KeyError):
        return set()


def _sweep(root: Path, keep: tuple[str | None, ...], store: ChromaVectors, keep_ids: set[str]) -> None:
    """Delete versions older than the previous one, their vectors, and what crashed builds left."""
    for old in root.iterdir():
        if not old.is_dir() or old.name == "vectors" or old.name in keep:
            continue
        if not old.name.startswith(".tmp-") or not _pid_alive(old.name.rsplit("-", 1)[-1]):
            shutil.rmtree(old, ignore_errors=True)
    try:
        if store.count() > len(keep_ids):
            stale = sorted(store.all_ids() - keep_ids)
            store.delete(stale)
    except Exception as exc:  # noqa: BLE001 - stale vectors only cost a little over-fetching
        log.warning("could not delete stale vectors (%s)", type(exc).__name__)


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
