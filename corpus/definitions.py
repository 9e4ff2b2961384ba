"""Definition records: the terms a plan spells out, "Chỉ số hài lòng … (SIPAS)" -> SIPAS.

Only pairs written in the plan: an abbreviation in parentheses after its noun phrase, or
"(sau đây viết tắt là X)". The expansion starts at a known head ("Chỉ số", "Bộ chỉ số", "Cổng", …, from
``data/prose.json``), else at the first capitalised word of the clause; the nearest head wins.
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.document import Paragraph
from corpus.records import Definition
from corpus.sentences import chop
from corpus.vocab import fold, prose_words

_PAREN = re.compile(r"\(([^()]{1,60})\)")
_ACRONYM = re.compile(r"^(?=(?:.*[A-ZĐ]){2})[A-ZĐ][A-Za-zĐđ0-9&\-.]*(?: [A-ZĐ0-9][A-Za-zĐđ0-9&\-.]*){0,2}$")
_NAMED = re.compile(r"^(?:Đề án|Chương trình|Nghị quyết|Chỉ thị|Dự án|Kế hoạch)\s+\d{1,4}$")
_ROMAN = re.compile(r"^[IVXL]+$")
_SKIP = {"TM", "KT", "UBND", "QĐ", "KH", "CV"}
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=2)
def _heads() -> tuple[re.Pattern[str], tuple[str, ...]]:
    w = prose_words()
    heads = set(w["definition_heads"]) | {"chỉ số", "bộ chỉ số"}  # "nâng cao chỉ số năng lực … (PCI)"
    alt = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
    rx = re.compile(r"(?<![\wÀ-ỹ])(?:" + alt + r")(?![\wÀ-ỹ])")  # case matters: "cán bộ" is no head
    return rx, tuple(fold(p) for p in w["definition_phrases"])


def _term(inner: str) -> str:
    """The abbreviation inside parentheses, or '' when the parentheses hold something else."""
    t = inner.strip(" .,;:")
    f = fold(t)
    for phrase in _heads()[1]:
        if f.startswith(phrase):
            t = t[len(phrase):].strip(" :.,;\"“”")
            break
    t = t.strip("\"“”' ")
    if not t or "/" in t or _ROMAN.match(t) or t in _SKIP or len(t) > 30:
        return ""
    return t if _ACRONYM.match(t) or _NAMED.match(t) else ""


def _by_initials(clause: str, term: str) -> str:
    """'… công tác cải cách hành chính' + 'CCHC' -> 'cải cách hành chính' (Vietnamese acronyms)."""
    letters = fold(term.replace(" ", "").replace("&", ""))
    if not letters.isalpha() or not 2 <= len(letters) <= 8:
        return ""
    words = clause.split()
    if len(words) < len(letters):
        return ""
    tail = words[-len(letters):]
    if "".join(fold(w)[:1] for w in tail) != letters:
        return ""
    exp = " ".join(tail)
    return exp[:1].upper() + exp[1:]


def _expansion(before: str, term: str = "") -> str:
    """The noun phrase right before '(': from the nearest known head, else the clause's capitalised start."""
    clause = re.split(r"[.;:()!?\n]|,\s(?=[A-ZĐ])", before)[-1].strip()
    clause = clause[-220:]
    initials = _by_initials(clause, term)
    if initials:
        return initials
    heads, _ = _heads()
    found = list(heads.finditer(clause))
    start = -1
    if found:
        # "Cổng Dịch vụ công quốc gia": a head right before another head belongs to the phrase
        i = len(found) - 1
        while i > 0 and clause[found[i - 1].end():found[i].start()].strip() == "":
            i -= 1
        start = found[i].start()
        if len(clause[start:].split()) < 2:
            start = -1
    if start < 0:
        caps = [m.start() for m in _WORD.finditer(clause) if m.group(0)[:1].isupper()]
        start = caps[0] if caps else -1
    if start < 0:
        return ""
    exp = clause[start:].strip(" ,\"“”")
    exp = exp[:1].upper() + exp[1:]
    return exp if 2 <= len(exp.split()) <= 30 else ""


def definitions_in(paras: list[tuple[Paragraph, str]], doc_id: str) -> list[Definition]:
    """Every written (term, expansion) pair in ``paras`` (paragraph, where), the first one per term."""
    out: dict[str, Definition] = {}
    for p, where in paras:
        if "(" not in p.text:
            continue
        for piece in chop(p.text, 2000):
            for m in _PAREN.finditer(piece):
                term = _term(m.group(1))
                if not term or fold(term) in out:
                    continue
                exp = _expansion(piece[max(0, m.start() - 400):m.start()], term)
                if not exp or fold(exp) == fold(term) or fold(term) in fold(exp).split():
                    continue
                out[fold(term)] = Definition(doc_id=doc_id, term=term, expansion=exp, where=where, line=p.line)
    return list(out.values())
