"""A fake Telegram Bot API: the subset our bot calls, with Telegram's response envelope and checks.

python-telegram-bot posts form-encoded bodies whose non-string values are JSON-encoded; other
clients post JSON. Both are accepted. Every call is recorded, so tests can assert what was sent.
sendMessage enforces what the real API does: the 4,096-character limit (after entity parsing) and
well-formed HTML when ``parse_mode=HTML``.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

STRING_KEYS = {"text", "caption", "secret_token", "url", "parse_mode", "action", "ip_address"}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
             "blockquote", "tg-emoji"}
BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Trợ lý CCHC", "username": "cchc_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class Call:
    method: str
    params: dict
    content_type: str


@dataclass
class FakeTelegram:
    token: str
    calls: list[Call] = field(default_factory=list)
    webhook: dict = field(default_factory=dict)
    updates: list[dict] = field(default_factory=list)
    down_methods: set[str] = field(default_factory=set)  # an outage of these methods: HTTP 502 Bad Gateway
    lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 0

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"])])

    # ---- inspection helpers for tests ----------------------------------------------------
    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict]:
        with self.lock:
            return [c.params for c in self.calls
                    if c.method == method and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.sent("sendMessage", chat_id)]

    # ---- the API -------------------------------------------------------------------------
    async def handle(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        if method.lower() in self.down_methods:
            return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status_code=502)
        try:
            params = await _params(request)
        except ClientDisconnect:
            return _fail(400, "client went away")
        with self.lock:
            self.calls.append(Call(method, params, request.headers.get("content-type", "")))
        handler = getattr(self, "m_" + method.lower(), None)
        if handler is None:
            return _fail(404, "Not Found")
        return handler(params)

    def m_getme(self, p: dict) -> JSONResponse:
        return _ok(BOT_USER)

    def m_setwebhook(self, p: dict) -> JSONResponse:
        if not str(p.get("url", "")).startswith("https://"):
            return _fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token"),
                        "allowed_updates": p.get("allowed_updates")}
        return _ok(True)

    def m_deletewebhook(self, p: dict) -> JSONResponse:
        self.webhook = {}
        return _ok(True)

    def m_getwebhookinfo(self, p: dict) -> JSONResponse:
        return _ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0, "allowed_updates": self.webhook.get("allowed_updates") or []})

    def m_setmycommands(self, p: dict) -> JSONResponse:
        return _ok(True)

    def m_sendchataction(self, p: dict) -> JSONResponse:
        if p.get("action") not in {"typing", "upload_photo", "upload_document"}:
            return _fail(400, "Bad Request: wrong parameter action in request")
        return _ok(True)

    def m_getupdates(self, p: dict) -> JSONResponse:
        offset = int(p.get("offset") or 0)
        with self.lock:
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return _ok(pending)

    def m_sendmessage(self, p: dict) -> JSONResponse:
        text = str(p.get("text", ""))
        shown = text
        if p.get("parse_mode") == "HTML":
            problem = _html_problem(text)
            if problem:
                return _fail(400, f"Bad Request: can't parse entities: {problem}")
            shown = html.unescape(re.sub(r"<[^>]+>", "", text))
        if not shown.strip():
            return _fail(400, "Bad Request: message text is empty")
        if len(shown.encode("utf-16-le")) // 2 > 4096:
            return _fail(400, "Bad Request: message is too long")
        with self.lock:
            self._message_id += 1
            mid = self._message_id
        chat_id = int(p["chat_id"])
        return _ok({"message_id": mid, "date": int(time.time()), "from": BOT_USER,
                    "chat": {"id": chat_id, "type": "private", "first_name": "Dân"}, "text": shown})


async def _params(request: Request) -> dict:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        body = await request.body()
        return json.loads(body) if body else {}
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: _decode(k, v) for k, v in form.items() if isinstance(v, str)}
    return {k: _decode(k, v) for k, v in request.query_params.items()}


def _decode(key: str, value: str):
    """PTB JSON-encodes every non-string value; strings (text, url…) are sent as they are."""
    if key in STRING_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _html_problem(text: str) -> str | None:
    """What Telegram's HTML parser would reject: unknown or unbalanced tags, bare '<' or bad '&'."""
    stack: list[str] = []
    for m in re.finditer(r"<(/?)([a-zA-Z-]*)[^>]*>|<|&(#\d+;|#x[0-9a-fA-F]+;|[a-zA-Z]+;)?", text):
        tok = m.group(0)
        if tok == "<":
            return "unsupported start tag or bare '<'"
        if tok.startswith("&"):
            if not m.group(3) or m.group(3) not in {"lt;", "gt;", "amp;", "quot;"} and not m.group(3).startswith("#"):
                return f"bad entity at {m.start()}"
            continue
        closing, name = m.group(1), m.group(2).lower()
        if name not in HTML_TAGS:
            return f"unsupported tag {name!r}"
        if closing:
            if not stack or stack.pop() != name:
                return f"unmatched end tag {name!r}"
        else:
            stack.append(name)
    return f"unclosed tag {stack[-1]!r}" if stack else None


def _ok(result) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _fail(code: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description}, status_code=code)
