"""Chat webhooks: ``POST /webhooks/telegram`` and ``POST /webhooks/zalo``.

The routes only authenticate, de-duplicate and hand the event over; answers are produced after the
HTTP reply (Telegram and Zalo both retry a slow webhook, which would answer twice). A channel whose
settings are missing is off: its route answers 503 with a Vietnamese message, and
``app.state.channels`` tells /readyz which channels are on.
"""

from __future__ import annotations

import json
import logging
import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from bot.channels.store import ChannelStore
from bot.factory import make_channel_store
from config.settings import Settings

log = logging.getLogger("cchc.webhooks")

router = APIRouter(tags=["webhooks"])

TELEGRAM_OFF = "Kênh Telegram chưa được bật trên máy chủ này."
ZALO_OFF = "Kênh Zalo OA chưa được bật trên máy chủ này."


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"ok": False, "detail": detail}, status_code=status)


async def on_startup(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    runtime = app.state.runtime
    app.state.channels = {"telegram": False, "zalo": False}
    app.state.telegram = app.state.zalo = app.state.channel_store = None
    tg_on = settings.telegram_bot_token is not None
    zalo_on = bool(settings.zalo_app_id or settings.zalo_oa_secret_key)
    if not (tg_on or zalo_on):
        return
    store = make_channel_store(settings)  # SQLite in the data dir unless CCHC_CHANNEL_STORE_FACTORY says otherwise
    app.state.channel_store = store
    if tg_on:
        await _start_telegram(app, settings, runtime, store)
    if zalo_on:
        await _start_zalo(app, settings, runtime, store)


async def _start_telegram(app: FastAPI, settings: Settings, runtime, store: ChannelStore) -> None:
    from bot.channels.telegram import TelegramBot

    if settings.telegram_webhook_secret is None:
        log.warning("telegram: CCHC_TELEGRAM_WEBHOOK_SECRET is not set; the webhook stays off")
        return
    bot = TelegramBot(settings, runtime, store)
    app.state.telegram = bot
    try:
        await bot.start()
    except Exception as exc:  # noqa: BLE001 - the API must start even when Telegram is unreachable
        log.error("telegram: start failed (%s); will retry on the next update", type(exc).__name__)
    app.state.channels["telegram"] = bot.started


async def _start_zalo(app: FastAPI, settings: Settings, runtime, store: ChannelStore) -> None:
    from bot.channels.zalo import ZaloBot, settings_ready

    if not settings_ready(settings):
        log.warning("zalo: CCHC_ZALO_APP_ID and CCHC_ZALO_OA_SECRET_KEY are both needed; the webhook stays off")
        return
    bot = ZaloBot(settings, runtime, store)
    if not bot.tokens.usable:
        log.warning("zalo: no access token or refresh token (+ app secret); the webhook stays off")
        await bot.http.aclose()
        return
    await bot.start()
    app.state.zalo = bot
    app.state.channels["zalo"] = True


def channel_health(app: FastAPI) -> dict[str, dict]:
    """Per enabled channel: can it answer? (Zalo: the token chain; both: replies waiting in the outbox.)"""
    out: dict[str, dict] = {}
    store = getattr(app.state, "channel_store", None)
    tg = getattr(app.state, "telegram", None)
    if tg is not None:
        out["telegram"] = {"ok": bool(tg.started)} | ({} if tg.started else {"detail": "Bot API not reachable yet"})
    zalo = getattr(app.state, "zalo", None)
    if zalo is not None:
        out["zalo"] = dict(zalo.tokens.health)
    for name, info in out.items():
        if store is not None:
            info["pending_replies"] = store.pending_replies(name)
    return out


async def on_shutdown(app: FastAPI) -> None:
    tg = getattr(app.state, "telegram", None)
    if tg is not None:
        try:
            await tg.stop()
        except Exception as exc:  # noqa: BLE001
            log.warning("telegram: stop failed (%s)", type(exc).__name__)
    zalo = getattr(app.state, "zalo", None)
    if zalo is not None:
        await zalo.stop()
    store = getattr(app.state, "channel_store", None)
    if store is not None:
        store.close()
    app.state.telegram = app.state.zalo = app.state.channel_store = None
    if hasattr(app.state, "channels"):
        app.state.channels = {"telegram": False, "zalo": False}


@router.post("/webhooks/telegram", summary="Telegram Bot API webhook")
async def telegram_webhook(request: Request) -> JSONResponse:
    bot = getattr(request.app.state, "telegram", None)
    if bot is None:
        return _error(503, TELEGRAM_OFF)
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
    if not given:
        return _error(401, "Thiếu mã bí mật của webhook.")
    if not bot.check_secret(given):
        log.warning("telegram webhook: wrong secret token from %s", request.client.host if request.client else "?")
        return _error(403, "Mã bí mật của webhook không đúng.")
    data = _json_object(await request.body())
    if data is None or type(data.get("update_id")) is not int:
        return _error(400, "Dữ liệu cập nhật không hợp lệ.")
    if not bot.started:
        try:
            await bot.start()
            request.app.state.channels["telegram"] = True
        except Exception as exc:  # noqa: BLE001
            log.error("telegram: start failed (%s)", type(exc).__name__)
            return _error(503, "Kênh Telegram tạm thời chưa sẵn sàng.")
    try:
        queued = await bot.accept(data)
    except Exception as exc:  # noqa: BLE001 - authentic but unreadable: Telegram re-sending it would not help
        log.warning("telegram update %s unreadable (%s); dropped", data["update_id"], type(exc).__name__)
        return JSONResponse({"ok": True, "queued": False, "status": "dropped"})
    return JSONResponse({"ok": True, "queued": queued})


_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})"?')


def _json_object(body: bytes) -> dict | None:
    """A JSON object, or None for anything else (invalid, not an object, nested past the parser's depth)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


@router.post("/webhooks/zalo", summary="Zalo Official Account webhook")
async def zalo_webhook(request: Request) -> JSONResponse:
    """Signature first, on the raw bytes; JSON is parsed only for an authentic delivery.

    Every authentic delivery gets 200, even a stale one or one we are too busy for (Zalo retries
    anything else and eventually switches the webhook off); only a bad signature gets 401.
    """
    bot = getattr(request.app.state, "zalo", None)
    if bot is None:
        return _error(503, ZALO_OFF)
    header = request.headers.get("X-ZEvent-Signature")
    if not header:
        return _error(401, "Thiếu chữ ký sự kiện.")
    body = await request.body()
    # The signed string needs the event's timestamp: found by a linear scan of the raw bytes (a nested
    # object may also have a "timestamp", so a few candidates are tried), JSON is parsed only once verified.
    candidates = list(dict.fromkeys(m.group(1).decode() for m in _TIMESTAMP.finditer(body)))[:8]
    timestamp = next((ts for ts in candidates if bot.verify(body, ts, header)), "")
    if not timestamp:
        log.warning("zalo webhook: bad signature from %s", request.client.host if request.client else "?")
        return _error(401, "Chữ ký sự kiện không hợp lệ.")
    payload = _json_object(body)
    if payload is None:
        log.warning("zalo webhook: signed event is not a JSON object; dropped")
        return _error(400, "Dữ liệu sự kiện không hợp lệ.")
    if str(payload.get("timestamp")) != timestamp:  # two "timestamp" keys: the signed one must be the one used
        log.warning("zalo webhook: ambiguous timestamp in a signed event; refused")
        return _error(401, "Chữ ký sự kiện không hợp lệ.")
    if bot.stale(timestamp):
        log.warning("zalo webhook: stale event (timestamp %s) acknowledged and dropped", timestamp)
        return JSONResponse({"ok": True, "status": "stale"})
    status = bot.accept(payload)
    if status == "busy":
        log.warning("zalo webhook: busy; event acknowledged and dropped")
    return JSONResponse({"ok": True, "status": status})
