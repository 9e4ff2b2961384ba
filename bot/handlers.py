"""Answers that are not "the best record": totals, group budgets, agency lists, cited documents, contacts.

A mixin of :class:`bot.assistant.Assistant`: each method reads the knowledge and returns an Answer, or
None when it does not apply so the general path runs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import compose
from bot.answer import Answer
from bot.knowledge import agency_key
from bot.understand import GENERIC, Question
from corpus.records import Duty, Task
from corpus.vocab import fold

if TYPE_CHECKING:
    from bot.assistant import Candidate

_PHONE = re.compile(r"\(?(?:Số điện thoại|điện thoại|ĐT|Hotline)[^)]*\)?", re.I)


class SpecialAnswers:
    # ---- special intents ----------------------------------------------------------------
    def _single_plan(self, q: Question, docs: set[str] | None):
        ids = sorted(docs) if docs is not None else []
        if len(ids) == 1:
            return self.k.plans[ids[0]]
        if not ids:
            cands = self._candidates(q, None)
            if cands:
                return self.k.plans[cands[0].hit.unit.doc_id]
        return self.k.plans[ids[0]] if ids else None

    def _legal(self, q: Question, docs: set[str] | None) -> Answer | None:
        """Number/date/signer of the plan, or the cited document the question describes."""
        pp = self._single_plan(q, docs)
        if pp is None:
            return None
        refs = compose.document_references(pp, q.folded, [p for t in q.topic_terms for p in t.split("_")])
        if refs and compose.asks_cited_document(q.folded):
            text, record = refs[0]
            extra = [r for _, r in refs[1:2] if r is not record]
            return self._found(f"{compose.plan_tag(pp.plan)}{text}", [record, *extra], q)
        return self._found(compose.plan_facts(pp.plan, q.folded), [pp.plan], q)

    def _contact(self, q: Question, docs: set[str] | None) -> Answer | None:
        ids = sorted(docs) if docs is not None else sorted(self.k.plans)
        for d in ids:
            for p in self.k.plans[d].passages:
                if _PHONE.search(p.text):
                    sent = next((s for s in re.split(r"(?<=[.;])\s+|\n", p.text) if _PHONE.search(s)), p.text)
                    return self._found(sent.strip(), [p], q)
        return None

    @staticmethod
    def _asks_total(q: Question) -> bool:
        return bool(re.search(r"\btong\b", q.folded)) or not (q.topic_terms or q.agencies)

    def _total_budget(self, q: Question, docs: set[str] | None) -> Answer | None:
        ids = sorted(docs) if docs is not None else sorted(self.k.plans)
        parts, recs = [], []
        for d in ids:
            pp = self.k.plans[d]
            total = pp.plan.appendix_total
            if total is None and any(t.budget for t in pp.tasks):
                total = sum(t.budget or 0 for t in pp.tasks)
            if total is None:
                continue
            parts.append(f"{compose.plan_tag(pp.plan)}Tổng kinh phí thực hiện theo Phụ lục: {compose.money(total)} "
                         f"({len([t for t in pp.tasks if t.budget])} nhiệm vụ có ghi kinh phí).")
            recs.append(pp.plan)
        if not parts:
            return self._budget_without_figures(q, ids)
        return self._found("\n".join(parts), recs, q)

    def _budget_without_figures(self, q: Question, ids: list[str]) -> Answer | None:
        """Plans that fund the work from existing budgets state no figure: say so, quote the funding part."""
        if len(ids) != 1:
            return None
        pp = self.k.plans[ids[0]]
        part = next((p for p in pp.passages if "kinh phi" in fold(" ".join(p.heading[:1]))), None)
        if part is None:
            return None
        text = (f"{compose.plan_tag(pp.plan)}Kế hoạch không nêu số tiền cụ thể. Về kinh phí, kế hoạch chỉ ghi: "
                f"{compose._short(part.text, 420)}")
        ans = self._found(text, [part], q)
        ans.found = False  # the figure asked for is not in the plan: say so, do not guess
        return ans

    def _agency_tasks(self, q: Question, docs: set[str] | None, best: Candidate) -> Answer | None:
        """'Sở X chủ trì những nhiệm vụ nào?': every appendix row and duty the agency leads."""
        ids = sorted(docs) if docs is not None else [best.hit.unit.doc_id]
        keys = {agency_key(a, None, self.k.vocab) for a in q.agencies} | set(q.agencies)
        lines, recs = [], []
        for d in ids:
            pp = self.k.plans[d]
            prov = pp.plan.province
            tasks = [t for t in pp.tasks if any(agency_key(a, prov, self.k.vocab) in keys for a in t.lead)]
            duties = [x for x in pp.duties if x.role == "chủ trì" and agency_key(x.agency, prov, self.k.vocab) in keys
                      and "chủ trì" in x.text.lower()]
            if not tasks and not duties:
                continue
            name = (tasks[0].lead[0] if tasks else duties[0].agency)
            head = f"{compose.plan_tag(pp.plan)}{name} chủ trì {len(tasks)} nhiệm vụ trong Phụ lục"
            head += f" và {len(duties)} nội dung trong phần Tổ chức thực hiện:" if duties else ":"
            lines.append(head)
            lines += [f"- Mục {t.row}: {compose._short(t.product or t.content, 110)}" for t in tasks[:8]]
            if len(tasks) > 8:
                lines.append(f"- … và {len(tasks) - 8} nhiệm vụ khác")
            lines += [f"- {compose._short(x.text, 160)}" for x in duties[:4]]
            recs += tasks[:2] + duties[:1]
        if not lines:
            return None
        return self._found("\n".join(lines), recs, q)

    def _group_budget(self, q: Question, cands: list[Candidate]) -> Answer | None:
        best = cands[0].record
        assert isinstance(best, Task)
        pp = self.k.plans[best.doc_id]
        group = [t for t in pp.tasks if t.group == best.group]
        prov_words = set(fold(pp.plan.province or "").split())
        group_words = set(fold(best.group).split()) - prov_words - GENERIC
        asked = set(re.findall(r"[a-z0-9]+", q.folded))
        specific = set(re.findall(r"[a-z0-9]+", fold(f"{best.content} {best.product}"))) - group_words
        asked_parts = {p for t in q.topic_terms for p in t.split("_")}
        if any(t in specific for t in asked_parts if t not in set(fold(best.group).split())):
            return None  # the question names this row's own content ("tiểu phẩm"), not the whole group
        named = agency_key(best.group, pp.plan.province, self.k.vocab) in set(q.agencies)
        if len(group) < 2 or not (named or (group_words and group_words <= asked)):
            return None
        total = sum(t.budget or 0 for t in group)
        rows = "; ".join(f"mục {t.row}: {compose.money(t.budget)}" for t in group if t.budget is not None)
        text = (f"{compose.plan_tag(pp.plan)}Kinh phí cho {best.group}: {compose.money(total)} ({rows}). "
                f"Cơ quan chủ trì: {', '.join(best.lead)}.")
        return self._found(text, group[:3], q)

    def _aggregate_leads(self, q: Question, docs: set[str] | None) -> Answer | None:
        ids = sorted(docs) if docs is not None else sorted(self.k.plans)
        parts, recs = [], []
        for d in ids:
            tasks = self.k.plans[d].tasks
            if not tasks:
                continue
            counts: dict[str, int] = {}
            for t in tasks:
                for a in t.lead or ["(không ghi)"]:
                    counts[a] = counts.get(a, 0) + 1
            ranked = sorted(counts.items(), key=lambda x: -x[1])
            desc = "; ".join(f"{a}: {n}/{len(tasks)} nhiệm vụ" for a, n in ranked[:5])
            tag = compose.plan_tag(self.k.plans[d].plan)
            parts.append(f"{tag}Cơ quan chủ trì các nhiệm vụ trong Phụ lục — {desc}.")
            recs.extend(tasks[:1])
        if not parts:
            return None
        return self._found("\n".join(parts), recs, q)

    def _agency_duties(self, q: Question, docs: set[str] | None, best: Candidate) -> Answer | None:
        doc = best.hit.unit.doc_id if docs is None else None
        ids = {doc} if doc else docs or set()
        subject = q.agencies[:1]  # "Đài PT-TH … phải gửi gì cho Sở TT&TT": the first agency is the subject
        keys = {agency_key(a, None, self.k.vocab) for a in subject} | set(subject)
        found: list[Duty] = []
        for d in sorted(ids):
            prov = self.k.plans[d].plan.province
            found += [x for x in self.k.plans[d].duties if agency_key(x.agency, prov, self.k.vocab) in keys]
        if not found:
            return None
        terms = [p for t in q.topic_terms for p in t.split("_")]
        text = compose.plan_tag(self._plan_of(found[0])) + compose.duties_list(found[0].agency, found, terms)
        return self._found(text, found[:3], q)

    def _one_per_province(self, cands: list[Candidate], best: Candidate) -> list[Candidate]:
        out, seen = [], set()
        for c in cands:
            prov = self._plan_of(c.record).province
            if prov in seen or c.score < best.score * 0.8:
                continue
            seen.add(prov)
            out.append(c)
        return out or [best]

