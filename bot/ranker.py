"""Re-ranking retrieved records with named features and weights kept as data.

Retrieval (BM25 + vectors) finds the topic; the ranker orders its records for the question's slots.
Each feature is a number in [0, 1] (or a 0/1 flag) with a name; the weights live in
``bot/data/ranker.json`` and are fitted by ``benchmarks/fit_ranker.py`` on generated questions.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.knowledge import Knowledge, Record, agency_key
from bot.query import Query
from corpus.records import Activity, Definition, Duty, Passage, Task
from corpus.vocab import fold
from retrieval.index import RRF_K, Hit
from retrieval.text import word_set

WEIGHTS_FILE = Path(__file__).parent / "data" / "ranker.json"
FACTUAL = {"lead", "coordinators", "timeline", "budget", "count", "place"}
FEATURES = (
    "rrf", "coverage", "subject_lead", "subject_duty", "subject_coord", "subject_group", "subject_in_passage",
    "partner_coord", "task", "task_factual", "task_budget", "duty_duties", "duty_duties_subject", "duty_lead",
    "duty_other", "passage_factual", "passage_heading", "activity", "activity_factual", "coord_present",
    "coord_absent_duty", "row_match", "contest_match", "online_match", "slot_present", "mention_match",
    "quoted_match",
)


@lru_cache(maxsize=2)
def load_weights(path: str | None = None) -> dict[str, float]:
    data = json.loads(Path(path or WEIGHTS_FILE).read_text(encoding="utf-8"))
    return {k: float(data["weights"].get(k, 0.0)) for k in FEATURES}


@dataclass
class Candidate:
    hit: Hit
    record: Record
    score: float
    coverage: float
    agency_match: float
    features: dict[str, float]


def _match(unit: str, words: set[str]) -> float:
    """1 if a topic unit ("muc_tieu") occurs as such, 0.5 if its syllables occur apart, else 0."""
    if unit in words:
        return 1.0
    parts = unit.split("_")
    return 0.5 if len(parts) > 1 and all(p in words for p in parts) else 0.0


def slot_present(q: Query, r: Record) -> bool:
    """Does the record carry the attribute the question asks for?"""
    a = q.attribute
    if isinstance(r, Task):
        return {"timeline": bool(r.timeline), "budget": r.budget is not None or bool(r.note),
                "coordinators": bool(r.coordinators), "count": bool(r.product), "lead": bool(r.lead),
                "place": False}.get(a, True)
    if isinstance(r, Activity):
        return {"timeline": bool(r.time), "budget": r.budget is not None or bool(r.funding),
                "coordinators": bool(r.coordinators), "place": bool(r.place), "count": bool(r.product),
                "lead": bool(r.lead)}.get(a, True)
    if isinstance(r, Duty):
        return {"coordinators": bool(r.coordinators)}.get(a, True)
    return True


class Ranker:
    def __init__(self, knowledge: Knowledge, weights: dict[str, float] | None = None) -> None:
        self.k = knowledge
        self.w = weights or load_weights()
        self.variants = knowledge.variants()

    def features(self, q: Query, hit: Hit, r: Record) -> tuple[dict[str, float], float]:
        top = 2.0 / (RRF_K + 1)
        f_text, words = self.k.unit_words(hit.unit, self.variants)
        bm = self.k.index.bm25
        unseen = math.log(1 + (bm.n + 0.5) / 0.5)  # a word no plan uses weighs most
        weights = {t: max((bm.idf.get(p, unseen) for p in t.split("_")), default=unseen) for t in q.topic_terms}
        total_w = sum(weights.values()) or 1.0
        # rare words count more: "giải bóng đá" is not covered by the many "giải pháp"
        cov = (sum(w * _match(t, words) for t, w in weights.items()) / total_w) if q.topic_terms else 0.0
        f = dict.fromkeys(FEATURES, 0.0)
        f["rrf"] = hit.score / top
        f["coverage"] = cov
        self._agency_features(q, r, f)
        factual = q.attribute in FACTUAL
        if isinstance(r, Task):
            f["task"] = 1.0
            f["task_factual"] = float(factual)
            f["task_budget"] = float(q.attribute == "budget" and r.budget is not None)
        elif isinstance(r, Activity):
            f["activity"] = 1.0
            f["activity_factual"] = float(factual)
        elif isinstance(r, Duty):
            if q.attribute == "duties" or "duties" in q.intents:
                f["duty_duties_subject" if q.subject else "duty_duties"] = 1.0
            elif r.role == "chủ trì" and q.attribute == "lead":
                f["duty_lead"] = 1.0
            else:
                f["duty_other"] = 1.0
        elif isinstance(r, Passage):
            f["passage_factual"] = float(factual)
            heading = word_set(fold(" ".join(r.heading[1:])))
            terms = set(q.topic_terms) | q.synonym_terms
            if q.topic_terms:
                f["passage_heading"] = min(1.0, sum(1 for t in terms if t in heading) / len(q.topic_terms))
        if q.attribute == "coordinators":
            has = bool(getattr(r, "coordinators", None))
            f["coord_present"] = float(has)
            f["coord_absent_duty"] = float(not has and isinstance(r, Duty))
        f["row_match"] = float(bool(q.row) and isinstance(r, Task) and r.row == q.row)
        # a title the question quotes ("chuyên mục “Dân hỏi - Sở ngành trả lời”") names the record that has it
        f["quoted_match"] = float(bool(q.quoted) and any(t in " ".join(re.findall(r"[a-z0-9]+", f_text))
                                                          for t in q.quoted))
        f["contest_match"] = float("contest" in q.topics and bool(re.search(r"cuoc thi|hoi thi", f_text)))
        f["online_match"] = float("online" in q.topics and bool(re.search(r"dich vu cong|truc tuyen|buu chinh",
                                                                           f_text)))
        f["slot_present"] = float(bool(q.attribute) and slot_present(q, r))
        score = sum(self.w[k] * v for k, v in f.items())
        return f, score

    def _agency_features(self, q: Query, r: Record, f: dict[str, float]) -> None:
        if not q.agencies or isinstance(r, Definition):
            return
        if q.mentions:
            prov0 = self.k.plans[r.doc_id].plan.province
            names = [*getattr(r, "lead", []), *getattr(r, "coordinators", []), getattr(r, "group", ""),
                     getattr(r, "agency", "")]
            keys = {agency_key(n, prov0, self.k.vocab) for n in names if n}
            text = fold(getattr(r, "text", "") or getattr(r, "content", "") or "")
            f["mention_match"] = float(any(m in keys or m in text for m in q.mentions))
        prov = self.k.plans[r.doc_id].plan.province if hasattr(r, "doc_id") else None
        subject = {q.subject} if q.subject else set()
        partners = set(q.partners)

        def hit(names: list[str], keys: set[str]) -> bool:
            return bool(keys) and any(agency_key(n, prov, self.k.vocab) in keys or fold(n) in keys for n in names)

        if isinstance(r, Duty):
            f["subject_duty"] = float(hit([r.agency], subject))
            f["subject_coord"] = float(not f["subject_duty"] and hit(r.coordinators, subject))
            f["partner_coord"] = float(hit(r.coordinators, partners))
        elif isinstance(r, Task | Activity):
            f["subject_lead"] = float(hit(r.lead, subject))
            if isinstance(r, Task) and r.group and not f["subject_lead"]:
                f["subject_group"] = float(hit([r.group], subject))
            own = f["subject_lead"] or f["subject_group"]
            f["subject_coord"] = float(not own and hit(r.coordinators, subject))
            f["partner_coord"] = float(hit(r.coordinators, partners))
        elif isinstance(r, Passage):
            text = fold(r.text)
            f["subject_in_passage"] = float(any(k in text for k in subject | partners))

    def rank(self, q: Query, hits: list[Hit]) -> list[Candidate]:
        out = []
        for h in hits:
            r = self.k.record(h.unit)
            f, s = self.features(q, h, r)
            am = max(f["subject_lead"], f["subject_duty"], f["subject_group"] * 0.7, f["subject_coord"] * 0.5,
                     f["partner_coord"] * 0.5)
            out.append(Candidate(h, r, s, f["coverage"], am, f))
        out.sort(key=lambda c: -c.score)
        return out
