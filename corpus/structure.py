"""Outline of a plan: numbered headings, sections, and paragraph repair.

Converters lose heading levels (markdown ``#`` counts are noise in the seed files), so the outline
comes from the numbering the plans themselves use: roman numerals (I., II.) for parts, arabic
numbers (1., 2.) for items, letters (a), b)) for sub-items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.document import Document, Paragraph, Table
from corpus.vocab import fold

ROMAN = re.compile(r"^(?:PHẦN\s+)?([IVXL]{1,5})\s*[.\-–:]\s*(\S.*)$")
NUMBERED = re.compile(r"^(\d{1,2})\s*[.)](?!\d)\s*(\S.*)$")  # "1.1." is a sub-item, not an item
NUMBERED_BARE = re.compile(r"^(\d{1,2})\.$")
LETTERED = re.compile(r"^([a-zđ])\)\s*(\S.*)$")
_LIST_START = re.compile(r"^(?:[a-zđ][).]|[-+•–]\s|\d)")
_END_PUNCT = tuple(".:;!?)…\"”")


@dataclass
class Item:
    """A numbered item (level 2) with the paragraphs under it."""

    number: str
    text: str  # the item's own paragraph, number stripped
    line: int
    body: list[Paragraph] = field(default_factory=list)


@dataclass
class Part:
    """A roman-numbered part (level 1): its title, loose paragraphs and numbered items."""

    number: str
    title: str
    line: int
    intro: list[Paragraph] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.number}. {_title_case(self.title)}" if self.number else self.title


@dataclass
class Outline:
    preamble: list[Paragraph]
    parts: list[Part]
    closing: list[Paragraph]  # "Nơi nhận", signature, anything after the body
    appendix: list[Paragraph]  # paragraphs after the "PHỤ LỤC" marker
    tables: list[Table]
    notes: list[Paragraph] = field(default_factory=list)  # footnote bodies


def _title_case(title: str) -> str:
    """'TỔ CHỨC THỰC HIỆN' -> 'Tổ chức thực hiện' for readable citations."""
    if title.isupper():
        return title[:1] + title[1:].lower()
    return title


def repair_paragraphs(doc: Document) -> list[Paragraph | Table]:
    """Join paragraphs a page break split ('... hệ' + 'thống hóa văn bản ...')."""
    out: list[Paragraph | Table] = []
    for b in doc.blocks:
        if isinstance(b, Paragraph) and out and isinstance(out[-1], Paragraph):
            prev = out[-1]
            first = b.text[:1]
            if (
                (first.islower() or _cut_mid_sentence(prev.text, b.text))
                and not _LIST_START.match(b.text)
                and not prev.text.endswith(_END_PUNCT)
                and not _is_heading(prev.text)
            ):
                out[-1] = Paragraph(text=f"{prev.text} {b.text}", line=prev.line)
                continue
        out.append(b)
    return out


def _cut_mid_sentence(prev: str, text: str) -> bool:
    """'... ngày 23 tháng 4 năm 2018 của' + 'Chính phủ, Nghị định số 45 ...': a long paragraph ending on a lowercase
    word with no punctuation, followed by one that is not a heading, is one sentence a page break cut."""
    last = prev.rsplit(" ", 1)[-1]
    return (len(prev) >= 150 and last[:1].islower() and last.isalpha()
            and not _is_heading(text) and not NUMBERED.match(text) and not LETTERED.match(text))


def _is_heading(text: str) -> bool:
    return bool(ROMAN.match(text)) or (text.isupper() and len(text) < 120)


def is_closing_marker(text: str) -> bool:
    f = fold(text[:40]).strip(" :*")
    return f.startswith("noi nhan")


def is_appendix_marker(text: str) -> bool:
    if len(text) > 60:
        return False
    f = fold(text).strip(" :*")
    return f in ("phu luc", "phu luc kem theo") or bool(re.fullmatch(r"phu luc\s+[ivx\d]+\.?", f))


def build_outline(doc: Document) -> Outline:
    blocks = repair_paragraphs(doc)
    preamble: list[Paragraph] = []
    parts: list[Part] = []
    closing: list[Paragraph] = []
    appendix: list[Paragraph] = []
    tables: list[Table] = []
    zone = "pre"
    for b in blocks:
        if isinstance(b, Table):
            tables.append(b)
            continue
        text = b.text
        if is_appendix_marker(text):
            zone = "appendix"
            continue
        if zone == "appendix":
            appendix.append(b)
            continue
        if is_closing_marker(text):
            zone = "closing"
        if zone == "closing":
            # a body can resume after the decision's signature block (a "Quyết định" then its plan)
            m = ROMAN.match(text)
            if m and m.group(1) == "I":
                zone = "body"
            else:
                closing.append(b)
                continue
        m = ROMAN.match(text)
        if m and (len(text) < 160 or m.group(2).isupper()):
            parts.append(Part(number=m.group(1), title=m.group(2).strip(" :"), line=b.line))
            zone = "body"
            continue
        if zone == "pre" or not parts:
            preamble.append(b)
            continue
        part = parts[-1]
        n = NUMBERED.match(text)
        if n:
            part.items.append(Item(number=n.group(1), text=n.group(2).strip(), line=b.line))
        elif part.items:
            part.items[-1].body.append(b)
        else:
            part.intro.append(b)
    return Outline(preamble=preamble, parts=parts, closing=closing, appendix=appendix, tables=tables,
                   notes=list(doc.notes))
