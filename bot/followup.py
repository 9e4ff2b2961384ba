"""A follow-up about the thing just answered: "còn kinh phí?", "việc đó hoàn thành khi nào?" after an answer
about one appendix row or one activity asks that row's money or time, not whatever else the words match.

The session keeps where the answered record sits (plan, kind, index); a bare follow-up asking an attribute
that record carries is answered from it.
"""

from __future__ import annotations

import re

from bot import compose
from bot.answerability import slot_value
from bot.answerers.general import render
from bot.knowledge import Knowledge
from bot.query import Query
from bot.result import Result, found
from corpus.records import Activity, Task
from corpus.vocab import fold

ATTRIBUTES = {"budget", "timeline", "place", "coordinators", "lead", "count"}


def locate(k: Knowledge, res: Result) -> list | None:
    """[doc_id, kind, index, mark] of the first row or activity the answer rests on, for the session."""
    for item in res.context[:1]:
        r = item.record
        if isinstance(r, Task | Activity):
            pp = k.plans.get(r.doc_id)
            items = (pp.tasks if isinstance(r, Task) else pp.activities) if pp else []
            for i, x in enumerate(items):
                if x is r:
                    return [r.doc_id, "task" if isinstance(r, Task) else "activity", i, _mark(r)]
    return None


def is_bare_follow_up(q: Query, text: str) -> bool:
    """An attribute asked of what was just discussed, naming nothing new (no province, agency or list, and no
    topic the record does not already speak of: "phát sóng lúc mấy giờ?" after a TV column's row)."""
    named_new = (q.provinces and "provinces" not in q.inherited) or q.agencies or q.plan_ref or q.list_noun
    if q.attribute not in ATTRIBUTES or named_new:
        return False
    own = [] if "topic" in q.inherited else list(q.topic_terms)
    words = set(re.findall(r"[a-z0-9]+", fold(text)))
    return q.refers_back or q.elliptic or len(own) <= 1 or 2 * sum(
        any(p in words for p in t.split("_")) for t in own) >= len(own)


def answer_from(k: Knowledge, q: Query, where: list | None) -> Result | None:
    if not where or len(where) != 4:
        return None
    doc_id, kind, idx, mark = where
    pp = k.plans.get(doc_id)
    if pp is None:
        return None
    items = pp.tasks if kind == "task" else pp.activities
    if not isinstance(idx, int) or not 0 <= idx < len(items):
        return None
    r = items[idx]
    if _mark(r) != mark:
        return None  # the corpus changed since (an admin replaced the plan): not the row the user saw
    text = f"{r.content} {r.product} {r.timeline}" if isinstance(r, Task) else f"{r.name} {r.text}"
    if not is_bare_follow_up(q, text):
        return None
    if not slot_value(q, r):
        return None  # the row says nothing of it: let the general path look (and say so if nothing does)
    return found(k, compose.plan_tag(pp.plan) + render(r, q), [r])


def _mark(r: Task | Activity) -> str:
    """What the record says, briefly: a saved location must still point at the same record."""
    return (f"{r.row}:{r.content}" if isinstance(r, Task) else r.name)[:80]
