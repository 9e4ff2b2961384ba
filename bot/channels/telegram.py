"""Telegram adapter (python-telegram-bot 22.x): a thin layer over ``runtime.assistant.answer()``.

Webhook mode runs inside the FastAPI lifespan (``updater(None)``; the route verifies the secret
header and puts the update on ``application.update_queue``), so one process serves the API, the
widget and the bot. ``cchc telegram poll`` builds the same handlers with an Updater for local work.
One session per chat ("tg:<chat_id>"); the chosen province is kept in that session's metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, TypeHandler, filters

from bot.channels import common
from bot.channels import outbox as ob
from bot.channels.formatting import TELEGRAM_LIMIT, plain_messages, telegram_messages, to_telegram_html
from bot.channels.store import ChannelStore
from config.settings import Settings

log = logging.getLogger("cchc.telegram")

CHANNEL = "telegram"
TYPING_EVERY = 4.0  # Telegram shows "typing…" for about 5 s per chat action
CONCURRENT_UPDATES = 16
COMMANDS = [("start", "Giới thiệu và ví dụ câu hỏi"), ("help", "Hướng dẫn sử dụng"),
            ("tinh", "Chọn tỉnh, ví dụ: /tinh Kiên Giang")]


def session_id(chat_id: int | str) -> str:
    return f"tg:{chat_id}"


def build_application(settings: Settings, webhook: bool = True) -> Application:
    """An Application for our bot; without an Updater in webhook mode (updates come from the route)."""
    if settings.telegram_bot_token is None:
        raise ValueError("CCHC_TELEGRAM_BOT_TOKEN is not set")
    _quiet_httpx()
    builder = Application.builder().token(settings.telegram_bot_token.get_secret_value())
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
        builder = builder.base_file_url(settings.telegram_api_base_file_url
                                        or settings.telegram_api_base_url.replace("/bot", "/file/bot", 1))
    if webhook:
        builder = builder.updater(None)
    return builder.concurrent_updates(CONCURRENT_UPDATES).build()


def _quiet_httpx() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the bot token: keep it out of logs."""
    httpx_log = logging.getLogger("httpx")
    if httpx_log.getEffectiveLevel() < logging.WARNING:
        httpx_log.setLevel(logging.WARNING)


class TelegramBot:
    """Handlers plus lifecycle; the route calls ``accept`` for each verified update."""

    def __init__(self, settings: Settings, runtime: Any, store: ChannelStore | None = None,
                 webhook: bool = True) -> None:
        self.settings = settings
        self.runtime = runtime
        self.store = store
        self.application = build_application(settings, webhook=webhook)
        self._start_lock = asyncio.Lock()
        self._chat_locks = common.KeyedLocks()  # one answer at a time per chat
        # replies go through the durable outbox when there is a store (webhook mode), else straight out
        self.outbox = ob.Outbox(store, CHANNEL, self._deliver) if store is not None else None
        self.started = False
        app = self.application
        msg = filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler(["start", "help"], self.on_help, filters=msg))
        app.add_handler(CommandHandler(sorted(common.PROVINCE_COMMANDS), self.on_province, filters=msg))
        app.add_handler(MessageHandler(msg & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(msg & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(msg & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_non_text))
        app.add_error_handler(self.on_error)
        app.add_handler(TypeHandler(Update, self.on_processed), group=1)  # after the answer: inbox entry done

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """initialize (getMe) + start the update processor; safe to call again after a failure."""
        async with self._start_lock:
            if self.started:
                return
            await self.application.initialize()
            await self.application.start()
            self.started = True
            log.info("telegram bot @%s ready (webhook mode)", self.application.bot.username)
            if self.outbox is not None:
                self.outbox.start()
                await self._resume()

    async def _resume(self) -> None:
        """Updates accepted before a crash or restart but never answered: answer them now."""
        pending = self.store.pending_events(CHANNEL) if self.store is not None else []
        for event_id, payload in pending:
            try:
                await self.application.update_queue.put(Update.de_json(json.loads(payload), self.application.bot))
            except Exception as exc:  # noqa: BLE001 - a stored update we cannot read any more
                log.warning("telegram update %s could not be resumed (%s); dropped", event_id, type(exc).__name__)
                self.store.done(CHANNEL, event_id, "", [], 0)  # type: ignore[union-attr]
        if pending:
            log.info("telegram: resumed %d unanswered updates", len(pending))

    async def stop(self) -> None:
        if self.outbox is not None:
            await self.outbox.stop()
        async with self._start_lock:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
            self.started = False

    def check_secret(self, given: str) -> bool:
        expected = self.settings.telegram_webhook_secret
        if expected is None:
            return False
        return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())

    async def accept(self, data: dict) -> bool:
        """Queue a verified webhook update; False when this update_id was already delivered."""
        update = Update.de_json(data, self.application.bot)
        if self.store is not None and not self.store.first_delivery(
                CHANNEL, str(update.update_id), payload=json.dumps(data, ensure_ascii=False)):
            log.info("telegram update %s delivered again; ignored", update.update_id)
            return False
        await self.application.update_queue.put(update)
        return True

    # ---- handlers --------------------------------------------------------------------------
    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:  # every handler is registered for messages, which always have a chat
            return
        province = await asyncio.to_thread(common.current_province, self.runtime.sessions, session_id(chat.id))
        await self._reply_plain(update, common.help_text(province))

    async def on_province(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        arg = " ".join(context.args or [])
        reply = await asyncio.to_thread(common.choose_province, self.runtime.assistant, self.runtime.sessions,
                                        session_id(chat.id), arg)
        await self._reply_plain(update, reply)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply_plain(update, common.UNKNOWN_COMMAND)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply_plain(update, common.NON_TEXT)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        chat_id, text = chat.id, message.text or ""
        log.debug("telegram question in chat %s (%d chars)", chat_id, len(text))
        async with self._chat_locks.hold(chat_id):
            async with self._typing(chat_id):
                ans = await common.ask(self.runtime, text, session_id(chat_id))
            # every part is queued (or sent) before the next question of this chat is answered
            await self._reply(update, [(chunk, "html") for chunk in telegram_messages(ans)])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram handler failed: %r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            with contextlib.suppress(TelegramError):
                await self._reply(update, [(common.FAILURE, "text")])

    async def on_processed(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Last handler group: the update was handled (answered or not applicable), so leave the inbox."""
        if self.outbox is not None and isinstance(update, Update):
            chat = update.effective_chat
            self.outbox.put(str(update.update_id), str(chat.id) if chat else "", [])

    # ---- replies -----------------------------------------------------------------------------
    async def _reply(self, update: Update, replies: list[tuple[str, str]]) -> None:
        if update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        if self.outbox is not None:
            self.outbox.put(str(update.update_id), str(chat_id), replies)
            return
        for text, fmt in replies:
            await self._send(chat_id, text, fmt)

    async def _reply_plain(self, update: Update, text: str) -> None:
        chunks = plain_messages(text, TELEGRAM_LIMIT - 200)
        await self._reply(update, [(to_telegram_html(c), "html") for c in chunks])

    async def _send(self, chat_id: int | str, text: str, fmt: str) -> None:
        if fmt == "html":
            await self._send_html(int(chat_id), text)
        else:
            await self.application.bot.send_message(int(chat_id), text)

    async def _deliver(self, chat_id: str, text: str, fmt: str) -> None:
        """Outbox sender: Telegram's own refusals are final, network trouble and 5xx are retried."""
        try:
            await self._send(chat_id, text, fmt)
        except RetryAfter as exc:
            ra = exc.retry_after
            raise ob.RetryAfter(ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra)) from exc
        except (Forbidden, BadRequest) as exc:
            raise ob.PermanentSendError(str(exc)) from exc

    # ---- helpers ---------------------------------------------------------------------------
    async def _send_html(self, chat_id: int, html_text: str) -> None:
        try:
            await self.application.bot.send_message(chat_id, html_text, parse_mode=ParseMode.HTML,
                                                    link_preview_options=LinkPreviewOptions(is_disabled=True))
        except BadRequest as exc:  # an entity Telegram refused: the text still matters more than bold
            if "parse" not in str(exc).lower() and "entit" not in str(exc).lower():
                raise
            await self.application.bot.send_message(chat_id, html.unescape(re.sub(r"</?b>", "", html_text)))

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Keep "typing…" visible while the assistant works (it lasts ~5 s per action).

        The loop is asked to stop rather than cancelled, so a chat action already on the wire is not
        cut off (and does not land after the answer, which would show "typing…" again).
        """
        done = asyncio.Event()

        async def loop() -> None:
            while not done.is_set():
                try:
                    await self.application.bot.send_chat_action(chat_id, ChatAction.TYPING)
                except TelegramError as exc:
                    log.debug("send_chat_action failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), TYPING_EVERY)

        task = asyncio.create_task(loop())
        try:
            await asyncio.sleep(0)  # let the first chat action start before the work does
            yield
        finally:
            done.set()
            try:
                await asyncio.wait_for(task, 2.0)
            except TimeoutError:
                task.cancel()


async def set_webhook(settings: Settings, url: str, drop_pending: bool = False) -> dict:
    """Register ``url`` with Telegram, with the secret token and our command menu."""
    if settings.telegram_webhook_secret is None:
        raise ValueError("CCHC_TELEGRAM_WEBHOOK_SECRET is not set")
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not (1 <= len(secret) <= 256) or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
        raise ValueError("CCHC_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    app = build_application(settings, webhook=True)
    async with app.bot as bot:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=["message"],
                              drop_pending_updates=drop_pending)
        await bot.set_my_commands(COMMANDS)
        info = await bot.get_webhook_info()
        me = bot.username
    return {"bot": me, "url": info.url, "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message}


async def delete_webhook(settings: Settings) -> None:
    app = build_application(settings, webhook=True)
    async with app.bot as bot:
        await bot.delete_webhook()


async def webhook_info(settings: Settings) -> dict:
    app = build_application(settings, webhook=True)
    async with app.bot as bot:
        info = await bot.get_webhook_info()
        me = bot.username
    return {"bot": me, "url": info.url, "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message}


def run_polling(settings: Settings, runtime: Any) -> None:
    """Local development: long polling (removes any webhook; run set-webhook again afterwards)."""
    bot = TelegramBot(settings, runtime, store=None, webhook=False)
    bot.application.run_polling(allowed_updates=["message"])
