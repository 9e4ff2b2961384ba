"""Chat API: POST /v1/chat, POST /v1/chat/stream (SSE), GET /healthz, GET /readyz.

The assistant is synchronous (retrieval, SQLite sessions), so every call runs in the thread pool and
the event loop stays free for other requests and for streaming. The runtime is read from
``app.state`` on each request because the admin module may swap the assistant while we serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import Example
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api import feedback
from api.session_ids import PATTERN as SESSION_PATTERN
from api.session_ids import SessionIds, load_key
from bot.answer import Answer

log = logging.getLogger("cchc.api")
router = APIRouter()

ERROR_500 = "Xin lỗi, hệ thống đang gặp sự cố khi trả lời câu hỏi. Vui lòng thử lại sau ít phút."
NOT_READY = "Trợ lý đang khởi động, vui lòng thử lại sau ít giây."
SESSION_UNKNOWN = ("Mã phiên không hợp lệ hoặc không do máy chủ cấp. "
                   "Hãy bỏ trống để bắt đầu cuộc trò chuyện mới.")
PURGE_EVERY_S = 600.0


# ---- request / response models ----------------------------------------------------------
class ChatRequest(BaseModel):
    """One user message; ``session_id`` continues a conversation, ``province`` scopes the search."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="Câu hỏi của người dùng (tiếng Việt, tối đa 2.000 ký tự).")
    session_id: str | None = Field(default=None, pattern=SESSION_PATTERN,
                                   description="Mã phiên trò chuyện do máy chủ trả về ở câu trả lời trước.")
    province: str | None = Field(default=None, max_length=100,
                                 description="Tỉnh mặc định khi câu hỏi không nêu tỉnh (ví dụ: trang của tỉnh).")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise PydanticCustomError("empty_message", "Tin nhắn không được để trống.")
        return v

    @field_validator("message", "province")
    @classmethod
    def _encodable(cls, v: str | None) -> str | None:
        """A lone surrogate (valid in JSON escapes, not in UTF-8) cannot be stored or searched."""
        if v is not None and not _utf8_ok(v):
            raise PydanticCustomError("bad_characters", "Nội dung chứa ký tự không hợp lệ (không phải Unicode chuẩn).")
        return v

    @field_validator("province", "session_id", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return (v.strip() or None) if isinstance(v, str) else v


class ErrorItem(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    """Errors as a readable Vietnamese sentence (``detail``), plus one item per field for forms."""

    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


EXAMPLES: dict[str, Example] = {
    "kinh_phi": {
        "summary": "Hỏi kinh phí",
        "value": {"message": "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang là bao nhiêu?"},
    },
    "chu_tri": {
        "summary": "Hỏi cơ quan chủ trì",
        "value": {"message": "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?"},
    },
    "hoi_tiep": {
        "summary": "Hỏi tiếp trong cùng phiên",
        "value": {"message": "Thời gian thực hiện khi nào?",
                  "session_id": "3f2b9c0e8a7d4e51b6c2a1f0e9d8c7b6a41c0d9e7f3b2a10"},
    },
    "theo_tinh": {
        "summary": "Widget trên cổng thông tin của tỉnh",
        "value": {"message": "Dịch vụ công trực tuyến được tuyên truyền như thế nào?", "province": "Hà Tĩnh"},
    },
}
ANSWER_EXAMPLE = {
    "answer": "[Kiên Giang, 2024] Tổng kinh phí thực hiện theo Phụ lục: 1.005.896.756 đồng …",
    "found": True,
    "sources": [{"document": "Kế hoạch 101/KH-UBND ngày 02/4/2024", "province": "Kiên Giang", "year": 2024,
                 "section": "Phụ lục", "quote": "…", "score": 0.91}],
    "session_id": "3f2b9c0e8a7d4e51b6c2a1f0e9d8c7b6a41c0d9e7f3b2a10",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Tin nhắn không hợp lệ",
          "content": {"application/json": {"example": {"detail": "Tin nhắn không được để trống.",
                                                       "errors": [{"field": "message",
                                                                   "message": "Tin nhắn không được để trống."}]}}}},
    500: {"model": ErrorResponse, "description": "Lỗi hệ thống",
          "content": {"application/json": {"example": {"detail": ERROR_500, "errors": []}}}},
    503: {"model": ErrorResponse, "description": "Trợ lý đang khởi động",
          "content": {"application/json": {"example": {"detail": NOT_READY, "errors": []}}}},
}
ChatBody = Body(openapi_examples=EXAMPLES)


# ---- Vietnamese validation errors -------------------------------------------------------
FIELD_NAMES = {"message": "tin nhắn", "session_id": "mã phiên", "province": "tỉnh"}


def _vi_message(err: dict[str, Any], max_chars: int) -> tuple[str, str]:
    """Translate one pydantic error into (field, Vietnamese sentence)."""
    loc = [str(x) for x in err.get("loc", ()) if x != "body"]
    field = loc[-1] if loc else ""
    name = FIELD_NAMES.get(field, f"“{field}”")
    kind = err.get("type", "")
    if kind in ("empty_message", "message_too_long", "bad_characters", "session_unknown"):
        return field, err["msg"]
    if kind == "json_invalid":
        return "", "Nội dung gửi lên không phải JSON hợp lệ."
    if kind in ("model_attributes_type", "dict_type") or (kind == "missing" and not field):
        return "", "Nội dung yêu cầu phải là một đối tượng JSON, ví dụ {\"message\": \"…\"}."
    if kind == "missing":
        if field == "message":
            return field, "Tin nhắn không được để trống."
        return field, f"Thiếu trường bắt buộc {name}."
    if kind == "extra_forbidden":
        return field, f"Trường “{field}” không được hỗ trợ. Chỉ dùng: message, session_id, province."
    if kind == "string_type":
        return field, f"Giá trị {name} phải là một chuỗi ký tự."
    if field == "message" and kind == "string_too_long":
        return field, too_long_message(max_chars)
    if field == "session_id":
        return field, "Mã phiên không hợp lệ. Hãy bỏ trống để bắt đầu cuộc trò chuyện mới."
    if kind == "string_too_long":
        return field, f"Giá trị {name} quá dài."
    return field, f"Giá trị {name} không hợp lệ."


def too_long_message(max_chars: int) -> str:
    return f"Tin nhắn quá dài (tối đa {max_chars:,} ký tự).".replace(",", ".")


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Replace FastAPI's English error list with one readable Vietnamese ``detail`` (422)."""
    settings = getattr(request.app.state, "settings", None)
    max_chars = getattr(settings, "max_message_chars", 2000)
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    items: list[ErrorItem] = []
    for err in errors:
        field, msg = _vi_message(dict(err), max_chars)
        if all(i.message != msg for i in items):
            items.append(ErrorItem(field=field, message=msg))
    detail = " ".join(i.message for i in items) or "Yêu cầu không hợp lệ."
    return JSONResponse(status_code=422, content=ErrorResponse(detail=detail, errors=items).model_dump())


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content=ErrorResponse(detail=detail).model_dump())


# ---- helpers ----------------------------------------------------------------------------
def _assistant(request: Request):
    rt = getattr(request.app.state, "runtime", None)
    return rt.assistant if rt is not None else None


def _check(request: Request, body: ChatRequest) -> ChatRequest:
    """Checks that depend on Settings (so not in the model), reported like any validation error."""
    max_chars = request.app.state.settings.max_message_chars
    if len(body.message.strip()) > max_chars:
        raise RequestValidationError([{"type": "message_too_long", "loc": ("body", "message"),
                                       "msg": too_long_message(max_chars), "input": None}])
    ids = session_ids(request.app)
    if body.session_id is not None:
        if not ids.valid(body.session_id):  # well-formed but not minted here (or under another key)
            raise RequestValidationError([{"type": "session_unknown", "loc": ("body", "session_id"),
                                           "msg": SESSION_UNKNOWN, "input": None}])
        return body
    # Without a session id the assistant would answer statelessly; mint one here so that the very first
    # question is remembered (in memory until the conversation continues) and the client can follow up.
    sid = ids.mint()
    rt = getattr(request.app.state, "runtime", None)
    begin = getattr(getattr(rt, "sessions", None), "begin", None)
    if begin is not None:
        begin(sid)
    return body.model_copy(update={"session_id": sid})


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def session_ids(app: FastAPI) -> SessionIds:
    """The app's id minter (made on first use, so apps built without the lifespan work too)."""
    ids = getattr(app.state, "session_ids", None)
    if ids is None:
        s = app.state.settings
        secret = s.session_secret.get_secret_value() if s.session_secret else None
        ids = app.state.session_ids = SessionIds(load_key(s.data_dir, secret))
    return ids


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


# ---- lifespan: expired sessions are deleted in the background -------------------------------
async def _purge_sessions(app: FastAPI) -> None:
    """Sessions expire lazily when read; ones never read again would stay forever without this sweep."""
    while True:
        sessions = getattr(getattr(app.state, "runtime", None), "sessions", None)
        if sessions is not None:
            try:
                removed = await run_in_threadpool(sessions.purge_expired)
                if removed:
                    log.info("purged %d expired sessions", removed)
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the service; retry next time
                log.warning("session purge failed", exc_info=True)
        await asyncio.sleep(PURGE_EVERY_S)


async def on_startup(app: FastAPI) -> None:
    session_ids(app)
    sessions = getattr(getattr(app.state, "runtime", None), "sessions", None)
    if sessions is not None and hasattr(sessions, "max_rows"):
        sessions.max_rows = app.state.settings.session_max_rows
    app.state.session_purger = asyncio.create_task(_purge_sessions(app))


async def on_shutdown(app: FastAPI) -> None:
    task = getattr(app.state, "session_purger", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---- routes -----------------------------------------------------------------------------
@router.get("/healthz", tags=["vận hành"], summary="Tiến trình còn sống")
def healthz() -> dict[str, str]:
    """Liveness only: answers even while the index is loading."""
    return {"status": "ok"}


@router.get("/readyz", tags=["vận hành"], summary="Sẵn sàng phục vụ", responses={503: ERROR_RESPONSES[503]})
def readyz(request: Request) -> JSONResponse:
    """Ready once the runtime (corpus, index, sessions) is loaded; lists documents and channels.

    Until then 503 with ``status`` "indexing" and the build's progress, or "error" and the reason.
    """
    assistant = _assistant(request)
    from api.webhooks import channel_health

    channels = {"web": True, **dict(getattr(request.app.state, "channels", None) or {})}
    if assistant is None:
        error = getattr(request.app.state, "startup_error", None)
        progress = getattr(request.app.state, "progress", None)
        snap = progress.snapshot() if progress is not None else {"stage": "idle", "done": 0, "total": 0}
        detail = NOT_READY if not error else "Trợ lý chưa sẵn sàng: không nạp được chỉ mục tìm kiếm (xem “reason”)."
        body = {"ready": False, "status": "error" if error else "indexing", "detail": detail, "documents": 0,
                "channels": channels, "channel_health": channel_health(request.app),
                "progress": {k: snap[k] for k in ("stage", "done", "total")}}
        if error:
            body["reason"] = error
        return JSONResponse(status_code=503, content=body)
    knowledge = getattr(assistant, "k", None)
    plans = getattr(knowledge, "plans", {}) or {}
    return JSONResponse({"ready": True, "status": "ready", "documents": len(plans),
                         "provinces": sorted({p.plan.province for p in plans.values() if p.plan.province}),
                         "channels": channels, "channel_health": channel_health(request.app)})


@router.post("/v1/chat", response_model=Answer, tags=["trò chuyện"], summary="Hỏi trợ lý (một câu trả lời)",
             responses={200: {"content": {"application/json": {"example": ANSWER_EXAMPLE}}}, **ERROR_RESPONSES})
async def chat(request: Request, body: ChatRequest = ChatBody) -> Answer | JSONResponse:
    """Trả lời một câu hỏi; gửi lại `session_id` nhận được để hỏi tiếp trong cùng cuộc trò chuyện."""
    body = _check(request, body)
    assistant = _assistant(request)
    if assistant is None:
        return _error(503, NOT_READY)
    try:
        ans: Answer = await run_in_threadpool(assistant.answer, body.message, body.province, body.session_id)
    except Exception:
        log.exception("assistant failed")
        return _error(500, ERROR_500)
    return await feedback.after_answer(request, body.message, body.province, ans)  # issue 14: unanswered report


@router.post(
    "/v1/chat/stream", response_model=None, tags=["trò chuyện"], summary="Hỏi trợ lý (Server-Sent Events)",
    responses={200: {"content": {"text/event-stream": {"example": (
        'event: delta\ndata: {"text": "[Kiên Giang, 2024] "}\n\n'
        'event: answer\ndata: {"answer": "…", "found": true, "sources": [], "session_id": "…"}\n\n'
        "event: done\ndata: {}\n\n")}}, "description": "Các sự kiện delta, answer, done (hoặc error)"},
        **ERROR_RESPONSES},
)
async def chat_stream(request: Request, body: ChatRequest = ChatBody) -> StreamingResponse | JSONResponse:
    """Như /v1/chat nhưng trả dần: nhiều sự kiện `delta` ({"text"}), rồi `answer` (đối tượng đầy đủ), rồi `done`."""
    body = _check(request, body)
    assistant = _assistant(request)
    if assistant is None:
        return _error(503, NOT_READY)

    def pieces() -> Iterator[str | Answer]:
        yield from assistant.stream(body.message, body.province, body.session_id)

    async def events() -> AsyncIterator[str]:
        try:
            async for piece in iterate_in_threadpool(pieces()):
                if isinstance(piece, Answer):
                    piece = await feedback.after_answer(request, body.message, body.province, piece)
                    yield _sse("answer", piece.model_dump(mode="json"))
                else:
                    yield _sse("delta", {"text": str(piece)})
        except Exception:
            log.exception("assistant failed while streaming")
            yield _sse("error", {"detail": ERROR_500})
        yield _sse("done", {})

    return StreamingResponse(events(), media_type="text/event-stream; charset=utf-8",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
