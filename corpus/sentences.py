"""Bounded sentence pieces: every prose regex in the parser runs on these, never on a whole line.

A plan uploaded by anyone may hold a 200 KB line without a full stop. Regexes with a lazy scan
followed by a literal (``[^.;]*?\\bchủ trì\\b``) restart at every position and turn quadratic on such a
line. Cutting text into pieces of at most ``LIMIT`` characters first (with ``str`` operations, which
are linear) keeps every later match bounded by the piece, whatever the pattern.
"""

from __future__ import annotations

import re

LIMIT = 600
_STOP = re.compile(r"[.;!?\n]")


def chop(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at a comma or space when one is near."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind(", ", limit // 2, limit)
        if cut < 0:
            cut = text.rfind(" ", limit // 2, limit)
        cut = cut + 1 if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:]
    if text:
        out.append(text)
    return out


def sentences(text: str, limit: int = LIMIT) -> list[str]:
    """Sentences and clauses split at '.', ';', '!', '?' and newlines (a '.' inside a number such as
    '850.000' or '1.1' does not split), each at most ``limit`` characters, stripped, empty ones dropped."""
    out: list[str] = []
    start = 0
    n = len(text)
    for m in _STOP.finditer(text):
        i = m.start()
        if text[i] == "." and 0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            continue
        piece = text[start:i].strip()
        if piece:
            out.extend(chop(piece, limit))
        start = i + 1
    tail = text[start:].strip()
    if tail:
        out.extend(chop(tail, limit))
    return out
