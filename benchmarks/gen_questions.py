"""Generated questions: every attribute of every appendix row and agency block, as users would type them.

Pure: parsed plans in, cases out. Each case names the record it was made from (``gold``: doc_id, kind,
index), what a correct answer must contain, its attribute and its variant (plain, unaccented,
abbreviated, typo, new province name) — and unanswerable twins (an agency the plan never names, a
province or a year not in the corpus). Cases are split by a stable hash of the source record, so a fit
on one part never sees the other part's records.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field

from corpus.records import ParsedPlan, Task
from corpus.vocab import DATA_DIR, Vocabulary, fold

ABBREVIATE = [("cải cách hành chính", "cchc"), ("Sở Thông tin và Truyền thông", "Sở TT&TT"),
              ("Ủy ban nhân dân", "UBND"), ("thủ tục hành chính", "tthc"), ("dịch vụ công", "dvc"),
              ("Đài Phát thanh và Truyền hình", "Đài PT-TH"), ("Sở Nội vụ", "SNV")]
LEAD_T = ["Ở {p}, cơ quan nào chủ trì {c}?", "{p}: ai chủ trì {c}?", "{c} ở {p} do đơn vị nào chủ trì?"]
COORD_T = ["Ở {p}, {c} phối hợp với những cơ quan nào?", "{p}: cơ quan phối hợp thực hiện {c}?"]
TIME_T = ["{c} ở {p} thực hiện khi nào?", "{p}: thời gian thực hiện {c}?"]
BUDGET_T = ["Kinh phí cho {c} ở {p} là bao nhiêu?", "{p}: {c} được bố trí bao nhiêu tiền?"]
DUTY_T = ["{a} {p} có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?", "Ở {p}, {a} được giao làm gì?"]
ABSENT_T = ["{a} {p} có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?", "Ở {p}, {a} chủ trì những nhiệm vụ nào?"]


@dataclass
class Case:
    id: str
    question: str
    attribute: str
    variant: str
    must_contain: list = field(default_factory=list)
    expect_refusal: bool = False
    province: str | None = None
    gold: tuple[str, str, int] | None = None  # (doc_id, kind, index) of the source record
    split: str = "fit"

    def to_dict(self) -> dict:
        return {"id": self.id, "question": self.question, "type": self.attribute, "variant": self.variant,
                "must_contain": self.must_contain, "expect_refusal": self.expect_refusal,
                "province": self.province, "split": self.split}


def _split(key: str) -> str:
    return "fit" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0 else "report"


def _named(agency: str) -> list[str]:
    """An agency as an answer may name it: its canonical name or any spelling the vocabulary knows for it (an
    answer quoting the plan's cell writes "UBND các huyện, TP, TX" for Ủy ban nhân dân cấp huyện)."""
    return [agency, *_SPELLINGS.get(agency, [])]


_SPELLINGS: dict[str, list[str]] = json.loads((DATA_DIR / "agencies.json").read_text(encoding="utf-8"))["canonical"]


def _topic(text: str, words: int = 9) -> str:
    """The first words of a task, without a leading verb list marker: how people name a task."""
    t = re.sub(r"^[\-+•\d.)\s]+", "", " ".join(text.split()))
    t = re.split(r"[;:(]", t)[0]
    return " ".join(t.split()[:words]).rstrip(",.").lower()


def _distinct_phrase(text: str, n: int = 4) -> str:
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    if len(words) <= n:
        return " ".join(words).strip(" .;,")
    mid = min(len(words) - n, 2)
    return " ".join(words[mid:mid + n]).strip(" .;,")


def variants(q: str, rng: random.Random, vocab: Vocabulary, province: str) -> list[tuple[str, str]]:
    out = [("plain", q), ("unaccented", fold(q))]
    ab = q
    for full, short in ABBREVIATE:
        ab = re.sub(re.escape(full), short, ab, flags=re.I)
    if ab != q:
        out.append(("abbreviated", ab))
    words = q.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if long:
        i = rng.choice(long)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        out.append(("typo", " ".join(words)))
    new = vocab.merged_into.get(province)
    if new and province in q:
        out.append(("new_province", q.replace(province, f"{new} ({province} cũ)")))
    return out


def _task_cases(pp: ParsedPlan, i: int, t: Task, rng: random.Random) -> list[tuple[str, list, str]]:
    c = _topic(t.content)
    if len(c.split()) < 4:
        return []
    out = []
    if t.lead and not fold(t.lead[0]).startswith("cac "):
        out.append(("lead", [_named(t.lead[0])], rng.choice(LEAD_T).format(p="{p}", c=c)))
    coords = [x for x in t.coordinators if not fold(x).startswith("cac ") and len(x) > 6]
    if coords:
        out.append(("coordinators", [_named(coords[0])], rng.choice(COORD_T).format(p="{p}", c=c)))
    if t.timeline and len(t.timeline) < 80:
        out.append(("timeline", [_distinct_phrase(t.timeline, 3)], rng.choice(TIME_T).format(p="{p}", c=c)))
    if t.budget:
        money = f"{t.budget:,}".replace(",", ".")
        out.append(("budget", [money], rng.choice(BUDGET_T).format(p="{p}", c=c)))
    return out


def generate(plans: dict[str, ParsedPlan], vocab: Vocabulary, seed: int = 7,
             absent_agencies: list[str] | None = None) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    covered = {pp.plan.province for pp in plans.values() if pp.plan.province}
    outside = [p for p in vocab.provinces_old if p not in covered and p not in vocab.merged_into.values()]
    for doc_id, pp in sorted(plans.items()):
        prov = pp.plan.province or ""
        if not prov:
            continue
        text = fold(" ".join([x.text for x in pp.passages] + [f"{t.content} {' '.join(t.lead + t.coordinators)} "
                                                               f"{t.group}" for t in pp.tasks]))
        text += " " + text.replace(fold(prov), "tinh")
        seen_topics: set[str] = set()
        for i, t in enumerate(pp.tasks):
            for attr, must, tmpl in _task_cases(pp, i, t, rng):
                key = f"{doc_id}:task:{fold(_topic(t.content))}"
                if (key, attr) in seen_topics:
                    continue  # sub-rows sharing one content: the question cannot tell them apart
                seen_topics.add((key, attr))
                q = tmpl.format(p=prov)
                for var, qq in variants(q, rng, vocab, prov):
                    cases.append(Case(f"{doc_id}-t{i}-{attr}-{var}", qq, attr, var, must, province=prov,
                                      gold=(doc_id, "task", i), split=_split(key)))
        for i, a in enumerate(pp.activities):
            c = _topic(a.name)
            if len(c.split()) < 3:
                continue
            key = f"{doc_id}:activity:{fold(c)}"
            asks = []
            if a.lead and not fold(a.lead[0]).startswith("cac "):
                asks.append(("lead", [a.lead[0]], rng.choice(LEAD_T).format(p="{p}", c=c)))
            if a.time and len(a.time) < 80:
                asks.append(("timeline", [_distinct_phrase(a.time, 3)], rng.choice(TIME_T).format(p="{p}", c=c)))
            if a.place and len(a.place) < 80:
                asks.append(("place", [_distinct_phrase(a.place.removeprefix("tại "), 3)],
                             f"{c} ở {{p}} tổ chức ở đâu?"))
            for attr, must, tmpl in asks:
                if (key, attr) in seen_topics:
                    continue
                seen_topics.add((key, attr))
                for var, qq in variants(tmpl.format(p=prov), rng, vocab, prov):
                    cases.append(Case(f"{doc_id}-a{i}-{attr}-{var}", qq, attr, var, must, province=prov,
                                      gold=(doc_id, "activity", i), split=_split(key)))
        agencies: dict[str, int] = {}
        for j, d in enumerate(pp.duties):
            if d.where and "Tổ chức thực hiện" in d.where and not fold(d.agency).startswith(("cac ", "ubnd")):
                agencies.setdefault(d.agency, j)
        for agency, j in agencies.items():
            d = pp.duties[j]
            phrase = _distinct_phrase(d.text)
            if len(phrase.split()) < 3:
                continue
            q = rng.choice(DUTY_T).format(a=agency, p=prov)
            key = f"{doc_id}:duty:{fold(agency)}"
            for var, qq in variants(q, rng, vocab, prov):
                cases.append(Case(f"{doc_id}-d{j}-duties-{var}", qq, "duties", var, [phrase], province=prov,
                                  gold=(doc_id, "duty", j), split=_split(key)))
        for a in (absent_agencies or [])[:40]:
            if fold(a) in text or any(fold(a) == fold(x) for x in agencies):
                continue
            q = rng.choice(ABSENT_T).format(a=a, p=prov)
            key = f"{doc_id}:absent:{fold(a)}"
            cases.append(Case(f"{doc_id}-absent-{fold(a).replace(' ', '_')}", q, "absent_agency", "plain",
                              expect_refusal=True, province=prov, split=_split(key)))
        if pp.tasks:
            t = pp.tasks[0]
            c = _topic(t.content)
            for other in rng.sample(outside, min(2, len(outside))):
                cases.append(Case(f"{doc_id}-otherprov-{fold(other)}", f"Ở {other}, cơ quan nào chủ trì {c}?",
                                  "other_province", "plain", expect_refusal=True, province=None,
                                  split=_split(f"{doc_id}:{other}")))
            if pp.plan.year:
                y = pp.plan.year - 3
                cases.append(Case(f"{doc_id}-otheryear", f"Kế hoạch tuyên truyền CCHC năm {y} của {prov} giao ai "
                                  f"chủ trì {c}?", "other_year", "plain", expect_refusal=True, province=prov,
                                  split=_split(f"{doc_id}:year")))
    return cases
