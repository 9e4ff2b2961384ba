"""Turning an Answer into chat messages: HTML for Telegram, plain text for Zalo, split to each limit.

Pure functions (no I/O) so both adapters format the same way and the splitting can be tested alone.
Splitting prefers paragraph, then line, then word boundaries, so a message never ends mid-sentence
when it can be helped; escaping happens per chunk after splitting, so an HTML entity or tag is never
cut in two.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from bot.answer import Answer

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000
MAX_SOURCES = 3
_CITE = re.compile(r"^Nguồn:")


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into ordered chunks with ``measure(chunk) <= limit``, on the cleanest boundary.

    Paragraphs (blank lines) are packed greedily; a paragraph too long on its own is split on lines,
    a line on spaces, a word by characters. Chunks are stripped; empty chunks are dropped.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    if measure(text) <= limit:
        return [text]
    out: list[str] = []
    _pack(re.split(r"\n\s*\n", text), "\n\n", limit, measure, out, level=0)
    return [c for c in (c.strip() for c in out) if c]


_SEPARATORS = ("\n\n", "\n", " ")


def _pieces(unit: str, level: int) -> list[str]:
    if level == 1:
        return unit.split("\n")
    if level == 2:
        return unit.split(" ")
    return list(unit)


def _pack(units: list[str], sep: str, limit: int, measure: Callable[[str], int], out: list[str], level: int) -> None:
    current = ""
    for unit in units:
        if not unit.strip() and level < 2:
            continue
        candidate = unit if not current else current + sep + unit
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
            current = ""
        if measure(unit) <= limit:
            current = unit
            continue
        # the unit alone is too long: split it on the next finer boundary
        if level + 1 < len(_SEPARATORS):
            _pack(_pieces(unit, level + 1), _SEPARATORS[level + 1], limit, measure, out, level + 1)
        else:
            _pack(_pieces(unit, level + 1), "", limit, measure, out, level + 1)
    if current:
        out.append(current)


def _body_and_sources(ans: Answer) -> tuple[str, list[str]]:
    """The answer text without the assistant's one-line citation, plus one line per source.

    The assistant ends a found answer with "Nguồn: …"; chats show the structured sources instead,
    one per line, so they stay readable on a phone.
    """
    lines = ans.answer.rstrip().split("\n")
    if ans.sources and lines and _CITE.match(lines[-1].strip()):
        lines = lines[:-1]
    body = "\n".join(lines).strip()
    srcs = []
    for s in ans.sources[:MAX_SOURCES]:
        where = ", ".join(str(x) for x in (s.province, s.year) if x)
        label = s.document + (f" ({where})" if where else "")
        srcs.append(f"• {label}" + (f", {s.section}" if s.section else ""))
    return body, srcs


def answer_plain(ans: Answer) -> str:
    """Plain text (Zalo): the answer, then the sources."""
    body, srcs = _body_and_sources(ans)
    return body + ("\n\nNguồn:\n" + "\n".join(srcs) if srcs else "")


def to_telegram_html(chunk: str) -> str:
    """Escape a plain-text chunk for parse_mode=HTML; the "Nguồn:" heading is made bold."""
    esc = html.escape(chunk, quote=False)
    return re.sub(r"(?m)^Nguồn:$", "<b>Nguồn:</b>", esc)


def telegram_messages(ans: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The answer as Telegram HTML messages, each within ``limit`` as Telegram counts it.

    Telegram applies its 4,096 limit to the text after entity parsing, i.e. the plain chunk in UTF-16
    units; the split is made on the plain text and each chunk is escaped afterwards.
    """
    text = answer_plain(ans)
    chunks = split_text(text, limit, measure=utf16_len)
    return [to_telegram_html(c) for c in chunks]


def zalo_messages(ans: Answer, limit: int = ZALO_LIMIT) -> list[str]:
    """The answer as plain Zalo text messages, each within ``limit`` characters."""
    return split_text(answer_plain(ans), limit)


def plain_messages(text: str, limit: int) -> list[str]:
    """A fixed reply (help, errors) split to a channel's limit."""
    return split_text(text, limit)
