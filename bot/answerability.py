"""Is the chosen record an answer to this question? An explicit check, slot by slot, with a reason.

Every slot the question names — the agency it is about, a partner, the attribute asked (time, budget,
coordinators, place, count), its topic — must be present in the record (or, for an agency, at least
in the plan), else the answer is an honest ``found: false`` that says what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge import Knowledge, Record, agency_key
from bot.query import Query
from corpus.money import MONEY
from corpus.records import Activity, Duty, Passage, Plan, Task
from corpus.vocab import fold, nfc, prose_words
from retrieval.text import word_set

SLOT_NAMES = {"timeline": "thời gian thực hiện", "budget": "kinh phí cụ thể", "coordinators": "cơ quan phối hợp",
              "place": "địa điểm", "count": "số lượng sản phẩm", "lead": "cơ quan chủ trì"}


@dataclass
class Verdict:
    ok: bool
    reason: str = ""  # Vietnamese, says which slot is missing


def display_agency(k: Knowledge, key: str) -> str:
    """A readable name for an agency key ('so tai chinh' -> 'Sở Tài chính')."""
    canon = k.vocab.agency_alias.get(key)
    if canon:
        return canon
    for spelling, kk in k.agency_lexicon.items():
        if kk == key and spelling in k.vocab.agency_alias:
            return k.vocab.agency_alias[spelling]
    return key[:1].upper() + key[1:]


def agency_absent(k: Knowledge, q: Query, docs: list[str]) -> str | None:
    """The subject or a partner agency that none of the scoped plans names, if any."""
    for key in [q.subject, *q.partners]:
        if key and docs and not any(k.mentions_agency(d, key) for d in docs):
            if key in q.agency_labels and any(key in k.plan_text(d) for d in docs):
                continue  # a body the vocabulary does not know, but the plan's text names it
            return key
    return None


def _names(r: Record) -> list[str]:
    if isinstance(r, Task):
        return [*r.lead, *r.coordinators, r.group]
    if isinstance(r, Activity):
        return [*r.lead, *r.coordinators]
    if isinstance(r, Duty):
        return [r.agency, *r.coordinators]
    return []


def _record_names_agency(k: Knowledge, r: Record, key: str) -> bool:
    prov = k.plans[r.doc_id].plan.province if not isinstance(r, Plan) else r.province
    if any(agency_key(n, prov, k.vocab) == key or fold(n) == key for n in _names(r) if n):
        return True
    text = fold(getattr(r, "text", "") or getattr(r, "content", "") or "")
    if prov:
        text = text.replace(fold(prov), "tinh")
    return key in text or any(s in text for s in k._spellings.get(key, ()) if len(s) > 3)


def _passage_names_agency(k: Knowledge, r: Passage, key: str) -> bool:
    """A passage names the agency as written (capitals kept): "các sở xây dựng" is not Sở Xây dựng."""
    prov = k.plans[r.doc_id].plan.province
    text = nfc(r.text)
    names = {k.vocab.agency_alias.get(s, "") for s in k._spellings.get(key, set()) | {key}} - {""}
    if not names:  # an agency only this corpus knows: its folded spelling is all there is
        f = fold(text)
        return key in (f.replace(fold(prov), "tinh") if prov else f)
    return any(n in text or (prov and n.replace("tỉnh", prov) in text) for n in names)


def slot_value(q: Query, r: Record) -> bool:
    """Does the record carry the attribute asked (a time, a sum, partners …)?"""
    a = q.attribute
    if a == "budget" and isinstance(r, Passage | Duty):  # a sentence with no sum and no word of money answers no sum
        return bool(MONEY.search(r.text) or re.search(r"kinh phi|ngan sach|du toan|nguon von", fold(r.text)))
    if isinstance(r, Task):
        return {"timeline": bool(r.timeline), "budget": r.budget is not None or bool(r.note),
                "coordinators": bool(r.coordinators), "count": bool(r.product), "place": True}.get(a, True)
    if isinstance(r, Activity):
        return {"timeline": bool(r.time), "budget": r.budget is not None or bool(r.funding),
                "coordinators": bool(r.coordinators), "place": bool(r.place)}.get(a, True)
    return True


def check(k: Knowledge, q: Query, r: Record, coverage: float, unit_text: str = "") -> Verdict:
    """Answerable from this record? Agency slots first, then the attribute, then the topic."""
    if q.subject and (q.attribute in ("duties", "lead", "", "budget") or not q.topic_terms):
        named = _record_names_agency(k, r, q.subject) if not isinstance(r, Passage) else \
            _passage_names_agency(k, r, q.subject)
        if not named:
            return Verdict(False, f"không có nội dung nào giao cho {display_agency(k, q.subject)}")
    for p in q.partners:
        if not isinstance(r, Passage) and not _record_names_agency(k, r, p):
            return Verdict(False, f"không có nhiệm vụ nào phối hợp với {display_agency(k, p)} như câu hỏi nêu")
    if q.attribute == "definition" and q.abbreviations:
        text = fold(unit_text or _flat(r))
        missing = [a for a in q.abbreviations if a not in text]
        if missing:
            return Verdict(False, f"không giải thích “{missing[0].upper()}”")
    if q.attribute == "budget" or q.asks_amount or re.search(r"\b(thuong|tri gia)\b.*\bbao nhieu\b", q.folded):
        part = _named_part(q, unit_text or _flat(r))
        if part:  # "giải nhất được thưởng bao nhiêu?": a sum for the contest is not the prize
            return Verdict(False, f"không ghi riêng “{part}”")
    if q.attribute in SLOT_NAMES and not slot_value(q, r):
        return Verdict(False, f"không ghi {SLOT_NAMES[q.attribute]} cho nội dung này")
    words = set(re.findall(r"[a-z0-9]+", fold(unit_text or _flat(r))))  # "02 kỳ/tháng" names "kỳ"
    if q.quantity_noun and not all(w in words for w in q.quantity_noun.split()):
        return Verdict(False, f"không nêu số lượng “{q.quantity_noun}”")
    if q.asked_noun:
        noun = q.asked_noun.rstrip("?")
        shown = noun.replace("_", " ")
        if noun not in k.index.bm25.idf:  # no plan ever speaks of it
            return Verdict(False, f"không nói về “{shown}”")
        if q.asked_noun.endswith("?") and not q.subject and not q.attribute \
                and noun not in word_set(fold(unit_text or _flat(r))):
            return Verdict(False, f"không nêu “{shown}” cho nội dung này")  # "cần những giấy tờ gì?"
    if q.contest_name and not isinstance(r, Plan):
        seen = word_set(fold(unit_text or _flat(r)))
        if "thi" not in seen or 2 * sum(w in seen for w in q.contest_name) < len(q.contest_name):
            return Verdict(False, f"không có cuộc thi “{q.contest_label}” như câu hỏi nêu")
    if q.topic_terms and coverage == 0 and not q.subject and not q.row:
        return Verdict(False, "không có nội dung về chủ đề này")
    return Verdict(True)


def _named_part(q: Query, text: str) -> str:
    """A part of a sum the question names (prose.json ``sum_parts``: giải nhất, nhuận bút …) that the record lacks."""
    for part in prose_words().get("sum_parts", []):
        if fold(part) not in q.folded:
            continue
        lines = [x for x in re.split(r"\n|(?<=[.;])\s+", text) if fold(part) in fold(x)]
        if not any(MONEY.search(x) for x in lines):  # not named, or named with no sum ("01 giải Nhất, …")
            return part
    return ""


def _flat(r: Record) -> str:
    if isinstance(r, Duty | Passage):
        return r.text
    if isinstance(r, Task):
        return f"{r.content} {r.product} {r.note}"
    if isinstance(r, Activity):
        return f"{r.name} {r.product} {r.text}"
    return ""

