"""Records -> searchable units. Each unit's text carries its context (province, agency, heading)
so that a row of the appendix is found by the words of its header, not only its cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from corpus.money import vnd
from corpus.records import ParsedPlan


@dataclass
class Unit:
    uid: str
    kind: str  # "plan" | "task" | "duty" | "passage" | "activity" | "definition" | "faq"
    doc_id: str
    idx: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def faq_units(parsed: ParsedPlan) -> list[Unit]:
    """One unit per FAQ record: the question first (what the vector side sees), then the answer."""
    p = parsed.plan
    return [Unit(f"{p.doc_id}:faq:{i}", "faq", p.doc_id, i, f"{f.question}\n{f.answer}\n{p.title or ''} ({f.scope})")
            for i, f in enumerate(parsed.faqs)]


def units_for(parsed: ParsedPlan) -> list[Unit]:
    p = parsed.plan
    if p.kind == "faq":
        return faq_units(parsed)
    where = f"tỉnh {p.province} năm {p.year}" if p.province else ""
    out: list[Unit] = []
    plan_text = " ".join(
        x for x in [p.doc_type, p.number or "", f"ngày {p.date}" if p.date else "", p.title or "", where,
                    f"người ký {p.signer_title or ''} {p.signer or ''}", "căn cứ " + "; ".join(p.legal_bases),
                    f"tổng kinh phí {vnd(p.appendix_total)}" if p.appendix_total else ""] if x
    )
    out.append(Unit(f"{p.doc_id}:plan:0", "plan", p.doc_id, 0, plan_text))
    for i, t in enumerate(parsed.tasks):
        text = (f"Phụ lục mục {t.row}. {t.group}. Nhiệm vụ: {t.content}. Sản phẩm: {t.product}. "
                f"Cơ quan chủ trì: {', '.join(t.lead)}. Cơ quan phối hợp: {', '.join(t.coordinators)}. "
                f"Thời gian: {t.timeline}. Kinh phí: {vnd(t.budget)} {t.note}. {where}")
        out.append(Unit(f"{p.doc_id}:task:{i}", "task", p.doc_id, i, text))
    for i, d in enumerate(parsed.duties):
        text = f"{d.agency} ({d.role}): {d.text}. {d.where}. {where}"
        out.append(Unit(f"{p.doc_id}:duty:{i}", "duty", p.doc_id, i, text))
    for i, a in enumerate(parsed.activities):
        text = (f"{a.name}. Chủ trì: {', '.join(a.lead)}. Phối hợp: {', '.join(a.coordinators)}. "
                f"Thời gian: {a.time}. Địa điểm: {a.place}. {a.product}. {a.where}. {where}")
        out.append(Unit(f"{p.doc_id}:activity:{i}", "activity", p.doc_id, i, text))
    for i, df in enumerate(parsed.definitions):
        text = f"{df.term}: {df.expansion}. {where}"
        out.append(Unit(f"{p.doc_id}:definition:{i}", "definition", p.doc_id, i, text))
    for i, s in enumerate(parsed.passages):
        text = f"{s.where}: {s.text}. {where}"
        out.append(Unit(f"{p.doc_id}:passage:{i}", "passage", p.doc_id, i, text))
    return out
