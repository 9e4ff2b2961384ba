"""Admin API and page: manage the plans the assistant answers from.

- ``GET /admin``: the admin page (sign in with the token, upload, preview, confirm, withdraw);
- ``GET /admin/documents`` / ``GET /admin/documents/{id}``: list / show (what was parsed);
- ``POST /admin/documents[?dry_run=true]``: upload a new plan (multipart field ``file``, optional
  form fields ``province`` and ``year``); with ``dry_run`` it is parsed and shown, never stored;
- ``PUT /admin/documents/{id}[?dry_run=true]``: replace a plan with a new version (same fields);
- ``DELETE /admin/documents/{id}``: withdraw a plan; ``POST /admin/documents/{id}/restore``: put it back;
- ``GET /admin/audit``: the latest entries of the audit log (with local times);
- ``GET /admin/unanswered`` and ``/admin/unanswered.csv``: what citizens could not get answered.
- ``GET /admin/progress``: what the running change (or the start-up build) is doing: stage, done, total.

Everything under ``/admin`` answers 404 unless ``CCHC_ADMIN_TOKEN`` is set. Calls need
``Authorization: Bearer <token>`` (compared in constant time). The token is never logged: the audit
log records its fingerprint (``token:`` + first 8 hex digits of its sha256). Uploads are streamed to
disk and refused as soon as they pass ``CCHC_MAX_UPLOAD_MB``. The change logic lives in
:mod:`library.admin`; this module only translates HTTP to it and its errors to status codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import SecretStr
from python_multipart.multipart import MultipartParseError, MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect

from api import unanswered
from config.settings import Settings
from corpus.errors import CorpusError, LoaderError, NotAPlanError
from library.admin import (
    AlreadyLiveError,
    ContentMismatchError,
    CorpusAdmin,
    DuplicateDocumentError,
    InvalidMetadataError,
    ReindexError,
    TooLargeError,
    UnsupportedTypeError,
    Upload,
    UploadWriter,
    admin_list_view,
    admin_show_view,
    size_limit_message,
    token_fingerprint,
)
from library.audit import local_time
from library.errors import DocumentNotFound
from library.validation import ParseTimeoutError

log = logging.getLogger("cchc.admin")

PAGE = Path(__file__).parent / "static" / "admin.html"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the small text fields
MAX_FIELD = 200  # bytes of a text field (province, year)
FIELDS = ("province", "year", "kind")

router = APIRouter(prefix="/admin", tags=["quản trị"])


class BadUpload(CorpusError):
    """The request is not a usable multipart upload (no ``file`` field, two files, not multipart)."""


_ERRORS: list[tuple[type[Exception], int, str]] = [
    (TooLargeError, 413, "too_large"),
    (UnsupportedTypeError, 415, "unsupported_type"),
    (DuplicateDocumentError, 409, "duplicate"),
    (AlreadyLiveError, 409, "already_live"),
    (DocumentNotFound, 404, "not_found"),
    (ReindexError, 500, "reindex_failed"),
    (BadUpload, 400, "bad_request"),
    (ParseTimeoutError, 422, "parse_timeout"),
    (NotAPlanError, 422, "not_a_plan"),
    (ContentMismatchError, 422, "content_mismatch"),
    (InvalidMetadataError, 422, "invalid_metadata"),
    (LoaderError, 422, "unreadable_file"),
    (CorpusError, 422, "invalid"),
]


def _error(exc: CorpusError) -> JSONResponse:
    status, code = next((s, c) for cls, s, c in _ERRORS if isinstance(exc, cls))
    body: dict[str, Any] = {"ok": False, "error": code, "detail": str(exc)}
    if isinstance(exc, DuplicateDocumentError):
        body["existing_id"] = exc.existing_id
    return JSONResponse(body, status_code=status)


# ---- access -------------------------------------------------------------------------------------------

def _settings(request: Request) -> Settings:
    return request.app.state.settings


MIN_TOKEN_CHARS = 24
MAX_FAILURES = 10  # failed sign-ins per client within FAILURE_WINDOW_S before 429
FAILURE_WINDOW_S = 60.0


def token_problem(secret: SecretStr | None) -> str | None:
    """Why this admin token cannot enable admin (None when it can). Never includes the token."""
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        return "CCHC_ADMIN_TOKEN is not set"
    if not value.strip():
        return "CCHC_ADMIN_TOKEN is only whitespace"
    if value != value.strip():
        return "CCHC_ADMIN_TOKEN has leading or trailing whitespace"
    if len(value) < MIN_TOKEN_CHARS:
        return f"CCHC_ADMIN_TOKEN is shorter than {MIN_TOKEN_CHARS} characters (try: python -c " \
               "'import secrets; print(secrets.token_urlsafe(32))')"
    return None


async def on_startup(app: Any) -> None:
    from library import validation

    validation.configure(app.state.settings.parse_timeout_seconds)  # uploads parse in a killable child
    problem = token_problem(app.state.settings.admin_token)
    app.state.admin_failures = FailureLimiter()
    if problem is None:
        log.info("admin API enabled at /admin")
    elif app.state.settings.admin_token is not None:
        log.error("admin API stays OFF: %s", problem)
    else:
        log.info("admin API off (CCHC_ADMIN_TOKEN is not set)")


class FailureLimiter:
    """Failed sign-ins per client in a sliding window; guessing the token becomes 10 tries a minute."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW_S, clock=time.monotonic):
        self.max, self.window, self.clock = max_failures, window, clock
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            if len(self._fails) > 10_000:  # a flood of addresses: forget the oldest entries
                for k in list(self._fails)[:5_000]:
                    del self._fails[k]
            q = self._fails[key] = deque()
        cutoff = self.clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int | None:
        q = self._recent(key)
        if len(q) < self.max:
            return None
        return max(1, int(q[0] + self.window - self.clock()) + 1)

    def failed(self, key: str) -> None:
        self._recent(key).append(self.clock())

    def clear(self) -> None:
        self._fails.clear()


def _token(request: Request) -> str | None:
    secret = _settings(request).admin_token
    if token_problem(secret) is not None:
        return None
    return secret.get_secret_value()  # type: ignore[union-attr]


def admin_enabled(request: Request) -> None:
    """Without an admin token configured, /admin does not exist (404, like any unknown path)."""
    if _token(request) is None:
        raise HTTPException(status_code=404, detail="Not Found")


def require_admin(request: Request, _: None = Depends(admin_enabled)) -> str:
    """Check ``Authorization: Bearer <token>``; return who is acting (the token's fingerprint)."""
    token = _token(request) or ""
    limiter = getattr(request.app.state, "admin_failures", None)
    if limiter is None:
        limiter = request.app.state.admin_failures = FailureLimiter()
    client = request.client.host if request.client else "?"
    wait = limiter.retry_after(client)
    if wait is not None:
        raise HTTPException(status_code=429, headers={"Retry-After": str(wait)},
                            detail=f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait} giây.")
    scheme, _sep, given = request.headers.get("authorization", "").partition(" ")
    # compare digests: constant time, and the token's length does not leak either
    given_digest = hashlib.sha256(given.strip().encode("utf-8", "replace")).digest()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given_digest, hashlib.sha256(token.encode()).digest()):
        limiter.failed(client)
        log.warning("admin: failed sign-in from %s", client)
        raise HTTPException(
            status_code=401, headers={"WWW-Authenticate": "Bearer"},
            detail="Chưa đăng nhập hoặc mã quản trị không đúng. Gửi tiêu đề “Authorization: Bearer <mã quản trị>”.",
        )
    return token_fingerprint(token)


def _runtime(request: Request):
    rt = request.app.state.runtime
    if rt is None:  # ``cchc serve`` still building its index
        raise HTTPException(status_code=503, detail="Trợ lý đang lập chỉ mục, vui lòng thử lại sau ít phút.")
    return rt


def _tracked_reload(rt, uploads: Path) -> None:
    """The runtime's reload, announced on /admin/progress with the change it serves (from the journal)."""
    from library.journal import JOURNAL
    from library.sidecars import read_json

    journal = read_json(uploads / JOURNAL) if (uploads / JOURNAL).exists() else {}
    rt.progress.begin(journal.get("action") or "reload", journal.get("doc_id"))
    rt.reload()


def _service(request: Request) -> CorpusAdmin:
    rt = _runtime(request)
    s = _settings(request)
    return CorpusAdmin(s.data_dir, reload=lambda: _tracked_reload(rt, s.uploads_dir), lock=rt.admin_lock,
                       max_bytes=s.max_upload_mb * 1024 * 1024, vocab=rt.store.vocab, live=rt.store)


# ---- streaming multipart ------------------------------------------------------------------------------

async def receive_upload(request: Request, svc: CorpusAdmin) -> tuple[Upload, dict[str, str]]:
    """Stream the multipart body: the ``file`` part to a staging file, refused once over the limit."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype.lower() != b"multipart/form-data" or not boundary:
        raise BadUpload("Hãy gửi tệp dạng multipart/form-data trong trường “file”.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > svc.max_bytes + FORM_OVERHEAD:
        raise TooLargeError(size_limit_message(svc.max_bytes))
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "name": None, "writer": None}
    fields: dict[str, bytes] = {}
    writers: list[UploadWriter] = []

    def on_part_begin() -> None:
        state.update(headers={}, name=None, target=None)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        state["name"] = name
        if name == "file":
            if writers:
                raise BadUpload("Mỗi lần chỉ gửi một tệp (trường “file”).")
            filename = opts.get(b"filename", b"").decode("utf-8", "replace")
            writers.append(svc.writer(filename))
            state["target"] = writers[-1]
        elif name in FIELDS:
            fields[name] = b""
            state["target"] = name

    def on_part_data(data: bytes, start: int, end: int) -> None:
        target = state.get("target")
        if isinstance(target, UploadWriter):
            target.write(data[start:end])
        elif target is not None:
            fields[target] += data[start:end]
            if len(fields[target]) > MAX_FIELD:
                raise BadUpload(f"Trường “{target}” quá dài.")

    def on_part_end() -> None:
        state["target"] = None

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    })
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > svc.max_bytes + FORM_OVERHEAD:
                raise TooLargeError(size_limit_message(svc.max_bytes))
            parser.write(chunk)
        parser.finalize()
        if parser.state not in (MultipartState.END, MultipartState.END_BOUNDARY):
            raise BadUpload("Dữ liệu tải lên bị cắt ngang (thiếu ranh giới kết thúc multipart). Vui lòng gửi lại tệp.")
        if not writers:
            raise BadUpload("Thiếu tệp: hãy chọn tệp kế hoạch (.docx, .pdf, .txt, .md) và gửi trong trường “file”.")
        upload = writers[0].finish()
    except MultipartParseError as exc:
        for w in writers:
            w.abort()
        raise BadUpload("Dữ liệu multipart không hợp lệ. Hãy gửi tệp bằng biểu mẫu multipart/form-data.") from exc
    except BaseException:
        for w in writers:
            w.abort()
        raise
    return upload, {k: v.decode("utf-8", "replace").strip() for k, v in fields.items()}


_MULTIPART_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "Tệp kế hoạch .docx/.pdf/.txt/.md"},
                   "province": {"type": "string", "description": "Tỉnh (nếu muốn ghi đè giá trị tự nhận dạng)"},
                   "year": {"type": "integer", "description": "Năm của kế hoạch (nếu muốn ghi đè)"},
                   "kind": {"type": "string", "enum": ["plan", "faq"],
                            "description": "Loại văn bản: plan (kế hoạch) hoặc faq (hướng dẫn / hỏi đáp .md, .docx, "
                                           ".csv, .xlsx); mặc định tự nhận dạng"}}}}}}}


async def _change(request: Request, op: str, doc_id: str | None, dry_run: bool, who: str) -> JSONResponse:
    svc = _service(request)
    try:
        upload, fields = await receive_upload(request, svc)
    except CorpusError as exc:
        return _error(exc)
    except ClientDisconnect:
        return JSONResponse({"ok": False, "error": "disconnected", "detail": "Kết nối bị ngắt khi đang tải lên."},
                            status_code=400)
    province, year = fields.get("province") or None, fields.get("year") or None
    kind = fields.get("kind") or None
    try:
        if op == "add":
            view = await anyio.to_thread.run_sync(
                lambda: svc.add(upload, province, year, who=who, dry_run=dry_run, kind=kind))
        else:
            assert doc_id is not None
            view = await anyio.to_thread.run_sync(
                lambda: svc.replace(doc_id, upload, province, year, who=who, dry_run=dry_run, kind=kind))
    except CorpusError as exc:
        return _error(exc)
    finally:
        upload.discard()
    new_id = view["document"]["id"]
    label = _label(view)
    if dry_run and view["plan"].get("kind") == "faq":
        message = (f"Bản xem trước (chưa lưu): {label}, {view['counts']['faqs']} câu hỏi – trả lời, "
                   f"{len(view['warnings'])} cảnh báo. Kiểm tra rồi xác nhận để đưa vào sử dụng.")
    elif dry_run:
        message = (f"Bản xem trước (chưa lưu): {label}, {view['counts']['tasks']} nhiệm vụ, "
                   f"{view['counts']['duties']} trách nhiệm, {len(view['warnings'])} cảnh báo. "
                   "Kiểm tra rồi xác nhận để đưa vào sử dụng.")
    elif op == "add":
        message = f"Đã thêm {label} với mã “{new_id}”; trợ lý đã lập chỉ mục và đang trả lời theo kế hoạch này."
    else:
        message = f"Đã thay thế kế hoạch “{new_id}” bằng phiên bản mới ({label}); trợ lý đã lập chỉ mục lại."
    status = 201 if op == "add" and not dry_run else 200
    return JSONResponse({"ok": True, "dry_run": dry_run, "message": message} | view, status_code=status)


def _label(view: dict[str, Any]) -> str:
    p = view["plan"]
    if p.get("kind") == "faq":
        scope = p.get("province") or "toàn quốc"
        return f"{(p.get('doc_type') or 'hỏi đáp').lower()} “{p.get('title') or ''}” ({scope})"
    bits = [f"kế hoạch {p.get('number') or '(không số)'}"]
    if p.get("province"):
        bits.append(f"tỉnh {p['province']}")
    if p.get("year"):
        bits.append(f"năm {p['year']}")
    return " ".join(bits)


# ---- routes -------------------------------------------------------------------------------------------

@router.get("", include_in_schema=False, dependencies=[Depends(admin_enabled)])
def admin_page() -> HTMLResponse:
    """The admin page. It holds no data: everything it shows comes from the token-protected API."""
    nonce = secrets.token_urlsafe(16)
    html = PAGE.read_text(encoding="utf-8").replace("{{NONCE}}", nonce)
    csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
           "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                                       "X-Frame-Options": "DENY"})


@router.get("/documents")
async def list_documents(request: Request, _who: str = Depends(require_admin)) -> JSONResponse:
    """The plans the assistant is answering from now, and the withdrawn plans (restorable ones marked)."""
    svc = _service(request)
    return _no_store(await anyio.to_thread.run_sync(lambda: documents_listing(_runtime(request).store, svc)))


def documents_listing(live_store: Any, svc: CorpusAdmin) -> dict[str, Any]:
    """What is on disk decides (cheap: file names and sidecars, no parsing); the loaded index adds the views.

    A plan withdrawn on disk is never listed as live even if the service still holds the old index;
    a plan on disk that the service has not loaded yet is listed with ``pending: true``.
    """
    on_disk = {e.doc_id: e for e in svc.store().entries()}
    loaded = {d.doc_id: d for d in live_store.documents()}
    docs = [admin_list_view(loaded[i]) | {"pending": False} for i in sorted(on_disk) if i in loaded]
    docs += [{"id": i, "title": None, "province": None, "year": None, "number": None, "date": None, "signer": None,
              "tasks": None, "duties": None, "passages": None, "source": "bundled" if e.bundled else "uploaded",
              "sha256": None, "filename": e.path.name, "uploaded_at": e.meta.get("uploaded_at"),
              "uploaded_by": e.meta.get("uploaded_by"), "pending": True}
             for i, e in sorted(on_disk.items()) if i not in loaded]
    withdrawn = [w | {"withdrawn_at_local": local_time(w.get("withdrawn_at"))} for w in svc.withdrawn(set(on_disk))]
    return {"ok": True, "count": len(docs), "documents": docs, "withdrawn": withdrawn}


def _no_store(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/documents/{doc_id}")
def show_document(doc_id: str, request: Request, _who: str = Depends(require_admin)) -> JSONResponse:
    """What was parsed from one plan: metadata, tasks, duties, counts and warnings."""
    try:
        view = admin_show_view(_runtime(request).store.get(doc_id))
    except CorpusError as exc:
        return _error(exc)
    return JSONResponse({"ok": True} | view)


@router.post("/documents", openapi_extra=_MULTIPART_DOC, status_code=201)
async def add_document(request: Request, dry_run: bool = False, who: str = Depends(require_admin)) -> JSONResponse:
    """Upload a new plan. ``dry_run=true``: parse and show it, store nothing."""
    return await _change(request, "add", None, dry_run, who)


@router.put("/documents/{doc_id}", openapi_extra=_MULTIPART_DOC)
async def replace_document(doc_id: str, request: Request, dry_run: bool = False,
                           who: str = Depends(require_admin)) -> JSONResponse:
    """Replace a plan (bundled or uploaded) with a new version under the same id."""
    return await _change(request, "replace", doc_id, dry_run, who)


@router.delete("/documents/{doc_id}")
async def withdraw_document(doc_id: str, request: Request, who: str = Depends(require_admin)) -> JSONResponse:
    """Withdraw a plan: the assistant stops answering from it (the original is kept in the archive)."""
    svc = _service(request)
    try:
        info = await anyio.to_thread.run_sync(lambda: svc.remove(doc_id, who=who))
    except CorpusError as exc:
        return _error(exc)
    return JSONResponse({"ok": True, "id": info["id"], "sha256": info["sha256"],
                         "message": f"Đã thu hồi kế hoạch “{info['id']}”; trợ lý không còn trả lời theo kế hoạch này."})


@router.post("/documents/{doc_id}/restore")
async def restore_document(doc_id: str, request: Request, who: str = Depends(require_admin)) -> JSONResponse:
    """Put a withdrawn plan back (its archived original, or the bundled plan behind a tombstone)."""
    svc = _service(request)
    try:
        info = await anyio.to_thread.run_sync(lambda: svc.restore(doc_id, who=who))
    except CorpusError as exc:
        return _error(exc)
    return JSONResponse({"ok": True, "id": info["id"], "sha256": info["sha256"],
                         "message": f"Đã khôi phục kế hoạch “{info['id']}”; trợ lý trả lời lại theo kế hoạch này."})


@router.get("/audit")
def audit_log(request: Request, limit: int = 50, _who: str = Depends(require_admin)) -> JSONResponse:
    """The latest changes (newest first), from the append-only ``<data>/audit.log``; times also in local time."""
    entries = list(reversed(_service(request).audit()))[: max(1, min(limit, 500))]
    return _no_store({"ok": True, "timezone": "Asia/Ho_Chi_Minh",
                      "entries": [e | {"when_local": local_time(e.get("when"))} for e in entries]})


# ---- the unanswered-questions report (issue 14) ---------------------------------------------------------

@router.get("/unanswered")
async def unanswered_report(request: Request, _who: str = Depends(require_admin)) -> JSONResponse:
    """Questions answered ``found: false`` and answers marked 👎, grouped by similar question, most asked first."""
    store = unanswered.store_for(_settings(request))
    return _no_store(await anyio.to_thread.run_sync(lambda: unanswered.report(store)))


@router.get("/unanswered.csv")
async def unanswered_csv(request: Request, _who: str = Depends(require_admin)) -> Response:
    """The same report as CSV (one line per question, with its group), for a spreadsheet."""
    store = unanswered.store_for(_settings(request))
    body = await anyio.to_thread.run_sync(lambda: unanswered.to_csv(store))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="cau-hoi-chua-tra-loi.csv"', "Cache-Control": "no-store"})


@router.get("/progress")
def change_progress(request: Request, _who: str = Depends(require_admin)) -> dict[str, Any]:
    """What the running change is doing (``running`` false when idle): stage, units done out of total."""
    progress = getattr(request.app.state, "progress", None)
    if progress is None:
        return {"running": False, "op": None, "doc_id": None, "stage": "idle", "done": 0, "total": 0}
    return progress.snapshot()
