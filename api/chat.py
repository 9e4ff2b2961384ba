"""Chat API: POST /v1/chat, POST /v1/chat/stream (SSE), GET /healthz, GET /readyz."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bot.answer import Answer

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict:
    rt = getattr(request.app.state, "runtime", None)
    return {"ready": rt is not None, "documents": len(rt.assistant.k.plans) if rt else 0}


@router.post("/v1/chat", response_model=Answer)
def chat(request: Request, body: dict) -> Answer:
    rt = request.app.state.runtime
    return rt.assistant.answer(body.get("message", ""), body.get("province"), body.get("session_id"))
