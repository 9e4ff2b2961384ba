"""Sums a plan states in its prose funding part ("IV. Kinh phí": "Giao Sở Thông tin và Truyền thông: 250 triệu
đồng để …"), found by the agency or the words the question names.

Prose-only plans have no appendix: the money is in these lines, and "no figure is given" would be false.
"""

from __future__ import annotations

import re

from bot import compose
from bot.answerers.base import Ctx
from bot.query import Query
from bot.result import Result, found
from corpus.duties import names_in
from corpus.money import MONEY
from corpus.records import ParsedPlan, Passage
from corpus.vocab import fold

_WORD = re.compile(r"[a-z0-9]+")


def funding_passages(pp: ParsedPlan) -> list[Passage]:
    """Every passage of the plan's funding part (its heading names kinh phí)."""
    return [p for p in pp.passages if p.heading and "kinh phi" in fold(p.heading[0])]


def money_lines(pp: ParsedPlan) -> list[tuple[str, Passage]]:
    """The funding part's lines (bullets, sentences) that state a sum."""
    out = []
    for p in funding_passages(pp):
        for line in re.split(r"\n+|(?<=[.;])\s+(?=[-+•A-ZĐ])", p.text):
            if MONEY.search(line):
                out.append((line.strip(" -+•"), p))
    return out


def states_money(pp: ParsedPlan) -> bool:
    return bool(money_lines(pp))


class BudgetLines:
    """'Sở TT&TT được giao bao nhiêu tiền?', 'cuộc thi kinh phí bao nhiêu?' asked of a plan whose sums are prose."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return (q.asks_amount or q.attribute == "budget") and ctx.docs is not None and len(ctx.docs) <= 2

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        lines, recs, missing = [], [], []
        for pp in ctx.plans():
            best = _best_line(q, ctx, pp)
            if best is not None:
                lines.append(f"{compose.plan_tag(pp.plan)}{compose.short(best[0], 420)}")
                recs.append(best[1])
            elif money_lines(pp) and not _has_itemised_sums(pp):
                missing.append(pp)
        if lines:
            return found(ctx.k, "\n".join(lines), recs)
        if len(missing) == 1:  # the plan's sums are all in these lines and none is this one: say what it does fund
            pp = missing[0]
            stated = "; ".join(compose.short(x, 160) for x, _ in money_lines(pp)[:4])
            text = (f"{compose.plan_tag(pp.plan)}Kế hoạch không ghi kinh phí riêng cho nội dung này. Các khoản kế "
                    f"hoạch ghi: {stated}")
            return found(ctx.k, text, [money_lines(pp)[0][1]], found_flag=False)
        return None


def _best_line(q: Query, ctx: Ctx, pp: ParsedPlan) -> tuple[str, Passage] | None:
    """The line naming the question's agency, else the one carrying most of its topic words (at least half)."""
    cands = money_lines(pp)
    if not cands:
        return None
    prov = pp.plan.province
    if q.subject:
        named = [c for c in cands if any(ctx.is_agency(n, prov, q.subject) for n in _agencies(c[0], ctx))]
        return named[0] if named else None
    words = [w for w in q.topic_words if len(w) > 1]
    if not words or _has_itemised_sums(pp):
        return None  # an appendix's rows carry the sums of named work better than the funding prose
    scored = [(sum(w in set(_WORD.findall(fold(c[0]))) for w in words), c) for c in cands]
    score, line = max(scored, key=lambda t: t[0])
    return line if score >= max(2, (len(words) + 1) // 2) else None


def _has_itemised_sums(pp: ParsedPlan) -> bool:
    return any(t.budget for t in pp.tasks) or any(a.budget for a in pp.activities)


def _agencies(text: str, ctx: Ctx) -> list[str]:
    return names_in(text, ctx.k.vocab)  # the agency names a sentence writes, as the parser reads them
