"""The set of plans the assistant answers from: the bundled plans plus admin uploads.

Document ids are stable: the file stem (``001_4c71ade8d3617029``). A small manifest
(``corpus/data/manifest.json``) may override detected metadata; it never replaces detection.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import DocumentNotFound
from corpus.loaders import SUPPORTED, load_bytes
from corpus.parser import parse_document
from corpus.records import ParsedPlan
from corpus.vocab import Vocabulary, load_vocabulary

BUNDLED_DIR = Path(__file__).parent / "plans"
MANIFEST = Path(__file__).parent / "data" / "manifest.json"


@dataclass
class StoredDocument:
    doc_id: str
    path: Path
    sha256: str
    parsed: ParsedPlan
    bundled: bool = True


def _overrides(manifest: Path) -> dict[str, dict]:
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if not k.startswith("_")}
    return {}


def parse_file(path: Path, doc_id: str, vocab: Vocabulary, overrides: dict | None = None) -> StoredDocument:
    data = path.read_bytes()
    doc = load_bytes(data, path.name)
    parsed = parse_document(doc, doc_id, vocab, overrides)
    return StoredDocument(doc_id=doc_id, path=path, sha256=hashlib.sha256(data).hexdigest(), parsed=parsed)


class CorpusStore:
    """Loads and parses every plan in the bundled folder and in ``extra_dirs`` (uploads)."""

    def __init__(self, dirs: list[Path] | None = None, vocab: Vocabulary | None = None,
                 manifest: Path = MANIFEST) -> None:
        self.vocab = vocab or load_vocabulary()
        self.dirs = dirs or [BUNDLED_DIR]
        self.manifest = manifest
        self._docs: dict[str, StoredDocument] | None = None

    def documents(self) -> list[StoredDocument]:
        if self._docs is None:
            overrides = _overrides(self.manifest)
            docs: dict[str, StoredDocument] = {}
            for i, d in enumerate(self.dirs):
                if not d.exists():
                    continue
                for path in sorted(d.iterdir()):
                    if path.suffix.lower() in SUPPORTED and path.is_file():
                        doc_id = path.stem
                        sd = parse_file(path, doc_id, self.vocab, overrides.get(doc_id))
                        sd.bundled = i == 0
                        docs[doc_id] = sd
            self._docs = docs
        return list(self._docs.values())

    def get(self, doc_id: str) -> StoredDocument:
        for d in self.documents():
            if d.doc_id == doc_id:
                return d
        raise DocumentNotFound(f"Không có văn bản với mã '{doc_id}'.")

    def content_hash(self) -> str:
        """Changes whenever any plan, the manifest or a vocabulary file changes."""
        h = hashlib.sha256()
        for d in sorted(self.documents(), key=lambda x: x.doc_id):
            h.update(d.doc_id.encode() + d.sha256.encode())
        for extra in sorted((Path(__file__).parent / "data").glob("*.json")):
            h.update(extra.read_bytes())
        return h.hexdigest()
