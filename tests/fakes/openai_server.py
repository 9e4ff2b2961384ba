"""A scripted OpenAI-compatible server: POST /v1/chat/completions (JSON or SSE), on 127.0.0.1.

Tests script the replies (``script(Reply(...), "text", ...)`` queues them in order; ``handler`` answers
from the request instead) and read ``requests`` to see exactly what the client sent. With
``stream: true`` the reply goes out as OpenAI ``chat.completion.chunk`` events ending with
``data: [DONE]``. A delayed reply sleeps in small steps and gives up when the client has gone, so a
timed-out client does not keep the server busy.

    with FakeOpenAI() as fake:
        fake.script(Reply("Sở Nội vụ chủ trì [R1]."))
        ChatOpenAI(base_url=fake.url, api_key="sk-test", model="fake-model").invoke("…")
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.server import ServerThread


@dataclass
class Reply:
    """One scripted completion."""

    content: str = ""
    status: int = 200  # anything else: an OpenAI-style error body with this status
    delay: float = 0.0  # seconds before the response starts
    chunks: list[str] | None = None  # streamed pieces (default: the content in word-sized pieces)
    chunk_delay: float = 0.0  # seconds between streamed pieces

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self.content.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    def text(self, role: str) -> str:
        """All message contents of one role, joined."""
        out = []
        for m in self.messages:
            if m.get("role") == role:
                c = m.get("content")
                out.append(c if isinstance(c, str) else "".join(p.get("text", "") for p in c or []))
        return "\n".join(out)


Handler = Callable[[Recorded], "Reply | str"]


class FakeOpenAI:
    """The server and its script; start/stop it or use it as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.handler: Handler | None = None
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self._completions, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
        ])
        self._http = ServerThread(self.app, timeout_graceful_shutdown=2)
        self.root = self._http.url
        self.url = self.root + "/v1"  # what a client takes as base_url

    # ---- scripting ----------------------------------------------------------------------
    def script(self, *replies: Reply | str) -> None:
        """Queue replies, used in order (a str is a plain 200 reply)."""
        with self._lock:
            self._queue.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.handler = None

    def _next(self, rec: Recorded) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.handler is not None:
            r = self.handler(rec)
            return r if isinstance(r, Reply) else Reply(r)
        return Reply(status=500, content="no scripted reply")

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- routes -------------------------------------------------------------------------
    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "test"}]})

    async def _completions(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "invalid JSON body")
        rec = Recorded(body=body, headers={k.lower(): v for k, v in request.headers.items()})
        with self._lock:
            self.requests.append(rec)
        reply = self._next(rec)
        if not await _sleep(request, reply.delay):
            return Response(status_code=499)
        if reply.status != 200:
            return _error(reply.status, reply.content or "scripted error")
        model = body.get("model", "fake-model")
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(_sse(reply, model, usage), media_type="text/event-stream")
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": _usage(reply.content),
        })


async def _sleep(request: Request, seconds: float) -> bool:
    """Sleep in steps; False when the client disconnected meanwhile."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(min(0.05, end - time.monotonic()))
        if await request.is_disconnected():
            return False
    return True


async def _sse(reply: Reply, model: str, usage: bool):
    def chunk(delta: dict, finish: str | None = None) -> str:
        data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in reply.pieces():
        if reply.chunk_delay:
            await asyncio.sleep(reply.chunk_delay)
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    if usage:
        data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "choices": [], "usage": _usage(reply.content)}
        yield f"data: {json.dumps(data)}\n\n"
    yield "data: [DONE]\n\n"


def _usage(content: str) -> dict[str, int]:
    n = len(content.split())
    return {"prompt_tokens": 100, "completion_tokens": n, "total_tokens": 100 + n}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "server_error", "param": None, "code": None}},
                        status_code=status)
