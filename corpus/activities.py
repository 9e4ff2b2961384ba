"""Activity records from prose: contests, events and tasks written in agency blocks and content sections.

Plans without an appendix table describe their activities in sentences ("a) Cuộc thi …: do Sở Nội vụ chủ
trì, phối hợp với … tổ chức trên Cổng …; thời gian: tháng 8–9/2025"). Each enumerated unit (a lettered,
decimal or bulleted item, with any "Thời gian: …" style lines under it) that states something concrete
(a contest or event, a time, place, product, budget or an explicit lead) becomes an :class:`Activity`.
One contest named in two agencies' blocks is one record holding both roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.agencies import agencies_after, split_agencies
from corpus.duties import agency_blocks, is_implementation_part, names_in, role_of
from corpus.facts import Facts, labelled, read_facts
from corpus.records import Activity
from corpus.sentences import chop, sentences
from corpus.structure import Outline, Part
from corpus.vocab import Vocabulary, fold, prose_words

_HEAD = re.compile(r"^(?:[a-zđ][).]|\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)])\s*")
_BULLET = re.compile(r"^[-+•–]\s*")
_NAME_END = re.compile(
    r"\s+(?:do|tại|trên|vào|nhằm|để|theo|với sự|phối hợp|từ ngày|trước ngày|hoàn thành|thời gian|dành cho|"
    r"trong (?:quý|tháng|thời gian|năm)|quý [IV]|tháng \d)\b|\n|\s*[;:(]|\.\s|\.$", re.I)
_COMMA = re.compile(r",\s")
_CITATION_START = re.compile(r"^(?:Quyết định|Nghị định|Nghị quyết|Kế hoạch|Công văn|Thông tư|Chỉ thị|Luật|Hướng dẫn|"
                             r"Văn bản|Tờ trình|Theo)\b[^,;]{0,12}\bsố\b")
NAME_CHARS = 160
UNIT_CHARS = 4000
MAX_EVENTS = 12


@dataclass
class _Unit:
    text: str
    line: int
    agencies: list[str]  # the agency block it sits in (empty in a content section)
    request: bool
    where: str


@lru_cache(maxsize=2)
def _kind_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    w = prose_words()

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(x) for x in sorted(words, key=len, reverse=True))

    contest = re.compile(r"\b(?:" + alt(w["contest_words"]) + r")\b", re.I)
    event = re.compile(r"\b(?:" + alt(w["event_words"]) + r")\b", re.I)
    verbs = re.compile(r"\b(?:" + alt(w["action_verbs"]) + r")\b")  # lower case: "Sở Thông tin" is no verb
    return contest, event, verbs


def activities_from_outline(outline: Outline, doc_id: str, vocab: Vocabulary) -> list[Activity]:
    units: list[_Unit] = []
    parts_words = prose_words()["content_parts"]
    for part in outline.parts:
        if is_implementation_part(part):
            blocks, _closing = agency_blocks(part, vocab)
            for b in blocks:
                paras = [(t, line) for t, line in b.texts]
                units += [_Unit(t, line, b.agencies, b.request, b.where) for t, line in _group(paras)]
        elif any(w in fold(part.title) for w in parts_words):
            units += _content_units(part)
    out: list[Activity] = []
    for u in units:
        for act in _activities(u, doc_id, vocab):
            _merge_into(out, act)
    # a block that only helps ("phối hợp với … tổ chức cuộc thi") names no lead; unless another block
    # (merged above) leads it, the record would answer "who organises" with nobody
    return [a for a in out if a.lead]


def _content_units(part: Part) -> list[_Unit]:
    out: list[_Unit] = []
    paras = [(p.text, p.line) for p in part.intro]
    for t, line in _group(paras):
        out.append(_Unit(t, line, [], False, part.heading))
    for item in part.items:
        title = item.text if len(item.text) <= 90 else item.text[:90].rsplit(" ", 1)[0] + "…"
        where = f"{part.heading} › {item.number}. {title}"
        paras = [(item.text, item.line)] + [(p.text, p.line) for p in item.body]
        for t, line in _group(paras):
            out.append(_Unit(t, line, [], False, where))
    return out


def _group(paras: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Join "Thời gian: …"/"- Địa điểm: …" lines to the item above them; every other paragraph stands alone."""
    out: list[tuple[str, int]] = []
    for text, line in paras:
        bare = _BULLET.sub("", text)
        if out and labelled(bare):
            prev, pline = out[-1]
            out[-1] = (f"{prev.rstrip(' .;')}\n{bare}", pline)
            continue
        out.append((_HEAD.sub("", bare).strip(), line))
    return out


def _kind(text: str) -> str:
    contest, event, _ = _kind_patterns()
    if contest.search(text):
        return "contest"
    if event.search(text):
        return "event"
    return "activity"


def _activities(u: _Unit, doc_id: str, vocab: Vocabulary) -> list[Activity]:
    text = u.text[:UNIT_CHARS]  # a real item is far shorter; a hostile one must not cost more
    if not text or len(text) < 12 or _CITATION_START.match(text):  # a footnote citing a document
        return []
    contest, event, _ = _kind_patterns()
    clauses = [c for c in sentences(text) if contest.search(c) or event.search(c)][:MAX_EVENTS]
    wide = read_facts(text)
    # "Cuộc thi X" + "- Cơ quan chủ trì: …", "- Thời gian: …" lines: one activity described field by field
    described = any((lab := labelled(x)) and lab[0] in ("lead", "coordinators") for x in text.split("\n"))
    if len(clauses) >= 2 and not _label_name(text) and not described:
        return [a for c in clauses if (a := _one(c, u, doc_id, vocab, text, wide))]
    a = _one(text, u, doc_id, vocab, text, wide)
    return [a] if a else []


def _label_name(text: str) -> str:
    """'Cuộc thi X: do …' -> 'Cuộc thi X' (a name written before a colon, not a field label or a verb)."""
    first = re.split(r"[;\n]", text, maxsplit=1)[0]
    head, sep, rest = first.partition(":")
    if not sep or not rest.strip() or len(head) > NAME_CHARS or labelled(first):
        return ""
    f = fold(head)
    if f.startswith(("chu tri", "phoi hop", "de nghi", "giao", "cac ", "gom", "bao gom")) or len(head.split()) < 2:
        return ""
    return head.strip(" *")


def _name(clause: str) -> str:
    labelled_name = _label_name(clause)
    if labelled_name:
        return labelled_name
    contest, event, verbs = _kind_patterns()
    m = contest.search(clause) or event.search(clause)
    if m:
        start = m.start()
    else:
        f = fold(clause)
        start = 0
        if f.startswith(("chu tri", "phoi hop")) or _starts_with_agency(clause):
            v = verbs.search(clause, 8)
            while v and fold(v.group(0)) in ("chu tri", "phoi hop"):
                v = verbs.search(clause, v.end())
            start = v.start() if v else 0
    rest = clause[start:]
    cut = _NAME_END.search(rest, 8 if m else 3)
    name = rest[: cut.start()] if cut else rest
    comma = _COMMA.search(name, 8)
    if comma and (m or len(name[: comma.start()].split()) >= 6):  # "Viết tin, bài, …" keeps its list
        name = name[: comma.start()]
    name = chop(name.strip(" ,.;:"), NAME_CHARS)[0].strip(" ,.;:") if name.strip() else ""
    return name[:1].upper() + name[1:]


def _starts_with_agency(text: str) -> bool:
    from corpus.vocab import load_vocabulary

    return any(text.startswith(s + " ") for s in load_vocabulary().agency_starts) or text.startswith("Các ")


def _one(clause: str, u: _Unit, doc_id: str, vocab: Vocabulary, whole: str, wide: Facts) -> Activity | None:
    kind = _kind(clause)
    facts = wide if clause is whole else read_facts(clause)
    if clause is not whole:  # one of several events in a unit: unit-wide facts fill what the clause lacks
        facts.time = facts.time or wide.time
        facts.funding = facts.funding or wide.funding
    lead, coordinators, explicit = _roles(clause if clause is not whole else whole, u, vocab)
    dated = bool(re.search(r"\d|quý\s+[IV]", facts.time))  # "thường xuyên", "hằng tháng" date nothing
    concrete = dated or bool(facts.product) or facts.budget is not None
    if u.agencies and kind == "activity" and not concrete:
        return None  # a duty like any other (a channel, "hằng quý"): the Duty record has it
    if not u.agencies and not (explicit or dated or facts.budget is not None):
        return None  # a topic or a form of communication in "Nội dung, hình thức", not an activity
    name = _name(clause)
    if len(name.split()) < 2 or fold(name) in ("cuoc thi", "hoi thi"):
        return None  # "động viên học sinh tham gia cuộc thi tại điểm 4" refers to a contest, it is not one
    coordinators = [c for c in coordinators if c not in lead]
    return Activity(doc_id=doc_id, name=name, kind=kind, lead=lead, coordinators=coordinators, time=facts.time,
                    place=facts.place, product=facts.product, budget=facts.budget, funding=facts.funding,
                    text=whole, where=u.where, line=u.line)


def _roles(text: str, u: _Unit, vocab: Vocabulary) -> tuple[list[str], list[str], bool]:
    """(lead, coordinators, whether a lead was written) for one unit, from its block and its sentences."""
    lead: list[str] = []
    coord: list[str] = []
    explicit = False
    for piece in text.split("\n"):  # "- Cơ quan phối hợp: A; B" lines joined by _group
        lab = labelled(piece)
        if lab and lab[0] in ("lead", "coordinators"):
            # "Sở TT&TT (xây dựng phần mềm thi)": what the agency does is not part of its name
            (lead if lab[0] == "lead" else coord).extend(split_agencies(re.sub(r"\([^)]*\)", "", lab[1]), vocab))
            explicit = explicit or lab[0] == "lead"
    f = fold(text)
    at = f.find("chu tri")
    if at > 0:
        segment = re.split(r"[,;:\n]|\bdo\b", text[max(0, at - 200):at])[-1]
        named = names_in(segment, vocab)
        if named:
            lead.append(named[0])
            explicit = True
    coord += agencies_after(text, "phối hợp với", vocab)
    if u.agencies:
        role = role_of(text, u.request)
        subject = names_in(text[:120], vocab)
        rest = text
        if subject and fold(text).startswith(fold(subject[0])):
            rest = text[len(subject[0]):].lstrip(" ,-–")
        helper = fold(rest).startswith(("phoi hop", "tiep tuc phoi hop")) and role != "chủ trì"
        if helper or (lead and not set(lead) & set(u.agencies)):
            # "Phối hợp với X tổ chức …": the block helps; who leads is written elsewhere (X's block) or not at all
            coord = list(u.agencies) + coord
        else:
            lead = list(u.agencies) + lead
    return list(dict.fromkeys(lead)), list(dict.fromkeys(coord)), explicit


def _key(name: str) -> str:
    f = re.sub(r"[^\w\s]", " ", fold(name))
    f = re.sub(r"^(?:to chuc|trien khai|thuc hien)\s+", "", " ".join(f.split()))
    return f


def _merge_into(out: list[Activity], act: Activity) -> None:
    k = _key(act.name)
    for other in out:
        ok = _key(other.name)
        short, long_ = sorted((k, ok), key=len)
        same = k == ok or (act.kind == other.kind != "activity" and len(short.split()) >= 4
                           and long_.startswith(short))
        if not same:
            continue
        if len(act.name) > len(other.name) and act.kind != "activity":
            other.name = act.name
        other.lead = list(dict.fromkeys(other.lead + act.lead))
        other.coordinators = [c for c in dict.fromkeys(other.coordinators + act.coordinators)
                              if c not in other.lead]
        for f in ("time", "place", "product", "funding"):
            if not getattr(other, f):
                setattr(other, f, getattr(act, f))
        if other.budget is None:
            other.budget = act.budget
        if act.text not in other.text:
            other.text = f"{other.text}\n{act.text}"
        return
    out.append(act)
