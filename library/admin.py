"""Document management: add, replace and withdraw plans safely (used by the admin API and the CLI).

Every change goes through the same steps:

1. the upload is streamed to a staging file (``<data>/documents/.incoming/``) with a size limit and
   its sha256 computed on the way;
2. it is validated and parsed (extension, content type, loader, parser, "is this a plan?");
3. under the admin lock (a thread lock in the service, plus an ``flock`` shared with the CLI) a
   write-ahead journal (``.journal.json``) records each file operation before it happens: the
   staged file is renamed into place, the previous version is moved aside, a tombstone written;
4. ``reload`` (the service's re-index) runs; if it fails the journal is replayed backwards and the
   corpus is exactly as before; if it succeeds the change is committed: one JSON line is appended
   to ``<data>/audit.log`` and replaced versions move to ``.archive/<id>/``.

A crash at any point leaves a journal behind; the next reader of the corpus (service start,
``cchc ask``, ``cchc corpus list``) rolls the unfinished change back before reading, so the
corpus is always either the old one or the new one, never a mixture.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.loaders import SUPPORTED
from corpus.records import Activity, Definition, Duty, FaqRecord, LegalDoc, ParsedPlan, Passage, Task
from corpus.vocab import Vocabulary, fold, load_vocabulary
from library.admin_views import admin_list_view, admin_show_view, archived_files, withdrawn_view
from library.audit import AUDIT_LOG, append_audit, now_utc, read_audit, token_fingerprint
from library.errors import DocumentNotFound, LibraryError
from library.journal import ARCHIVE, JOURNAL, LOCK_FILE, TXN_DIR, Txn, file_lock, recover_interrupted, recover_locked
from library.sidecars import read_json
from library.store import (
    BUNDLED_DIR,
    MANIFEST,
    META_SUFFIX,
    TOMBSTONE_SUFFIX,
    CorpusStore,
    Entry,
    StoredDocument,
    file_sha256,
)
from library.uploads import (
    CHUNK,
    INCOMING,
    STALE_INCOMING_SECONDS,
    TooLargeError,
    Upload,
    UploadWriter,
    clean_filename,
    size_limit_message,
)
from library.validation import (
    ContentMismatchError,
    InvalidMetadataError,
    UnsupportedTypeError,
    check_content,
    check_extension,
    normalise_overrides,
    plan_problems,
    sniff,
    validate,
)

__all__ = [
    "ARCHIVE", "AUDIT_LOG", "AlreadyLiveError", "CHUNK", "DOC_ID", "INCOMING", "JOURNAL", "LOCK_FILE",
    "STALE_INCOMING_SECONDS", "TXN_DIR", "ContentMismatchError", "CorpusAdmin", "DuplicateDocumentError",
    "InvalidMetadataError", "ReindexError", "TooLargeError", "UnsupportedTypeError", "Upload", "UploadWriter",
    "admin_list_view", "admin_show_view", "append_audit", "check_content", "check_extension", "clean_filename",
    "normalise_overrides", "now_utc", "plan_problems", "read_audit", "recover_interrupted", "size_limit_message",
    "sniff", "token_fingerprint", "validate",
]

log = logging.getLogger("cchc.admin")

DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_Txn = Txn  # the journal's transaction under its former name here


# ---- errors of the service (validation and staging errors are in library.validation, library.uploads) ----

class DuplicateDocumentError(LibraryError):
    """The same bytes are already live under another (or the same) id."""

    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class AlreadyLiveError(LibraryError):
    """A restore asked for a plan that is live (again) already."""


class ReindexError(LibraryError):
    """Re-indexing failed; the change was rolled back and the previous corpus keeps serving."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40]


# ---- the service -------------------------------------------------------------------------------------

class CorpusAdmin:
    """Add, replace and withdraw plans in ``<data_dir>/documents``; audit in ``<data_dir>/audit.log``.

    ``reload`` is called after the files change (the service re-indexes and swaps its assistant);
    if it raises, the change is rolled back. ``lock`` serialises changes inside one process. ``live``
    is the already parsed corpus, used only to warn about similar plans.
    """

    def __init__(self, data_dir: Path, *, reload: Callable[[], None] | None = None,
                 lock: threading.Lock | None = None, max_bytes: int = 20 * 1024 * 1024,
                 vocab: Vocabulary | None = None, bundled_dir: Path = BUNDLED_DIR, manifest: Path = MANIFEST,
                 live: CorpusStore | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.uploads = self.data_dir / "documents"
        self.audit_path = self.data_dir / AUDIT_LOG
        self.reload = reload
        self.lock = lock
        self.max_bytes = max_bytes
        self.vocab = vocab or load_vocabulary()
        self.bundled_dir, self.manifest = bundled_dir, manifest
        self.live = live  # the parsed corpus the service answers from (parsed again from disk if absent)

    # -- reading
    def store(self) -> CorpusStore:
        return CorpusStore(dirs=[self.bundled_dir, self.uploads], vocab=self.vocab, manifest=self.manifest)

    def audit(self) -> list[dict[str, Any]]:
        return read_audit(self.audit_path)

    # -- receiving
    def writer(self, filename: str | None) -> UploadWriter:
        return UploadWriter(self.uploads / INCOMING, filename, self.max_bytes)

    def receive(self, chunks: Iterable[bytes], filename: str | None) -> Upload:
        w = self.writer(filename)
        try:
            for chunk in chunks:
                w.write(chunk)
        except BaseException:
            w.abort()
            raise
        return w.finish()

    def receive_file(self, path: Path) -> Upload:
        """Stage a local file (CLI); the same size limit applies."""
        with open(path, "rb") as fh:
            return self.receive(iter(lambda: fh.read(CHUNK), b""), path.name)

    # -- changing
    def add(self, upload: Upload, province: str | None = None, year: int | str | None = None, *,
            who: str = "cli", dry_run: bool = False, kind: str | None = None) -> dict[str, Any]:
        """Validate and store a new plan (or FAQ/guide, ``kind="faq"`` or detected); returns its show view
        (with ``dry_run`` nothing is stored)."""
        try:
            overrides = normalise_overrides(province, year, self.vocab, kind)
            if dry_run:
                return self._preview(upload, overrides, None, self.store())
            with self._locked():
                store = self.store()
                view = self._preview(upload, overrides, None, store)
                doc_id = view["document"]["id"]
                meta = self._meta(upload, who, overrides, replaces_bundled=False)
                audit = self._audit_entry(who, "add", doc_id, upload, overrides)
                txn = Txn(self.uploads, "add", doc_id, audit)
                txn.place(upload.path, doc_id + upload.ext)
                txn.write_json(doc_id + META_SUFFIX, meta)
                self._reindex(txn)
                txn.commit(self.audit_path)
                log.info("plan %s added by %s", doc_id, who)
                return view
        finally:
            upload.discard()

    def replace(self, doc_id: str, upload: Upload, province: str | None = None, year: int | str | None = None, *,
                who: str = "cli", dry_run: bool = False, kind: str | None = None) -> dict[str, Any]:
        """Put a new version of a live plan (bundled or uploaded) in place under the same id."""
        try:
            overrides = normalise_overrides(province, year, self.vocab, kind)
            if dry_run:
                return self._replace_preview(doc_id, upload, overrides, self.store())[0]
            with self._locked():
                store = self.store()
                view, entry, merged = self._replace_preview(doc_id, upload, overrides, store)
                replaces_bundled = entry.bundled or entry.shadows_bundled
                audit = self._audit_entry(who, "replace", doc_id, upload, merged, previous=entry.sha256())
                txn = Txn(self.uploads, "replace", doc_id, audit)
                if not entry.bundled:
                    self._stash_versions(txn, doc_id)
                txn.place(upload.path, doc_id + upload.ext)
                txn.write_json(doc_id + META_SUFFIX, self._meta(upload, who, merged, replaces_bundled))
                self._reindex(txn)
                txn.commit(self.audit_path)
                log.info("plan %s replaced by %s", doc_id, who)
                return view
        finally:
            upload.discard()

    def remove(self, doc_id: str, *, who: str = "cli") -> dict[str, Any]:
        """Withdraw a live plan: an upload is archived; a bundled plan is hidden by a tombstone."""
        with self._locked():
            entry = self._entry(self.store(), doc_id)
            sha = entry.sha256()
            audit = {"when": now_utc(), "who": who, "action": "remove", "doc_id": doc_id, "sha256": sha,
                     "filename": entry.meta.get("filename", entry.path.name)}
            txn = Txn(self.uploads, "remove", doc_id, audit)
            if not entry.bundled:
                self._stash_versions(txn, doc_id)
            if entry.bundled or entry.shadows_bundled:
                txn.write_json(doc_id + TOMBSTONE_SUFFIX, {"doc_id": doc_id, "withdrawn_at": audit["when"],
                                                          "withdrawn_by": who, "sha256": sha})
            self._reindex(txn)
            txn.commit(self.audit_path)
            log.info("plan %s withdrawn by %s", doc_id, who)
            return {"id": doc_id, "sha256": sha, "source": "bundled" if entry.bundled else "uploaded"}

    def withdrawn(self, live_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """Withdrawn plans (bundled or uploaded) that are not live again, newest first, with ``restorable``."""
        store = self.store()
        live = live_ids if live_ids is not None else {e.doc_id for e in store.entries()}
        return withdrawn_view(live, store.withdrawn(), self.audit(), self.uploads / ARCHIVE)

    def restore(self, doc_id: str, *, who: str = "cli") -> dict[str, Any]:
        """Put a withdrawn plan back: the archived original and sidecar return; a tombstone is lifted."""
        with self._locked():
            store = self.store()
            if any(e.doc_id == doc_id for e in store.entries()):
                raise AlreadyLiveError(f"Kế hoạch mã '{doc_id}' đang được sử dụng, không cần khôi phục.")
            stone = self.uploads / (doc_id + TOMBSTONE_SUFFIX)
            files = archived_files(self.uploads / ARCHIVE, doc_id, self.audit()) if DOC_ID.match(doc_id) else []
            if not files and not stone.exists():
                raise DocumentNotFound(f"Không có kế hoạch đã thu hồi nào có mã '{doc_id[:100]}' để khôi phục.")
            original = next((f for f, name in files if not name.endswith(META_SUFFIX)), None)
            sha = file_sha256(original) if original else (read_json(stone).get("sha256") if stone.exists() else None)
            if sha:
                self._check_duplicate(store, sha, doc_id)
            meta = next((f for f, n in files if n.endswith(META_SUFFIX)), None)
            filename = (read_json(meta).get("filename") if meta else None) or (original.name if original else None)
            audit = {"when": now_utc(), "who": who, "action": "restore", "doc_id": doc_id, "sha256": sha,
                     "filename": filename}
            txn = Txn(self.uploads, "restore", doc_id, audit)
            if stone.exists():
                txn.stash(stone.name)
            staging = self.uploads / INCOMING
            staging.mkdir(parents=True, exist_ok=True)
            for src, live_name in files:  # copies: the archive keeps its history, a rollback loses nothing
                staged = staging / f"restore-{uuid.uuid4().hex[:8]}-{live_name}"
                shutil.copy2(src, staged)
                txn.place(staged, live_name)
            self._reindex(txn)
            txn.commit(self.audit_path)
            log.info("plan %s restored by %s", doc_id, who)
            return {"id": doc_id, "sha256": sha, "source": "uploaded" if files else "bundled"}

    # -- internals
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.lock if self.lock is not None else contextlib.nullcontext()), file_lock(self.uploads):
            recover_locked(self.uploads)
            yield

    def _stash_versions(self, txn: Txn, doc_id: str) -> None:
        """Move the uploaded original(s) and sidecar of ``doc_id`` aside."""
        for f in sorted(self.uploads.iterdir()):
            if f.is_file() and f.stem == doc_id and f.suffix.lower() in SUPPORTED:
                txn.stash(f.name)
        txn.stash(doc_id + META_SUFFIX)

    def _reindex(self, txn: Txn) -> None:
        if self.reload is None:
            return
        try:
            self.reload()
        except BaseException as exc:
            txn.rollback()
            log.error("re-indexing failed (%s); change to %s rolled back", type(exc).__name__, txn.doc_id)
            if not isinstance(exc, Exception):
                raise
            raise ReindexError(
                "Lập chỉ mục mới thất bại nên thay đổi đã được hoàn tác; hệ thống vẫn trả lời theo dữ liệu trước đó. "
                "Vui lòng thử lại sau hoặc báo cho quản trị kỹ thuật."
            ) from exc

    def _entry(self, store: CorpusStore, doc_id: str) -> Entry:
        if DOC_ID.match(doc_id or ""):
            for e in store.entries():
                if e.doc_id == doc_id:
                    return e
        if doc_id in store.withdrawn():
            raise DocumentNotFound(f"Kế hoạch mã '{doc_id}' đã bị thu hồi trước đó.")
        raise DocumentNotFound(f"Không có kế hoạch đang dùng với mã '{doc_id[:100]}'.")

    def _check_duplicate(self, store: CorpusStore, sha: str, except_id: str | None) -> None:
        for e in store.entries():
            if e.doc_id != except_id and e.sha256() == sha:
                raise DuplicateDocumentError(
                    f"Tệp này giống hệt kế hoạch đang dùng có mã '{e.doc_id}' (cùng mã băm SHA-256). "
                    "Không cần tải lên lại; muốn cập nhật thì dùng chức năng thay thế.", e.doc_id)

    def _preview(self, upload: Upload, overrides: dict[str, Any], doc_id: str | None,
                 store: CorpusStore) -> dict[str, Any]:
        data = upload.path.read_bytes()
        parsed = validate(data, upload.filename, doc_id or "moi", self.vocab, overrides)
        if doc_id is None:
            self._check_duplicate(store, upload.sha256, None)
            doc_id = self._new_id(parsed, upload.sha256, store)
            _set_doc_id(parsed, doc_id)
        sd = StoredDocument(doc_id=doc_id, path=upload.path, sha256=upload.sha256, parsed=parsed, bundled=False,
                            meta={"filename": upload.filename, "overrides": overrides})
        view = admin_show_view(sd)
        view["warnings"] = view["warnings"] + self._similar(parsed, doc_id)
        view["counts"]["warnings"] = len(view["warnings"])
        return view

    def _similar(self, parsed: ParsedPlan, doc_id: str) -> list[str]:
        """Warnings about live plans this one may duplicate or contradict (same province and number/year)."""
        p = parsed.plan
        out: list[str] = []
        if p.kind == "faq":  # an FAQ never duplicates a plan; several FAQs per province are normal
            return out
        for d in (self.live or self.store()).documents():
            q = d.parsed.plan
            if q.kind == "faq":
                continue
            if d.doc_id == doc_id:
                if q.province and p.province and q.province != p.province:
                    out.append(f"Phiên bản mới thuộc tỉnh {p.province}, còn bản đang dùng thuộc tỉnh {q.province}.")
                continue
            if q.province == p.province and ((p.number and q.number == p.number) or (q.year == p.year)):
                same = f"cùng số hiệu {p.number}" if p.number and q.number == p.number else f"cùng năm {p.year}"
                out.append(f"Đã có kế hoạch của tỉnh {p.province} {same} (mã “{d.doc_id}”). Nếu đây là phiên bản "
                           "mới của kế hoạch đó, hãy dùng chức năng thay thế thay vì thêm mới.")
        return out

    def _replace_preview(self, doc_id: str, upload: Upload, overrides: dict[str, Any], store: CorpusStore):
        entry = self._entry(store, doc_id)
        merged = {**(entry.meta.get("overrides") or {}), **overrides}
        self._check_duplicate(store, upload.sha256, doc_id)
        if entry.sha256() == upload.sha256 and merged == (entry.meta.get("overrides") or {}):
            raise DuplicateDocumentError(
                f"Tệp này giống hệt phiên bản hiện tại của kế hoạch '{doc_id}': không có gì để thay thế.", doc_id)
        view = self._preview(upload, merged, doc_id, store)
        view["document"]["source"] = "replaced" if (entry.bundled or entry.shadows_bundled) else "uploaded"
        return view, entry, merged

    def _new_id(self, parsed: ParsedPlan, sha: str, store: CorpusStore) -> str:
        p = parsed.plan
        stem = "-".join(x for x in (_slug(p.province or ""), str(p.year or "")) if x) or "ke-hoach"
        if p.kind == "faq":
            stem = "-".join(x for x in ("hoi-dap", _slug(p.province or "toan quoc")) if x)
        taken = {e.doc_id for e in store.entries()} | set(store.withdrawn())
        if self.uploads.is_dir():
            taken |= {f.name.split(".", 1)[0] for f in self.uploads.iterdir()}
        base = f"{stem}-{sha[:8]}"
        doc_id, n = base, 2
        while doc_id in taken:
            doc_id, n = f"{base}-{n}", n + 1
        return doc_id

    def _meta(self, upload: Upload, who: str, overrides: dict[str, Any], replaces_bundled: bool) -> dict[str, Any]:
        return {"filename": upload.filename, "sha256": upload.sha256, "size": upload.size,
                "uploaded_at": now_utc(), "uploaded_by": who, "overrides": overrides,
                "replaces_bundled": replaces_bundled}

    @staticmethod
    def _audit_entry(who: str, action: str, doc_id: str, upload: Upload, overrides: dict[str, Any],
                     previous: str | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {"when": now_utc(), "who": who, "action": action, "doc_id": doc_id,
                                 "sha256": upload.sha256, "filename": upload.filename}
        if previous:
            entry["previous_sha256"] = previous
        if overrides:
            entry["overrides"] = overrides
        return entry


def _set_doc_id(parsed: ParsedPlan, doc_id: str) -> None:
    """Records were parsed under a provisional id; give them the id they will be stored under."""
    parsed.plan.doc_id = doc_id
    records: list[Task | Duty | Passage | Activity | Definition | LegalDoc | FaqRecord] = [
        *parsed.tasks, *parsed.duties, *parsed.passages, *parsed.activities, *parsed.definitions, *parsed.legal_docs,
        *parsed.faqs]
    for rec in records:
        rec.doc_id = doc_id
