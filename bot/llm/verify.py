"""Checking a model's answer against the records it was given, before any user sees it. Pure functions.

An answer passes when it cites at least one record and only retrieved ids; every figure (amounts,
dates, quarters) and every agency name it states appears in the records it cites; most of its
content words come from those records; and it does not echo the prompt's instructions or tags.
Comparison is on normalised text: NFC, lower case, diacritics folded, digit separators removed,
"Ủy ban nhân dân" = "UBND".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from corpus.vocab import fold

from .prompts import REFUSAL

MAX_ANSWER_CHARS = 1500
SHINGLE = 8  # words: a run this long copied from the instructions counts as a leak

_CITE_GROUP = re.compile(r"\[\s*([Rr]\s*\d+(?:\s*[,;]\s*[Rr]\s*\d+)*)\s*\]")
_CITE_STRIP = re.compile(r"[ \t]*\[\s*[Rr]\s*\d+(?:\s*[,;]\s*[Rr]\s*\d+)*\s*\]")
_ID_LIKE = re.compile(r"\b[Rr]\s?\d{1,3}\b")
_TAGS = re.compile(r"</?\s*(?:tai_lieu|cau_hoi|lich_su)\b|&lt;/?\s*(?:tai_lieu|cau_hoi)", re.I)

_DATE_DMY = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b")
_DATE_WORDS = re.compile(r"\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\b", re.I)
_MONTH_YEAR = re.compile(r"\btháng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})\b", re.I)
_QUARTER = re.compile(r"\bquý\s+(IV|I{1,3}|[1-4])\b", re.I)
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:[.,]|[ \u00a0\u202f])\d{3})+(?![\d])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-•*+])\s+", re.M)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}

# agency triggers (as written, case-sensitive first letter) and, after normalisation, how many
# words must follow the trigger for the name to be specific ("Sở" alone names nothing)
_AGENCY = re.compile(r"(?<![\w/-])(Sở|Ủy ban|Uỷ ban|UBND|Công an|Văn phòng|Đài|Báo)(?!\w)(?! cáo| chí| dĩ)")
_AGENCY_STOP = re.compile(r"[,.;:()\[\]\n“”\"!?]")
_TRIGGERS = [("cong an tinh", 0), ("cong an", 1), ("ubnd", 1), ("uy ban", 2), ("van phong", 1),
             ("dai", 2), ("bao", 2), ("so", 2)]
_WINDOW = 8
MIN_SUPPORT = 0.6  # share of the answer's content words that must occur in the cited records
_FUNCTION_WORDS = set("""
a ai bao bi boi cac cai can cho chua co con cua cung cu da dang day de den deu do don duoc gi gom hay hoac hon khi
khong la lai ma moi mot nao nay neu nhat nhieu nhu nhung o phai qua quan ra rang rat roi sau se so tai the theo thi
thu tren trong truoc tu va vao ve voi vi viec xin
""".split())


@dataclass
class Verdict:
    ok: bool
    reason: str  # "ok" | "refusal" | "empty" | "too_long" | "markup" | "no_citation" | "unknown_id"
    #              | "figure" | "agency" | "leak"
    cited: list[str] = field(default_factory=list)
    text: str = ""  # the answer, cleaned for a chat (no [Rn] markers, no Markdown)


def norm(text: str) -> str:
    """Folded comparison form: 'Ủy ban nhân dân tỉnh' -> 'ubnd tinh'; punctuation -> spaces."""
    t = fold(unicodedata.normalize("NFC", text or ""))
    t = re.sub(r"[^a-z0-9&]+", " ", t)
    t = re.sub(r"\buy ban nhan dan\b", "ubnd", t)
    return " ".join(t.split())


def is_refusal(text: str) -> bool:
    """The model's fixed 'not in the records' reply, however it was dressed."""
    f = fold(unicodedata.normalize("NFC", text or ""))
    token = fold(REFUSAL)
    return token in f or token.replace("_", " ") == " ".join(re.sub(r"[^a-z ]", " ", f).split())


def citations(text: str) -> list[str]:
    """Cited ids in order of first appearance: '… [R2] … [R1, R2]' -> ['R2', 'R1']."""
    out: list[str] = []
    for m in _CITE_GROUP.finditer(text or ""):
        for rid in re.split(r"\s*[,;]\s*", m.group(1)):
            rid = rid.replace(" ", "").upper()
            if rid not in out:
                out.append(rid)
    return out


def clean(text: str) -> str:
    """Chat-ready text: citation markers and Markdown emphasis removed, spacing tidied."""
    t = unicodedata.normalize("NFC", text or "")
    t = _CITE_STRIP.sub("", t)
    t = re.sub(r"\*\*|__|`", "", t)
    t = re.sub(r"^\s*#{1,6}\s+", "", t, flags=re.M)
    t = re.sub(r"[ \t]+([.,;:!?)])", r"\1", t)
    t = re.sub(r"[ \t]{2,}", " ", t)
    t = re.sub(r"\n{3,}", "\n\n", t)
    return "\n".join(line.rstrip() for line in t.strip().splitlines())


def figures(text: str, expand: bool = False) -> set[str]:
    """Canonical figures: '1.005.896.756' -> '1005896756', '02/4/2024' -> '2/4/2024', 'Quý II' -> 'q2'.

    With ``expand`` (for records) a date also yields its month/year and year, so an answer may
    state less than the record does.
    """
    t = unicodedata.normalize("NFC", text or "")
    t = _LIST_MARK.sub(" ", t)
    out: set[str] = set()

    def date(d: str, m: str, y: str) -> str:
        out.add(f"{int(d)}/{int(m)}/{y}")
        if expand:
            out.update({f"{int(m)}/{y}", y, str(int(d)), str(int(m))})
        return " "

    t = _DATE_WORDS.sub(lambda m: date(*m.groups()), t)
    t = _DATE_DMY.sub(lambda m: date(*m.groups()), t)

    def month_year(m: re.Match) -> str:
        out.add(f"{int(m.group(1))}/{m.group(2)}")
        if expand:
            out.update({m.group(2), str(int(m.group(1)))})
        return " "

    t = _MONTH_YEAR.sub(month_year, t)

    def quarter(m: re.Match) -> str:
        q = m.group(1).lower()
        out.add("q" + _ROMAN.get(q, q))
        return " "

    t = _QUARTER.sub(quarter, t)

    def grouped(m: re.Match) -> str:
        out.add(str(int(re.sub(r"\D", "", m.group(0)))))
        return " "

    t = _GROUPED.sub(grouped, t)
    for m in _NUMBER.finditer(t):
        out.add(str(int(re.sub(r"\D", "", m.group(0)))))
    return out


def agency_mentions(text: str) -> list[list[str]]:
    """Each agency-like phrase in the answer as normalised words (trigger + up to a few words)."""
    t = unicodedata.normalize("NFC", text or "")
    out = []
    for m in _AGENCY.finditer(t):
        rest = t[m.start():]
        stop = _AGENCY_STOP.search(rest)
        phrase = rest[: stop.start()] if stop else rest
        words = norm(phrase).split()[:_WINDOW]
        if words:
            out.append(words)
    return out


def alias_groups(agency_alias: Mapping[str, str]) -> dict[str, set[str]]:
    """folded alias -> canonical (the vocabulary's map) into normalised alias -> all its spellings."""
    by_canon: dict[str, set[str]] = {}
    for alias, canon in agency_alias.items():
        by_canon.setdefault(norm(canon), {norm(canon)}).add(norm(alias))
    return {a: group for group in by_canon.values() for a in group}


def _agency_ok(words: list[str], haystack: str, groups: Mapping[str, set[str]]) -> bool:
    """The named agency (or a known spelling of it) occurs in the records."""
    for n in range(len(words), 0, -1):  # a known spelling at the start of the phrase
        group = groups.get(" ".join(words[:n]))
        if group and any(f" {a} " in haystack for a in group):
            return True
    trig = next(((t.split(), extra) for t, extra in _TRIGGERS if words[: len(t.split())] == t.split()), None)
    if trig is None:
        return True
    need = min(len(words), len(trig[0]) + trig[1])
    return f" {' '.join(words[:need])} " in haystack


def support(text: str, source: str) -> float:
    """Share of the answer's content words (function words aside) that occur in ``source``; 0 if it has none."""
    have = set(norm(source).split())
    words = [w for w in norm(text).split() if w not in _FUNCTION_WORDS and not w.isdigit()]
    return sum(1 for w in words if w in have) / len(words) if words else 0.0


def _shingles(text: str, n: int = SHINGLE) -> set[str]:
    w = norm(text).split()
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def leak_shingles(instructions: Iterable[str]) -> set[str]:
    """Word runs of the prompt instructions; an answer repeating one is echoing the prompt."""
    out: set[str] = set()
    for text in instructions:
        out |= _shingles(text)
    return out


def check(answer: str, records: Mapping[str, str], *, groups: Mapping[str, set[str]] | None = None,
          forbidden: set[str] | None = None) -> Verdict:
    """Verify a model answer against the retrieved records ({id: text}); see the module docstring.

    ``groups``: agency spellings (``alias_groups``); ``forbidden``: instruction word runs (``leak_shingles``).
    """
    raw = unicodedata.normalize("NFC", answer or "").strip()
    if not raw:
        return Verdict(False, "empty")
    if is_refusal(raw):
        return Verdict(False, "refusal")
    if len(raw) > MAX_ANSWER_CHARS:
        return Verdict(False, "too_long")
    if _TAGS.search(raw):
        return Verdict(False, "markup")
    if forbidden and (_shingles(raw) & forbidden) - _shingles("\n".join(records.values())):
        return Verdict(False, "leak", citations(raw))
    cited = citations(raw)
    known = {k.upper() for k in records}
    if any(c not in known for c in cited):
        return Verdict(False, "unknown_id", cited)
    if not cited:
        return Verdict(False, "no_citation")
    text = clean(raw)
    if _ID_LIKE.search(text):  # an id outside brackets ("theo R3") is a citation we cannot check
        return Verdict(False, "unknown_id", cited)
    source = "\n".join(records[k] for k in records if k.upper() in cited)
    if figures(text) - figures(source, expand=True):
        return Verdict(False, "figure", cited)
    haystack = f" {norm(source)} "
    if not all(_agency_ok(w, haystack, groups or {}) for w in agency_mentions(text)):
        return Verdict(False, "agency", cited)
    if support(text, source) < MIN_SUPPORT:
        return Verdict(False, "unsupported", cited)
    return Verdict(True, "ok", cited, text)
