"""Assistant.answer(): question -> intent -> records -> Answer. Channels call only this."""

from __future__ import annotations

import math
import re
import threading
import uuid
from dataclasses import dataclass

from bot import compose
from bot.answer import Answer, Source
from bot.followup import condense
from bot.handlers import SpecialAnswers
from bot.knowledge import Knowledge, Record, agency_key
from bot.sessions import MemorySessions, SessionStore
from bot.understand import Question, synonym_variants, understand
from corpus.records import Duty, Passage, Plan, Task
from corpus.vocab import fold
from retrieval.index import RRF_K, Hit

EXAMPLES = [
    "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?",
    "Tổng kinh phí tuyên truyền CCHC năm 2024 của Kiên Giang là bao nhiêu?",
    "Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?",
]
HELP = ("Tôi trả lời về các kế hoạch thông tin, tuyên truyền cải cách hành chính của các tỉnh: cơ quan chủ trì, "
        "cơ quan phối hợp, thời gian, kinh phí, các cuộc thi, dịch vụ công trực tuyến, căn cứ ban hành.")
MAX_QUESTION = 2000
_PHONE = re.compile(r"\(?(?:Số điện thoại|điện thoại|ĐT|Hotline)[^)]*\)?", re.I)


def _has_words(phrase: str, folded_text: str) -> bool:
    words = set(re.findall(r"[a-z0-9]+", folded_text))
    return all(w in words for w in phrase.split())


def _match(unit: str, words: set[str]) -> float:
    """1 if a topic unit ("muc_tieu") occurs as such, 0.5 if its syllables occur apart, else 0."""
    if unit in words:
        return 1.0
    parts = unit.split("_")
    return 0.5 if len(parts) > 1 and all(p in words for p in parts) else 0.0


@dataclass
class ContextItem:
    """A retrieved record with a short id, for an LLM composer to read and cite."""

    id: str
    record: Record
    text: str
    source: Source


@dataclass
class Result:
    answer: Answer
    question: str  # the standalone question actually answered (after follow-up condensing)
    context: list[ContextItem]


@dataclass
class Candidate:
    hit: Hit
    record: Record
    score: float
    coverage: float
    agency_match: float


class Assistant(SpecialAnswers):
    def __init__(self, knowledge: Knowledge, sessions: SessionStore | None = None) -> None:
        self.k = knowledge
        self.sessions: SessionStore = sessions or MemorySessions()
        self._local = threading.local()  # per-request scratch: requests run in a thread pool

    # ---- public -------------------------------------------------------------------------
    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        return self.respond(message, province, session_id).answer

    def stream(self, message: str, province: str | None = None, session_id: str | None = None):
        """Yield the answer text in pieces, then the final Answer object (for SSE and the widget)."""
        ans = self.answer(message, province, session_id)
        yield from re.findall(r"\S+\s*", ans.answer)
        yield ans

    def respond(self, message: str, province: str | None = None, session_id: str | None = None) -> Result:
        """The answer plus the standalone question and the retrieved context (for an LLM composer)."""
        self._local.context = []
        self._local.standalone = (message or "").strip()
        ans = self._answer(message, province, session_id)
        return Result(answer=ans, question=self._local.standalone, context=self._local.context)

    def _answer(self, message: str, province: str | None, session_id: str | None) -> Answer:
        sid = session_id or uuid.uuid4().hex
        text = (message or "").strip()
        if not text:
            return self._refuse("Bạn chưa nhập câu hỏi. " + HELP, sid)
        if len(text) > MAX_QUESTION:
            return self._refuse(f"Câu hỏi quá dài (tối đa {MAX_QUESTION} ký tự). Vui lòng hỏi ngắn gọn hơn.", sid)
        history = self.sessions.history(sid) if session_id else []
        province = province or (self.sessions.get_meta(sid).get("province") if session_id else None)
        standalone = condense(text, history, self.k.vocab, self.k.agency_lexicon)
        self._local.standalone = standalone
        if session_id:
            self.sessions.append(sid, standalone)
        q = understand(standalone, self.k.vocab, self.k.agency_lexicon)
        if province and not q.provinces:
            q.provinces = [province]
        doc_ids, problem = self._scope(q)
        if problem:
            return self._refuse(problem, sid)
        if not q.in_domain and not q.provinces:
            return self._refuse(self._off_topic(), sid)
        ans = self._answer_in_scope(q, doc_ids)
        ans.session_id = sid
        return ans

    # ---- scope --------------------------------------------------------------------------
    def _scope(self, q: Question) -> tuple[set[str] | None, str | None]:
        if not q.provinces:
            docs = None
        else:
            docs = set().union(*(self.k.docs_for_province(p) for p in q.provinces))
            if not docs:
                covered = ", ".join(self.k.provinces())
                return None, (f"Hiện kho dữ liệu chưa có kế hoạch tuyên truyền cải cách hành chính của "
                              f"{', '.join('tỉnh ' + p for p in q.provinces)}. Các tỉnh đã có kế hoạch: {covered}.")
        if q.year is not None:
            pool = docs if docs is not None else set(self.k.plans)
            same_year = {d for d in pool if self.k.plans[d].plan.year == q.year}
            if same_year:
                docs = same_year
            elif docs:
                have = ", ".join(sorted({f"{self.k.plans[d].plan.province} năm {self.k.plans[d].plan.year}"
                                         for d in docs}))
                return None, (f"Kho dữ liệu chưa có kế hoạch năm {q.year} của "
                              f"{', '.join('tỉnh ' + p for p in q.provinces)}. Hiện có: {have}. "
                              "Bạn có thể hỏi về kế hoạch này (không cần ghi năm).")
        return docs, None

    # ---- answering ----------------------------------------------------------------------
    def _answer_in_scope(self, q: Question, docs: set[str] | None) -> Answer:
        if "legal" in q.intents and not ({"lead", "duties"} & q.intents and q.agencies):
            ans = self._legal(q, docs)
            if ans:
                return ans
        if "contact" in q.intents:
            return self._contact(q, docs) or self._refuse(self._not_found(q), None)
        if q.asks_amount and self._asks_total(q):
            ans = self._total_budget(q, docs)
            if ans:
                return ans
        if q.asks_amount and docs and not any(
            self.k.plans[d].plan.appendix_total or any(t.budget for t in self.k.plans[d].tasks) for d in docs
        ):
            return self._budget_without_figures(q, sorted(docs)) or self._refuse(self._not_found(q), None)
        if ("aggregate" in q.intents and len(q.agencies) != 1) or (
            "lead" in q.intents and "phu luc" in q.folded and len(q.agencies) > 1
        ):
            ans = self._aggregate_leads(q, docs)
            if ans:
                return ans
        cands = self._candidates(q, docs)
        if not cands:
            return self._refuse(self._not_found(q), None)
        best = cands[0]
        if q.topic_terms and best.agency_match == 0 and best.coverage == 0:
            covered = [c for c in cands[:10] if c.coverage >= 0.5]
            if not covered:
                return self._refuse(self._not_found(q), None)
            best = covered[0]  # the best record that actually speaks of the question's subject
            cands = [best] + [c for c in cands if c is not best]
        if q.quantity_noun and not _has_words(q.quantity_noun, fold(best.hit.unit.text)):
            return self._refuse(self._not_found(q), None)  # "bao nhiêu thí sinh": the plan does not count them
        if "lead" in q.intents and q.agencies and re.search(r"(nhung|cac) nhiem vu|nhiem vu (nao|gi)", q.folded):
            ans = self._agency_tasks(q, docs, best)
            if ans:
                return ans
        if not q.in_domain and best.coverage < 0.5:
            return self._refuse(self._off_topic(), None)
        if "duties" in q.intents and q.agencies and not ({"lead", "coordinators", "timeline"} & q.intents):
            ans = self._agency_duties(q, docs, best)
            if ans:
                return ans
        if "budget" in q.intents and isinstance(best.record, Task) and best.record.group:
            ans = self._group_budget(q, cands)
            if ans:
                return ans
        chosen = [best]
        for c in cands[1:4]:
            if (c.score >= best.score * 0.9 and type(c.record) is type(best.record)
                    and not isinstance(c.record, Passage) and self._distinct(c, chosen)):
                chosen.append(c)
        if "which_province" in q.intents:
            chosen = self._one_per_province(cands, best)
        parts = [self._render(c.record, q) for c in chosen[:3]]
        records = [c.record for c in chosen[:3]]
        extra = [c.record for c in cands if c.record not in records][:2]
        tagged = [compose.plan_tag(self._plan_of(r)) + p for r, p in zip(records, parts, strict=False)]
        text = tagged[0] if len(tagged) == 1 else "\n".join(f"• {t}" for t in tagged)
        return self._found(text, records + extra, q, scores=[c.score for c in cands])

    def _render(self, r: Record, q: Question) -> str:
        if isinstance(r, Task):
            return compose.task_text(r, q.intents)
        if isinstance(r, Duty):
            return compose.duty_text(r, q.intents, [p for t in q.topic_terms for p in t.split("_")])
        if isinstance(r, Passage):
            terms = [p for t in q.topic_terms for p in t.split("_")]
            return compose.best_sentences(r.text, terms or re.findall(r"[a-z0-9]+", q.folded))
        return compose.plan_facts(r, q.folded)

    def _candidates(self, q: Question, docs: set[str] | None) -> list[Candidate]:
        """Keyword search first; the vector side (the costly query embedding) only when words are not enough."""
        cands = self._scored(q, docs, use_vectors=False)
        if cands and self._lexically_sure(q, cands[0]):
            return cands
        return self._scored(q, docs, use_vectors=True)

    @staticmethod
    def _lexically_sure(q: Question, best: Candidate) -> bool:
        if q.topic_terms:
            return best.coverage >= 0.99
        return best.agency_match >= 0.5

    def _scored(self, q: Question, docs: set[str] | None, use_vectors: bool) -> list[Candidate]:
        hits = self.k.index.search(q.search_text or q.text, docs, k=40, use_vectors=use_vectors)
        top = 2.0 / (RRF_K + 1)
        out: list[Candidate] = []
        bm = self.k.index.bm25
        unseen = math.log(1 + (bm.n + 0.5) / 0.5)  # a word no plan uses weighs most
        weights = {t: max((bm.idf.get(p, unseen) for p in t.split("_")), default=unseen) for t in q.topic_terms}
        total_w = sum(weights.values()) or 1.0
        variants = synonym_variants(self.k.vocab)
        for h in hits:
            r = self.k.record(h.unit)
            f, words = self.k.unit_words(h.unit, variants)
            # rare words count more: "giải bóng đá" is not covered by the many "giải pháp"
            cov = (sum(w * _match(t, words) for t, w in weights.items()) / total_w) if q.topic_terms else 0.0
            am = self._agency_match(q, r)
            s = h.score / top + 0.8 * cov + am + self._kind_bonus(q, r, f)
            out.append(Candidate(h, r, s, cov, am))
        out.sort(key=lambda c: -c.score)
        return out

    def _agency_match(self, q: Question, r: Record) -> float:
        if not q.agencies:
            return 0.0
        prov = self._plan_of(r).province
        keys = {agency_key(a, None, self.k.vocab) for a in q.agencies} | set(q.agencies)

        def hit(names: list[str]) -> bool:
            return any(agency_key(n, prov, self.k.vocab) in keys or fold(n) in keys for n in names)

        if isinstance(r, Duty):
            return 0.6 if hit([r.agency]) else (0.2 if hit(r.coordinators) else 0.0)
        if isinstance(r, Task):
            if hit(r.lead):
                return 0.5
            return 0.35 if r.group and hit([r.group]) else (0.25 if hit(r.coordinators) else 0.0)
        if isinstance(r, Passage):
            f = fold(r.text)
            return 0.15 if any(k in f for k in keys) else 0.0
        return 0.0

    @staticmethod
    def _kind_bonus(q: Question, r: Record, folded: str) -> float:
        b = 0.0
        factual = {"lead", "coordinators", "timeline", "budget", "count"} & q.intents
        if isinstance(r, Task):
            b += 0.35 if factual else 0.15
            if "budget" in q.intents and r.budget is not None:
                b += 0.2
        elif isinstance(r, Duty):
            if "duties" in q.intents:
                b += 0.3 if q.agencies else 0.15
            else:
                b += 0.25 if r.role == "chủ trì" and "lead" in q.intents else 0.1
        elif isinstance(r, Passage):
            b -= 0.1 if factual else 0.0
            seq = re.findall(r"[a-z0-9]+", fold(" ".join(r.heading[1:])))
            heading = set(seq) | {f"{a}_{b}" for a, b in zip(seq, seq[1:], strict=False)}
            terms = set(q.topic_terms) | q.synonym_terms
            if q.topic_terms:
                b += 0.6 * min(1.0, sum(1 for t in terms if t in heading) / len(q.topic_terms))
        if "coordinators" in q.intents:
            has = bool(getattr(r, "coordinators", None))
            b += 0.3 if has else (-0.2 if isinstance(r, Duty) else 0.0)
        if q.row and isinstance(r, Task) and r.row == q.row:
            b += 1.0
        if "contest" in q.topics and re.search(r"cuoc thi|hoi thi", folded):
            b += 0.3
        if "online" in q.topics and re.search(r"dich vu cong|truc tuyen|buu chinh", folded):
            b += 0.15
        return b

    # ---- helpers ------------------------------------------------------------------------
    def _distinct(self, c: Candidate, chosen: list[Candidate]) -> bool:
        return all(self._render_key(c.record) != self._render_key(x.record) for x in chosen)

    @staticmethod
    def _render_key(r: Record) -> str:
        if isinstance(r, Task):
            return f"{r.doc_id}:{r.content}:{r.product}"
        if isinstance(r, Duty):
            return f"{r.doc_id}:{r.text}"
        return repr(r)[:200]

    def _plan_of(self, r: Record) -> Plan:
        return r if isinstance(r, Plan) else self.k.plans[r.doc_id].plan

    def _found(self, text: str, records: list[Record], q: Question, scores: list[float] | None = None) -> Answer:
        ans = self._found_answer(text, records, q, scores)
        self._local.context = [ContextItem(id=f"R{i + 1}", record=r, text=self._context_text(r), source=s)
                         for i, (r, s) in enumerate(zip(records, self._sources(records, scores), strict=False))]
        return ans

    def _context_text(self, r: Record) -> str:
        plan = self._plan_of(r)
        head = f"{plan.label()} — {plan.province}, {plan.year} — {compose.section_of(r)}"
        if isinstance(r, Task):
            body = compose.task_text(r, set())
        elif isinstance(r, Duty):
            body = f"{r.agency} ({r.role}): {r.text}"
        elif isinstance(r, Passage):
            body = r.text[:1500]
        else:
            body = compose.plan_facts(r, "so hieu can cu nguoi ky")
        return f"{head}\n{body}"

    def _sources(self, records: list[Record], scores: list[float] | None) -> list[Source]:
        out = []
        for i, r in enumerate(records):
            plan = self._plan_of(r)
            quote = getattr(r, "text", None) or getattr(r, "content", None) or (plan.title or "")
            score = scores[i] if scores and i < len(scores) else 1.0 / (i + 1)
            out.append(Source(document=plan.label(), province=plan.province, year=plan.year,
                              section=compose.section_of(r), quote=compose._short(quote, compose.MAX_QUOTE),
                              score=round(float(score), 3)))
        return out

    def _found_answer(self, text: str, records: list[Record], q: Question,
                      scores: list[float] | None = None) -> Answer:
        sources: list[Source] = []
        seen = set()
        for i, r in enumerate(records):
            plan = self._plan_of(r)
            key = (plan.doc_id, compose.section_of(r))
            if key in seen:
                continue
            seen.add(key)
            quote = getattr(r, "text", None) or getattr(r, "content", None) or (plan.title or "")
            score = scores[i] if scores and i < len(scores) else 1.0 / (i + 1)
            sources.append(Source(document=plan.label(), province=plan.province, year=plan.year,
                                  section=compose.section_of(r), quote=compose._short(quote, compose.MAX_QUOTE),
                                  score=round(float(score), 3)))
        notes = []
        if records:
            note = compose.merger_note(self._plan_of(records[0]), self.k.vocab)
            if note:
                notes.append(note)
        cite = "Nguồn: " + "; ".join(f"{s.document} ({s.province}, {s.year}), {s.section}" for s in sources[:2])
        body = "\n".join([text, *notes, cite])
        return Answer(answer=body, found=True, sources=sources[:5])

    def _refuse(self, text: str, sid: str | None) -> Answer:
        return Answer(answer=text, found=False, sources=[], session_id=sid)

    def _off_topic(self) -> str:
        ex = "\n".join(f"- {e}" for e in EXAMPLES)
        return f"Xin lỗi, câu hỏi này nằm ngoài nội dung các kế hoạch tôi đang có. {HELP}\nVí dụ:\n{ex}"

    def _not_found(self, q: Question) -> str:
        where = f" của {', '.join('tỉnh ' + p for p in q.provinces)}" if q.provinces else ""
        return (f"Các kế hoạch{where} trong kho không nêu thông tin này. {HELP} "
                f"Bạn có thể hỏi lại cụ thể hơn, ví dụ: {EXAMPLES[0]}")
