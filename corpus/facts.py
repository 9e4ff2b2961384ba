"""Facts written inside one activity's sentences: time, place, product and counts, budget, funding.

Every pattern runs on bounded pieces (:mod:`corpus.sentences`) and has bounded repetition, so a
hostile upload cannot make it slow. What is not written stays empty: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.sentences import sentences
from corpus.vocab import fold, prose_words

_NOT_A_PLACE = ("quy dinh", "ban hanh", "neu", "theo", "ghi")
_DOC_AFTER = re.compile(r"(?:Quyết định|Nghị định|Nghị quyết|Kế hoạch|Công văn|Tờ trình|Thông tư|Chỉ thị|Luật|Điều|"
                        r"khoản|điểm|mục|Mục|Phụ lục|văn bản)\b")
_END = (r"(?=\s+(?:vào|trong|từ|thời gian|nhằm|để|theo|với|do|khi|hoàn thành|trước ngày|cho|đến|và các|phối hợp|"
        r"trên|tại)\b"
        r"|\s*[;,.():]|\s*$)")

_TIMES = [re.compile(p, re.I) for p in (
    r"\bthời (?:gian|hạn)(?: thực hiện| tổ chức| dự kiến| hoàn thành)?\s*:\s*([^;.()]{3,80})",
    r"\b((?:hoàn thành\s+)?(?:trước|chậm nhất(?: là)?|trong)\s+ngày\s+\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{4})?)",
    r"\b(từ ngày\s+\d{1,2}/\d{1,2}(?:/\d{4})?\s*(?:đến|-|–)\s*(?:ngày\s+)?\d{1,2}/\d{1,2}(?:/\d{4})?)",
    r"\b(hoàn thành\s+(?:trong\s+)?(?:tháng|quý)\s+[\dIV]{1,4}(?:\s*(?:/|năm)\s*\d{4})?)",
    r"\b((?:trong\s+)?(?:các\s+)?tháng\s+\d{1,2}(?:\s*(?:[-–]|đến|và)\s*(?:tháng\s+)?\d{1,2})?(?:\s*(?:/|năm)\s*\d{4})?)",
    r"\b((?:trong\s+)?quý\s+[IV]{1,3}(?:\s*(?:[-–,]|đến|và)\s*(?:quý\s+)?[IV]{1,3})?(?:\s*(?:/|năm)\s*\d{4})?)",
    r"\b(\d\s+tháng\s+(?:đầu|cuối)\s+năm(?:\s+\d{4})?)",
    r"\b((?:định kỳ\s+)?(?:hằng|hàng)\s+(?:tháng|quý|năm|tuần))\b",
    r"\b(thường xuyên|cả năm \d{4}|trong năm \d{4})\b",
)]
_BUDGET = re.compile(
    r"(?:tổng(?:\s+kinh phí)?|kinh phí(?:\s+(?:dự kiến|thực hiện|tổ chức|dự toán))?)\s*(?:là|:)?\s*(?:khoảng\s+)?"
    r"(\d{1,3}(?:[.,]\d{3})+|\d{1,6}(?:,\d{1,3})?)\s*(tỷ|triệu|nghìn|ngàn)?\s*(?:đồng|VNĐ|VND|đ\b)", re.I)
_FUNDING = re.compile(
    r"\b((?:nguồn\s+)?(?:ngân sách|kinh phí thường xuyên|kinh phí chi thường xuyên|xã hội hóa|vốn)"
    r"(?:\s+(?!được\b|và\b|theo\b|để\b|do\b)[^\s;,.()]{1,12}){0,6})", re.I)
_UNIT = {"tỷ": 1_000_000_000, "triệu": 1_000_000, "nghìn": 1_000, "ngàn": 1_000}


@dataclass
class Facts:
    time: str = ""
    place: str = ""
    product: str = ""
    budget: int | None = None
    funding: str = ""


@lru_cache(maxsize=2)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    w = prose_words()
    heads = "|".join(re.escape(h) for h in sorted(w["place_heads"], key=len, reverse=True))
    nouns = "|".join(re.escape(n) for n in sorted(w["product_nouns"], key=len, reverse=True))
    place_at = re.compile(r"\btại\s+([^;,.()]{3,100}?)" + _END)
    place_on = re.compile(r"\btrên\s+((?:" + heads + r")\b[^;.()]{0,100}?)" + _END)
    product = re.compile(r"(?<![\d/.])\b(\d{1,4}(?:\.\d{3})*)\s+((?:" + nouns + r")\b[^;,.():]{0,80}?)" + _END, re.I)
    return place_at, place_on, product


def money(number: str, unit: str | None) -> int | None:
    """'850' + 'triệu' -> 850_000_000; '185.000.000' -> 185_000_000; '1,5' + 'tỷ' -> 1_500_000_000."""
    mult = _UNIT.get((unit or "").lower(), 1)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):
        value = float(re.sub(r"[.,]", "", number))
    else:
        value = float(number.replace(",", "."))
    return int(round(value * mult)) if value else None


def labelled(text: str) -> tuple[str, str] | None:
    """'Thời gian: tháng 8/2025' -> ('time', 'tháng 8/2025') when the label is a known field."""
    head, sep, value = text.partition(":")
    if not sep or len(head) > 40:
        return None
    field = prose_words()["field_labels"].get(fold(head).strip(" -+•*"))
    return (field, value.strip(" .;")) if field and value.strip(" .;") else None


def read_facts(text: str) -> Facts:
    place_at, place_on, product = _patterns()
    f = Facts()
    for piece in sentences(text):
        lab = labelled(piece)
        if lab and lab[0] in ("time", "place", "product", "funding") and not getattr(f, lab[0]):
            setattr(f, lab[0], lab[1])
        if not f.time:
            f.time = _time(piece)
        if not f.place:
            f.place = _place(piece, place_at, place_on)
        if not f.product:
            m = product.search(piece)
            if m and not re.fullmatch(r"(?:19|20)\d\d", m.group(1)):
                f.product = f"{m.group(1)} {m.group(2).strip()}"
        if f.budget is None:
            m = _BUDGET.search(piece)
            if m:
                f.budget = money(m.group(1), m.group(2))
        if not f.funding:
            m = _FUNDING.search(piece)
            if m and len(m.group(1).split()) >= 2:
                f.funding = m.group(1).strip()
    return f


_DATE_BEFORE = re.compile(r"ngày\s+\d{1,2}\s*$")


def _time(piece: str) -> str:
    for rx in _TIMES:
        for m in rx.finditer(piece):
            if _DATE_BEFORE.search(piece[max(0, m.start() - 12):m.start()]):
                continue  # "ngày 23 tháng 4 năm 2018": the date of a cited document, not a schedule
            return re.sub(r"^(?:trong|vào)\s+", "", m.group(1).strip(" ,"))
    return ""


def _place(piece: str, place_at: re.Pattern[str], place_on: re.Pattern[str]) -> str:
    for m in place_at.finditer(piece):
        before = fold(piece[max(0, m.start() - 12):m.start()]).strip()
        if before.endswith(_NOT_A_PLACE) or _DOC_AFTER.match(m.group(1)):
            continue
        return "tại " + m.group(1).strip()
    on = place_on.search(piece)
    return "trên " + on.group(1).strip() if on else ""
