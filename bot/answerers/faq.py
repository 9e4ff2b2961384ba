"""Answers from the admins' FAQs and guides ("hướng dẫn / hỏi đáp"): how a citizen does something.

Routing (see ``Assistant.answer_query``): a "how do I / ở đâu / thế nào / dùng để làm gì / được không"
question that does not ask about a plan (who leads with whom, when, how much, an agency, a plan's number
or its tasks and contests) is tried here first, and so is a question that is nearly an FAQ's own
question; any other question that is not about a plan comes here only when the plans do not answer it.
A plan question never does, so an FAQ can neither replace a plan's answer nor make an unanswerable plan
question "found".

Matching reuses the query machinery: the parsed Query's folded text (abbreviations expanded from
``corpus/data/abbreviations.json``, the corpus speller applied, diacritics folded), the synonym variants
of ``corpus/data/synonyms.json`` (``Knowledge.variants``) and the index's IDF weights, compared both
ways (the question's words in the FAQ question, the FAQ question's words in the question); when the
words do not settle it, the vector side of the index finds the FAQ question nearest in meaning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot import compose
from bot.answer import Answer, Source
from bot.knowledge import Knowledge
from bot.patterns import load_patterns
from bot.query import Query
from bot.result import Result
from corpus.faq import NATIONAL
from corpus.records import FaqRecord, ParsedPlan
from corpus.vocab import fold
from retrieval.text import STOPWORDS, expand_abbreviations

PLAN_ATTRIBUTES = {"coordinators", "budget", "timeline", "count", "legal", "corpus"}
MIN_QUESTION_COVER = 0.6  # share of the question's topic (IDF-weighted) the FAQ's own question must cover
MIN_REVERSE_COVER = 0.4  # share of the FAQ question's content words (IDF-weighted) the citizen's question uses
MIN_ANSWER_COVER = 0.85  # … or this share of the question's topic in the FAQ's question and answer together
STRONG_COVER, STRONG_REVERSE = 0.9, 0.75
MIN_VECTOR = 0.89  # e5 cosine at which a paraphrase with less word overlap is accepted …
MIN_VECTOR_MARGIN = 0.015  # … when no other FAQ question is about as near
MIN_NEAR_VECTOR, MIN_NEAR_WORDS = 0.87, 0.6  # … or nearly as near, with words in common both ways
VECTOR_FLOOR = 0.82  # e5 cosines below this say nothing (unrelated Vietnamese sentences score about 0.8)
MAX_ANSWER = 1500


def about_plan(q: Query) -> bool:
    """Does the question ask about a plan (who/when/how much, an agency, a plan number, the plans' words)?
    "Phải đến cơ quan nào làm?" in a how-to question asks where a citizen goes, not which agency a plan names."""
    subject = "plan_subject" in q.intents and not (is_how_to(q) and not _PLAN_WORDS.search(q.folded))
    return bool(q.attribute in PLAN_ATTRIBUTES or q.agencies or q.plan_ref
                or subject or "aggregate" in q.intents or "which_province" in q.intents)


_PLAN_WORDS = re.compile(r"\b(ke hoach|tuyen truyen|chu tri|phoi hop|phu luc|nhiem vu|cuoc thi|hoi thi|kinh phi|"
                         r"so hieu|can cu|ban hanh)\b")


def is_how_to(q: Query) -> bool:
    return "howto" in q.intents


def in_scope(f: FaqRecord, provinces: list[str], k: Knowledge) -> bool:
    """A national record applies everywhere; a province's applies to it under its old or its 2025 name."""
    if f.scope == NATIONAL or not provinces:
        return True
    merged = k.vocab.merged_into
    return any(f.scope == p or merged.get(f.scope) == p or merged.get(p) == f.scope for p in provinces)


@dataclass
class FaqMatch:
    record: FaqRecord
    doc: ParsedPlan
    score: float
    cover: float  # of the question's topic by the FAQ question
    reverse: float  # of the FAQ question's words by the citizen's question
    vector: float
    answer_cover: float = 0.0  # of the question's topic by the FAQ question and its answer


FORM_WORDS = frozenset("lam the sao duoc khong phai can muon toi minh em ban gi nao dau".split())


class Bag:
    """A text's content syllables (as written) and every syllable it matches: abbreviations expanded, synonyms added."""

    def __init__(self, plain: str, expanded: str, variants: dict[str, set[str]], phrases: re.Pattern[str],
                 drop: frozenset[str] | set[str] = frozenset()) -> None:
        self.content = [w for w in dict.fromkeys(re.findall(r"[a-z0-9]+", phrases.sub(" ", plain)))
                        if w not in STOPWORDS and w not in FORM_WORDS and w not in drop]
        seq = re.findall(r"[a-z0-9]+", expanded)
        units = set(seq) | {"_".join(seq[i:i + n]) for n in (2, 3) for i in range(len(seq) - n + 1)}
        extra = {v for u in units if u in variants for v in variants[u]}
        self.words = set(seq) | {p for v in extra for p in v.split("_")}


class FaqIndex:
    """Word bags of every FAQ question and answer (folded, abbreviations expanded, synonyms added), built once."""

    def __init__(self, k: Knowledge) -> None:
        self.k = k
        self.variants = k.variants()
        self.phrases = load_patterns().question_phrases
        self.entries: list[tuple[FaqRecord, ParsedPlan, Bag, Bag]] = []
        for doc in k.faqs.values():
            for f in doc.faqs:
                self.entries.append((f, doc, self._bag(f.question), self._bag(f"{f.question} {f.answer}")))

    def _bag(self, text: str) -> Bag:
        return Bag(fold(text), fold(expand_abbreviations(text, self.k.vocab)), self.variants, self.phrases)

    def _asked(self, q: Query) -> tuple[Bag, dict[str, set[str]]]:
        """The question's bag without province names; each abbreviation used -> the words of its full form."""
        drop = {w for p in q.provinces for w in fold(p).split()}
        abbr = {a: set(re.findall(r"[a-z0-9]+", fold(self.k.vocab.abbreviations.get(a, "") or "")))
                for a in self.k.vocab.abbreviations if fold(a) in q.abbreviations}
        full = {fold(a).replace(" ", ""): words - STOPWORDS for a, words in abbr.items()}
        bag = Bag(fold(q.text), q.folded, self.variants, self.phrases, drop | set(full))
        return bag, full

    def match(self, q: Query, use_vectors: bool = True) -> list[FaqMatch]:
        """In-scope FAQ records for the question, best first (a province's own FAQ before a national one)."""
        asked, abbreviations = self._asked(q)  # q.folded: abbreviations expanded, speller applied
        if not self.entries or not (asked.content or abbreviations):
            return []
        bm = self.k.index.bm25
        unseen = math.log(1 + (bm.n + 0.5) / 0.5)

        def weight(words: list[str]) -> dict[str, float]:
            return {w: bm.idf.get(w, unseen) for w in words}

        qw = weight(asked.content)
        aw = {a: max(weight(sorted(words)).values(), default=unseen) for a, words in abbreviations.items()}
        total = (sum(qw.values()) + sum(aw.values())) or 1.0

        def covered(bag: Bag) -> float:
            got = sum(v for w, v in qw.items() if w in bag.words)
            got += sum(v for a, v in aw.items() if a in bag.words or abbreviations[a] <= bag.words)
            return got / total

        vectors = self._vectors(q) if use_vectors else {}
        out = []
        for f, doc, qbag, abag in self.entries:
            if not in_scope(f, q.provinces, self.k):
                continue
            cover, a_cover = covered(qbag), covered(abag)
            fw = weight(qbag.content)
            reverse = sum(v for w, v in fw.items() if w in asked.words) / (sum(fw.values()) or 1.0)
            vec = vectors.get(f"{f.doc_id}:faq:{f.number - 1}", 0.0)
            own = (0.05 if q.provinces else -0.05) if f.scope != NATIONAL else 0.0  # a province's own FAQ first
            near = min(1.0, max(0.0, (vec - VECTOR_FLOOR) / (1.0 - VECTOR_FLOOR)))
            score = 0.3 * cover + 0.2 * a_cover + 0.25 * reverse + 0.25 * near + own
            out.append(FaqMatch(f, doc, score, cover, reverse, vec, a_cover))
        out.sort(key=lambda m: -m.score)
        return out

    def _vectors(self, q: Query) -> dict[str, float]:
        try:
            hits = self.k.index.search(q.search_text or q.text, set(self.k.faqs), k=8, use_vectors=True)
        except Exception:  # noqa: BLE001 - a vector store that cannot answer leaves the words to decide
            return {}
        return {h.unit.uid: h.vector for h in hits if h.unit.kind == "faq"}


def accepted(m: FaqMatch) -> bool:
    """Is this record an answer by its words, not merely on the same topic? (Its question's words, or nearly
    all of the citizen's words in its question and answer: "số tổng đài hỗ trợ Cổng …" is answered by
    "Gặp lỗi khi sử dụng Cổng … liên hệ ở đâu?", whose answer gives the hotline.)"""
    return (m.cover >= MIN_QUESTION_COVER and m.reverse >= MIN_REVERSE_COVER) or (
        m.answer_cover >= MIN_ANSWER_COVER and m.cover >= 0.4 and m.reverse >= 0.25)


def first_accepted(matches: list[FaqMatch]) -> FaqMatch | None:
    """The best-scored of the top three that is an answer by its words (the top one may share the words of the
    question's subject, "Cổng … là gì?", while the next answers what is asked, its hotline)."""
    return next((m for m in matches[:3] if accepted(m)), None)


def by_meaning(matches: list[FaqMatch]) -> FaqMatch | None:
    """The FAQ question clearly nearest in meaning (vectors), when the words overlap at least partly."""
    near = sorted(matches, key=lambda m: -m.vector)
    if not near:
        return None
    best, second = near[0], (near[1].vector if len(near) > 1 else 0.0)
    if best.vector >= MIN_VECTOR and best.vector - second >= MIN_VECTOR_MARGIN and best.cover >= 0.3 \
            and best.reverse >= 0.3:
        return best
    # a paraphrase ("xem hồ sơ đang xử lý tới đâu" for "tra cứu tình trạng hồ sơ"): among the questions about as
    # near in meaning, the one whose words the citizen's question shares most, if they share enough
    close = [m for m in near if m.vector >= MIN_NEAR_VECTOR and best.vector - m.vector < MIN_VECTOR_MARGIN]
    pick = max(close, key=lambda m: m.cover + m.reverse, default=None)
    if pick is not None and pick.cover + pick.reverse >= MIN_NEAR_WORDS and min(pick.cover, pick.reverse) >= 0.2:
        return pick
    return None


def strong(m: FaqMatch) -> bool:
    """The citizen asked (nearly) the FAQ's own question: it answers before the plans are searched."""
    return m.cover >= STRONG_COVER and m.reverse >= STRONG_REVERSE


def faq_source(m: FaqMatch) -> Source:
    p = m.doc.plan
    scope = None if m.record.scope == NATIONAL else m.record.scope
    year = int(m.record.updated[-4:]) if m.record.updated else p.year
    return Source(document=p.label(), province=scope, year=year, section=f"Câu hỏi: {m.record.question}",
                  quote=compose.short(m.record.answer, compose.MAX_QUOTE), score=round(m.score, 3))


def compose_answer(m: FaqMatch, k: Knowledge) -> str:
    """The admin's answer quoted, its links as plain text, one scope/merger line, then the citation."""
    f, p = m.record, m.doc.plan
    body = f.answer if len(f.answer) <= MAX_ANSWER else compose.short(f.answer, MAX_ANSWER)
    lines = [f"Theo {p.doc_type.lower()} “{f.question}”:", body]
    missing = [u for u in f.links if u not in body]
    if missing:
        lines.append("Liên kết: " + " ; ".join(missing))
    if f.scope != NATIONAL:
        new = k.vocab.merged_into.get(f.scope)
        lines.append(f"Áp dụng tại tỉnh {f.scope}" + (f" (từ {k.vocab.merger_date} thuộc tỉnh {new}; nội dung soạn "
                                                       "trước khi sáp nhập)." if new else "."))
    date = f.updated or p.date
    lines.append(f"Nguồn: {p.doc_type} “{p.title}”" + (f", cập nhật {date}" if date else "") + ".")
    return "\n".join(lines)


class FaqAnswerer:
    """The FAQ side of the assistant: ``answer`` returns a found Result or None (let the plans or a refusal speak)."""

    def __init__(self, k: Knowledge) -> None:
        self.k = k
        self.index = FaqIndex(k)

    def answer(self, q: Query, only_strong: bool = False) -> Result | None:
        """The FAQ answer, or None. Words first (no vector query when they settle it), then meaning."""
        matches = self.index.match(q, use_vectors=False)
        if only_strong:
            if not matches or not (accepted(matches[0]) and strong(matches[0])):
                return None
            best: FaqMatch | None = matches[0]
        elif (best := first_accepted(matches)) is not None:
            pass
        else:
            matches = self.index.match(q, use_vectors=True)
            best = first_accepted(matches) or by_meaning(matches)
        if best is None:
            return None
        return Result(Answer(answer=compose_answer(best, self.k), found=True, sources=[faq_source(best)]))


def refusal_text(q: Query) -> str:
    where = f" cho {', '.join('tỉnh ' + p for p in q.provinces)}" if q.provinces else ""
    return (f"Xin lỗi, trong kho chưa có hướng dẫn hay hỏi đáp nào{where} trả lời câu hỏi này, nên tôi không trả lời "
            "để tránh hướng dẫn sai. Cán bộ quản trị xem các câu hỏi chưa có câu trả lời để bổ sung hướng dẫn.")


__all__ = ["FaqAnswerer", "about_plan", "is_how_to", "refusal_text"]
