"""Extractive answer composing: records -> short Vietnamese text, the asked fact first.

Pure functions of records and the question; no I/O. Nothing is written that is not in a record.
"""

from __future__ import annotations

import re

from corpus.legal import issuers
from corpus.money import vnd
from corpus.records import Activity, Definition, Duty, FaqRecord, LegalDoc, ParsedPlan, Passage, Plan, Task
from corpus.vocab import Vocabulary, fold

MAX_QUOTE = 320


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
    lead = t.lead_text or ", ".join(t.lead) or "(không ghi cơ quan chủ trì)"
    partners = t.coordinators_text or ", ".join(t.coordinators)
    first: list[str] = []
    if "timeline" in intents and t.timeline:
        first.append(f"Thời gian thực hiện: {t.timeline}.")
    if "budget" in intents:
        first.append(f"Kinh phí: {vnd(t.budget)}" + (f" ({short(t.note, 160)})." if t.note else ".")
                     if t.budget is not None else f"Kinh phí: {t.note or 'không ghi số cụ thể'}.")
    if "coordinators" in intents and t.coordinators:
        first.append(f"Cơ quan phối hợp: {partners}.")
    if "count" in intents and t.product:
        first.append(f"Sản phẩm: {t.product}.")
    lines = [*first, f"{lead} chủ trì nhiệm vụ “{short(t.content, 220)}” (Phụ lục, mục {t.row})."]
    if t.product and "count" not in intents:
        lines.append(f"Sản phẩm: {short(t.product, 220)}.")
    if t.coordinators and "coordinators" not in intents:
        lines.append(f"Phối hợp: {partners}.")
    if t.timeline and "timeline" not in intents:
        lines.append(f"Thời gian: {t.timeline}.")
    if "budget" not in intents:
        if t.budget is not None:
            lines.append(f"Kinh phí: {vnd(t.budget)}.")
        elif t.note:
            lines.append(f"Ghi chú: {short(t.note, 160)}.")
    return " ".join(lines)


def duty_text(d: Duty, intents: set[str], terms: list[str] | None = None) -> str:
    lead = ""
    if "coordinators" in intents and d.coordinators:
        lead = f"Cơ quan phối hợp: {', '.join(d.coordinators)}. "
    role = {"chủ trì": "", "phối hợp": " (phối hợp)", "đề nghị": " (được đề nghị)"}.get(d.role, "")
    return f"{lead}{d.agency}{role}: {_cap(focus(d.text, terms or [], 420))}"


def focus(text: str, terms: list[str], limit: int) -> str:
    """A long text cut to the clauses that carry the question's words (in order), not just its start."""
    text = " ".join(text.split())
    if len(text) <= limit or not terms:
        return short(text, limit)
    clauses = [c for c in re.split(r"(?<=[.;])\s+|,\s+(?=\w)", text) if c]
    wanted = set(terms)
    hits = [len(wanted & set(re.findall(r"[a-z0-9]+", fold(c)))) for c in clauses]
    if max(hits, default=0) == 0:
        return short(text, limit)
    order = sorted(range(len(clauses)), key=lambda i: (-hits[i], i))
    keep: set[int] = set()
    size = 0
    for i in order:
        if hits[i] == 0 or (keep and size + len(clauses[i]) > limit):
            break
        keep.add(i)
        size += len(clauses[i]) + 2
    picked = sorted(keep)
    out = " … ".join(", ".join(clauses[j] for j in run) for run in _runs(picked))
    prefix = "" if picked[0] == 0 else "… "
    return prefix + out


def _runs(idx: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in idx:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def duties_list(agency: str, duties: list[Duty], terms: list[str] | None = None,
                headings: dict[tuple[str, str], str] | None = None) -> str:
    if terms:  # the duties that carry the question's words first
        duties = sorted(duties, key=lambda d: -len(set(terms) & set(re.findall(r"[a-z0-9]+", fold(d.text)))))
    limit = 420 if len(duties) <= 3 else 260
    items = [f"- {_cap(focus(d.text.lstrip('-+• '), terms or [], limit))}{_points(d.text, headings or {})}"
             for d in duties[:8]]
    more = f"\n(và {len(duties) - 8} nội dung khác)" if len(duties) > 8 else ""
    return f"{agency} được giao các nhiệm vụ sau:\n" + "\n".join(items) + more


_POINT = re.compile(r"điểm\s+(\d{1,2})((?:\s*(?:,|và)\s*(?:điểm\s+)?\d{1,2})*)\s+mục\s+([IVX]{1,4})\b", re.I)


def _points(text: str, headings: dict[tuple[str, str], str]) -> str:
    """'Thực hiện điểm 3 và điểm 7 mục III' names items of the plan: say which (" — 3. Hướng dẫn …; 7. …")."""
    named = []
    for m in _POINT.finditer(text):
        nums = [m.group(1), *re.findall(r"\d{1,2}", m.group(2) or "")]
        named += [f"{n}. {headings[(m.group(3).upper(), n)]}" for n in nums if (m.group(3).upper(), n) in headings]
    return f" ({'; '.join(dict.fromkeys(named))})" if named else ""


def item_headings(passages: list[Passage]) -> dict[tuple[str, str], str]:
    """(part numeral, item number) -> the item's title, from the passages' headings ("III. …", "3. Title")."""
    out: dict[tuple[str, str], str] = {}
    for p in passages:
        if len(p.heading) >= 2:
            part = re.match(r"([IVX]{1,4})\.", p.heading[0])
            item = re.match(r"(\d{1,2})\.\s*(.+)", p.heading[1])
            if part and item:
                out.setdefault((part.group(1), item.group(1)), short(item.group(2), 90))
    return out


def best_sentences(text: str, terms: list[str], limit: int = 420) -> str:
    """The sentences of a passage that carry most of the question's terms, in document order."""
    sents = [s.strip() for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]
    body = [s for s in sents if len(s) > 40 or s.endswith((".", ";", ":"))]
    sents = body or sents  # drop bare headings ("Đối tượng") when there is a body
    if not sents:
        return ""
    wanted = set(terms)
    scored = []
    for i, s in enumerate(sents):
        words = set(re.findall(r"[a-z0-9]+", fold(s)))
        scored.append((len(wanted & words), -i, s))
    scored.sort(reverse=True)
    if not wanted or scored[0][0] == 0:
        return short(sents[0], limit)
    chosen: list[tuple[int, str]] = []
    size = 0
    for hits, neg_i, s in scored:
        if hits == 0 or size + len(s) > limit and chosen:
            break
        chosen.append((-neg_i, s))
        size += len(s)
    for i, s in sorted(chosen):  # "… trong năm 2024;" + "hoàn thành trước ngày 30/11/2024.": one bullet's clauses
        nxt = i + 1
        if s.endswith(";") and nxt < len(sents) and sents[nxt][:1].islower() and nxt not in dict(chosen) \
                and size + len(sents[nxt]) <= limit:
            chosen.append((nxt, sents[nxt]))
            size += len(sents[nxt])
    return " ".join(s for _, s in sorted(chosen))


def plan_facts(plan: Plan, folded_q: str) -> str:
    """Number, date, signer or legal bases, whichever the question asks for."""
    lines: list[str] = []
    asks_basis = re.search(r"\bcan cu\b|thuc hien (theo )?(quyet dinh|ke hoach|van ban)|cua bo|quyet dinh nao",
                           folded_q)
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


_DOC_REF = re.compile(r"\b(Quyết định|Nghị quyết|Kế hoạch|Chỉ thị|Công văn|Nghị định|Thông tư|Tờ trình|Luật|"
                      r"Hướng dẫn)\s+(?:số\s*)?\d+[\w/.\-]*", re.I)
_DOC_TYPES = ("quyet dinh", "nghi quyet", "ke hoach", "chi thi", "cong van", "nghi dinh", "thong tu", "to trinh",
              "luat", "huong dan")
_OWN_PLAN = re.compile(r"(quyet dinh|van ban) ban hanh ke hoach|so hieu|ngay ban hanh|ban hanh ngay|ky ban hanh|"
                       r"nguoi ky|ai ky|ke hoach (tuyen truyen|thong tin)[a-z0-9 ]* (la )?so (may|nao)")


def asks_cited_document(folded_q: str) -> bool:
    """Is the question about a document the plan cites (not the plan's own number/date/signer)?"""
    if re.search(r"to trinh|nghi quyet|chi thi|nghi dinh|thong tu|cong van|\bluat\b|duoc dan|\bcan cu\b", folded_q):
        return True
    if _OWN_PLAN.search(folded_q):
        return False
    return bool(re.search(r"\bcan cu\b|thuc hien (theo )?(quyet dinh|ke hoach|van ban|chi thi)|duoc dan|de nghi|"
                          r"cua (bo|thu tuong|chinh phu|ubnd|uy ban|tinh uy|so)|quyet dinh nao|ke hoach nao|"
                          r"to trinh|nghi quyet|chi thi|nghi dinh|thong tu|cong van|luat|theo (quyet dinh|ke hoach)",
                          folded_q))


def document_references(parsed: ParsedPlan, folded_q: str, terms: list[str],
                        numbers: list[str] | None = None) -> list[tuple[str, Plan | Passage | Task]]:
    """Legal bases and cited documents in the plan, best match to the question first (a number the question
    names, "641/…" or "42/2022", decides before any word)."""
    cands: list[tuple[str, Plan | Passage | Task]] = [(b, parsed.plan) for b in parsed.plan.legal_bases]
    for p in parsed.passages:
        for s in re.split(r"(?<=[.;])\s+|\n+|,\s+(?=(?:Quyết định|Nghị quyết|Kế hoạch|Chỉ thị|Nghị định)\s+số)",
                          p.text):
            if _DOC_REF.search(s):
                cands.append((s.strip(), p))
    for t in parsed.tasks:  # a row's note: "(theo Công văn số 641/STC-TCHCSN ngày 21/3/2024 của Sở Tài chính)"
        for cell in (t.note, t.content, t.product):
            for s in re.split(r"(?<=[.;])\s+|\n+|\(", cell):
                if _DOC_REF.search(s) and re.search(r"\d+/", s):
                    cands.append((s.strip(" ()"), t))
    wanted = {t for t in terms if len(t) > 1}
    types = [t for t in _DOC_TYPES if t in folded_q]
    asked = [t for t in types if re.search(re.escape(t) + r" (so may|so nao|nao|so bao nhieu|so hieu|so gi)", folded_q)]
    scored = []
    for text, rec in cands:
        f = fold(text)
        words = set(re.findall(r"[a-z0-9]+", f))
        score = len(wanted & words) * 0.5
        score += sum(1.0 if t in f[:40] else 0.6 if t in f else 0.0 for t in types)
        score += sum(3.0 for t in asked if re.search(re.escape(t) + r" so \d", f))  # "tờ trình số mấy?"
        for body in issuers():  # the question names an issuer and the citation comes from it
            pos = body.named_at(folded_q)
            if pos >= 0 and body.shown_in(f):
                score += -2.0 if "ngoai" in folded_q[max(0, pos - 40):pos] else 2.0
        score += sum(0.3 for y in set(re.findall(r"\b20\d\d\b", folded_q)) if y in words)  # "năm 2024" breaks ties
        if rec is parsed.plan:
            score += 0.25  # the plan's own legal bases outrank incidental mentions
        score += sum(5.0 for n in numbers or () if _names_number(text, n))
        scored.append((score, text, rec))
    scored.sort(key=lambda x: -x[0])
    return [(short(t, 420), r) for s, t, r in scored if s > 0.5]


def _names_number(text: str, number: str) -> bool:
    """'641/' is named by 'số 641/STC-…'; '42/2022' by 'số 42/2022/NĐ-CP'."""
    return bool(re.search(r"(?<![\d/])" + re.escape(number), text))


def _mentions_named_body(basis: str, folded_q: str) -> bool:
    """Does the basis come from a body the question names ("căn cứ văn bản nào của Bộ Nội vụ?")?"""
    f = fold(basis)
    return any(body.named_at(folded_q) >= 0 and body.shown_in(f) for body in issuers())


def _cap(text: str) -> str:
    """Sentence case for a duty cut out of a 'Sở X: chủ trì, …' line."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def short(text: str, n: int) -> str:
    """The text cut at a word boundary to at most n characters (an ellipsis marks the cut)."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def section_of(record: Plan | Task | Duty | Passage | Activity | Definition | LegalDoc | FaqRecord) -> str:
    if isinstance(record, Plan):
        return "Phần mở đầu"
    return record.where or "Phần mở đầu"


def task_cells(t: Task) -> str:
    """The cells of an appendix row that support an answer: content, lead, time, budget."""
    bits = [t.content]
    if t.lead:
        bits.append(f"Chủ trì: {t.lead_text or ', '.join(t.lead)}")
    if t.timeline:
        bits.append(f"Thời gian: {t.timeline}")
    if t.budget is not None:
        bits.append(f"Kinh phí: {vnd(t.budget)}")
    return " | ".join(bits)


def activity_text(a: Activity, attribute: str = "", asked: list[str] | None = None) -> str:
    """An activity written in prose, the asked slot first; a line of its own text the question's words point at
    ("Cơ cấu giải thưởng: …" for "giải thưởng thế nào?") before everything else."""
    first: list[str] = []
    detail = _asked_line(a.text, asked or []) or _asked_clause(a, asked or [], attribute)
    if detail:
        first.append(detail.rstrip(".;") + ".")
    if attribute == "timeline" and a.time:
        first.append(f"Thời gian: {a.time}.")
    if attribute == "place" and a.place:
        first.append(f"Địa điểm: {a.place}.")
    if attribute == "coordinators" and a.coordinators:
        first.append(f"Cơ quan phối hợp: {', '.join(a.coordinators)}.")
    if attribute == "budget" and (a.budget is not None or a.funding):
        first.append(f"Kinh phí: {vnd(a.budget) if a.budget is not None else a.funding}.")
    lead = ", ".join(a.lead)
    lines = [*first, f"{lead} chủ trì: {short(a.name, 240)}." if lead else f"{short(a.name, 240)}."]
    if a.coordinators and attribute != "coordinators":
        lines.append(f"Phối hợp: {', '.join(a.coordinators)}.")
    if a.time and attribute != "timeline":
        lines.append(f"Thời gian: {a.time}.")
    if a.place and attribute != "place":
        lines.append(f"Địa điểm: {a.place}.")
    if a.product:
        lines.append(f"Sản phẩm: {short(a.product, 160)}.")
    if attribute != "budget":
        if a.budget is not None:
            lines.append(f"Kinh phí: {vnd(a.budget)}.")
        elif a.funding:
            lines.append(f"Nguồn kinh phí: {short(a.funding, 160)}.")
    return " ".join(lines)


def _asked_line(text: str, asked: list[str]) -> str:
    """The labelled line ("Label: value") of an activity's text whose label carries most of the asked words."""
    best, best_hits = "", 0
    for line in text.split("\n"):
        head, sep, value = line.strip(" -+•").partition(":")
        if not sep or not value.strip() or len(head) > 40:
            continue
        hits = len(set(asked) & set(re.findall(r"[a-z0-9]+", fold(head))))
        if hits > best_hits:
            best, best_hits = line.strip(" -+•"), hits
    return short(best, 300) if best_hits >= 2 or (best_hits == 1 and len(asked) <= 2) else ""


_WHEN = re.compile(r"\d{1,2}\s*giờ|\bthứ (?:hai|ba|tư|năm|sáu|bảy)\b|chủ nhật|tháng \d|quý [IV]|\d{1,2}/\d{1,2}", re.I)


def _asked_clause(a: Activity, asked: list[str], attribute: str) -> str:
    """The clause of an activity's text that answers what the question adds to its name ("vòng chung kết … tháng
    mấy" -> "chung kết cấp tỉnh tháng 9/2025"; "thứ mấy, mấy giờ" -> "phát sóng lúc 20 giờ 10 phút tối thứ Năm")."""
    named = set(re.findall(r"[a-z0-9]+", fold(a.name)))
    extra = [w for w in asked if w not in named]
    best, best_hits = "", 0
    for clause in re.split(r"(?<=[,;.])\s+|\n", a.text):
        if attribute == "timeline" and not _WHEN.search(clause):
            continue
        if clause.strip() and fold(clause.strip(" .;,")) in fold(a.time or "-"):
            continue  # already the activity's time
        hits = len(set(extra) & set(re.findall(r"[a-z0-9]+", fold(clause))))
        if attribute == "timeline":
            hits += 1  # a time clause is what a "when" question wants
        if hits > best_hits:
            best, best_hits = clause.strip(" -+•"), hits
    return short(best, 240) if best_hits >= 2 else ""


def legal_doc_text(d: LegalDoc) -> str:
    if d.number or d.date:
        head = f"{d.kind} số {d.number}" if d.number else d.kind
        head += f" ngày {d.date}" if d.date else ""
        head += f" của {d.issuer}" if d.issuer else ""
        return head + (f" ({short(d.title, 160)})" if d.title else "")
    return short(d.text, 240)


def record_text(r: Plan | Task | Duty | Passage | Activity | Definition | LegalDoc | FaqRecord) -> str:
    """The whole record as text, for an LLM composer to read."""
    if isinstance(r, FaqRecord):
        return f"{r.question}\n{r.answer}"[:1500]
    if isinstance(r, Task):
        return task_text(r, set())
    if isinstance(r, Duty):
        return f"{r.agency} ({r.role}): {r.text}"
    if isinstance(r, Passage):
        return r.text[:1500]
    if isinstance(r, Activity):
        return activity_text(r)
    if isinstance(r, Definition):
        return f"{r.term}: {r.expansion}"
    if isinstance(r, LegalDoc):
        return legal_doc_text(r)
    return plan_facts(r, "so hieu can cu nguoi ky")
