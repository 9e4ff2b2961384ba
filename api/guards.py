"""HTTP guards around every route: body limits, security headers, request ids, the public schema.

Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer SSE and break streaming).

- Body limits per route: a chat message is a few kB, a webhook what Telegram/Zalo send; a bigger
  body is refused with 413 from its Content-Length before a byte is read, or as soon as a chunked
  body passes the limit. Admin uploads stream to disk under their own limit (``CCHC_MAX_UPLOAD_MB``).
- Headers: ``nosniff`` on everything; a Content-Security-Policy with ``frame-ancestors 'none'`` on
  the HTML pages (``/``, ``/docs``, ``/redoc``). The widget script stays embeddable cross-origin.
- Request ids: ``X-Request-ID`` (the client's when sane, else a new one) on the response and in logs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.logs import request_id
from config.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("cchc.api")

TOO_LARGE = "Nội dung gửi lên quá lớn (tối đa {kb} kB cho địa chỉ này)."
_RID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
STATIC = Path(__file__).parent / "static"


def body_limits(settings: Settings) -> list[tuple[str, int | None]]:
    """(path prefix, max bytes or None for "the route limits itself"), first match wins."""
    chat = settings.max_chat_body_kb * 1024
    hook = settings.max_webhook_body_kb * 1024
    return [("/v1/chat", chat), ("/webhooks/", hook), ("/admin", None), ("/", 64 * 1024)]


class BodyLimit:
    """413 before reading when Content-Length is over the route's limit; otherwise reads at most the limit."""

    def __init__(self, app: ASGIApp, limits: list[tuple[str, int | None]]) -> None:
        self.app, self.limits = app, limits

    def _limit(self, path: str) -> int | None:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self._limit(scope["path"])
        if limit is None:
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await _json(send, 400, {"detail": "Tiêu đề Content-Length không hợp lệ.", "errors": []})
            if int(declared) > limit:
                log.warning("body of %s bytes refused on %s (limit %d)", declared, scope["path"], limit)
                return await _json(send, 413, {"detail": TOO_LARGE.format(kb=limit // 1024), "errors": []})
        # Read the (small) body here, counting, then replay it: a chunked body cannot exceed the limit either.
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return None
            size += len(msg.get("body", b""))
            if size > limit:
                log.warning("chunked body over %d bytes refused on %s", limit, scope["path"])
                return await _json(send, 413, {"detail": TOO_LARGE.format(kb=limit // 1024), "errors": []})
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k.lower() == name:
            return v.decode("latin-1").strip()
    return None


async def _json(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _inline_script_hashes(html: str) -> str:
    """CSP hash sources for the inline scripts of a static page (the demo page has one)."""
    out = []
    for m in re.finditer(r"<script>(.*?)</script>", html, re.S):
        digest = base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return " ".join(out)


def page_policies() -> dict[str, str]:
    """CSP per HTML page. Swagger UI and ReDoc come from jsDelivr and start with an inline script."""
    demo = (STATIC / "index.html").read_text(encoding="utf-8")
    common = "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    docs = ("default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
            "style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
            "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; " + common)
    return {
        "/": (f"default-src 'self'; script-src 'self' {_inline_script_hashes(demo)}; "
              "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " + common),
        "/docs": docs,
        "/docs/oauth2-redirect": docs,
        "/redoc": docs,
    }


class SecurityHeaders:
    """nosniff everywhere, CSP on the HTML pages, and a request id on every response and log line."""

    def __init__(self, app: ASGIApp, policies: dict[str, str]) -> None:
        self.app, self.policies = app, policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = _header(scope, b"x-request-id")
        rid = given if given and _RID.match(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        csp = self.policies.get(scope["path"])

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = [(k, v) for k, v in msg.get("headers", []) if k.lower() != b"x-content-type-options"]
                headers += [(b"x-content-type-options", b"nosniff"), (b"x-request-id", rid.encode())]
                names = {k.lower() for k, _ in headers}
                if csp and b"content-security-policy" not in names:
                    headers += [(b"content-security-policy", csp.encode()), (b"x-frame-options", b"DENY"),
                                (b"referrer-policy", b"strict-origin-when-cross-origin")]
                msg["headers"] = headers
            await send(msg)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id.reset(token)


def public_openapi(app: FastAPI, admin_on: Callable[[], bool]) -> None:
    """The schema lists /admin routes only while admin is enabled (a valid ``CCHC_ADMIN_TOKEN``)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        schema = original()
        if admin_on():
            return schema
        trimmed = dict(schema)
        trimmed["paths"] = {p: v for p, v in schema.get("paths", {}).items() if not p.startswith("/admin")}
        return trimmed

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI, settings: Settings, admin_on: Callable[[], bool]) -> None:
    """Add the guards (outermost last): headers wrap everything, including a 413 from the body limit."""
    app.add_middleware(BodyLimit, limits=body_limits(settings))
    app.add_middleware(SecurityHeaders, policies=page_policies())
    public_openapi(app, admin_on)
