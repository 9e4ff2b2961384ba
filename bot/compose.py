"""Extractive answer composing: records -> short Vietnamese text, the asked fact first.

Pure functions of records and the question; no I/O. Nothing is written that is not in a record.
"""

from __future__ import annotations

import re

from corpus.records import Duty, Passage, Plan, Task
from corpus.vocab import Vocabulary, fold

MAX_QUOTE = 320


def money(v: int | None) -> str:
    return f"{v:,}".replace(",", ".") + " đồng" if v is not None else ""


def plan_tag(plan: Plan) -> str:
    bits = [b for b in (plan.province, str(plan.year) if plan.year else None) if b]
    return f"[{', '.join(bits)}] " if bits else ""


def merger_note(plan: Plan, vocab: Vocabulary) -> str:
    new = vocab.merged_into.get(plan.province or "")
    if not new:
        return ""
    return (f"Lưu ý: từ {vocab.merger_date}, tỉnh {plan.province} đã sáp nhập vào tỉnh {new}; "
            f"kế hoạch này ban hành trước khi sáp nhập.")


def task_text(t: Task, intents: set[str]) -> str:
    lead = ", ".join(t.lead) or "(không ghi cơ quan chủ trì)"
    first: list[str] = []
    if "timeline" in intents and t.timeline:
        first.append(f"Thời gian thực hiện: {t.timeline}.")
    if "budget" in intents:
        first.append(f"Kinh phí: {money(t.budget)}." if t.budget is not None else
                     f"Kinh phí: {t.note or 'không ghi số cụ thể'}.")
    if "coordinators" in intents and t.coordinators:
        first.append(f"Cơ quan phối hợp: {', '.join(t.coordinators)}.")
    if "count" in intents and t.product:
        first.append(f"Sản phẩm: {t.product}.")
    lines = [*first, f"{lead} chủ trì nhiệm vụ “{_short(t.content, 220)}” (Phụ lục, mục {t.row})."]
    if t.product and "count" not in intents:
        lines.append(f"Sản phẩm: {_short(t.product, 220)}.")
    if t.coordinators and "coordinators" not in intents:
        lines.append(f"Phối hợp: {', '.join(t.coordinators)}.")
    if t.timeline and "timeline" not in intents:
        lines.append(f"Thời gian: {t.timeline}.")
    if "budget" not in intents:
        if t.budget is not None:
            lines.append(f"Kinh phí: {money(t.budget)}.")
        elif t.note:
            lines.append(f"Ghi chú: {_short(t.note, 160)}.")
    return " ".join(lines)


def duty_text(d: Duty, intents: set[str]) -> str:
    lead = ""
    if "coordinators" in intents and d.coordinators:
        lead = f"Cơ quan phối hợp: {', '.join(d.coordinators)}. "
    role = {"chủ trì": "", "phối hợp": " (phối hợp)", "đề nghị": " (được đề nghị)"}.get(d.role, "")
    return f"{lead}{d.agency}{role}: {_short(d.text, 420)}"


def duties_list(agency: str, duties: list[Duty]) -> str:
    items = [f"- {_short(d.text, 260)}" for d in duties[:8]]
    more = f"\n(và {len(duties) - 8} nội dung khác)" if len(duties) > 8 else ""
    return f"{agency} được giao các nhiệm vụ sau:\n" + "\n".join(items) + more


def best_sentences(text: str, terms: list[str], limit: int = 420) -> str:
    """The sentences of a passage that carry most of the question's terms, in document order."""
    sents = [s.strip() for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]
    if not sents:
        return ""
    wanted = set(terms)
    scored = []
    for i, s in enumerate(sents):
        words = set(re.findall(r"[a-z0-9]+", fold(s)))
        scored.append((len(wanted & words), -i, s))
    scored.sort(reverse=True)
    if not wanted or scored[0][0] == 0:
        return _short(sents[0], limit)
    chosen, size = [], 0
    for hits, neg_i, s in scored:
        if hits == 0 or size + len(s) > limit and chosen:
            break
        chosen.append((-neg_i, s))
        size += len(s)
    return " ".join(s for _, s in sorted(chosen))


def plan_facts(plan: Plan, folded_q: str) -> str:
    """Number, date, signer or legal bases, whichever the question asks for."""
    lines: list[str] = []
    asks_basis = re.search(r"can cu|thuc hien (theo )?(quyet dinh|ke hoach|van ban)|cua bo|quyet dinh nao", folded_q)
    if re.search(r"ky|nguoi ky|ai ky", folded_q) and plan.signer:
        lines.append(f"Người ký: {plan.signer_title or ''} {plan.signer}".replace("  ", " ") + ".")
    if asks_basis and plan.legal_bases:
        bases = plan.legal_bases
        named = [b for b in bases if _mentions_named_body(b, folded_q)]
        lines.append("Căn cứ/thực hiện: " + "; ".join(named or bases[:4]) + ".")
    if not lines or re.search(r"so hieu|so may|ngay ban hanh|ban hanh|quyet dinh so", folded_q):
        if plan.number:
            head = f"{plan.doc_type} số {plan.number}"
            lines.insert(0, head + (f", ban hành ngày {plan.date}" if plan.date else "") + ".")
        else:
            lines.insert(0, "Bản kế hoạch trong kho không ghi số hiệu" +
                         (f"; ngày {plan.date}" if plan.date else "") + ".")
    if plan.title:
        lines.append(f"Tên kế hoạch: {plan.title}.")
    return " ".join(lines)


def _mentions_named_body(basis: str, folded_q: str) -> bool:
    f = fold(basis)
    bodies = {"bo noi vu": ("bo noi vu", "bnv"), "chinh phu": ("chinh phu", "cp"), "thu tuong": ("thu tuong", "ttg"),
              "tinh uy": ("tinh uy", "tu"), "uy ban nhan dan tinh": ("uy ban nhan dan tinh", "ubnd")}
    for q_key, marks in bodies.items():
        if q_key in folded_q and any(m in f for m in marks):
            return True
    return False


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def section_of(record: Plan | Task | Duty | Passage) -> str:
    if isinstance(record, Plan):
        return "Phần mở đầu"
    return record.where
