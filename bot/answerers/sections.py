"""List questions answered from a plan's own headings: "những hình thức tuyên truyền nào?" is the section
"2. Hình thức tuyên truyền", listed whole, not the one sentence that scored best.

Prose plans state their lists as a heading and its bullets (a), b), -, +) or as a part whose numbered items
are the list ("IV. Giải pháp thực hiện" 1., 2., 3.). The question's list noun is matched against the
headings; every entry is shown, each whole when they fit, else as its opening clause.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot import compose
from bot.answerers.base import Ctx
from bot.query import Query
from bot.result import Result, found
from corpus.records import Passage
from corpus.vocab import fold, prose_words

_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])\s*[.)]\s*", re.I)
_MARKER = re.compile(r"^\s*(?:[-+•*]|[a-zđ]\)|\d+(?:\.\d+)*[.)])\s*")
FULL_CHARS = 640  # entries shown whole when all of them fit in about this much
LIST_CHARS = 600  # else the entries share this much, each shortened
MIN_SHARE = 60
_SHORT_FORMS = [(re.compile(re.escape(k), re.I), v) for k, v in prose_words()["short_forms"].items() if k[:1] != "_"]
# the answer asks for another answerer: a named agency, a sum, a date, a count
_NOT_LISTS = {"budget", "timeline", "legal", "definition", "contact", "count", "coordinators", "corpus", "place"}


@dataclass
class Section:
    doc_id: str
    title: str  # the heading as written, numbering removed
    entries: list[str]
    records: list[Passage]
    depth: int  # 2 = an item's bullets, 1 = a part's numbered items
    line: int


def heading_label(heading: str) -> str:
    return _NUMBERING.sub("", heading).strip().rstrip(":").strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9%]+", fold(text))


def sections(passages: list[Passage]) -> list[Section]:
    """Item sections (a heading and its bullets) and part sections (a part and its numbered items)."""
    by_heading: dict[tuple[str, ...], list[Passage]] = {}
    for p in passages:
        if p.heading:
            by_heading.setdefault(tuple(p.heading), []).append(p)
    out: list[Section] = []
    parts: dict[str, list[tuple[int, str, list[Passage]]]] = {}
    for heading, ps in by_heading.items():
        ps = sorted(ps, key=lambda p: p.line)
        paras = [x.strip() for p in ps for x in p.text.split("\n") if x.strip()]
        title = heading_label(heading[-1].rstrip("…"))
        if paras and fold(heading_label(paras[0])).startswith(fold(title)[:40]):
            head, paras = paras[0], paras[1:]
        else:
            head = title
        if len(heading) == 2:
            parts.setdefault(heading[0], []).append((ps[0].line, heading_label(head), ps))
        entries = [_MARKER.sub("", x) for x in paras]
        if entries:
            out.append(Section(ps[0].doc_id, title, entries, ps, len(heading), ps[0].line))
    for part, items in parts.items():
        items.sort(key=lambda t: t[0])
        if len(items) >= 2:
            out.append(Section(items[0][2][0].doc_id, heading_label(part), [t[1] for t in items],
                               [t[2][0] for t in items], 1, items[0][0]))
    return out


def matches(noun: str, sec: Section) -> int:
    """How many of the list noun's words the heading carries, when it starts with the noun's head; else 0."""
    words, label = noun.split(), _words(sec.title)
    if len(words) < 2 or label[:2] != words[:2]:
        return 0
    return sum(1 for w in words if w in label)


def render_entries(entries: list[str], context: list[str] | None = None, budget: int = LIST_CHARS) -> list[str]:
    """Every entry, whole when they all fit; else each shortened to its gist (short forms, its opening and its most
    distinctive clauses in an even share of the budget, short entries lending what they leave to long ones), so a long
    list is complete rather than cut off."""
    if sum(len(e) + 3 for e in entries) <= FULL_CHARS:
        return entries
    entries = [_short_forms(e) for e in entries]
    room = max(budget - 3 * len(entries), MIN_SHARE * len(entries))
    shares, left = {}, sorted(range(len(entries)), key=lambda i: len(entries[i]))
    while left:
        fair = room // len(left)
        i = left.pop(0)
        shares[i] = max(MIN_SHARE, min(len(entries[i]), fair))
        room -= shares[i]
    rarity = _rarity(context or entries)
    return [gist(e, shares[i], rarity) for i, e in enumerate(entries)]


def _rarity(texts: list[str]) -> dict[str, float]:
    """log(N/df) of each word over the texts (a plan's paragraphs): the words that tell one entry from another."""
    df: dict[str, int] = {}
    for t in texts:
        for w in set(_words(t)):
            df[w] = df.get(w, 0) + 1
    n = len(texts) + 1
    return {w: math.log(n / c) for w, c in df.items()}


def gist(entry: str, n: int, rarity: dict[str, float]) -> str:
    """At most n characters of an entry: its opening words, then the stretch of it whose words are rarest in the
    plan (what tells this entry from the others), marked by an ellipsis where words are left out."""
    if len(entry) <= n:
        return entry
    words = entry.split()
    head_chars = max(MIN_SHARE // 2, n * 3 // 5)
    head: list[str] = []
    used = 0
    while head and used + len(words[len(head)]) + 1 <= head_chars or not head:
        used += len(words[len(head)]) + 1
        head.append(words[len(head)])
    room = n - used - 3
    weights = [sum(rarity.get(w, 1.0) for w in _words(x)) for x in words]
    best, best_score = len(head), -1.0
    for start in range(len(head), len(words)):
        size, score, j = 0, 0.0, start
        while j < len(words) and size + len(words[j]) + 1 <= room:
            size += len(words[j]) + 1
            score += weights[j]
            j += 1
        if score > best_score:
            best, best_score, end = start, score, j
    tail = words[best:end] if best_score >= 0 else []
    gap = " " if best == len(head) else " … "
    text = " ".join(head) + (gap + " ".join(tail) if tail else "")
    return text.rstrip(",;:") + ("" if tail and end == len(words) else "…")


def _short_forms(text: str) -> str:
    for long, short in _SHORT_FORMS:
        text = long.sub(short, text)
    return text


def _names_another_heading(q: Query, sec: Section, plans: list) -> bool:
    """'Phần yêu cầu bắt tuyên truyền gắn với những nội dung nào?': the question names another section (Yêu cầu),
    whose text holds the answer; listing every 'Nội dung' entry would answer something else."""
    asked = {w for t in q.topic_terms for w in t.split("_")} - set(q.list_noun.split())
    if not asked:
        return False
    for plan in plans:
        for other in sections(plan.passages):
            label = _words(other.title)
            if other.title != sec.title and 1 <= len(label) <= 3 and set(label) <= asked:
                return True
    return False


class SectionList:
    """'Kế hoạch nêu những hình thức tuyên truyền nào?': the plan's section of that name, every entry."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return bool(q.list_noun) and not q.subject and not q.partners and q.attribute not in _NOT_LISTS

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        best: list[tuple[int, int, Section]] = []
        for pp in ctx.plans():
            scored = [(matches(q.list_noun, s), s.depth, s) for s in sections(pp.passages)]
            scored = [t for t in scored if t[0]]
            if scored:
                best.append(max(scored, key=lambda t: (t[0], t[1], -t[2].line)))
        if not best and ctx.docs is not None and len(ctx.docs) == 1:
            return _counted_sentence(q, ctx)  # "những chỉ số nào": the sentence that names the most of them
        if not best or (ctx.docs is None and len(best) > 1):
            return None  # no heading of that name, or several plans and none named: the ranked path decides
        sec = best[0][2]
        if _names_another_heading(q, sec, ctx.plans()):
            return None
        entries = sec.entries
        extra = [w for w in q.list_noun.split() if w not in _words(sec.title)]
        if extra:  # "những chỉ tiêu 100% nào": the entries that carry the qualifier
            kept = [e for e in entries if all(w in _words(e) for w in extra)]
            if not kept:
                return None
            entries = kept
        plan = ctx.k.plans[sec.doc_id].plan
        if len(entries) == 1:
            lines = [f"{compose.plan_tag(plan)}{sec.title}: {entries[0]}"]
        else:
            lines = [f"{compose.plan_tag(plan)}{sec.title} ({len(entries)} mục):"]
            context = [x for p in ctx.k.plans[sec.doc_id].passages for x in p.text.split("\n") if x.strip()]
            lines += [f"• {e}" for e in render_entries(entries, context)]
        return found(ctx.k, "\n".join(lines), list(sec.records))


def _counted_sentence(q: Query, ctx: Ctx) -> Result | None:
    """A list written inside a sentence ("cải thiện Chỉ số CCHC (PAR INDEX), Chỉ số … (SIPAS) và Chỉ số … (PCI)"):
    the sentence of the plan that names the list noun most often, at least three times, and most of the asked
    words besides."""
    head = " ".join(q.list_noun.split()[:2])
    pp = ctx.plans()[0]
    asked = set(q.topic_words) - set(head.split())
    best: tuple[int, int, str, Passage] | None = None
    for p in pp.passages:
        for sent in re.split(r"(?<=[.;])\s+|\n+", p.text):
            f = fold(sent)
            n = len(re.findall(r"\b" + re.escape(head) + r"\b", f))
            if n < 3:
                continue
            key = (len(asked & set(_words(sent))), n)
            if best is None or key > best[:2]:
                best = (*key, sent.strip(" -+•"), p)
    if best is None or (asked and best[0] < (1 if len(asked) <= 3 else math.ceil(0.4 * len(asked)))):
        return None  # the sentence that lists them is not about what is asked
    return found(ctx.k, f"{compose.plan_tag(pp.plan)}{compose.short(best[2], 600)}", [best[3]])
