"""Presentation parts of an answer for the widget: a lead sentence, plan tags once, labelled lines.

The assistant writes one plain text (what the CLI, the channels and the API's ``answer`` carry). A
phone screen needs structure: this module reads that text back into a short list of parts and adds,
per appendix source, the cells that support it (lead agency, time, budget). Pure: values in, values
out; the widget renders the parts as text nodes, never as HTML.

Part shapes (all values are plain strings):
``{"type": "lead", "text"}`` · ``{"type": "plan", "text": "Hà Tĩnh, 2024"}`` ·
``{"type": "fields", "fields": [{"label", "value"}]}`` (labelled lines under the lead) ·
``{"type": "item", "text", "fields"}`` (one entry of a list) · ``{"type": "text", "text"}`` ·
``{"type": "note", "text"}`` · ``{"type": "quote", "source": i, "fields"}`` (cells of source ``i``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.answer import Answer
from corpus.money import vnd

# Labels the composer writes as "Nhãn: giá trị." inside a sentence run; longest first.
LABELS = ("Cơ quan phối hợp", "Cơ quan chủ trì", "Thời gian thực hiện", "Căn cứ/thực hiện", "Tên kế hoạch",
          "Sản phẩm", "Phối hợp", "Thời gian", "Kinh phí", "Ghi chú", "Người ký")
_LABEL_SPLIT = re.compile(r"(?<=[.)”\"])\s+(?=(?:" + "|".join(re.escape(x) for x in LABELS) + r"):\s)")
_LABELLED = re.compile(r"^(" + "|".join(re.escape(x) for x in LABELS) + r"):\s*(.+?)\.?$", re.S)
_TAG = re.compile(r"^\[([^\[\]\n]{2,60})\]\s*")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")
_CITE = re.compile(r"^Nguồn:")
_NOTE = re.compile(r"^(Lưu ý|Ghi chú chung|Chú ý):")
MAX_PARTS = 40


def split_fields(text: str) -> tuple[str, list[dict[str, str]]]:
    """'X chủ trì “…”. Sản phẩm: A. Thời gian: B.' -> ('X chủ trì “…”.', [Sản phẩm: A, Thời gian: B])."""
    chunks = [c.strip() for c in _LABEL_SPLIT.split(text.strip()) if c.strip()]
    if not chunks:
        return "", []
    head, fields = chunks[0], []
    for c in chunks[1:]:
        m = _LABELLED.match(c)
        if m:
            fields.append({"label": m.group(1), "value": m.group(2).strip()})
        else:  # not a label after all: keep the words with the sentence before
            head = f"{head} {c}"
    return head, fields


def text_parts(text: str) -> list[dict[str, Any]]:
    """The answer text as parts; the trailing "Nguồn:" line is dropped (sources are listed apart)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip() and not _CITE.match(ln.strip())]
    parts: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    last_tag: str | None = None
    for ln in lines:
        if _NOTE.match(ln):
            notes.append({"type": "note", "text": ln})
            continue
        bullet = bool(_BULLET.match(ln))
        body = _BULLET.sub("", ln, count=1) if bullet else ln
        m = _TAG.match(body)
        if m:
            tag = m.group(1).strip()
            body = body[m.end():]
            if tag != last_tag:
                parts.append({"type": "plan", "text": tag})
                last_tag = tag
        head, fields = split_fields(body)
        if bullet:
            parts.append({"type": "item", "text": head, "fields": fields})
        elif not any(p["type"] in ("lead", "item", "text") for p in parts):
            lead, rest = _first_sentence(head)
            parts.append({"type": "lead", "text": lead})
            if rest:
                parts.append({"type": "text", "text": rest, "fields": []})
            if fields:
                parts.append({"type": "fields", "fields": fields})
        else:
            parts.append({"type": "text", "text": head, "fields": fields})
    items = sum(1 for p in parts if p["type"] == "item")
    if items > 1 and not any(p["type"] == "lead" for p in parts):
        parts.insert(0, {"type": "lead", "text": f"Có {items} nội dung phù hợp trong các kế hoạch:"})
    return (parts + notes)[:MAX_PARTS]


def _first_sentence(text: str, limit: int = 180) -> tuple[str, str]:
    """A long opening paragraph -> (its first sentence, the rest), so the lead stays short."""
    if len(text) <= limit:
        return text, ""
    m = re.search(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ])", text[20:limit + 60])
    if not m or "“" in text[: 20 + m.start()] and "”" not in text[: 20 + m.start()]:
        return text, ""
    cut = 20 + m.start()
    return text[:cut].strip(), text[cut:].strip()


def quote_cells(sources: list[Any], plans: Iterable[Any]) -> list[dict[str, Any]]:
    """For each appendix source, the row's cells that support the answer: lead, coordinators, time, budget."""
    by_label: dict[tuple, Any] = {}
    for pp in plans:
        p = getattr(pp, "plan", None)
        if p is not None:
            by_label.setdefault((p.label(), p.province, p.year), pp)
    out = []
    for i, s in enumerate(sources):
        pp = by_label.get((s.document, s.province, s.year))
        if pp is None or not s.section.startswith("Phụ lục"):
            continue
        task = next((t for t in getattr(pp, "tasks", []) if t.where == s.section), None)
        if task is None:
            continue
        cells = [("Nội dung", task.content), ("Chủ trì", ", ".join(task.lead)),
                 ("Phối hợp", ", ".join(task.coordinators)), ("Thời gian", task.timeline),
                 ("Kinh phí", vnd(task.budget) or task.note)]
        fields = [{"label": k, "value": " ".join(str(v).split())[:300]} for k, v in cells if v]
        if fields:
            out.append({"type": "quote", "source": i, "fields": fields})
    return out


def with_parts(ans: Answer, plans: Iterable[Any] = ()) -> Answer:
    """The same answer with ``parts`` filled (kept as is when the assistant already set them)."""
    if ans.parts is not None:
        return ans
    try:
        parts = text_parts(ans.answer) + quote_cells(ans.sources[:5], plans)
    except Exception:  # noqa: BLE001 - presentation hints must never cost the user the answer
        return ans
    return ans.model_copy(update={"parts": parts})
