"""Delivery of queued replies (the ``outbox`` table): retry with backoff until the platform takes them.

One worker per channel. Each round takes the oldest pending reply of every chat that is due and
sends those concurrently (chats are independent, parts of one chat go out strictly in order). A
failure is retried after 1, 2, 4 … s (at most ``max_delay``) until the reply expires; a refusal
that retrying cannot fix (the user blocked the bot, the chat does not exist) drops it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.channels.store import ChannelStore, OutboxItem

log = logging.getLogger("cchc.channels")

REPLY_TTL_SECONDS = 24 * 3600  # a reply older than a day is no longer an answer anyone waits for


class PermanentSendError(Exception):
    """The platform refused this message for good; retrying cannot help."""


class RetryAfter(Exception):  # noqa: N818 - mirrors the platforms' "retry after" wording
    """The platform asked us to wait this many seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


Sender = Callable[[str, str, str], Awaitable[None]]  # (chat_id, text, fmt)


class Outbox:
    def __init__(self, store: ChannelStore, channel: str, send: Sender, *, base_delay: float = 1.0,
                 max_delay: float = 300.0, ttl: float = REPLY_TTL_SECONDS, clock=time.time) -> None:
        self.store, self.channel, self.send = store, channel, send
        self.base_delay, self.max_delay, self.ttl, self.clock = base_delay, max_delay, ttl, clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.delivered = 0
        self.failures = 0

    def put(self, event_id: str | None, chat_id: str, replies: list[tuple[str, str]]) -> None:
        """Queue the replies to one event (durably) and wake the worker."""
        self.store.done(self.channel, event_id, chat_id, replies, self.ttl)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # noqa: BLE001 - the worker must outlive any one bad round
                log.exception("%s outbox round failed", self.channel)
            nxt = self.store.next_due(self.channel)
            wait = 30.0 if nxt is None else min(30.0, max(0.0, nxt - self.clock()))
            self._wake.clear()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def deliver_due(self) -> int:
        """Send what is due now (one reply per chat per round, until nothing is due); returns how many went out."""
        sent = 0
        while items := self.store.due(self.channel):
            results = await asyncio.gather(*(self._deliver(i) for i in items))
            sent += results.count("sent")
            if all(r == "retry" for r in results):  # nothing moved: the worker loop decides when to look again
                break
        return sent

    async def _deliver(self, item: OutboxItem) -> str:
        now = self.clock()
        if now > item.expires:
            log.warning("%s reply to %s expired after %d attempts; dropped", self.channel, item.chat_id, item.attempts)
            self.store.delivered(item.id)
            return "dropped"
        try:
            await self.send(item.chat_id, item.text, item.fmt)
        except PermanentSendError as exc:
            log.warning("%s refused a reply to %s for good (%s); dropped", self.channel, item.chat_id, exc)
            self.store.delivered(item.id)
            return "dropped"
        except Exception as exc:  # noqa: BLE001 - network, 5xx, token: all retried
            self.failures += 1
            delay = exc.seconds if isinstance(exc, RetryAfter) else min(self.max_delay,
                                                                       self.base_delay * 2 ** item.attempts)
            log.warning("%s reply to %s failed (%s: %s); retry %d in %.0f s", self.channel, item.chat_id,
                        type(exc).__name__, str(exc)[:120], item.attempts + 1, delay)
            self.store.retry_later(item.id, now + delay, f"{type(exc).__name__}: {exc}")
            return "retry"
        self.store.delivered(item.id)
        self.delivered += 1
        return "sent"

    async def wait_empty(self, timeout: float = 10.0) -> bool:
        """Wait until every queued reply of this channel went out (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self.store.pending_replies(self.channel):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True
