"""A fake Zalo OpenAPI (OA messages) and OAuth (token refresh) server, behaving like Zalo does.

Errors come back as HTTP 200 with ``error != 0``, as on the real API. Refresh tokens are single-use:
a refresh returns a new access token and a new refresh token, and the old refresh token stops working.
Every request is recorded so tests can check what was sent and with which token.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ERR_TOKEN_INVALID = -216
ERR_REFRESH_INVALID = -14014


@dataclass
class FakeZalo:
    app_id: str
    app_secret: str
    access_tokens: set[str] = field(default_factory=set)  # tokens the OA API accepts now
    refresh_token: str | None = None  # the one refresh token that works now
    expires_in: int = 90000
    messages: list[dict] = field(default_factory=list)  # accepted messages: {"user_id", "text", "token"}
    rejected: list[dict] = field(default_factory=list)  # message calls refused for a bad token
    refreshes: list[dict] = field(default_factory=list)  # refresh calls: form + secret header
    down: bool = False  # an outage: every call answers HTTP 503 (set it back to False to recover)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v3.0/oa/message/cs", self.send_message, methods=["POST"]),
                                 Route("/v4/oa/access_token", self.access_token, methods=["POST"])])

    def texts(self, user_id: str) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.messages if m["user_id"] == user_id]

    def expire_all(self) -> None:
        """Simulate the access tokens passing their 25-hour life."""
        with self.lock:
            self.access_tokens.clear()

    async def send_message(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": -1, "message": "Service Unavailable"}, status_code=503)
        token = request.headers.get("access_token", "")
        body = json.loads(await request.body())
        user_id = body.get("recipient", {}).get("user_id")
        text = body.get("message", {}).get("text")
        with self.lock:
            if token not in self.access_tokens:
                self.rejected.append({"user_id": user_id, "token": token})
                return JSONResponse({"error": ERR_TOKEN_INVALID, "message": "Access token is invalid"})
            if not user_id or not isinstance(text, str) or not text:
                return JSONResponse({"error": -201, "message": "Parameters are invalid"})
            if len(text) > 2000:
                return JSONResponse({"error": -201, "message": "Text message is too long"})
            n = next(self._seq)
            self.messages.append({"user_id": user_id, "text": text, "token": token})
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": f"m{n}", "user_id": user_id}})

    async def access_token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        secret = request.headers.get("secret_key")
        with self.lock:
            self.refreshes.append({**form, "secret_key": secret})
            if secret != self.app_secret or form.get("app_id") != self.app_id:
                return JSONResponse({"error": -14002, "error_name": "Invalid app", "error_reason": "",
                                     "error_description": "app_id or secret_key is invalid"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return JSONResponse({"error": ERR_REFRESH_INVALID, "error_name": "Invalid refresh token",
                                     "error_reason": "", "error_description": "refresh token is invalid"})
            n = next(self._seq)
            access, refresh = f"AT-{n}", f"RT-{n}"
            self.access_tokens.add(access)
            self.refresh_token = refresh
        return JSONResponse({"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)})
