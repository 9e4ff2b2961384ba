"""Money: an outlet's group of appendix rows with its subtotal, the plan's total, where the money comes
from, and an honest 'no figure' when the plan funds the work without stating an amount."""

from __future__ import annotations

import re
from dataclasses import replace

from bot import compose
from bot.answerability import check
from bot.answerers.base import Ctx
from bot.answerers.budget_lines import money_lines, states_money
from bot.knowledge import agency_key
from bot.query import Query
from bot.result import Result, found
from corpus.money import vnd
from corpus.records import Activity, Duty, ParsedPlan, Passage, Task
from corpus.vocab import fold

_WORD = re.compile(r"[a-z0-9]+")


def groups_of(pp: ParsedPlan) -> dict[str, list[Task]]:
    out: dict[str, list[Task]] = {}
    for t in pp.tasks:
        if t.group:
            out.setdefault(t.group, []).append(t)
    return out


def _group_words(group: str, pp: ParsedPlan, generic: set[str]) -> set[str]:
    name = re.split(r"\s+[-–]\s+", group)[0]  # "Cổng TTĐT Chính phủ - Văn phòng Chính phủ": the outlet
    prov = set(fold(pp.plan.province or "").split())
    return set(_WORD.findall(fold(name))) - prov - generic - {"tinh"}


def matching_groups(q: Query, ctx: Ctx, generic: set[str]) -> list[tuple[ParsedPlan, str, list[Task]]]:
    """Appendix groups the question names, by agency key or by all of the outlet's distinctive words."""
    asked = set(_WORD.findall(q.folded))
    out = []
    for pp in ctx.plans():
        prov = pp.plan.province
        for group, tasks in groups_of(pp).items():
            key = agency_key(re.split(r"\s+[-–]\s+", group)[0], prov, ctx.k.vocab)
            words = _group_words(group, pp, generic)
            if key in q.agencies or (len(words) >= 2 and words <= asked):
                out.append((pp, group, tasks))
    return out


def _specific_rows(q: Query, group: str, tasks: list[Task], generic: set[str]) -> list[Task]:
    """Rows of the group that the question's own topic words point at ("tiểu phẩm", "clip")."""
    gw = set(_WORD.findall(fold(group)))
    wanted = {w for w in q.topic_words if w not in gw and w not in generic and len(w) > 2}
    if not wanted:
        return []
    scored = []
    for t in tasks:
        words = set(_WORD.findall(fold(f"{t.content} {t.product}")))
        scored.append((len(wanted & words), t))
    best = max((s for s, _ in scored), default=0)
    if best == 0:
        return []
    rows = [t for s, t in scored if s == best]
    return rows if len(rows) < len(tasks) else []


class GroupBudget:
    """'Kinh phí cho Đài PT-TH tỉnh bao nhiêu, bao nhiêu bài?': the group's subtotal and its rows."""

    def __init__(self, generic: frozenset[str]) -> None:
        self.generic = set(generic)

    def applies(self, q: Query, ctx: Ctx) -> bool:
        if "which_province" in q.intents and not q.provinces:
            return False  # "Tỉnh nào giao nhiệm vụ cho Tỉnh đoàn?": the provinces, not one outlet's rows
        return q.attribute in ("budget", "count", "") or q.asks_list or q.asks_amount

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        groups = matching_groups(q, ctx, self.generic)
        if not groups:
            return None
        lines, recs = [], []
        for pp, group, tasks in groups[:3]:
            rows = _specific_rows(q, group, tasks, self.generic)
            if rows and len(groups) == 1 and q.attribute != "budget":
                return None  # a question about one row of the group: the general path answers it
            shown = rows or tasks
            written = tasks[0].group_budget if not rows else None  # the subtotal on the group row, when written
            total = written if written is not None else sum(t.budget or 0 for t in shown)
            money = f"tổng kinh phí {vnd(total)}" if total else "không ghi kinh phí"
            head = f"{compose.plan_tag(pp.plan)}{group}: {money} cho {len(shown)} nhiệm vụ trong Phụ lục"
            head += f" (chủ trì: {', '.join(shown[0].lead)})." if shown[0].lead else "."
            lines.append(head)
            for t in shown:
                bits = [f"- Mục {t.row}: {compose.short(t.content, 120)}"]
                if t.product:
                    bits.append(f"sản phẩm: {compose.short(t.product, 120)}")
                if t.timeline:
                    bits.append(f"thời gian: {t.timeline}")
                bits.append(vnd(t.budget) if t.budget is not None else (t.note or "không ghi kinh phí"))
                lines.append("; ".join(bits) + ".")
            recs += shown[:2]
        return found(ctx.k, "\n".join(lines), recs)


class GroupList:
    """'Phụ lục kinh phí gồm những đơn vị/kênh nào?': the appendix groups of each plan, with subtotals."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return q.asks_list and bool(re.search(r"(nhung|cac) (don vi|kenh|co quan bao chi|co quan|nhom)", q.folded)) \
            and not q.subject and "phu luc" in q.folded or bool(re.search(r"(nhung|cac) kenh", q.folded))

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        lines, recs = [], []
        for pp in ctx.plans():
            groups = groups_of(pp)
            if len(groups) < 2:
                continue
            lines.append(f"{compose.plan_tag(pp.plan)}Phụ lục chia theo {len(groups)} đơn vị/kênh:")
            for g, ts in groups.items():
                total = ts[0].group_budget if ts[0].group_budget is not None else sum(t.budget or 0 for t in ts)
                money = vnd(total) if total else "không ghi kinh phí"
                lines.append(f"- {g}: {len(ts)} nhiệm vụ, {money}")
                recs.append(ts[0])
        if not lines:
            return None
        return found(ctx.k, "\n".join(lines), recs[:4])


class TotalBudget:
    """'Tổng kinh phí … bao nhiêu?': the appendix total of each plan in scope."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        asks = q.asks_amount or q.attribute == "budget"
        return asks and (bool(re.search(r"\btong\b(?! hop)", q.folded)) or not (q.topic_terms or q.agencies))

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        parts, recs = [], []
        for pp in ctx.plans():
            total = pp.plan.appendix_total
            if total is None and any(t.budget for t in pp.tasks):
                total = sum(t.budget or 0 for t in pp.tasks)
            if total is None and pp.plan.budget_total is not None:
                funding = f" ({pp.plan.funding})" if pp.plan.funding else ""
                parts.append(f"{compose.plan_tag(pp.plan)}Tổng kinh phí thực hiện kế hoạch: "
                             f"{vnd(pp.plan.budget_total)}{funding}.")
                recs.append(funding_passage(pp) or pp.plan)
                continue
            stated = next((x for x, _ in money_lines(pp) if re.search(r"\btong\b", fold(x))), "")
            if total is None:
                if stated:  # a prose plan: its funding part states the total ("Tổng kinh phí cấp tỉnh: 600 triệu")
                    parts.append(f"{compose.plan_tag(pp.plan)}{compose.short(stated, 420)}")
                    recs.append(funding_passage(pp) or pp.plan)
                continue
            parts.append(f"{compose.plan_tag(pp.plan)}Tổng kinh phí thực hiện theo Phụ lục: {vnd(total)} "
                         f"({len([t for t in pp.tasks if t.budget])} nhiệm vụ có ghi kinh phí).")
            recs.append(pp.plan)
            if stated:  # the plan's own sentence, with how the total is split ("ngân sách tỉnh … 870 triệu đồng")
                parts.append(f"Kế hoạch ghi: {compose.short(stated, 360)}")
        if not parts:
            return None
        return found(ctx.k, "\n".join(parts), recs)


def funding_passage(pp: ParsedPlan) -> Passage | None:
    return next((p for p in pp.passages if "kinh phi" in fold(" ".join(p.heading[:2]))), None)


_FUNDING_WORDS = re.compile(r"kinh phi|ngan sach|nguon|du toan|long ghep|xa hoi hoa|tai tro")


def _funding_clause(text: str) -> str:
    """'…; kinh phí từ nguồn kinh phí CCHC năm 2024 của tỉnh.' -> that clause, as written."""
    for part in re.split(r"(?<=[.;])\s+", text):
        if re.search(r"\bkinh phi\b", fold(part)):
            return part.strip().rstrip(".;")
    return ""


def record_funding(q: Query, ctx: Ctx) -> Result | None:
    """The money line of the one row or activity the question names ("kinh phí sự nghiệp CNTT"): a row's own
    funding beats the plan's general funding sentence."""
    if not q.topic_terms:
        return None
    cands = ctx.candidates(q)
    # only the record the question clearly names: the top one, or a row/activity just under a passage
    near = [c for c in cands[:2] if c is cands[0] or c.score >= 0.9 * cands[0].score]
    for c in near[:1] if not isinstance(near[0].record, Passage) else near[1:2]:
        r = c.record
        if not isinstance(r, (Task, Activity, Duty)):  # only a row, an activity or a duty has its own funding
            continue
        money = r.note if isinstance(r, Task) else (r.funding or _funding_clause(r.text)) \
            if isinstance(r, Activity) else _funding_clause(r.text) if isinstance(r, Duty) else ""
        named = c.coverage >= 0.7 or c.features.get("quoted_match") or (
            q.row and isinstance(r, Task) and r.row == q.row)
        if not named or not money or not _FUNDING_WORDS.search(fold(money)):
            continue
        if not check(ctx.k, replace(q, attribute=""), r, c.coverage, c.hit.unit.text).ok:  # a source, not a sum
            continue
        pp = ctx.k.plans[r.doc_id]
        what = compose.short(r.content if isinstance(r, Task) else r.name if isinstance(r, Activity)
                             else re.split(r"[;.]", r.text)[0], 200)
        lead = r.agency if isinstance(r, Duty) else ", ".join(r.lead)
        if q.asks_amount:  # a sum was asked and the row names only where the money comes from
            text = (f"{compose.plan_tag(pp.plan)}Kế hoạch không nêu số tiền cụ thể cho “{what}”; "
                    f"kinh phí ghi: {money.rstrip('.')}.")
        else:
            text = f"{compose.plan_tag(pp.plan)}Kinh phí cho “{what}”: {money.rstrip('.')}."
        text += f" Chủ trì: {lead}." if lead else ""
        return found(ctx.k, text, [r], [c.score], found_flag=not q.asks_amount)
    return None


class FundingSource:
    """'Kinh phí lấy từ nguồn nào?': the plan's funding section, the sentences that name the source."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return q.asks_funding and not q.subject

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        own = record_funding(q, ctx)
        if own is not None:
            return own
        lines, recs = [], []
        for pp in ctx.plans()[:3]:
            part = funding_passage(pp)
            if part is None:
                continue
            words = set(fold(part.text).split())
            if q.topic_words and sum(w in words for w in q.topic_words) < 0.5 * len(q.topic_words):
                return None  # the question is about one activity's money, not the plan's funding section
            text = compose.best_sentences(part.text, ["nguon", "ngan", "sach", "kinh", "phi", "du", "toan"], 360)
            lines.append(f"{compose.plan_tag(pp.plan)}{text}")
            recs.append(part)
        if not lines or (len(lines) > 1 and not q.provinces):
            return None
        return found(ctx.k, "\n".join(lines), recs)


class BudgetWithoutFigures:
    """A plan that funds the work from existing budgets states no figure: say so, quote its funding part."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return (q.asks_amount or q.attribute == "budget") and ctx.docs is not None and not any(
            ctx.k.plans[d].plan.appendix_total or ctx.k.plans[d].plan.budget_total
            or any(t.budget for t in ctx.k.plans[d].tasks)
            or any(a.budget for a in ctx.k.plans[d].activities)
            or states_money(ctx.k.plans[d]) for d in ctx.docs)  # a sum in its prose: "no figure" would be false

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        own = record_funding(q, ctx)
        if own is not None:
            return own
        ids = ctx.doc_ids
        pp = ctx.k.plans[ids[0]]
        part = funding_passage(pp) if len(ids) == 1 else None
        if part is None:
            where = ", ".join(f"{p.plan.province} {p.plan.year}" for p in ctx.plans())
            return Result(answer=found(ctx.k, f"Kế hoạch ({where}) không nêu số tiền cụ thể cho nội dung này.",
                                       [p.plan for p in ctx.plans()][:2], found_flag=False).answer)
        text = (f"{compose.plan_tag(pp.plan)}Kế hoạch không nêu số tiền cụ thể. Về kinh phí, kế hoạch chỉ ghi: "
                f"{compose.short(part.text, 420)}")
        return found(ctx.k, text, [part], found_flag=False)
