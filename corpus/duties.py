"""Duty records from "Tổ chức thực hiện" agency blocks and from "X chủ trì …" sentences.

An agency block is a numbered item in the implementation part: its heading names one or more
agencies ("12. Đề nghị Báo Ấp Bắc, Đài Phát thanh và Truyền hình tỉnh, …"), sometimes followed by
':' and the duty on the same line. Each bullet or lettered sub-item under it becomes one Duty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.agencies import agencies_after, cut_name, split_agencies, starts_rx
from corpus.records import Duty
from corpus.sentences import sentences
from corpus.structure import Part
from corpus.vocab import Vocabulary, fold

_VERBS = (
    "chủ trì", "phối hợp", "có trách nhiệm", "căn cứ", "chủ động", "đưa", "tổ chức", "triển khai",
    "thực hiện", "tham mưu", "chỉ đạo", "xây dựng", "tăng cường", "lồng ghép", "tập trung", "duy trì",
    "chuẩn bị", "cung cấp", "hướng dẫn", "theo dõi", "định kỳ", "phân bổ", "bố trí",
)
_REQUEST = re.compile(r"^\s*Đề nghị\s+", re.I)
_CLOSING = re.compile(r"^(Trên đây|Yêu cầu|Trong quá trình|Quá trình thực hiện)", re.I)
_SUBITEM = re.compile(r"^(?:[a-zđ]\)|\d{1,2}(?:\.\d{1,2})+\.?|[-+•–])\s*")


def is_implementation_part(part: Part) -> bool:
    return "to chuc thuc hien" in fold(part.title)


def _agency_heading(text: str) -> tuple[str, str]:
    """Split an item line into (agency phrase, duty text on the same line)."""
    t = text.strip()
    colon = t.find(":")
    if 0 < colon <= 160 and not re.search(r"\bcác Sở\s*$", t[:colon], re.I):
        return t[:colon], t[colon + 1 :].strip()
    if len(t) <= 160 and not t.endswith("."):
        return t, ""
    low = t.lower()
    cut = min((i for v in _VERBS if (i := low.find(" " + v + " ", 3)) > 0), default=-1)
    if cut > 0:
        return t[:cut], t
    if len(t) <= 400 and not t.endswith("."):  # a long list of agencies, no duty on the line
        return t, ""
    return t[:80], t


def _clean_agency_phrase(phrase: str) -> tuple[str, bool]:
    request = bool(_REQUEST.match(phrase))
    phrase = _REQUEST.sub("", phrase)
    phrase = re.sub(r"\s*\([^)]*\)", "", phrase)  # "(Trung tâm Hỗ trợ …)"
    # "Sở Nội vụ - Cơ quan thường trực …": keep the name before the descriptor
    phrase = re.split(r"\s+[-–]\s+(?=[A-ZĐ][a-zà-ỹ]+ [a-zà-ỹ])", phrase, maxsplit=1)[0]
    return phrase.strip(" .:"), request


ROLES = ("chủ trì", "phối hợp", "đề nghị", "thực hiện")


def role_of(text: str, request: bool) -> str:
    """The block agency's role in one duty, read from the sentence, never assumed.

    "Chủ trì, phối hợp …" or "… chủ trì …" (not "do X chủ trì") -> chủ trì; "Phối hợp …" or
    "… phối hợp với X …" in a duty that does not lead -> phối hợp; a block headed "Đề nghị …" -> đề nghị;
    anything else -> the neutral "thực hiện" (the agency carries it out; nobody said it leads).
    """
    if request:
        return "đề nghị"
    f = fold(text).lstrip("-+•– ")
    if f.startswith("chu tri"):
        return "chủ trì"
    if f.startswith("phoi hop"):
        return "phối hợp"
    i = f.find("chu tri")
    if i > 0 and not re.search(r"\bdo\s+[^,;]{2,80}$", f[:i]):
        return "chủ trì"
    if "phoi hop" in f:
        return "phối hợp"
    return "thực hiện"


@dataclass
class AgencyBlock:
    """One numbered block of "Tổ chức thực hiện": its agencies and the duty paragraphs under it."""

    agencies: list[str]
    request: bool  # headed "Đề nghị …" (bodies outside the province's administration)
    where: str
    texts: list[tuple[str, int]]  # (duty text with its bullet/letter stripped, line)


def agency_blocks(part: Part, vocab: Vocabulary) -> tuple[list[AgencyBlock], list[str]]:
    """The agency blocks of an implementation part, and its closing paragraphs ("Trên đây là …")."""
    blocks: list[AgencyBlock] = []
    closing: list[str] = []
    for item in part.items:
        phrase, same_line = _agency_heading(item.text)
        phrase, request = _clean_agency_phrase(phrase)
        agencies = split_agencies(phrase, vocab) or [phrase]
        texts: list[tuple[str, int]] = []
        if same_line:
            texts.append((same_line, item.line))
        for p in item.body:
            if closing or _CLOSING.match(p.text):
                closing.append(p.text)
                continue
            texts.append((p.text, p.line))
        if not texts:
            texts.append((item.text, item.line))
        texts = [(_SUBITEM.sub("", t).strip(), line) for t, line in texts]
        blocks.append(AgencyBlock(agencies, request, f"{part.heading} › {item.number}. {phrase}", texts))
    return blocks, closing


def duties_from_part(part: Part, doc_id: str, vocab: Vocabulary) -> tuple[list[Duty], int, list[str]]:
    """Duties of every agency block in the implementation part; also the closing paragraphs."""
    duties: list[Duty] = []
    blocks, closing = agency_blocks(part, vocab)
    for b in blocks:
        for agency in b.agencies:
            for body, line in b.texts:
                duties.append(
                    Duty(doc_id=doc_id, agency=agency, role=role_of(body, b.request), text=body,
                         coordinators=agencies_after(body, "phối hợp với", vocab), where=b.where, line=line)
                )
    return duties, len(part.items), closing


def duties_from_sentences(text: str, where: str, line: int, doc_id: str, vocab: Vocabulary) -> list[Duty]:
    """'Giao Giám đốc Sở Thông tin và Truyền thông chủ trì, phối hợp với …' -> a chủ trì Duty.

    Sentences come from :func:`corpus.sentences.sentences` (bounded pieces): a scan for "chủ trì" over a
    long unpunctuated line was quadratic (issue 13).
    """
    out: list[Duty] = []
    for sentence in sentences(text):
        at = fold(sentence).find("chu tri")
        if at < 0 or not re.search(r"\bchủ trì\b", sentence, re.I):
            continue
        before = sentence[:at]
        names = [n for n in names_in(before, vocab)]
        if not names:
            continue
        out.append(Duty(doc_id=doc_id, agency=names[-1], role="chủ trì", text=sentence,
                        coordinators=agencies_after(sentence, "phối hợp với", vocab), where=where, line=line))
    return out


def names_in(text: str, vocab: Vocabulary) -> list[str]:
    found: list[str] = []
    for m in starts_rx(vocab).finditer(text):
        name = cut_name(text[m.start():m.start() + 300], vocab)
        if name:
            found.append(vocab.canonical_agency(name))
    return found
