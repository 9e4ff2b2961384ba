"""The answerer protocol and what every answerer reads: the query, the plans in scope, the ranker.

Answerers are tried in order; the first that applies and returns a Result answers. Each is a small
class with ``applies(q, ctx)`` and ``answer(q, ctx) -> Result | None`` (None: let the next one try).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.knowledge import Knowledge, agency_key
from bot.query import Query
from bot.ranker import Candidate, Ranker
from bot.result import Result
from corpus.records import ParsedPlan

HELP = ("Tôi trả lời về các kế hoạch thông tin, tuyên truyền cải cách hành chính của các tỉnh: cơ quan chủ trì, "
        "cơ quan phối hợp, thời gian, kinh phí, các cuộc thi, dịch vụ công trực tuyến, căn cứ ban hành.")
EXAMPLES = [
    "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?",
    "Tổng kinh phí tuyên truyền CCHC năm 2024 của Kiên Giang là bao nhiêu?",
    "Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?",
]


@dataclass
class Ctx:
    k: Knowledge
    ranker: Ranker
    docs: set[str] | None  # plans in scope; None = every plan
    _cands: list[Candidate] | None = field(default=None, repr=False)

    @property
    def doc_ids(self) -> list[str]:
        return sorted(self.docs) if self.docs is not None else sorted(self.k.plans)

    def plans(self) -> list[ParsedPlan]:
        return [self.k.plans[d] for d in self.doc_ids]

    def candidates(self, q: Query) -> list[Candidate]:
        """Retrieved records, ranked; keyword search first, vectors only when words do not cover the topic."""
        if self._cands is None:
            cands = self._ranked(q, use_vectors=False)
            if not (cands and _lexically_sure(q, cands[0])):
                cands = self._ranked(q, use_vectors=True)
            self._cands = cands
        return self._cands

    def _ranked(self, q: Query, use_vectors: bool) -> list[Candidate]:
        docs = self.docs if self.docs is not None or not self.k.faqs else set(self.k.plans)  # never FAQ units
        hits = self.k.index.search(q.search_text or q.text, docs, k=40, use_vectors=use_vectors)
        return self.ranker.rank(q, hits)

    def is_agency(self, name: str, province: str | None, key: str) -> bool:
        return bool(key) and agency_key(name, province, self.k.vocab) == key


def _lexically_sure(q: Query, best: Candidate) -> bool:
    if q.topic_terms:
        return best.coverage >= 0.99
    return best.agency_match >= 0.5


class Answerer(Protocol):
    def applies(self, q: Query, ctx: Ctx) -> bool: ...

    def answer(self, q: Query, ctx: Ctx) -> Result | None: ...


def not_found_text(q: Query, reason: str = "", contains: str = "") -> str:
    where = f" của {', '.join('tỉnh ' + p for p in q.provinces)}" if q.provinces else ""
    head = f"Các kế hoạch{where} trong kho {reason}." if reason else \
        f"Các kế hoạch{where} trong kho không nêu thông tin này."
    tail = f" {contains}" if contains else f" Bạn có thể hỏi lại cụ thể hơn, ví dụ: {EXAMPLES[0]}"
    return head[0].upper() + head[1:] + tail


def off_topic_text() -> str:
    ex = "\n".join(f"- {e}" for e in EXAMPLES)
    return f"Xin lỗi, câu hỏi này nằm ngoài nội dung các kế hoạch tôi đang có. {HELP}\nVí dụ:\n{ex}"
