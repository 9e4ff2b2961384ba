"""Assistant.answer(): message -> typed Query (follow-ups resolved) -> scope -> first answerer that answers.

Channels call only ``answer``/``stream``/``respond``. Answering is pure over the Knowledge; the only
state is the session store (previous query and the entity last answered, for follow-ups).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace

from bot import followup
from bot.answer import Answer
from bot.answerers import EXAMPLES, HELP, Answerer, Ctx, default_answerers
from bot.answerers.base import off_topic_text
from bot.answerers.faq import FaqAnswerer, about_plan, is_how_to
from bot.answerers.faq import refusal_text as faq_refusal
from bot.dialogue import resolve, standalone_text
from bot.knowledge import Knowledge
from bot.query import Query, parse_query
from bot.ranker import Ranker
from bot.result import ContextItem, Result, refuse
from bot.sessions import MemorySessions, SessionStore
from corpus.vocab import fold

__all__ = ["EXAMPLES", "HELP", "MAX_QUESTION", "Assistant", "ContextItem", "Result"]
MAX_QUESTION = 2000


WEAK_PLAN_COVERAGE = 0.6  # below this the general path found a record on the topic, not one that answers


class Assistant:
    def __init__(self, knowledge: Knowledge, sessions: SessionStore | None = None,
                 answerers: list[Answerer] | None = None, ranker: Ranker | None = None) -> None:
        self.k = knowledge
        self.sessions: SessionStore = sessions or MemorySessions()
        self.answerers = answerers or default_answerers()
        self.ranker = ranker or Ranker(knowledge)
        self._speller = knowledge.speller()
        self.faq = FaqAnswerer(knowledge) if knowledge.faqs else None
        knowledge.warm()

    # ---- public -------------------------------------------------------------------------
    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        return self.respond(message, province, session_id).answer

    def stream(self, message: str, province: str | None = None,
               session_id: str | None = None) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final Answer object (for SSE and the widget)."""
        ans = self.answer(message, province, session_id)
        yield from re.findall(r"\S+\s*", ans.answer)
        yield ans

    def respond(self, message: str, province: str | None = None, session_id: str | None = None) -> Result:
        """The answer plus the standalone question and the records it rests on (for an LLM composer)."""
        sid = session_id or uuid.uuid4().hex
        text = (message or "").strip()
        if not text:
            return self._done(refuse("Bạn chưa nhập câu hỏi. " + HELP), sid, text)
        if len(text) > MAX_QUESTION:
            return self._done(refuse(f"Câu hỏi quá dài (tối đa {MAX_QUESTION} ký tự). Vui lòng hỏi ngắn gọn hơn."),
                              sid, text)
        meta = self.sessions.get_meta(sid) if session_id else {}
        q = self.understand(text, meta)
        if province and not q.provinces and not q.plan_ref:
            q.provinces = [province]  # the channel's default (widget data-province, /tinh): never an override
        elif not q.provinces and not q.plan_ref and meta.get("province"):
            q.provinces = [meta["province"]]
        res = followup.answer_from(self.k, q, meta.get("record")) or self.answer_query(q)
        res.question = standalone_text(q)
        if session_id:
            if res.widened:  # the next turn should not keep the scope that did not hold the answer
                q = replace(q, provinces=[], plan_ref="", year=None)
            self.sessions.append(sid, res.question, {"query": q.to_dict(), "entity": res.entity,
                                                     "record": followup.locate(self.k, res)})
        return self._done(res, sid, res.question)

    def understand(self, text: str, meta: dict | None = None) -> Query:
        """The message as a typed query, its empty slots filled from the previous turn."""
        q = parse_query(text, self.k.vocab, self.k.agency_lexicon, speller=self._speller)
        prev = Query.from_dict(meta["query"]) if meta and meta.get("query") else None
        return resolve(q, prev, (meta or {}).get("entity", ""))

    def answer_query(self, q: Query) -> Result:
        """FAQ first for a "how do I" question (or the FAQ's own question) that is not about a plan; plans
        otherwise, then the FAQ if they cannot answer."""
        faq = self.faq if self.faq is not None and not about_plan(q) else None
        if faq is not None:
            first = faq.answer(q, only_strong=not is_how_to(q))
            if first is not None:
                return first
        res = self._answer_plans(q)
        if res.answer.found and faq is not None and res.coverage < WEAK_PLAN_COVERAGE \
                and q.attribute not in ("lead", "duties"):
            # "Kết quả điện tử có giá trị như bản giấy không?": a plan sentence on the topic is not an answer
            # when a guide answers the question itself
            return faq.answer(q) or res
        if res.answer.found or faq is None:
            return res
        if is_how_to(q):  # no guide answers it and no plan does: say so in the citizen's terms
            return refuse(faq_refusal(q))
        return faq.answer(q) or res

    def _answer_plans(self, q: Query) -> Result:
        res = self._answer_in_scope(q)
        if not res.answer.found and "provinces" in q.inherited and not q.refers_back:
            # the province came from the conversation, not the message: look beyond it before refusing
            # (unless the message points back at what was just discussed there: "chuyên mục này")
            wider = replace(q, provinces=[], plan_ref="", year=None, inherited=[])
            again = self._answer_in_scope(wider)
            if again.answer.found:
                was = f"của tỉnh {', '.join(q.provinces)}" if q.provinces else q.plan_ref
                again.answer.answer = (f"(Kế hoạch {was} không nêu nội dung này; "
                                       f"theo các kế hoạch khác trong kho:)\n{again.answer.answer}")
                again.widened = True
                return again
        return res

    def _answer_in_scope(self, q: Query) -> Result:
        docs, problem = self.scope(q)
        if problem:
            return refuse(problem)
        if not q.in_domain and not q.provinces and not q.plan_ref and not q.inherited:
            return refuse(off_topic_text())
        ctx = Ctx(k=self.k, ranker=self.ranker, docs=docs)
        for a in self.answerers:
            if a.applies(q, ctx):
                res = a.answer(q, ctx)
                if res is not None:
                    return res
        return refuse(off_topic_text())

    # ---- scope --------------------------------------------------------------------------
    def scope(self, q: Query) -> tuple[set[str] | None, str | None]:
        """The plans the question is about: a plan number or date named, else provinces and year."""
        k = self.k
        if q.plan_ref or q.date_ref:
            by_ref = self._plans_by_reference(q)
            if by_ref:
                return by_ref, None
            if q.plan_ref and re.search(r"\b(ke hoach|kh)\b", fold(q.text)) and "/" in q.plan_ref \
                    and "KH" in q.plan_ref.upper() and not self._cited(q.plan_ref):
                have = "; ".join(f"{p.plan.province} {p.plan.year}: {p.plan.label()}" for p in k.plans.values())
                return None, f"Kho dữ liệu không có kế hoạch số {q.plan_ref}. Hiện có: {have}."
        docs: set[str] | None = None
        if q.provinces:
            docs = set().union(*(k.docs_for_province(p, p in q.old_provinces) for p in q.provinces))
            if not docs:
                covered = ", ".join(k.provinces())
                named = ", ".join(f"tỉnh {p}" + (" (trước sáp nhập)" if p in q.old_provinces else "")
                                  for p in q.provinces)
                return None, (f"Hiện kho dữ liệu chưa có kế hoạch tuyên truyền cải cách hành chính của "
                              f"{named}. Các tỉnh đã có kế hoạch: {covered}.")
        if q.year is not None:
            pool = docs if docs is not None else set(k.plans)
            same_year = {d for d in pool if k.plans[d].plan.year == q.year}
            if same_year:
                docs = same_year
            elif docs:
                have = ", ".join(sorted({f"{k.plans[d].plan.province} năm {k.plans[d].plan.year}" for d in docs}))
                return None, (f"Kho dữ liệu chưa có kế hoạch năm {q.year} của "
                              f"{', '.join('tỉnh ' + p for p in q.provinces)}. Hiện có: {have}. "
                              "Bạn có thể hỏi về kế hoạch này (không cần ghi năm).")
        if q.plan_ref and "/" in q.plan_ref:
            citing = self._cited(q.plan_ref)
            if citing and (docs is None or citing & docs):
                docs = citing if docs is None else citing & docs
        return docs, None

    def _plans_by_reference(self, q: Query) -> set[str]:
        out = set()
        ref = _norm_ref(q.plan_ref)
        for d, pp in self.k.plans.items():
            number = _norm_ref(pp.plan.number or "")
            if ref and number and (number == ref or ("/" not in ref and number.split("/")[0] == ref)):
                out.add(d)
            elif q.date_ref and pp.plan.date and _norm_date(pp.plan.date) == q.date_ref and not ref:
                out.add(d)
        return out

    def _cited(self, ref: str) -> set[str]:
        """Plans that cite a document with this number (in their bases or text)."""
        r = _norm_ref(ref)
        out = set()
        for d, pp in self.k.plans.items():
            if any(_norm_ref(x.number) == r for x in pp.legal_docs) or r in _norm_ref(self.k.plan_text(d)) \
                    or any(r in _norm_ref(b) for b in pp.plan.legal_bases):
                out.add(d)
        return out

    @staticmethod
    def _done(res: Result, sid: str, question: str) -> Result:
        res.answer.session_id = sid
        res.question = res.question or question
        return res


def _norm_ref(ref: str) -> str:
    return re.sub(r"\s+", "", fold(ref or "")).replace("đ", "d")


def _norm_date(date: str) -> str:
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", date)
    return f"{int(m.group(1))}/{int(m.group(2))}/{m.group(3)}" if m else date
