"""The retrieval path: the best records for the question's topic, checked for answerability, and the
cross-province list ('Tỉnh nào có …?') that names every province with a matching record."""

from __future__ import annotations

import re

from bot import compose
from bot.answerability import check, display_agency
from bot.answerers.agencies import agency_of
from bot.answerers.base import Ctx, not_found_text, off_topic_text
from bot.knowledge import Record
from bot.query import Query
from bot.ranker import Candidate
from bot.result import Result, found, plan_of, refuse
from corpus.records import Activity, Definition, Duty, FaqRecord, LegalDoc, ParsedPlan, Passage, Plan, Task
from corpus.vocab import fold


def render(r: Record, q: Query) -> str:
    if isinstance(r, Task):
        return compose.task_text(r, q.intents | {q.attribute})
    if isinstance(r, Activity):
        return compose.activity_text(r, q.attribute, q.topic_words)
    if isinstance(r, Duty):
        return compose.duty_text(r, q.intents, q.topic_words)
    if isinstance(r, Passage):
        listed = _inline_list(r.text, q.list_noun)
        return listed or compose.best_sentences(r.text, q.topic_words or re.findall(r"[a-z0-9]+", q.folded))
    if isinstance(r, Definition):
        return f"{r.term}: {r.expansion}."
    if isinstance(r, LegalDoc):
        return compose.legal_doc_text(r)
    if isinstance(r, FaqRecord):
        return r.answer
    return compose.plan_facts(r, q.folded)


def _inline_list(text: str, noun: str) -> str:
    """The sentence that spells out the list asked for ("… các Chỉ số: công khai, minh bạch; …")."""
    if not noun:
        return ""
    head = r"\b" + r"\s+".join(map(re.escape, noun.split()[:2])) + r"\b[^:.;]{0,60}:"
    for line in text.split("\n"):
        if re.search(head, fold(line)):
            return compose.short(line.strip(), 600)
    return ""


def _key(r: Record) -> str:
    if isinstance(r, Task):
        return f"{r.doc_id}:{r.content}:{r.product}"
    if isinstance(r, Duty | Passage):
        return f"{r.doc_id}:{r.text}"
    if isinstance(r, Activity):
        return f"{r.doc_id}:{fold(r.name)}"
    return repr(r)[:200]


def _topic_hit(q: Query, c: Candidate) -> bool:
    return c.coverage >= 0.5 or (not q.topic_terms and c.agency_match > 0)


def _assigned(pp: ParsedPlan, key: str, ctx: Ctx) -> list[Record]:
    """The plan's records that give the agency work: its duties, the rows and activities it leads or joins."""
    prov = pp.plan.province
    out: list[Record] = [d for d in pp.duties if ctx.is_agency(d.agency, prov, key)]
    out += [t for t in pp.tasks if any(ctx.is_agency(a, prov, key) for a in [*t.lead, *t.coordinators, t.group])]
    out += [a for a in pp.activities if any(ctx.is_agency(x, prov, key) for x in [*a.lead, *a.coordinators])]
    return out


def _plans_giving_tasks_to(key: str, ctx: Ctx) -> Result | None:
    """'Những kế hoạch/tỉnh nào giao nhiệm vụ cho Sở VHTTDL?': every plan whose records give it work."""
    rows = [(pp, recs) for pp in ctx.plans() if (recs := _assigned(pp, key, ctx))]
    if not rows:
        return None
    name = display_agency(ctx.k, key)
    lines = [f"Có {len(rows)} kế hoạch giao nhiệm vụ cho {name}:"]
    lines += [f"• {compose.plan_tag(pp.plan)}{pp.plan.label()}: {len(recs)} nội dung, ví dụ: "
              f"{compose.short(render(recs[0], Query(text='', folded='')), 160)}" for pp, recs in rows]
    return found(ctx.k, "\n".join(lines), [recs[0] for _, recs in rows])


class ProvinceList:
    """'Những tỉnh nào có cuộc thi về CCHC?': every province with a matching record, one line each."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return "which_province" in q.intents and not q.provinces

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        own = set(re.findall(r"[a-z0-9]+", fold(display_agency(ctx.k, q.subject)))) if q.subject else set()
        if q.subject and all(set(t.split("_")) <= own for t in q.topic_terms):
            return _plans_giving_tasks_to(q.subject, ctx)
        best: dict[str, Candidate] = {}
        cands = ctx.candidates(q)
        top = max((c.coverage for c in cands), default=0.0)
        for c in cands:
            if not _topic_hit(q, c) or isinstance(c.record, Plan) or c.coverage < 0.8 * top:
                continue  # a province counts when its record speaks of the subject about as fully as the best
            if "contest" in q.topics and not re.search(r"cuoc thi|hoi thi", fold(c.hit.unit.text)):
                continue
            prov = plan_of(ctx.k, c.record).province or ""
            if prov not in best and check(ctx.k, q, c.record, c.coverage, c.hit.unit.text).ok:
                best[prov] = c
        if not best:
            return None
        chosen = sorted(best.values(), key=lambda c: (-c.coverage, -c.score))
        provs = ", ".join(plan_of(ctx.k, c.record).province or "" for c in chosen)
        lines = [f"Có {len(best)} tỉnh: {provs}."]
        lines += [f"• {compose.plan_tag(plan_of(ctx.k, c.record))}{compose.short(render(c.record, q), 300)}"
                  for c in chosen]
        return found(ctx.k, "\n".join(lines), [c.record for c in chosen], [c.score for c in chosen])


class BestRecord:
    """The general path: the best-ranked record that passes the answerability check (and its close peers)."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return True

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        cands = [c for c in ctx.candidates(q) if (not isinstance(c.record, Plan) or q.attribute == "legal")
                 and (not isinstance(c.record, Definition) or q.attribute == "definition")]
        if not cands:
            return refuse(not_found_text(q))
        reason = ""
        best = None
        excluded = set(re.findall(r"[a-z0-9]+", q.excluded)) - {"cac", "nhung", "va", "ve", "cua"}
        for c in cands[:12]:
            if q.topic_terms and c.coverage == 0 and c.agency_match == 0 and not q.row:
                continue
            if excluded and len(excluded & set(re.findall(r"[a-z0-9]+", fold(c.hit.unit.text)))) \
                    >= 0.7 * len(excluded):
                continue  # "Ngoài hội thi X, còn hội thi nào?": not X again
            v = check(ctx.k, q, c.record, c.coverage, c.hit.unit.text)
            if v.ok:
                best = c
                break
            reason = reason or v.reason
        if best is None:
            if not q.in_domain:
                return refuse(off_topic_text())
            return refuse(not_found_text(q, reason))
        if not q.in_domain and best.coverage < 0.5 and not best.features.get("quoted_match"):
            return refuse(off_topic_text())
        chosen = [best]
        for c in cands[:6]:
            if len(chosen) >= (6 if q.asks_list else 2) or c is best:
                continue
            if (best.score - c.score <= (0.4 if q.asks_list else 0.05) * abs(best.score) + 1e-9
                    and type(c.record) is type(best.record)
                    and not isinstance(c.record, Passage) and _key(c.record) not in {_key(x.record) for x in chosen}
                    and check(ctx.k, q, c.record, c.coverage, c.hit.unit.text).ok):
                chosen.append(c)
        if ctx.docs is None and not q.subject:  # no province named: the same fact in other plans, one each
            plans = {plan_of(ctx.k, x.record).doc_id for x in chosen}
            for c in cands[:15]:
                doc = plan_of(ctx.k, c.record).doc_id
                if len(plans) >= 3 or doc in plans or isinstance(c.record, Passage | Plan):
                    continue
                if c.coverage >= best.coverage - 0.01 and best.score - c.score <= 0.15 * abs(best.score) \
                        and check(ctx.k, q, c.record, c.coverage, c.hit.unit.text).ok:
                    chosen.append(c)
                    plans.add(doc)
        records = [c.record for c in chosen]
        tagged = [compose.plan_tag(plan_of(ctx.k, r)) + render(r, q) for r in records]
        text = tagged[0] if len(tagged) == 1 else "\n".join(f"• {t}" for t in tagged)
        extra = [c.record for c in cands if c.record not in records][:2]
        res = found(ctx.k, text, records + extra, [c.score for c in chosen] + [c.score for c in cands[:2]],
                    entity=agency_of(best.record, ctx.k) if not isinstance(best.record, Passage | Plan) else "")
        res.coverage = best.coverage
        return res
