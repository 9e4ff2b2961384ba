"""What both chat channels share: Vietnamese texts, the province command, calling the assistant.

The channels are thin: every question goes to ``runtime.assistant.answer()`` with one session per
chat, and the province a chat chose lives in that session's metadata, where the assistant reads it.
Each answer is then handed to ``runtime.note_answer`` when the runtime has one (the service's Runtime
records the unanswered ones); the channels never import the API layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Hashable
from typing import Any

from bot.answer import Answer
from bot.assistant import EXAMPLES, HELP
from corpus.vocab import fold

log = logging.getLogger("cchc.channels")

WELCOME = "Xin chào! Tôi là Trợ lý CCHC."
PROVINCE_HINT = ("Để hỏi về một tỉnh, gõ /tinh kèm tên tỉnh, ví dụ: /tinh Kiên Giang. "
                 "Gõ /tinh xoa để hỏi về tất cả các tỉnh.")
NON_TEXT = ("Xin lỗi, hiện tôi chỉ đọc được tin nhắn văn bản. Bạn vui lòng gõ câu hỏi bằng chữ, ví dụ: "
            f"{EXAMPLES[1]}")
FAILURE = "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được. Bạn vui lòng hỏi lại sau ít phút."
UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Gõ /help để xem hướng dẫn."
CLEAR_WORDS = {"xoa", "bo", "tat ca", "all", "clear", "none", "khong"}
PROVINCE_COMMANDS = {"tinh", "province"}


def help_text(province: str | None = None, commands: bool = True) -> str:
    """The help shown by /start and /help: what I answer, examples, the province command."""
    ex = "\n".join(f"• {e}" for e in EXAMPLES)
    parts = [WELCOME, HELP, f"Ví dụ câu hỏi:\n{ex}"]
    if commands:
        parts.append(PROVINCE_HINT)
    if province:
        parts.append(f"Tỉnh đang chọn: {province}.")
    return "\n\n".join(parts)


def parse_command(text: str) -> tuple[str, str] | None:
    """'/tinh@cchc_bot Kiên Giang' -> ('tinh', 'Kiên Giang'); None for ordinary text."""
    m = re.match(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", text.strip(), re.S)
    if not m:
        return None
    return m.group(1).lower(), (m.group(2) or "").strip()


def resolve_province(assistant: Any, name: str) -> str | None:
    """A typed province name ('kien giang', 'tỉnh Kiên Giang', an alias) -> the vocabulary's name."""
    key = fold(name).strip(" .!?")
    key = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", key).strip()
    names = assistant.k.vocab.province_names()
    return names.get(key)


def choose_province(assistant: Any, sessions: Any, session_id: str, arg: str) -> str:
    """Handle '/tinh <tên tỉnh>': remember the province in the session, reply in Vietnamese."""
    covered = ", ".join(assistant.k.provinces())
    current = sessions.get_meta(session_id).get("province")
    if not arg:
        now = f"Tỉnh đang chọn: {current}." if current else "Bạn chưa chọn tỉnh (đang hỏi về tất cả các tỉnh)."
        return f"{now}\n{PROVINCE_HINT}\nCác tỉnh đã có kế hoạch: {covered}."
    if fold(arg).strip(" .!?") in CLEAR_WORDS:
        sessions.set_meta(session_id, {"province": None})
        return "Đã bỏ chọn tỉnh. Tôi sẽ tìm trong kế hoạch của tất cả các tỉnh."
    province = resolve_province(assistant, arg)
    if province is None:
        return f"Tôi không nhận ra tên tỉnh “{arg}”. Các tỉnh đã có kế hoạch: {covered}."
    if not assistant.k.docs_for_province(province):
        return f"Kho dữ liệu chưa có kế hoạch của tỉnh {province}. Các tỉnh đã có kế hoạch: {covered}."
    sessions.set_meta(session_id, {"province": province})
    return (f"Đã chọn tỉnh {province}. Các câu hỏi tiếp theo sẽ được trả lời theo kế hoạch của tỉnh này "
            f"(gõ /tinh xoa để bỏ chọn).")


def current_province(sessions: Any, session_id: str) -> str | None:
    return sessions.get_meta(session_id).get("province")


async def ask(runtime: Any, text: str, session_id: str) -> Answer:
    """Run the blocking assistant in a worker thread; never raises (a failure becomes a polite answer)."""
    assistant = runtime.assistant  # read once: an admin reload swaps it as a whole
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate (valid JSON escape) becomes "?"
    try:
        ans = await asyncio.to_thread(assistant.answer, text, None, session_id)
    except Exception:  # noqa: BLE001 - the chat must always get a reply
        log.exception("assistant failed for session %s", session_id)
        return Answer(answer=FAILURE, found=False, session_id=session_id)
    note = getattr(runtime, "note_answer", None)  # the service's Runtime keeps the unanswered ones (issue 14)
    if note is not None:
        await note(text, session_id, ans)
    return ans


class KeyedLocks:
    """One answer at a time per chat: a lock per key, dropped when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, list] = {}  # key -> [lock, holders]

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)
