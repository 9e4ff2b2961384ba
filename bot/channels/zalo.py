"""Zalo Official Account adapter: verify the webhook, answer in the background, keep tokens alive.

Zalo wants the webhook answered within about 2 s, so the route only verifies and records the event;
the answer is sent afterwards through the OA "customer service" message API. Access tokens last
about 25 h and every refresh rotates the single-use refresh token, so the new pair is written to
SQLite before anything else happens; a restart reads it back instead of the (now spent) env value.

Facts to re-check against a real sandbox delivery (see docs/channels.md): the signature formula,
the token error codes in ``TOKEN_ERRORS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels import common
from bot.channels import outbox as ob
from bot.channels.formatting import ZALO_LIMIT, plain_messages, zalo_messages
from bot.channels.store import ChannelStore, ZaloTokens, fingerprint
from config.settings import Settings

log = logging.getLogger("cchc.zalo")

CHANNEL = "zalo"
# "access token invalid" (-216) and "access token expired" (-124) as documented by Zalo; verify in a sandbox.
TOKEN_ERRORS = {-216, -124}
NON_TEXT_EVENTS = {"user_send_image", "user_send_sticker", "user_send_gif", "user_send_audio", "user_send_video",
                   "user_send_file", "user_send_location", "user_send_link", "user_send_business_card"}
MAX_TASKS = 200  # answers being prepared at once; beyond that new events are dropped (Zalo re-delivers)


class ZaloError(Exception):
    """Base error of the Zalo adapter."""


class ZaloAuthError(ZaloError):
    """No usable access token (refresh failed or not configured)."""


class ZaloAPIError(ZaloError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo API error {code}: {message}")
        self.code = code


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """sha256 hex of app_id + raw body + timestamp + OA secret key (Zalo's webhook "mac")."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def verify_signature(header: str | None, app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    """Constant-time check of ``X-ZEvent-Signature``, with or without the "mac=" prefix."""
    if not header:
        return False
    given = header.strip()
    if given.lower().startswith("mac="):
        given = given[4:].strip()
    expected = signature(app_id, body, timestamp, oa_secret_key)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def is_stale(timestamp_ms: str | int, max_age_seconds: int, now: float | None = None) -> bool:
    """An event older than the allowed age (or as far in the future) is a replay or a broken clock."""
    try:
        ts = int(timestamp_ms) / 1000.0
    except (TypeError, ValueError):
        return True
    now = time.time() if now is None else now
    return abs(now - ts) > max_age_seconds


def _is_token_error(data: dict) -> bool:
    code = data.get("error")
    if code in TOKEN_ERRORS:
        return True
    msg = str(data.get("message", "")).lower()
    return "access token" in msg and any(w in msg for w in ("invalid", "expired", "hết hạn", "không hợp lệ"))


def settings_ready(settings: Settings) -> bool:
    """The webhook can be verified: app id and OA secret key are set."""
    return bool(settings.zalo_app_id and settings.zalo_oa_secret_key)


class ZaloTokenManager:
    """The current access token; refreshes it (and stores the rotated refresh token) when due."""

    def __init__(self, settings: Settings, store: ChannelStore, http: httpx.AsyncClient, clock=time.time) -> None:
        self.settings, self.store, self.http, self.clock = settings, store, http, clock
        self.app_id = settings.zalo_app_id or ""
        self.margin = settings.zalo_token_refresh_margin_seconds
        self._lock = asyncio.Lock()
        self.error: str | None = None  # the last refresh failure (a broken token chain), for /readyz
        self.tokens = self._initial()

    @property
    def health(self) -> dict[str, Any]:
        """What /readyz shows: ok unless the last refresh failed or there is no way to get a token."""
        if self.error:
            return {"ok": False, "detail": f"token chain broken: {self.error}"}
        if not self.usable:
            return {"ok": False, "detail": "no access token and no refresh token"}
        return {"ok": True}

    def _initial(self) -> ZaloTokens:
        """Stored tokens win once present. A changed env refresh token (an official re-authorised, or a typo)
        does not replace a working stored pair: it is tried at start (``startup``) and adopted only if it works.
        """
        env_access = self.settings.zalo_access_token.get_secret_value() if self.settings.zalo_access_token else None
        env_refresh = self.settings.zalo_refresh_token.get_secret_value() if self.settings.zalo_refresh_token else None
        seed = fingerprint(env_refresh)
        self.pending_seed: tuple[str | None, str, str] | None = None  # (access, refresh, seed) to try at start
        stored = self.store.load_zalo_tokens(self.app_id)
        if stored and (seed is None or stored.seed == seed):
            return stored
        if stored and (stored.access_token or stored.refresh_token) and env_refresh and seed:
            self.pending_seed = (env_access, env_refresh, seed)
            return stored
        tokens = ZaloTokens(env_access, env_refresh, None, seed)
        if env_access or env_refresh:
            self.store.save_zalo_tokens(self.app_id, tokens)
        return tokens

    async def startup(self) -> None:
        """Once at start: try a new env refresh token; refresh when the access token's expiry is unknown."""
        if self.pending_seed is not None:
            env_access, env_refresh, seed = self.pending_seed
            self.pending_seed = None
            kept = self.tokens
            self.tokens = ZaloTokens(env_access, env_refresh, None, seed)
            try:
                await self.refresh(stale=env_access, reload=False)
                log.info("zalo: the refresh token from the environment works; it replaces the stored pair")
                return
            except ZaloAuthError as exc:
                self.tokens = kept
                log.error("zalo: CCHC_ZALO_REFRESH_TOKEN differs from the stored pair and does not work (%s); "
                          "keeping the stored tokens", exc)
                self.error = None  # the stored chain is intact; only the env value is bad
        if self.tokens.expires_at is None and self.can_refresh:
            await self.refresh(stale=self.tokens.access_token)

    @property
    def can_refresh(self) -> bool:
        return bool(self.tokens.refresh_token and self.settings.zalo_app_secret and self.app_id)

    @property
    def usable(self) -> bool:
        return bool(self.tokens.access_token or self.can_refresh)

    def _due(self, tokens: ZaloTokens) -> bool:
        return tokens.expires_at is not None and tokens.expires_at - self.clock() <= self.margin

    async def access_token(self) -> str:
        t = self.tokens
        if t.access_token and not (self._due(t) and self.can_refresh):
            return t.access_token
        if self.can_refresh:
            return await self.refresh(stale=t.access_token)
        raise ZaloAuthError("no Zalo access token and no way to refresh one")

    async def refresh(self, stale: str | None, reload: bool = True) -> str:
        """Refresh unless someone else already replaced ``stale``; returns the current access token."""
        try:
            token = await self._refresh(stale, reload)
        except ZaloAuthError as exc:
            self.error = str(exc)
            raise
        self.error = None
        return token

    async def _refresh(self, stale: str | None, reload: bool) -> str:
        async with self._lock:
            stored = self.store.load_zalo_tokens(self.app_id) if reload else None  # another process may have
            if stored and stored.seed == self.tokens.seed:
                self.tokens = stored
            t = self.tokens
            if reload and t.access_token and t.access_token != stale and not self._due(t):
                return t.access_token
            if not self.can_refresh:
                raise ZaloAuthError("the Zalo access token expired and no refresh token/app secret is set")
            secret = self.settings.zalo_app_secret.get_secret_value()  # type: ignore[union-attr]
            url = self.settings.zalo_oauth_base_url.rstrip("/") + "/v4/oa/access_token"
            try:
                resp = await self.http.post(url, headers={"secret_key": secret}, data={
                    "refresh_token": t.refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"})
                data = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ZaloAuthError(f"token refresh failed: {type(exc).__name__}") from exc
            if resp.status_code != 200 or not data.get("access_token"):
                raise ZaloAuthError(f"token refresh refused: HTTP {resp.status_code}, error {data.get('error')} "
                                    f"{data.get('error_name') or data.get('message') or ''}".strip())
            try:
                expires_in = float(data.get("expires_in") or 0)
            except (TypeError, ValueError):
                expires_in = 0.0
            new = ZaloTokens(access_token=data["access_token"],
                             refresh_token=data.get("refresh_token") or t.refresh_token,
                             expires_at=self.clock() + expires_in if expires_in > 0 else None, seed=t.seed)
            self.store.save_zalo_tokens(self.app_id, new)  # before use: the old refresh token is spent
            self.tokens = new
            log.info("zalo access token refreshed (valid %.0f s)", expires_in)
            return new.access_token  # type: ignore[return-value]

    async def refresh_if_due(self) -> None:
        if self.can_refresh and self._due(self.tokens):
            await self.refresh(stale=self.tokens.access_token)


@dataclass
class Event:
    name: str
    user_id: str | None
    msg_id: str | None
    text: str | None


def _scalar(value: Any) -> str | None:
    """An id as a string; None for anything that is not a plain string or number (lists, objects, bools)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)[:128] or None


def parse_event(payload: dict) -> Event:
    """The fields we use, type-checked: a signed event with odd shapes is ignored, never a crash."""
    sender = payload.get("sender")
    message = payload.get("message")
    sender = sender if isinstance(sender, dict) else {}
    message = message if isinstance(message, dict) else {}
    text = message.get("text")
    return Event(name=str(payload.get("event_name") or "")[:64], user_id=_scalar(sender.get("id")),
                 msg_id=_scalar(message.get("msg_id")), text=text if isinstance(text, str) else None)


class ZaloBot:
    """Webhook events in, OA customer-service messages out, one session per user ("zalo:<user_id>")."""

    def __init__(self, settings: Settings, runtime: Any, store: ChannelStore, clock=time.time) -> None:
        self.settings, self.runtime, self.store, self.clock = settings, runtime, store, clock
        self.http = httpx.AsyncClient(timeout=settings.zalo_http_timeout)
        self.tokens = ZaloTokenManager(settings, store, self.http, clock)
        self._tasks: set[asyncio.Task] = set()
        self._user_locks = common.KeyedLocks()  # one answer at a time per user
        self._refresher: asyncio.Task | None = None
        self.outbox = ob.Outbox(store, CHANNEL, self._deliver, clock=clock)

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        if self.tokens.can_refresh or self.tokens.pending_seed:
            self._refresher = asyncio.create_task(self._refresh_loop())
        self.outbox.start()
        pending = self.store.pending_events(CHANNEL)
        for event_id, payload in pending:  # accepted before a crash or restart, never answered
            try:
                ev = parse_event(json.loads(payload))
            except ValueError:
                ev = Event("", None, event_id, None)
            if ev.user_id:
                self._schedule(ev)
            else:
                self.store.done(CHANNEL, event_id, "", [], 0)
        if pending:
            log.info("zalo: resumed %d unanswered events", len(pending))

    async def stop(self, timeout: float = 10.0) -> None:
        await self.outbox.stop()
        if self._refresher:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
            for t in self._tasks:
                t.cancel()
        await self.http.aclose()

    async def _refresh_loop(self) -> None:
        """Refresh before expiry even when nobody writes, so the refresh token itself never lapses."""
        every = max(30.0, min(300.0, self.settings.zalo_token_refresh_margin_seconds / 2))
        try:
            await self.tokens.startup()
        except ZaloError as exc:
            log.error("zalo token refresh at start failed: %s", exc)
        while True:
            try:
                await self.tokens.refresh_if_due()
            except ZaloError as exc:
                log.error("zalo token refresh failed: %s", exc)
            await asyncio.sleep(every)

    # ---- webhook ---------------------------------------------------------------------------
    def verify(self, body: bytes, timestamp: str, header: str | None) -> bool:
        key = self.settings.zalo_oa_secret_key
        return bool(key) and verify_signature(header, self.settings.zalo_app_id or "", body, timestamp,
                                              key.get_secret_value())  # type: ignore[union-attr]

    def stale(self, timestamp: str) -> bool:
        return is_stale(timestamp, self.settings.zalo_max_event_age_seconds, self.clock())

    def accept(self, payload: dict) -> str:
        """Schedule the reply to a verified event; returns what was done (for the response and logs)."""
        ev = parse_event(payload)
        if ev.name != "user_send_text" and ev.name not in NON_TEXT_EVENTS:
            return "ignored"
        if not ev.user_id:
            return "ignored"
        if len(self._tasks) >= MAX_TASKS:
            log.warning("zalo: too many answers in progress; event dropped")
            return "busy"
        payload_text = json.dumps(payload, ensure_ascii=False)
        if ev.msg_id and not self.store.first_delivery(CHANNEL, ev.msg_id, payload=payload_text):
            log.info("zalo message %s delivered again; ignored", ev.msg_id)
            return "duplicate"
        self._schedule(ev)
        return "accepted"

    def _schedule(self, ev: Event) -> None:
        text = (ev.text or "") if ev.name == "user_send_text" else None
        task = asyncio.create_task(self._answer(ev.user_id or "", text, ev.msg_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- replies ---------------------------------------------------------------------------
    async def _answer(self, user_id: str, text: str | None, event_id: str | None = None) -> None:
        """Answer a text (or, for ``None``, an image/sticker/…) in order per user; never raises.

        The replies go to the durable outbox, which sends them (and retries until Zalo takes them).
        """
        sid = f"zalo:{user_id}"
        try:
            async with self._user_locks.hold(user_id):
                if text is None:
                    messages = plain_messages(common.NON_TEXT, ZALO_LIMIT)
                else:
                    messages = await self._reply_for(sid, text)
                self.outbox.put(event_id, user_id, [(m, "text") for m in messages])
        except Exception:  # noqa: BLE001 - a background task has nobody else to report to
            log.exception("zalo reply failed for user %s", user_id)

    async def _reply_for(self, sid: str, text: str) -> list[str]:
        cmd = common.parse_command(text)
        rt = self.runtime
        if cmd is None:
            return zalo_messages(await common.ask(rt, text, sid))
        name, arg = cmd
        if name in ("start", "help"):
            province = await asyncio.to_thread(common.current_province, rt.sessions, sid)
            reply = common.help_text(province)
        elif name in common.PROVINCE_COMMANDS:
            reply = await asyncio.to_thread(common.choose_province, rt.assistant, rt.sessions, sid, arg)
        else:
            reply = common.UNKNOWN_COMMAND
        return plain_messages(reply, ZALO_LIMIT)

    async def _deliver(self, user_id: str, text: str, fmt: str) -> None:
        """Outbox sender: Zalo's refusals (error < 0 other than tokens) are final; HTTP, network, tokens retried."""
        try:
            await self.send_text(user_id, text)
        except ZaloAPIError as exc:
            if exc.code < 0 and exc.code not in TOKEN_ERRORS:
                raise ob.PermanentSendError(str(exc)) from exc
            raise

    async def send_text(self, user_id: str, text: str) -> dict:
        """One OA message; on a token error refresh once and retry. Raises ZaloError on failure."""
        token = await self.tokens.access_token()
        data = await self._post_message(token, user_id, text)
        if data.get("error", 0) != 0 and _is_token_error(data):
            log.info("zalo access token rejected (error %s); refreshing", data.get("error"))
            token = await self.tokens.refresh(stale=token)
            data = await self._post_message(token, user_id, text)
        if data.get("error", 0) != 0:
            raise ZaloAPIError(int(data.get("error") or -1), str(data.get("message", "")))
        return data

    async def _post_message(self, token: str, user_id: str, text: str) -> dict:
        url = self.settings.zalo_api_base_url.rstrip("/") + "/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        try:
            resp = await self.http.post(url, headers={"access_token": token}, json=body)
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ZaloError(f"sending failed: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise ZaloAPIError(resp.status_code, "HTTP error")
        return data if isinstance(data, dict) else {"error": -1, "message": "unexpected response"}

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the answers in progress and their delivery (tests and graceful shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        await self.outbox.wait_empty(timeout)
