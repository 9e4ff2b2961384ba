"""Answers about one agency: an agency the plans never name (refused, saying who is named), what an
agency leads (every item, with row numbers, grouped by plan), what it is asked to do."""

from __future__ import annotations

import re

from bot import compose
from bot.answerability import display_agency
from bot.answerers.base import Ctx, not_found_text
from bot.knowledge import Record, agency_key
from bot.query import Query
from bot.result import Result, found, refuse
from corpus.records import Activity, Duty, ParsedPlan, Task
from corpus.vocab import fold

_LIST_NOUN = re.compile(r"\b(?:nhung|cac)\s+(chuyen muc|chuyen trang|chuyen de|cuoc thi|hoi thi|san pham|hoat dong|"
                        r"phong su|tieu pham|noi dung|nhiem vu|viec)\b")


def _led(pp: ParsedPlan, key: str, ctx: Ctx) -> tuple[list[Task], list[Activity], list[Duty]]:
    prov = pp.plan.province
    tasks = [t for t in pp.tasks if any(ctx.is_agency(a, prov, key) for a in t.lead)]
    acts = [a for a in pp.activities if any(ctx.is_agency(x, prov, key) for x in a.lead)]
    duties = [d for d in pp.duties if d.role == "chủ trì" and ctx.is_agency(d.agency, prov, key)
              and "chủ trì" in d.text.lower()]
    return tasks, acts, duties


def _task_items(tasks: list[Task], noun: str) -> list[str]:
    """One line per appendix row; rows that share a content (sub-rows of one STT) list their products under it."""
    groups: dict[tuple[str, str], list[Task]] = {}
    for t in tasks:
        groups.setdefault((t.row, t.content), []).append(t)
    lines = []
    for (row, content), ts in groups.items():
        products = [t.product for t in ts if t.product]
        if len(products) > 1:
            lines.append(f"- Mục {row}: {compose.short(content, 100)}:")
            lines += [f"  + {compose.short(p.lstrip('-+• '), 110)}" for p in products]
        else:
            item = f"- Mục {row}: {compose.short(content, 110)}"
            if products and (noun and noun in fold(products[0]) or len(tasks) <= 3):
                item += f" — {compose.short(products[0].lstrip('-+• '), 200)}"
            lines.append(item)
    return lines


class AbsentAgency:
    """'Sở Tài chính có nhiệm vụ gì?' for plans that never name Sở Tài chính: refuse, say who is named."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return bool(q.subject or q.partners)

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        ids = ctx.doc_ids
        named = [a for a in q.agencies if a not in q.mentions]
        if len(named) > 1 and any(ctx.k.mentions_agency(d, a) for d in ids for a in named):
            return None  # "STTTT hay Sở Nội vụ …?": one of the alternatives is there
        for key in [q.subject, *q.partners]:
            if not key or any(ctx.k.mentions_agency(d, key) for d in ids):
                continue
            if key in q.agency_labels and any(key in ctx.k.plan_text(d) for d in ids):
                continue  # a body the vocabulary does not know, but the plan's text names it
            given: list[str] = []
            for pp in ctx.plans()[:2]:
                given += [d.agency for d in pp.duties if not fold(d.agency).startswith("cac ")]
            given = list(dict.fromkeys(given))[:8]
            contains = f"Các cơ quan được giao nhiệm vụ trong kế hoạch gồm: {', '.join(given)}." if given else ""
            name = q.agency_labels.get(key) or display_agency(ctx.k, key)
            return refuse(not_found_text(q, f"không nhắc đến {name}", contains))
        return None


class AgencyTasks:
    """'Sở X chủ trì những nhiệm vụ nào?': every row, activity and duty the agency leads, with row numbers."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        m = _LIST_NOUN.search(q.folded)
        specific = m is not None and m.group(1) not in ("nhiem vu", "viec", "noi dung", "hoat dong")
        leads = "chu tri" in q.folded or q.attribute == "lead"
        lists = bool(m) or bool(re.search(r"nhiem vu (nao|gi)|bao nhieu nhiem vu", q.folded))
        return bool(q.subject) and lists and (leads or specific) and q.attribute in ("lead", "duties", "count", "")

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        m = _LIST_NOUN.search(q.folded)
        noun = m.group(1) if m else ""
        lines: list[str] = []
        recs: list[Record] = []
        for pp in ctx.plans():
            tasks, acts, duties = _led(pp, q.subject, ctx)
            if noun and noun not in ("nhiem vu", "viec", "noi dung"):  # "những chuyên mục nào": rows naming them
                tasks = [t for t in tasks if noun in fold(f"{t.content} {t.product}")] or tasks
            if not (tasks or acts or duties):
                continue
            name = tasks[0].lead[0] if tasks else (acts[0].lead[0] if acts else duties[0].agency)
            n = len(tasks) + len(acts)
            head = f"{compose.plan_tag(pp.plan)}{name} chủ trì {n} nhiệm vụ" if n else \
                f"{compose.plan_tag(pp.plan)}{name} chủ trì"
            head += f" và {len(duties)} nội dung trong phần Tổ chức thực hiện:" if duties else ":"
            lines.append(head)
            lines += _task_items(tasks, noun)
            lines += [f"- {compose.short(a.name, 140)}" + (f" ({a.time})" if a.time else "") for a in acts]
            lines += [f"- {compose.short(x.text, 160)}" for x in duties]
            recs += [*tasks[:2], *acts[:1], *duties[:1]]
        if not lines:
            return None
        return found(ctx.k, "\n".join(lines), recs, entity=q.subject)


class AgencyDuties:
    """'Sở X có nhiệm vụ gì?': the duties of the agency's block(s), the ones carrying the question's words first."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return bool(q.subject) and q.attribute == "duties"

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        cands = ctx.candidates(q)
        ids = ctx.doc_ids if ctx.docs is not None else ([cands[0].hit.unit.doc_id] if cands else [])
        lines: list[str] = []
        recs: list[Record] = []
        for d in ids:
            pp = ctx.k.plans[d]
            prov = pp.plan.province
            duties = [x for x in pp.duties if ctx.is_agency(x.agency, prov, q.subject)]
            acts = [a for a in pp.activities if any(ctx.is_agency(x, prov, q.subject) for x in a.lead)
                    and not any(a.text and a.text in x.text for x in duties)]
            tasks = [t for t in pp.tasks if any(ctx.is_agency(x, prov, q.subject) for x in t.lead)
                     or (t.group and ctx.is_agency(t.group, prov, q.subject))]  # its own rows of the appendix
            # where another agency leads and this one is named to work with it ("phối hợp với Sở Nội vụ, Công an
            # tỉnh … tổ chức cuộc thi"): part of what it is given, listed after its own duties
            helps = [x for x in pp.duties if x not in duties and any(ctx.is_agency(c, prov, q.subject)
                                                                     for c in x.coordinators)]
            helps_rows = [t for t in pp.tasks if t not in tasks and any(ctx.is_agency(c, prov, q.subject)
                                                                          for c in t.coordinators)]
            if not duties and not acts and not tasks and not helps and not helps_rows:
                continue
            name = duties[0].agency if duties else (acts[0].lead[0] if acts else q.subject)
            if not duties and not acts and not tasks:
                name = next((c for x in helps for c in x.coordinators if ctx.is_agency(c, prov, q.subject)), name)
            if tasks and not duties:
                name = next((t.group for t in tasks if t.group and ctx.is_agency(t.group, prov, q.subject)),
                            tasks[0].lead[0] if tasks[0].lead else name)
            block = compose.duties_list(name, duties, q.topic_words, compose.item_headings(pp.passages)) \
                if duties else f"{name} được giao:"
            lines.append(compose.plan_tag(pp.plan) + block)
            lines += [f"- {compose.activity_text(a)}" for a in acts[:6]]
            lines += [f"- Mục {t.row}: {compose.short(t.content, 160)}" + (f" — {compose.short(t.product, 120)}"
                                                                         if t.product else "") for t in tasks[:8]]
            if helps or helps_rows:
                lines.append("Phối hợp với cơ quan chủ trì:")
                lines += [f"- với {x.agency}: {compose.short(x.text, 180)}" for x in helps[:4]]
                lines += [f"- với {t.lead_text or ', '.join(t.lead)} (Phụ lục, mục {t.row}): "
                          f"{compose.short(t.content, 140)}" for t in helps_rows[:4]]
            recs += [*duties[:3], *acts[:1], *tasks[:1], *helps[:1], *helps_rows[:1]]
        if not lines:
            return None
        return found(ctx.k, "\n".join(lines), recs, entity=q.subject)


class AggregateLeads:
    """'Ai chủ trì các nhiệm vụ trong phụ lục?': the lead agencies of the appendix, counted."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return "aggregate" in q.intents and len([a for a in q.agencies if a not in q.mentions]) != 1

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        parts, recs = [], []
        for pp in ctx.plans():
            if not pp.tasks:
                continue
            counts: dict[str, int] = {}
            for t in pp.tasks:
                for a in t.lead or ["(không ghi)"]:
                    counts[a] = counts.get(a, 0) + 1
            ranked = sorted(counts.items(), key=lambda x: -x[1])
            desc = "; ".join(f"{a}: {n}" for a, n in ranked)
            rows = len({t.row for t in pp.tasks})
            parts.append(f"{compose.plan_tag(pp.plan)}Phụ lục có {rows} mục ({len(pp.tasks)} dòng nhiệm vụ). "
                         f"Cơ quan chủ trì (số dòng) — {desc}.")
            recs.append(pp.tasks[0])
        if not parts:
            return None
        return found(ctx.k, "\n".join(parts), recs)


def agency_of(r: Record, k) -> str:
    """The agency an answer names first (for "cơ quan đó" in the next turn)."""
    prov = k.plans[r.doc_id].plan.province if hasattr(r, "doc_id") else None
    names = getattr(r, "lead", None) or ([r.agency] if isinstance(r, Duty) else [])
    return agency_key(names[0], prov, k.vocab) if names else ""
