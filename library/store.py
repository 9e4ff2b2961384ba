"""The set of plans the assistant answers from: the bundled plans plus admin uploads.

Document ids are stable: the file stem (``001_4c71ade8d3617029``). A small manifest
(``corpus/data/manifest.json``) may override detected metadata; it never replaces detection.

The uploads directory (``<data>/documents``) holds, per uploaded plan:

- ``<id>.<ext>``: the original as uploaded (.txt, .md, .docx or .pdf);
- ``<id>.meta.json``: a sidecar with its sha256, original file name, who uploaded it and when, and
  optional ``overrides`` (province, year) the admin gave;
- ``<id>.withdrawn.json``: a tombstone; it hides the bundled plan with that id.

An upload whose id equals a bundled id shadows (replaces) the bundled plan. Names starting with
``.`` (staging files, the change journal, the archive of replaced versions) are never read as plans.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.faq_files import is_faq, parse_faq
from corpus.loaders import SUPPORTED, load_bytes
from corpus.parser import parse_document
from corpus.records import ParsedPlan
from corpus.vocab import DATA_DIR, Vocabulary, load_vocabulary
from library.errors import DocumentNotFound
from library.journal import JOURNAL, recover_interrupted
from library.sidecars import read_json

BUNDLED_DIR = DATA_DIR.parent / "plans"  # the plans shipped with the code (corpus/plans)
GUIDES_DIR = DATA_DIR.parent / "guides"  # bundled FAQs and guides (corpus.faq), read with the bundled plans
MANIFEST = DATA_DIR / "manifest.json"
META_SUFFIX = ".meta.json"
TOMBSTONE_SUFFIX = ".withdrawn.json"

log = logging.getLogger("cchc.corpus")


@dataclass
class StoredDocument:
    doc_id: str
    path: Path
    sha256: str
    parsed: ParsedPlan
    bundled: bool = True
    meta: dict[str, Any] = field(default_factory=dict)  # the upload sidecar ({} for bundled plans)
    shadows_bundled: bool = False  # an upload that replaces the bundled plan with the same id
    key: str = ""  # the parse key: what ``parsed`` was made from (bytes, id, overrides, parser code)

    @property
    def source(self) -> str:
        """'bundled' (shipped with the code), 'replaced' (an upload over a bundled id) or 'uploaded'."""
        if self.bundled:
            return "bundled"
        return "replaced" if self.shadows_bundled else "uploaded"


@dataclass
class Entry:
    """A live document file, before parsing: what the admin service needs to check and change."""

    doc_id: str
    path: Path
    bundled: bool
    meta: dict[str, Any] = field(default_factory=dict)
    shadows_bundled: bool = False

    def sha256(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _overrides(manifest: Path) -> dict[str, dict]:
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if not k.startswith("_")}
    return {}


def parse_file(path: Path, doc_id: str, vocab: Vocabulary, overrides: dict | None = None,
               cache_dir: Path | None = None) -> StoredDocument:
    """Parse one plan; with ``cache_dir`` a plan is parsed once per content (and parser version).

    The plans of the corpus last read in this process are reused as they are (``_LIVE``): a service that
    re-reads its corpus after an admin change unpickles only the changed plan (1,000 plans: ~1.8 s saved)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    key = _parse_key(sha, doc_id, path.suffix, overrides)
    parsed = _LIVE.get(key)
    if parsed is None and cache_dir is not None:
        parsed = _cached(cache_dir, key)
    if parsed is None:
        if is_faq(data, path.name, overrides):
            parsed = parse_faq(data, path.name, doc_id, vocab, overrides)
        else:
            parsed = parse_document(load_bytes(data, path.name), doc_id, vocab, overrides)
        if cache_dir is not None:
            _remember(cache_dir, key, parsed)
    return StoredDocument(doc_id=doc_id, path=path, sha256=sha, parsed=parsed, key=key)


# parse key -> the parsed plan, for the corpus last read in full (replaced by each full read, so it holds one
# corpus: the one the service answers from, which it holds anyway). Parsed plans are never changed after parsing.
_LIVE: dict[str, ParsedPlan] = {}


_CODE_FP: list[str] = []


def _code_fingerprint() -> str:
    """Changes with the parser's code or data files, so a cached parse never outlives the code that made it."""
    if not _CODE_FP:
        h = hashlib.sha256()
        parser_code = DATA_DIR.parent  # the corpus package: loaders, parser, vocabularies
        for p in sorted([*parser_code.glob("*.py"), *DATA_DIR.glob("*.json")]):
            h.update(p.name.encode() + p.read_bytes())
        _CODE_FP.append(h.hexdigest()[:16])
    return _CODE_FP[0]


def _parse_key(sha: str, doc_id: str, suffix: str, overrides: dict | None) -> str:
    extra = json.dumps([doc_id, suffix.lower(), overrides or {}], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{_code_fingerprint()}:{sha}:{extra}".encode()).hexdigest()[:40]


def _cached(cache_dir: Path, key: str) -> ParsedPlan | None:
    path = cache_dir / f"{key}.pickle"
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)  # our own file in our own data dir, written below
        return obj if isinstance(obj, ParsedPlan) else None
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged cache entry only costs a parse
        path.unlink(missing_ok=True)
        return None


def _remember(cache_dir: Path, key: str, parsed: ParsedPlan) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, cache_dir / f"{key}.pickle")
    except OSError as exc:  # a read-only data dir: parse every time
        log.warning("could not cache a parsed plan (%s)", exc)


class CorpusStore:
    """Loads and parses every plan in the bundled folder and in ``extra_dirs`` (uploads)."""

    def __init__(self, dirs: list[Path] | None = None, vocab: Vocabulary | None = None,
                 manifest: Path = MANIFEST, cache_dir: Path | None = None,
                 on_parse: Callable[[int, int], None] | None = None, guides: list[Path] | None = None) -> None:
        self.vocab = vocab or load_vocabulary()
        self.dirs = dirs or [BUNDLED_DIR]
        # bundled FAQs/guides are read as part of the bundled folder (default: corpus/guides beside corpus/plans)
        self.guides = guides if guides is not None else ([GUIDES_DIR] if self.dirs[0] == BUNDLED_DIR else [])
        self.manifest = manifest
        self.cache_dir = cache_dir  # parsed plans by content hash (``<data>/cache/parsed``)
        self.on_parse = on_parse  # (done, total) as plans are read: progress for big corpora
        self._docs: dict[str, StoredDocument] | None = None

    def entries(self) -> list[Entry]:
        """Live document files (later directories shadow earlier ones; tombstones hide earlier ones)."""
        found: dict[str, Entry] = {}
        for i, d in enumerate(self.dirs):
            if not d.is_dir():
                continue
            if i > 0:
                _recover(d)
                for stone in d.glob("*" + TOMBSTONE_SUFFIX):
                    found.pop(stone.name[: -len(TOMBSTONE_SUFFIX)], None)
            paths = sorted(d.iterdir())
            if i == 0:
                paths += [p for g in self.guides if g.is_dir() for p in sorted(g.iterdir())]
            for path in paths:
                if path.name.startswith(".") or path.suffix.lower() not in SUPPORTED or not path.is_file():
                    continue
                doc_id = path.stem
                meta = read_json(d / (doc_id + META_SUFFIX)) if i > 0 else {}
                prev = found.get(doc_id)
                shadows = prev is not None and (prev.bundled or prev.shadows_bundled)
                found[doc_id] = Entry(doc_id=doc_id, path=path, bundled=i == 0, meta=meta, shadows_bundled=shadows)
        return list(found.values())

    def withdrawn(self) -> dict[str, dict[str, Any]]:
        """Tombstoned ids -> what the tombstone records (who, when)."""
        out: dict[str, dict[str, Any]] = {}
        for d in self.dirs[1:]:
            if d.is_dir():
                for stone in sorted(d.glob("*" + TOMBSTONE_SUFFIX)):
                    out[stone.name[: -len(TOMBSTONE_SUFFIX)]] = read_json(stone)
        return out

    def documents(self) -> list[StoredDocument]:
        if self._docs is None:
            overrides = _overrides(self.manifest)
            docs: dict[str, StoredDocument] = {}
            entries = self.entries()
            for n, e in enumerate(entries):
                ov = dict(overrides.get(e.doc_id) or {})
                ov.update({k: v for k, v in (e.meta.get("overrides") or {}).items() if v is not None})
                sd = parse_file(e.path, e.doc_id, self.vocab, ov or None, self.cache_dir)
                sd.bundled, sd.meta, sd.shadows_bundled = e.bundled, e.meta, e.shadows_bundled
                docs[e.doc_id] = sd
                if self.on_parse:
                    self.on_parse(n + 1, len(entries))
            self._docs = docs
            global _LIVE
            _LIVE = {d.key: d.parsed for d in docs.values()}
        return list(self._docs.values())

    def get(self, doc_id: str) -> StoredDocument:
        for d in self.documents():
            if d.doc_id == doc_id:
                return d
        raise DocumentNotFound(f"Không có văn bản với mã '{doc_id}'.")

    def content_hash(self) -> str:
        """Changes whenever any plan, the manifest, a vocabulary file, an admin override or the parser's code
        changes (units come from the parse: an upgraded parser must not serve the previous parser's units)."""
        h = hashlib.sha256(_code_fingerprint().encode())
        for d in sorted(self.documents(), key=lambda x: x.doc_id):
            h.update(d.doc_id.encode() + d.sha256.encode())
            if d.meta.get("overrides"):
                h.update(json.dumps(d.meta["overrides"], sort_keys=True, ensure_ascii=False).encode())
        for extra in sorted(DATA_DIR.glob("*.json")):
            h.update(extra.read_bytes())
        return h.hexdigest()


def _recover(uploads: Path) -> None:
    """Undo an admin change that a crash interrupted (see library.admin), before reading the uploads."""
    if not (uploads / JOURNAL).exists():
        return
    try:
        recover_interrupted(uploads)
    except OSError as exc:  # a read-only data dir must not stop the service from answering
        log.warning("could not recover an interrupted corpus change: %s", exc)
