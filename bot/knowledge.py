"""What the assistant knows: the parsed plans, the index over them and an agency lexicon.

Built once per process (or per corpus change) and then only read, so answering is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.patterns import chat_spelling, load_patterns
from corpus.records import Activity, Definition, Duty, FaqRecord, LegalDoc, ParsedPlan, Passage, Plan, Task
from corpus.vocab import Vocabulary, fold, nfc
from retrieval.index import HybridIndex
from retrieval.text import word_set
from retrieval.units import Unit

Record = Plan | Task | Duty | Passage | Activity | Definition | LegalDoc | FaqRecord
WORDS_CACHE = 8192  # units whose folded words are kept (~8 KB each: all of them cost ~550 MB at 1,000 plans)
KINDS = {"task": "tasks", "duty": "duties", "passage": "passages", "activity": "activities",
         "definition": "definitions", "legal": "legal_docs", "faq": "faqs"}


@dataclass
class Knowledge:
    plans: dict[str, ParsedPlan]
    index: HybridIndex
    vocab: Vocabulary
    agency_lexicon: dict[str, str] = field(default_factory=dict)
    # FAQ/guide documents (plan.kind == "faq"), moved out of ``plans`` at construction: plan answerers never see them
    faqs: dict[str, ParsedPlan] = field(default_factory=dict)

    _words: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    _plan_text: dict[str, str] = field(default_factory=dict)
    _spellings: dict[str, set[str]] = field(default_factory=dict)
    _anagrams: dict[str, str] | None = None
    _raw: dict[str, str] = field(default_factory=dict)
    _variants: dict[str, set[str]] | None = None
    _by_province: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.faqs = {**self.faqs, **{d: p for d, p in self.plans.items() if p.plan.kind == "faq"}}
        if self.faqs:
            self.plans = {d: p for d, p in self.plans.items() if d not in self.faqs}
        if not self.agency_lexicon:
            self.agency_lexicon = build_agency_lexicon(self.plans.values(), self.vocab)
        for spelling, key in self.agency_lexicon.items():
            self._spellings.setdefault(key, set()).add(spelling)

    def speller(self) -> Callable[[str], str]:
        """Swapped letters fixed against the corpus's own words: 'turyen' -> 'truyen' (same letters, known word)."""
        if self._anagrams is None:
            idf = self.index.bm25.idf
            best: dict[str, tuple[float, str]] = {}
            for w, v in idf.items():
                if "_" in w or len(w) < 4 or not w.isalpha():
                    continue
                key = "".join(sorted(w))
                if key not in best or v < best[key][0]:
                    best[key] = (v, w)  # the commonest word with these letters
            self._anagrams = {k: w for k, (_, w) in best.items()}
        known, anagrams = self.index.bm25.idf, self._anagrams
        pt = load_patterns()

        def fix(word: str) -> str:
            if word in known:
                return word
            chat = chat_spelling(word, known, pt)
            if chat is not None:
                return chat
            if len(word) < 4 or not word.isalpha():
                return word
            return anagrams.get("".join(sorted(word)), word)

        return fix

    def plan_text(self, doc_id: str) -> str:
        """The whole plan folded, with each province name also written 'tinh' (for agency look-ups)."""
        cached = self._plan_text.get(doc_id)
        if cached is None:
            p = self.plans[doc_id]
            parts = [x.text for x in p.passages] + [f"{t.content} {t.product} {' '.join(t.lead + t.coordinators)} "
                                                   f"{t.group} {t.note}" for t in p.tasks]
            f = " ".join(fold(" ".join(parts)).split())
            if p.plan.province:
                f += " " + f.replace(fold(p.plan.province), "tinh")
            cached = self._plan_text[doc_id] = f
        return cached

    def mentions_agency(self, doc_id: str, key: str) -> bool:
        """Does the plan name this agency? In a record's agency fields, or written with its capitals.

        Folded text is not enough: "Sở Xây dựng" folds to the words of "các sở xây dựng kế hoạch".
        """
        p = self.plans[doc_id]
        prov = p.plan.province
        names = {d.agency for d in p.duties} | {a for t in p.tasks for a in [*t.lead, *t.coordinators, t.group]}
        names |= {a for x in p.activities for a in [*x.lead, *x.coordinators]}
        if any(n and agency_key(n, prov, self.vocab) == key for n in names):
            return True
        raw = self.raw_text(doc_id)
        spellings = {self.vocab.agency_alias.get(s, "") for s in self._spellings.get(key, set()) | {key}}
        for name in filter(None, spellings):
            forms = {name} | ({name.replace("tỉnh", prov), name.replace(" tỉnh", f" {prov}")} if prov else set())
            if any(re.search(r"(?<!\w)" + re.escape(f) + r"(?!\w)", raw) for f in forms):
                return True
        return False

    def raw_text(self, doc_id: str) -> str:
        """The plan's passages and rows as written (accents and capitals kept), NFC."""
        cached = self._raw.get(doc_id)
        if cached is None:
            p = self.plans[doc_id]
            parts = [x.text for x in p.passages] + [f"{t.content} {t.product} {t.note}" for t in p.tasks]
            cached = self._raw[doc_id] = nfc(" ".join(" ".join(parts).split()))
        return cached

    def warm(self) -> None:
        """Compute at load what answering reads per unit and per plan, and open the vector side once,
        so the first questions are as fast as the rest (not paying for caches or a cold vector store)."""
        variants = self.variants()
        for u in self.index.units[:WORDS_CACHE]:
            self.unit_words(u, variants)
        for doc_id in self.plans:
            self.plan_text(doc_id)
            self.raw_text(doc_id)
        self.speller()
        if self.index.units:
            try:
                self.index.search("cải cách hành chính", None, k=1, use_vectors=True)
            except Exception:  # noqa: BLE001 - a vector store that cannot answer yet is reported elsewhere
                pass

    def variants(self) -> dict[str, set[str]]:
        """Folded synonym units ("cuoc_thi" -> {"hoi_thi"}), from the vocabulary, computed once."""
        if self._variants is None:
            from bot.query import synonym_variants  # the one definition of synonym units

            self._variants = synonym_variants(self.vocab)
        return self._variants

    def unit_words(self, unit: Unit, variants: dict[str, set[str]]) -> tuple[str, set[str]]:
        """Folded text and its words + bigrams (+ synonym variants) of a unit, computed once."""
        cached = self._words.get(unit.uid)
        if cached is None:
            f = fold(unit.text)
            words = word_set(f)
            words |= {v for w in list(words) if w in variants for v in variants[w]}
            if len(self._words) >= WORDS_CACHE:
                self._words.pop(next(iter(self._words)), None)  # oldest first: the rest are recomputed (~0.2 ms each)
            cached = self._words[unit.uid] = (f, words)
        return cached

    def record(self, unit: Unit) -> Record:
        p = self.plans[unit.doc_id] if unit.kind != "faq" else self.faqs[unit.doc_id]
        if unit.kind == "plan":
            return p.plan
        return getattr(p, KINDS[unit.kind])[unit.idx]

    def provinces(self) -> list[str]:
        return sorted({p.plan.province for p in self.plans.values() if p.plan.province})

    def docs_for_province(self, province: str, old_only: bool = False) -> set[str]:
        """The province's plans; with none of its own, those of the provinces merged into it (unless the
        question means the province as it was before the merger: ``old_only``)."""
        if not self._by_province and self.plans:  # once: a question must not walk a thousand plans
            for d, p in self.plans.items():
                self._by_province.setdefault(p.plan.province or "", set()).add(d)
        exact = set(self._by_province.get(province, ()))
        if exact or old_only:
            return exact
        return {d for old, ds in self._by_province.items() if self.vocab.merged_into.get(old) == province for d in ds}


def agency_key(name: str, province: str | None, vocab: Vocabulary) -> str:
    """A province-independent key: 'Đài Phát thanh và Truyền hình Trà Vinh' -> '… truyen hinh tinh'."""
    f = fold(vocab.canonical_agency(name))
    if province:
        pf = fold(province)
        f = f.replace("tinh " + pf, "tinh").replace(pf, "tinh")
    f = " ".join(f.split()).replace("tinh tinh", "tinh")
    if f not in vocab.agency_alias and f.endswith(" tinh") and f[:-5] in vocab.agency_alias:
        f = f[:-5]  # "Tỉnh đoàn Kiên Giang" -> "tinh doan tinh" is the vocabulary's "Tỉnh đoàn"
    return fold(vocab.agency_alias.get(f, f)) if f in vocab.agency_alias else f


def build_agency_lexicon(plans, vocab: Vocabulary) -> dict[str, str]:
    """Folded spelling -> canonical agency, from the vocabulary and from every parsed plan.

    A plan's own agencies ("Tỉnh đoàn Vĩnh Long", "Báo Ấp Bắc") are added with the province name
    also replaced by 'tỉnh', so "Đài Phát thanh và Truyền hình tỉnh" finds the province's station.
    """
    lex: dict[str, str] = {}
    for key, canon in vocab.agency_alias.items():
        lex[key] = fold(canon)
    for p in plans:
        names = {d.agency for d in p.duties} | {a for t in p.tasks for a in t.lead + t.coordinators}
        for n in names:
            f = fold(n)
            if f.startswith("cac ") or len(f) < 6:
                continue
            key = agency_key(n, p.plan.province, vocab)
            lex.setdefault(f, key)
            lex.setdefault(key, key)
    # "Sở X" is often written without "Sở" in questions only when unambiguous; keep exact forms only
    return lex
