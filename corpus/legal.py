"""LegalDoc records: the documents a plan rests on ("Căn cứ …", "Thực hiện …") and those it cites later.

Kind comes from the words ("Quyết định số …") or the number's code (/QĐ-UBND); the issuer from "của X"
when written, else from the code (UBND, CP, TTg, BNV, TW … in ``data/prose.json``); the title is what
follows ("về …", "ban hành …", "quy định …") up to the end of the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.document import Paragraph
from corpus.records import LegalDoc
from corpus.sentences import chop
from corpus.vocab import fold, prose_words

BASIS_START = re.compile(r"^\s*(?:[-+•]\s*)?(Căn cứ|Thực hiện|Theo đề nghị)\b", re.I)
_NUMBER = r"(\d{1,5}(?:/\d{4})?[/-][A-ZĐa-zđ][\wĐđ&\-/]{0,30}|\d{1,5}/\d{4}/[\wĐđ\-]{1,20})"
_DATE = (r"(?:\s*,)?\s+ngày\s+(\d{1,2})\s*(?:tháng\s*|/|-)\s*(\d{1,2})\s*(?:năm\s*|/|-)\s*(\d{4})")
_TITLE_START = re.compile(r"^\s*,?\s*(về việc|về|ban hành|quy định|phê duyệt|hướng dẫn|sửa đổi)\b", re.I)
_ISSUER = re.compile(r"^\s*,?\s*của\s+(.{3,120}?)(?=\s+(?:về việc|về|ban hành|quy định|phê duyệt|hướng dẫn|sửa đổi|"
                     r"khóa|tại|và|đã|nhằm|trong|tiếp tục|đẩy mạnh|triển khai|thực hiện|để|giai đoạn)\b|[,;.()]|$)")


@lru_cache(maxsize=2)
def _citation() -> re.Pattern[str]:
    kinds = sorted(prose_words()["legal_kinds"], key=len, reverse=True)
    alt = "|".join(re.escape(k) for k in kinds)
    return re.compile(r"\b(" + alt + r")\s+(?:số\s*:?\s*)?" + _NUMBER + r"(?:" + _DATE + r")?")


_LAW = re.compile(r"\b((?:Bộ luật|Luật)\s+[A-ZĐ][^;,.()]{2,120}?)(?=" + _DATE + r"|\s+(?:năm|số)\s+\d|[;,.(]|$)")


def _code_parts(number: str) -> tuple[str, str]:
    """'35/QĐ-BNV' -> ('QĐ', 'BNV'); '72-QĐ/TW' -> ('QĐ', 'TW'); '35/2023/UBTVQH15' -> ('', 'UBTVQH')."""
    segs = re.split(r"[/]", number)
    tail = segs[-1]
    head = segs[0]
    codes = prose_words()["legal_codes"]
    kind = ""
    if "-" in head:
        kind = head.split("-", 1)[1]
    pieces = tail.split("-")
    if pieces[0] in codes:
        kind, issuer = pieces[0], "-".join(pieces[1:2])
    else:
        issuer = pieces[0]
    return kind, re.sub(r"\d+$", "", issuer)


def _issuer_name(code: str) -> str:
    return prose_words()["legal_issuers"].get(code, "")


@dataclass(frozen=True)
class Issuer:
    """One issuing body as people write it (full name, aliases) and as a document number codes it (/QĐ-BNV)."""

    names: tuple[str, ...]  # folded
    code: re.Pattern[str]

    def named_at(self, folded: str) -> int:
        """Where a (folded) question or text names this body by one of its names; -1 if it does not."""
        return max((folded.find(n) for n in self.names), default=-1)

    def shown_in(self, folded: str) -> bool:
        """Does a (folded) citation come from this body: its name, or its code in a document number?"""
        return self.named_at(folded) >= 0 or self.code.search(folded) is not None


@lru_cache(maxsize=1)
def issuers() -> tuple[Issuer, ...]:
    """Every issuing body of ``legal_issuers`` in ``data/prose.json`` (with its ``issuer_aliases``)."""
    words = prose_words()
    aliases = words.get("issuer_aliases", {})
    return tuple(
        Issuer(names=tuple(dict.fromkeys(fold(n) for n in (name, *aliases.get(code, [])))),
               code=re.compile(rf"[-/]{re.escape(fold(code))}\b"))
        for code, name in words["legal_issuers"].items()
    )


def _title_after(rest: str) -> str:
    m = _TITLE_START.match(rest)
    if not m:
        return ""
    kinds = r"(?:Quyết định|Nghị quyết|Nghị định|Kế hoạch|Chỉ thị|Thông tư|Công văn|Luật)"
    title = re.split(r";|\.\s|\.$|,\s+(?=" + kinds + r"\b)|\s+và\s+(?=" + kinds + r"\s+số)",
                     rest[m.start(1):], maxsplit=1)[0]
    return title.strip(" ,.")[:300]


def legal_in(paras: list[tuple[Paragraph, str, bool]], doc_id: str) -> list[LegalDoc]:
    """Cited documents in ``paras`` (paragraph, where, in the header); bases first seen win."""
    out: dict[tuple[str, str], LegalDoc] = {}
    rx = _citation()
    codes = prose_words()["legal_codes"]
    for p, where, header in paras:
        basis = header and bool(BASIS_START.match(p.text))
        for piece in chop(p.text, 3000):
            found: list[LegalDoc] = []
            for m in rx.finditer(piece):
                word, number = m.group(1), m.group(2).rstrip("-/.")
                code_kind, code_issuer = _code_parts(number)
                kind = word if word not in ("Văn bản",) else codes.get(code_kind, word)
                date = f"{m.group(3)}/{m.group(4)}/{m.group(5)}" if m.group(3) else ""
                rest = piece[m.end():m.end() + 400]
                im = _ISSUER.match(rest)
                issuer = im.group(1).strip() if im else _issuer_name(code_issuer)
                title = _title_after(rest[im.end():] if im else rest)
                text = piece[m.start():m.end() + len(rest)].split(";")[0].strip()[:400]
                found.append(LegalDoc(doc_id=doc_id, kind=kind, number=number, date=date, issuer=issuer,
                                      title=title, text=text, basis=basis, where=where, line=p.line))
            if basis:
                for m in _LAW.finditer(piece):
                    title = m.group(1).strip()
                    date = f"{m.group(2)}/{m.group(3)}/{m.group(4)}" if m.group(2) else ""
                    kind = "Luật" if title.startswith("Luật") else "Bộ luật"
                    found.append(LegalDoc(doc_id=doc_id, kind=kind,
                                          title=title, date=date, issuer="Quốc hội", text=title, basis=True,
                                          where=where, line=p.line))
            for d in found:
                key = (d.kind, d.number or d.title)
                if key not in out:
                    out[key] = d
                elif d.basis and not out[key].basis:
                    out[key] = d
    return sorted(out.values(), key=lambda d: (not d.basis, d.line))
