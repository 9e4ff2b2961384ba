"""Cleaning one line of text as converters leave it; shared by every loader (txt/md, docx, pdf)."""

from __future__ import annotations

import re

_SUP = re.compile(r"<sup>\s*\d+\s*</sup>")
_TAGS = re.compile(r"</?(?:b|i|u|strong|em|sub|sup|br)\s*/?>", re.I)
_HEADING_HASHES = re.compile(r"^\s*#{1,6}\s*")
_EMPHASIS = re.compile(r"(\*\*|__)")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")


def clean_inline(text: str) -> str:
    """Remove markdown/HTML decoration from one line; keep the words."""
    text = _SUP.sub("", text)
    text = _TAGS.sub("", text)
    text = _HEADING_HASHES.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _ITALIC.sub(r"\1", text)
    text = text.replace("\u00a0", " ")
    return re.sub(r"[ \u200b]+", " ", text).strip()
