"""Building, switching and opening the hybrid index, incrementally.

Layout under ``<data>``:

- ``index/<hash>-<embedder>-<build>/units.json``: one index version (units and vector ids), and beside it
  ``lexical.npz``: the units' terms as arrays (see retrieval.lexical);
- ``index/current.json``: names the live version; replaced atomically, so a half-built version is never
  used, and the version live before it is kept (requests still running on it must not lose it);
- ``index/vectors/``: the embedded Chroma store shared by every version (or a Chroma server);
- ``cache/``: embeddings by (embedder, text hash) and BM25 terms by text hash.

A build computes every unit (cheap), then embeds only texts no earlier build embedded and adds only
vectors the store lacks, so adding, replacing or withdrawing one plan costs about one plan's work.
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
from retrieval.vectors import ChromaVectors, IndexVectors, VectorStoreError, drop_local_store

log = logging.getLogger("cchc.index")

EMBED_CHARS = 200  # the vector side sees each unit's opening: quality holds at 200 (benchmarks/results/embed_chars.md)
# unit kinds the vector side leaves to BM25. Prose passages are embedded again: without them questions worded unlike a
# plan's prose lost answers on the frozen sets (v4 49 -> 51/60, v5 29 -> 30/60, FAQ v1 28 -> 29/40, same run); the
# plan-header unit is covered by its fields and BM25.
NO_VECTOR_KINDS: tuple[str, ...] = ("plan",)
EMBED_BATCH = 64
FORMAT = 4
_HERE = Path(__file__).parent
_DATA = _HERE.parent / "corpus" / "data"


class IndexFormatError(ValueError):
    """The live index was written by an older version of this code: it is rebuilt."""


@lru_cache(maxsize=1)
def terms_fingerprint() -> str:
    """Changes when the code that turns text into terms, or the vocabulary it uses, changes."""
    h = hashlib.sha256(str(FORMAT).encode())
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


def ensure_vectors(units: list[Unit], vids: list[str], store: ChromaVectors, embedder: Embedder,
                   cache_dir: Path, progress: Progress, chars: int = EMBED_CHARS) -> int:
    """Add the vectors the store lacks, embedding only texts never embedded before; returns how many were added."""
    present = store.present([v for v in vids if v])
    need = [(v, u) for v, u in zip(vids, units, strict=True) if v and v not in present]
    if not need:
        return 0
    texts = {text_hash(u.text[:chars]): u.text[:chars] for _, u in need}
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
    matrix = np.vstack([vecs[text_hash(u.text[:chars])] for _, u in need])
    store.add([v for v, _ in need], matrix, [{"doc_id": u.doc_id, "kind": u.kind} for _, u in need],
              on_batch=progress.advance)
    return len(need)


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

def build_index(plans: list[ParsedPlan], content_hash: str, data_dir: Path, embedder: Embedder,
                vocab: Vocabulary, chroma_factory, collection_prefix: str = "cchc",
                progress: Progress | None = None, embed_chars: int = EMBED_CHARS,
                skip_kinds: tuple[str, ...] = NO_VECTOR_KINDS) -> HybridIndex:
    """Build a new version next to the live one, then switch ``current.json`` to it."""
    progress = progress or Progress()
    root = _index_root(data_dir)
    # a fresh directory name per build: an undone change never overwrites a version that may be serving
    name = f"{content_hash[:16]}-{_safe(embedder.name)}-{uuid.uuid4().hex[:8]}"
    target = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir(parents=True)
    previous = (load_current(data_dir) or {}).get("dir")
    collection = collection_name(collection_prefix, embedder)
    try:
        units: list[Unit] = [u for plan in plans for u in units_for(plan)]
        vids = [vector_id(u, embed_chars, skip_kinds) for u in units]
        matrix = lexical_matrix(units, vocab, _cache_dir(data_dir), progress, _previous_matrix(root, previous))
        matrix.save(tmp)
        store = open_store(data_dir, chroma_factory, collection)
        ensure_vectors(units, vids, store, embedder, _cache_dir(data_dir), progress, embed_chars)
        (tmp / "units.json").write_text(
            json.dumps({"format": FORMAT, "hash": content_hash, "embedder": embedder.name, "collection": collection,
                        "embed_chars": embed_chars, "skip_kinds": list(skip_kinds),
                        "terms_fingerprint": terms_fingerprint(),
                        "units": [u.to_dict() for u in units], "vector_ids": vids},
                       ensure_ascii=False),
            encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves no version behind (its cache stays)
        raise
    os.replace(tmp, target)
    _write_current(root, {"format": FORMAT, "hash": content_hash, "dir": name, "collection": collection,
                          "embedder": embedder.name, "embed_chars": embed_chars,
                          "skip_kinds": list(skip_kinds)})
    _sweep(root, keep=(name, previous), store=store, keep_ids=set(vids) | _version_ids(root, previous))
    return HybridIndex(units, matrix, IndexVectors(store, vids), embedder, vocab, content_hash, vids)


def lexical_matrix(units: list[Unit], vocab: Vocabulary, cache_dir: Path, progress: Progress,
                   previous: TermMatrix | None) -> TermMatrix:
    """The units' term matrix: rows the previous version holds are copied, only new texts are tokenised."""
    hashes = [text_hash(u.text) for u in units]
    known = set(previous.hashes) if previous is not None else set()
    fresh: dict[str, Unit] = {}
    for h, u in zip(hashes, units, strict=True):
        if h not in known:
            fresh.setdefault(h, u)
    new = TermMatrix.from_terms(unit_terms(list(fresh.values()), vocab, cache_dir, progress), list(fresh))
    return TermMatrix.assemble(hashes, previous, new)


def _previous_matrix(root: Path, name: str | None) -> TermMatrix | None:
    """The live version's term matrix, when it was made by this text-handling code (else nothing is reused)."""
    if not name:
        return None
    try:
        with open(root / name / "units.json", encoding="utf-8") as fh:
            head = fh.read(4096)  # the fingerprint is written before the units
        if f'"terms_fingerprint": "{terms_fingerprint()}"' not in head:
            return None
        return TermMatrix.load(root / name)
    except (OSError, ValueError, KeyError):
        return None


def open_index(data_dir: Path, embedder: Embedder, vocab: Vocabulary, chroma_factory,
               progress: Progress | None = None) -> HybridIndex:
    """Open the live version; vectors missing from the store are restored (from the cache) before serving."""
    progress = progress or Progress()
    cur = load_current(data_dir)
    if cur is None:
        raise FileNotFoundError("no index")
    if cur.get("format") != FORMAT:
        raise IndexFormatError(f"index format {cur.get('format')} (this code writes {FORMAT})")
    data = json.loads((_index_root(data_dir) / cur["dir"] / "units.json").read_text(encoding="utf-8"))
    units = [Unit(**u) for u in data["units"]]
    vids = data["vector_ids"]
    if len(vids) != len(units):
        raise IndexFormatError("units and vector ids differ in number")
    try:
        matrix = TermMatrix.load(_index_root(data_dir) / cur["dir"])  # saved with the version: no tokenising
    except (OSError, ValueError, KeyError) as exc:
        raise IndexFormatError(f"lexical arrays unreadable ({type(exc).__name__})") from exc
    if matrix.rows != len(units) or data.get("terms_fingerprint") != terms_fingerprint():
        raise IndexFormatError("lexical arrays do not match the units or this code")
    store = open_store(data_dir, chroma_factory, cur["collection"])
    progress.start("verify", len(vids))
    added = ensure_vectors(units, vids, store, embedder, _cache_dir(data_dir), progress,
                           int(data.get("embed_chars") or EMBED_CHARS))
    if added:
        log.warning("vector store lacked %d of %d vectors of the live index; restored", added, len(vids))
    return HybridIndex(units, matrix, IndexVectors(store, vids), embedder, vocab, cur["hash"], vids)


def _version_ids(root: Path, name: str | None) -> set[str]:
    if not name:
        return set()
    try:
        return set(json.loads((root / name / "units.json").read_text(encoding="utf-8")).get("vector_ids") or [])
    except (OSError, ValueError):
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
