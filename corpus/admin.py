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
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.errors import CorpusError, DocumentNotFound, LoaderError, NotAPlanError
from corpus.loaders import SUPPORTED, load_bytes
from corpus.parser import parse_document
from corpus.records import ParsedPlan
from corpus.store import (
    BUNDLED_DIR,
    MANIFEST,
    META_SUFFIX,
    TOMBSTONE_SUFFIX,
    CorpusStore,
    Entry,
    StoredDocument,
    read_json,
)
from corpus.structure import build_outline
from corpus.views import list_view, show_view
from corpus.vocab import Vocabulary, fold, load_vocabulary

log = logging.getLogger("cchc.admin")

JOURNAL = ".journal.json"
LOCK_FILE = ".lock"
INCOMING = ".incoming"
TXN_DIR = ".txn"
ARCHIVE = ".archive"
AUDIT_LOG = "audit.log"
CHUNK = 1 << 16
STALE_INCOMING_SECONDS = 3600
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_OLE = b"\xd0\xcf\x11\xe0"
_FORMATS = ", ".join(SUPPORTED)


# ---- errors (the API maps each to an HTTP status; messages reach admins as they are) --------------

class UnsupportedTypeError(LoaderError):
    """The file name's extension is not one we read."""


class ContentMismatchError(LoaderError):
    """The bytes are of another type than the extension says (PDF named .docx, zip named .txt…)."""


class TooLargeError(CorpusError):
    """The upload is over the size limit (detected while streaming)."""


class DuplicateDocumentError(CorpusError):
    """The same bytes are already live under another (or the same) id."""

    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class InvalidMetadataError(CorpusError):
    """A province/year given by the admin is not valid, or the plan's province cannot be found."""


class ReindexError(CorpusError):
    """Re-indexing failed; the change was rolled back and the previous corpus keeps serving."""


# ---- staging ------------------------------------------------------------------------------------------

@dataclass
class Upload:
    """A file received into the staging area, not yet part of the corpus."""

    path: Path
    filename: str
    sha256: str
    size: int

    @property
    def ext(self) -> str:
        return Path(self.filename).suffix.lower()

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def clean_filename(name: str | None) -> str:
    """The base name of what the client sent, without directories or control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "tep-tai-len"


def size_limit_message(max_bytes: int) -> str:
    return f"Tệp vượt quá giới hạn dung lượng {max_bytes / (1024 * 1024):g} MB. Vui lòng tải lên tệp nhỏ hơn."


class UploadWriter:
    """Receives an upload chunk by chunk: checks the extension first, stops as soon as the limit is passed."""

    def __init__(self, incoming: Path, filename: str | None, max_bytes: int) -> None:
        self.filename = clean_filename(filename)
        check_extension(self.filename)
        incoming.mkdir(parents=True, exist_ok=True)
        self.path = incoming / f"{uuid.uuid4().hex}.part"
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in finish/abort

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLargeError(size_limit_message(self.max_bytes))
        self._hash.update(chunk)
        self._fh.write(chunk)

    def finish(self) -> Upload:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return Upload(path=self.path, filename=self.filename, sha256=self._hash.hexdigest(), size=self.size)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


# ---- validation (pure: bytes in, parsed plan or a Vietnamese error out) -------------------------------

def check_extension(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in SUPPORTED:
        shown = f"'{ext}'" if ext else "không có phần mở rộng"
        raise UnsupportedTypeError(
            f"Định dạng tệp {shown} không được hỗ trợ. Chỉ nhận kế hoạch dạng {_FORMATS} "
            "(tệp Word cũ .doc cần lưu lại thành .docx)."
        )
    return ext


_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")


def sniff(data: bytes) -> str:
    """What the bytes look like: 'pdf', 'zip', 'ole' (old Word / encrypted Office), 'image', 'binary' or 'text'."""
    if _PDF_HEADER.search(data[:1024]):
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:4] == _OLE:
        return "ole"
    if data.startswith(_IMAGES):
        return "image"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


_KIND_NAMES = {
    "pdf": "PDF",
    "zip": "tệp nén ZIP (hoặc Word .docx)",
    "ole": "tài liệu Word cũ (.doc) hoặc tệp Office có mật khẩu",
    "image": "ảnh (PNG/JPEG/GIF/TIFF) — cần nhận dạng chữ (OCR) hoặc bản .docx gốc",
    "binary": "dữ liệu nhị phân không xác định, không phải văn bản",
    "text": "văn bản thuần",
}


def check_content(data: bytes, ext: str) -> None:
    """Refuse bytes whose real type does not match the extension, naming both."""
    if not data.strip():
        raise LoaderError("Tệp rỗng: không có nội dung để đọc.")
    kind = sniff(data)
    expected = {".pdf": "pdf", ".docx": "zip", ".txt": "text", ".md": "text"}[ext]
    if kind == "ole" and ext == ".docx":
        return  # the .docx loader explains .doc and password-protected files itself
    if kind != expected:
        raise ContentMismatchError(
            f"Nội dung tệp không khớp với phần mở rộng {ext}: tệp thực chất là {_KIND_NAMES[kind]}. "
            "Vui lòng kiểm tra lại tệp hoặc đặt đúng phần mở rộng rồi tải lên lại."
        )


def normalise_overrides(province: str | None, year: int | str | None, vocab: Vocabulary) -> dict[str, Any]:
    """Validate the admin's province/year; map any known spelling of a province to its name."""
    out: dict[str, Any] = {}
    if province is not None and str(province).strip():
        raw = " ".join(str(province).split())
        key = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", fold(raw)).strip()
        names = vocab.province_names()
        if key not in names:
            raise InvalidMetadataError(
                f"Tỉnh '{raw[:60]}' không có trong danh mục tỉnh, thành phố. Hãy nhập tên tỉnh như trong kế hoạch, "
                "ví dụ: Cà Mau, Quảng Bình."
            )
        out["province"] = names[key]
    if year is not None and str(year).strip():
        try:
            value = int(str(year).strip())
        except ValueError:
            raise InvalidMetadataError(
                f"Năm '{str(year)[:20]}' không hợp lệ: hãy nhập năm dạng số, ví dụ 2025.") from None
        if not 2000 <= value <= 2100:
            raise InvalidMetadataError(f"Năm {value} không hợp lệ: năm của kế hoạch phải trong khoảng 2000–2100.")
        out["year"] = value
    return out


def plan_problems(doc: Document, parsed: ParsedPlan) -> list[str]:
    """What a plan should have and this document lacks (empty when it looks like a plan).

    A plan needs a body (roman-numbered parts, agency blocks in "Tổ chức thực hiện" or an appendix
    task table) and something that says it is a plan (a "KẾ HOẠCH" title, agency blocks or tasks).
    """
    parts = len(build_outline(doc).parts)
    title, blocks, tasks = bool(parsed.plan.title), parsed.agency_blocks > 0, bool(parsed.tasks)
    if (parts or blocks or tasks) and (title or blocks or tasks):
        return []
    missing = []
    if not title:
        missing.append("không có tiêu đề “KẾ HOẠCH”")
    if not parts:
        missing.append("không có các phần đánh số La Mã (I., II., …)")
    if not blocks:
        missing.append("không có phần “Tổ chức thực hiện” với các khối nhiệm vụ của từng cơ quan")
    if not tasks:
        missing.append("không có bảng phụ lục nhiệm vụ (STT, Nội dung, Cơ quan chủ trì, …)")
    return missing


def validate(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
             overrides: dict[str, Any] | None = None) -> ParsedPlan:
    """Bytes -> ParsedPlan, or LoaderError / NotAPlanError / InvalidMetadataError (Vietnamese)."""
    ext = check_extension(filename)
    check_content(data, ext)
    try:
        doc = load_bytes(data, filename)
    except LoaderError:
        raise
    except Exception as exc:  # a loader bug on a crafted file must be a 4xx, not a traceback
        log.warning("loader failed on %s upload: %s", ext, type(exc).__name__)
        raise LoaderError(f"Không đọc được tệp {ext}: tệp bị hỏng hoặc có cấu trúc không đọc được.") from exc
    try:
        parsed = parse_document(doc, doc_id, vocab, overrides or None)
    except Exception as exc:
        log.warning("parser failed on an upload: %s", type(exc).__name__)
        raise NotAPlanError("Không phân tích được nội dung tệp thành kế hoạch (lỗi khi đọc cấu trúc văn bản).") from exc
    missing = plan_problems(doc, parsed)
    if missing:
        raise NotAPlanError(
            f"Tệp '{filename}' không giống một kế hoạch thông tin, tuyên truyền CCHC: " + "; ".join(missing) + ". "
            "Hãy kiểm tra lại xem đã chọn đúng tệp chưa."
        )
    if not parsed.plan.province:
        raise InvalidMetadataError(
            "Không xác định được tỉnh ban hành kế hoạch (không thấy “ỦY BAN NHÂN DÂN TỈNH …” hay địa danh ở dòng "
            "ngày tháng). Hãy nhập tên tỉnh (trường “province” / tùy chọn --province) rồi tải lên lại."
        )
    return parsed


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40]


# ---- audit log ----------------------------------------------------------------------------------------

def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def token_fingerprint(token: str) -> str:
    """Who did it, without the secret: the first 8 hex digits of sha256(token)."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]


def append_audit(path: Path, entry: dict[str, Any]) -> None:
    """One JSON line, appended and flushed to disk (the log is never rewritten)."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


# ---- the write-ahead journal --------------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass
class _Txn:
    """File operations of one change, journaled before each happens so they can be undone."""

    uploads: Path
    action: str
    doc_id: str
    audit: dict[str, Any]
    txn: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: list[str] = field(default_factory=list)  # names placed in uploads/
    moved: list[str] = field(default_factory=list)  # names moved from uploads/ into the backup dir
    state: str = "pending"

    def __post_init__(self) -> None:
        self.audit["txn"] = self.txn

    @property
    def backup(self) -> Path:
        return self.uploads / TXN_DIR / self.txn

    def _save(self) -> None:
        _write_json_atomic(self.uploads / JOURNAL, {
            "txn": self.txn, "state": self.state, "action": self.action, "doc_id": self.doc_id, "pid": os.getpid(),
            "created": self.created, "moved": self.moved, "audit": self.audit,
        })

    def stash(self, name: str) -> None:
        """Move a live file aside (kept until commit, restored on rollback)."""
        if not (self.uploads / name).exists():
            return
        self.moved.append(name)
        self._save()
        self.backup.mkdir(parents=True, exist_ok=True)
        os.replace(self.uploads / name, self.backup / name)

    def place(self, src: Path, name: str) -> None:
        """Rename a staged file into the corpus."""
        self.created.append(name)
        self._save()
        os.replace(src, self.uploads / name)
        _fsync_dir(self.uploads)

    def write_json(self, name: str, obj: dict[str, Any]) -> None:
        self.created.append(name)
        self._save()
        _write_json_atomic(self.uploads / name, obj)

    def rollback(self) -> None:
        _rollback(self.uploads, self.txn, self.created, self.moved)

    def commit(self, audit_path: Path) -> None:
        """The change is live: record it, archive what it replaced, forget the journal."""
        self.state = "committed"
        self._save()
        _finish_commit(self.uploads, audit_path, self.txn, self.doc_id, self.moved, self.audit)


def _rollback(uploads: Path, txn: str, created: list[str], moved: list[str]) -> None:
    for name in reversed(created):
        with contextlib.suppress(FileNotFoundError):
            (uploads / name).unlink()
    backup = uploads / TXN_DIR / txn
    for name in reversed(moved):
        if (backup / name).exists():
            os.replace(backup / name, uploads / name)
    shutil.rmtree(backup, ignore_errors=True)
    _fsync_dir(uploads)
    with contextlib.suppress(FileNotFoundError):
        (uploads / JOURNAL).unlink()


def _finish_commit(uploads: Path, audit_path: Path, txn: str, doc_id: str, moved: list[str],
                   audit: dict[str, Any]) -> None:
    if not any(e.get("txn") == txn for e in read_audit(audit_path)[-50:]):
        append_audit(audit_path, audit)
    backup = uploads / TXN_DIR / txn
    stamp = audit.get("when", now_utc()).replace(":", "").replace("-", "")
    archive = uploads / ARCHIVE / doc_id
    for name in moved:
        if (backup / name).exists():
            archive.mkdir(parents=True, exist_ok=True)
            os.replace(backup / name, archive / f"{stamp}-{txn[:6]}-{name}")
    shutil.rmtree(backup, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (uploads / JOURNAL).unlink()
    _fsync_dir(uploads)


@contextlib.contextmanager
def _file_lock(uploads: Path, blocking: bool = True) -> Iterator[bool]:
    """An exclusive ``flock`` on ``<uploads>/.lock``: serialises the service and the CLI."""
    uploads.mkdir(parents=True, exist_ok=True)
    fd = os.open(uploads / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def recover_interrupted(uploads: Path) -> bool:
    """Undo (or finish) a change a crash interrupted. Skipped while another change holds the lock."""
    with _file_lock(uploads, blocking=False) as got:
        if not got:
            return False
        return _recover_locked(uploads)


def _recover_locked(uploads: Path) -> bool:
    _clean_staging(uploads)
    path = uploads / JOURNAL
    if not path.exists():
        return False
    j = read_json(path)
    audit_path = uploads.parent / AUDIT_LOG
    txn = str(j.get("txn") or "")
    if j.get("state") == "committed":
        _finish_commit(uploads, audit_path, txn, str(j.get("doc_id")), list(j.get("moved") or []), j.get("audit") or {})
        log.warning("finished an admin change interrupted after its commit (txn %s)", txn)
        return True
    _rollback(uploads, txn, list(j.get("created") or []), list(j.get("moved") or []))
    audit = j.get("audit") or {}
    append_audit(audit_path, {"when": now_utc(), "who": "system", "action": "rollback",
                              "doc_id": j.get("doc_id"), "sha256": audit.get("sha256"),
                              "filename": audit.get("filename"), "txn": txn,
                              "note": f"Thay đổi '{j.get('action')}' bị gián đoạn đã được hoàn tác."})
    log.warning("rolled back an interrupted admin change (txn %s)", txn)
    return True


def _clean_staging(uploads: Path) -> None:
    incoming = uploads / INCOMING
    if incoming.is_dir():
        for part in incoming.iterdir():
            with contextlib.suppress(OSError):
                if time.time() - part.stat().st_mtime > STALE_INCOMING_SECONDS:
                    part.unlink()
    txns = uploads / TXN_DIR
    if txns.is_dir() and not (uploads / JOURNAL).exists():
        for d in txns.iterdir():
            shutil.rmtree(d, ignore_errors=True)


# ---- views ---------------------------------------------------------------------------------------------

def _document_info(d: StoredDocument) -> dict[str, Any]:
    m = d.meta
    return {"id": d.doc_id, "source": d.source, "sha256": d.sha256, "filename": m.get("filename", d.path.name),
            "uploaded_at": m.get("uploaded_at"), "uploaded_by": m.get("uploaded_by"),
            "overrides": m.get("overrides") or {}}


def admin_list_view(d: StoredDocument) -> dict[str, Any]:
    """``corpus list`` view plus where the document comes from and its checksum."""
    info = _document_info(d)
    return list_view(d) | {k: info[k] for k in ("source", "sha256", "filename", "uploaded_at", "uploaded_by")}


def admin_show_view(d: StoredDocument) -> dict[str, Any]:
    """``corpus show`` view plus document info and counts (what an admin checks before going live)."""
    r = d.parsed
    view = show_view(d)
    # the parser warns before the admin's overrides are applied: drop what an override answered
    given = d.meta.get("overrides") or {}
    view["warnings"] = [w for w in view["warnings"] if w not in {_OVERRIDDEN[k] for k in given if k in _OVERRIDDEN}]
    counts = {"tasks": len(r.tasks), "duties": len(r.duties), "passages": len(r.passages),
              "agency_blocks": r.agency_blocks, "agencies": len({x.agency for x in r.duties}),
              "warnings": len(view["warnings"])}
    return {"document": _document_info(d), "counts": counts} | view


_OVERRIDDEN = {"province": "Không xác định được tỉnh ban hành kế hoạch.",
               "year": "Không xác định được năm của kế hoạch."}


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
            who: str = "cli", dry_run: bool = False) -> dict[str, Any]:
        """Validate and store a new plan; returns its show view (with ``dry_run`` nothing is stored)."""
        try:
            overrides = normalise_overrides(province, year, self.vocab)
            if dry_run:
                return self._preview(upload, overrides, None, self.store())
            with self._locked():
                store = self.store()
                view = self._preview(upload, overrides, None, store)
                doc_id = view["document"]["id"]
                meta = self._meta(upload, who, overrides, replaces_bundled=False)
                audit = self._audit_entry(who, "add", doc_id, upload, overrides)
                txn = _Txn(self.uploads, "add", doc_id, audit)
                txn.place(upload.path, doc_id + upload.ext)
                txn.write_json(doc_id + META_SUFFIX, meta)
                self._reindex(txn)
                txn.commit(self.audit_path)
                log.info("plan %s added by %s", doc_id, who)
                return view
        finally:
            upload.discard()

    def replace(self, doc_id: str, upload: Upload, province: str | None = None, year: int | str | None = None, *,
                who: str = "cli", dry_run: bool = False) -> dict[str, Any]:
        """Put a new version of a live plan (bundled or uploaded) in place under the same id."""
        try:
            overrides = normalise_overrides(province, year, self.vocab)
            if dry_run:
                return self._replace_preview(doc_id, upload, overrides, self.store())[0]
            with self._locked():
                store = self.store()
                view, entry, merged = self._replace_preview(doc_id, upload, overrides, store)
                replaces_bundled = entry.bundled or entry.shadows_bundled
                audit = self._audit_entry(who, "replace", doc_id, upload, merged, previous=entry.sha256())
                txn = _Txn(self.uploads, "replace", doc_id, audit)
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
            txn = _Txn(self.uploads, "remove", doc_id, audit)
            if not entry.bundled:
                self._stash_versions(txn, doc_id)
            if entry.bundled or entry.shadows_bundled:
                txn.write_json(doc_id + TOMBSTONE_SUFFIX, {"doc_id": doc_id, "withdrawn_at": audit["when"],
                                                          "withdrawn_by": who, "sha256": sha})
            self._reindex(txn)
            txn.commit(self.audit_path)
            log.info("plan %s withdrawn by %s", doc_id, who)
            return {"id": doc_id, "sha256": sha, "source": "bundled" if entry.bundled else "uploaded"}

    # -- internals
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.lock if self.lock is not None else contextlib.nullcontext()), _file_lock(self.uploads):
            _recover_locked(self.uploads)
            yield

    def _stash_versions(self, txn: _Txn, doc_id: str) -> None:
        """Move the uploaded original(s) and sidecar of ``doc_id`` aside."""
        for f in sorted(self.uploads.iterdir()):
            if f.is_file() and f.stem == doc_id and f.suffix.lower() in SUPPORTED:
                txn.stash(f.name)
        txn.stash(doc_id + META_SUFFIX)

    def _reindex(self, txn: _Txn) -> None:
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
        out = []
        for d in (self.live or self.store()).documents():
            q = d.parsed.plan
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
    for rec in (*parsed.tasks, *parsed.duties, *parsed.passages):
        rec.doc_id = doc_id
