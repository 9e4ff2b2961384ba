"""👍/👎 on an answer (``POST /v1/feedback``) and the chat routes' after-answer hook.

The hook is the web edge of :mod:`api.unanswered`: a ``found: false`` answer is recorded, and a client
that asks for them (``?parts=1``, the widget) gets the presentation ``parts``. A vote needs a session the
server issued (so the report cannot be filled by anyone with curl without first asking a question);
the question is stored with personal data stripped; a 👍 keeps no text at all.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api import unanswered
from api.answer_parts import with_parts
from bot.answer import Answer

router = APIRouter()
SESSION_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
THANKS = "Cảm ơn bạn đã góp ý! Ý kiến giúp chúng tôi bổ sung nội dung còn thiếu."
UNKNOWN_SESSION = "Không tìm thấy cuộc trò chuyện này (có thể đã hết hạn). Hãy đặt câu hỏi rồi đánh giá lại."


class FeedbackRequest(BaseModel):
    """One vote on one answer: the session and question it belongs to, and what the widget showed."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(pattern=SESSION_PATTERN, description="Mã phiên trả về cùng câu trả lời.")
    question: str = Field(min_length=1, max_length=2000, description="Câu hỏi đã gửi (nguyên văn).")
    rating: Literal["up", "down"] = Field(description="“up” = 👍 hữu ích, “down” = 👎 chưa hữu ích.")
    province: str | None = Field(default=None, max_length=100, description="Tỉnh của trang nhúng (nếu có).")
    plans: list[str] = Field(default_factory=list, max_length=5,
                             description="Các kế hoạch được dẫn nguồn, ví dụ “Hà Tĩnh, 2024”.")
    answer: str | None = Field(default=None, max_length=6000, description="Câu trả lời đã hiển thị.")


def _plans(request: Request) -> list[Any]:
    assistant = getattr(getattr(request.app.state, "runtime", None), "assistant", None)
    return list((getattr(getattr(assistant, "k", None), "plans", None) or {}).values())


async def after_answer(request: Request, question: str, province: str | None, ans: Answer) -> Answer:
    """Record an unanswered question; add the presentation ``parts`` when the client asked (``?parts=1``).

    Opt-in, so that the Answer of ``/v1/chat`` and ``/v1/chat/stream`` stays the documented four fields
    for every other client; the widget asks for parts.
    """
    if not ans.found:
        await run_in_threadpool(unanswered.record_answer, request.app.state.settings, "web", question, province, ans)
    wants = request.query_params.get("parts", "").lower() in ("1", "true", "yes")
    return with_parts(ans, _plans(request)) if wants else ans


@router.post("/v1/feedback", tags=["trò chuyện"], summary="Đánh giá một câu trả lời (👍/👎)",
             responses={404: {"description": "Phiên không tồn tại hoặc đã hết hạn"}})
async def feedback(request: Request, body: FeedbackRequest) -> JSONResponse:
    """Ghi nhận 👍/👎 cho câu trả lời của `question` trong phiên `session_id` (dữ liệu cá nhân được xoá)."""
    runtime = getattr(request.app.state, "runtime", None)
    sessions = getattr(runtime, "sessions", None)
    # web sessions only: an id with a channel prefix ('tg:…', 'zalo:…') belongs to a chat, not to this client
    web = ":" not in body.session_id
    known = web and sessions is not None and await run_in_threadpool(lambda: bool(sessions.history(body.session_id)))
    if not known:
        return JSONResponse({"ok": False, "detail": UNKNOWN_SESSION}, status_code=404)
    kind = "unhelpful" if body.rating == "down" else "helpful"
    reason = unanswered.reason_of(body.answer or "") if kind == "unhelpful" else ""
    store = unanswered.store_for(request.app.state.settings)
    await run_in_threadpool(store.add, kind, "web", body.question, body.province, body.plans, reason)
    return JSONResponse({"ok": True, "detail": THANKS})
