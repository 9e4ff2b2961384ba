"""One typed question, parsed once: what it names (provinces, year, plan, agencies) and what it asks.

Everything downstream (scope, answerers, ranking, answerability) reads these slots instead of
re-matching the text. Patterns work on the folded text, so "ai chu tri" and "Ai chủ trì" are equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache

from bot.patterns import Patterns, load_patterns
from corpus.vocab import Vocabulary, fold, nfc
from retrieval.text import STOPWORDS, bigrams, expand_abbreviations, has_diacritics

# the attribute asked, most specific first: "phối hợp với ai" beats "ai"
ATTRIBUTE_ORDER = ("definition", "corpus", "legal", "contact", "coordinators", "budget", "timeline", "place",
                   "count", "duties", "lead")
_PLAN_REF = re.compile(r"(?<![\w/])(\d{1,5})\s*/\s*((?:KH|QĐ|QD|NQ|CT|TTr|CV)[\w\-Đđ]*)", re.I)
_PLAN_NO = re.compile(r"\b(?:ke hoach|quyet dinh|kh|qd)\s+(?:so\s+)?(?!(?:19|20)\d\d\b)(\d{1,5})\b(?!\s*/)")
_DATE = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(20\d\d)\b")
_YEAR = re.compile(r"(?<![/\-\d])(20\d\d)(?![/\-\d])")
# a horizon or a span names a strategy's period, not the plan's year: "đến năm 2030", "giai đoạn 2021 - 2025",
# "tầm nhìn 2045", "2021–2030"
_SPAN = re.compile(r"(?:\b(?:đến|tới|đến hết|giai đoạn|tầm nhìn|den|toi|giai doan|tam nhin)\s+(?:năm\s+|nam\s+)?"
                   r"(?:20\d\d\s*[-–]\s*)?20\d\d)|(?:\b20\d\d\s*[-–]\s*20\d\d\b)", re.I)
# a document's number as a question writes it: "641/STC-TCHCSN", "NĐ 42/2022", "23/CT-TTg" (dates removed first)
_DOC_NO = re.compile(r"(?<![\w/])(\d{1,5})\s*/\s*(?:20\d\d\b|[A-ZĐ][\w\-Đđ&]*)")
_ROW = re.compile(r"\b(?:muc|stt|dong)\s+(\d{1,2}(?:\.\d{1,2})*)\b")


@dataclass
class Query:
    text: str
    folded: str  # folded, abbreviations expanded
    provinces: list[str] = field(default_factory=list)
    year: int | None = None
    plan_ref: str = ""  # "101/KH-UBND" or "101"
    old_provinces: list[str] = field(default_factory=list)  # "An Giang cũ": the province before the merger, alone
    doc_numbers: list[str] = field(default_factory=list)  # numbers of documents named ("641", "42/2022")
    date_ref: str = ""  # "2/4/2024"
    agencies: list[str] = field(default_factory=list)  # every agency named, in order (canonical keys)
    subject: str = ""  # the agency the question is about
    partners: list[str] = field(default_factory=list)  # agencies named as partners ("phối hợp với X")
    abbreviations: list[str] = field(default_factory=list)  # folded abbreviations used ("sipas")
    agency_labels: dict[str, str] = field(default_factory=dict)  # key -> the name as written, for an unknown agency
    mentions: list[str] = field(default_factory=list)  # agencies named as context ("ai chủ trì … trên Báo X")
    intents: set[str] = field(default_factory=set)
    attribute: str = ""  # the one attribute asked (ATTRIBUTE_ORDER), "" for a general question
    topics: set[str] = field(default_factory=set)
    topic_terms: list[str] = field(default_factory=list)
    synonym_terms: set[str] = field(default_factory=set)
    asks_amount: bool = False  # a sum of money is asked for
    asks_funding: bool = False  # where the money comes from
    asks_list: bool = False
    quantity_noun: str = ""  # "thí sinh" in "có bao nhiêu thí sinh"
    quoted: list[str] = field(default_factory=list)  # titles the question quotes, folded words ("dan hoi so nganh")
    contest_name: list[str] = field(default_factory=list)  # "viet sang kien" in "cuộc thi viết sáng kiến" (folded)
    contest_label: str = ""  # the same words as written ("viết sáng kiến")
    asked_noun: str = ""  # "giay_to?" for "giấy tờ gì" (the record must name it), "doi_tuong" for "… nào"
    list_noun: str = ""  # "hinh thuc tuyen truyen" for "những hình thức tuyên truyền nào" (folded)
    row: str = ""  # "mục 2.6"
    excluded: str = ""  # "Ngoài hội thi X, … còn …?": what the answer must not repeat (folded)
    in_domain: bool = True
    refers_back: bool = False  # "ở đó", "cơ quan đó"
    elliptic: bool = False  # "Còn Hà Tĩnh thì sao?"
    search_text: str = ""
    inherited: list[str] = field(default_factory=list)  # slots filled from the conversation

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = sorted(v) if isinstance(v, set) else v
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Query:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("intents", "topics", "synonym_terms"):
            kw[k] = set(kw.get(k) or ())
        return cls(**kw)

    @property
    def topic_words(self) -> list[str]:
        return [p for t in self.topic_terms for p in t.split("_")]


# "báo"/"đảm bảo" and "cuộc thi" are topics; "bao nhiêu" and "thì sao" are removed as phrases
TOPIC_STOP = STOPWORDS - {"bao", "thi"}


def _topic_units(words: list[str], exclude: set[str], vocab: Vocabulary, generic: frozenset[str]) -> list[str]:
    """Topic words as units: each adjacent pair of topic words ("muc_tieu"), or a lone word."""
    abbr = {fold(t) for k in vocab.abbreviations for t in re.split(r"[\s&\-]+", k) if t.isupper() and len(t) > 1}

    def is_topic(w: str) -> bool:
        return (w not in generic and w not in TOPIC_STOP and w not in exclude and w not in abbr
                and len(w) > 1 and not w.isdigit())

    runs: list[list[str]] = [[]]
    for w in words:
        if w != "|" and is_topic(w):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    out: list[str] = []
    for run in runs:
        if len(run) == 1:
            out.append(run[0])
        out += bigrams(run)
    return list(dict.fromkeys(out))


def synonym_variants(vocab: Vocabulary) -> dict[str, set[str]]:
    """Folded unit ("muc_tieu") -> its synonyms as units ({"muc_dich"})."""
    out: dict[str, set[str]] = {}
    for group in vocab.synonyms:
        keys = {"_".join(fold(w).split()) for w in group}
        for k in keys:
            out.setdefault(k, set()).update(keys - {k})
    return out


def expand_synonyms(text: str, vocab: Vocabulary) -> str:
    """Append the other members of any synonym group the question uses ("mục tiêu" -> "mục đích")."""
    f = fold(text)
    extra = []
    for group in vocab.synonyms:
        if any(re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", f) for w in group):
            extra += [w for w in group if not re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", f)]
    return f"{text} ({', '.join(extra)})" if extra else text


def abbreviation_expansions(text: str, vocab: Vocabulary) -> list[str]:
    """The full forms of the abbreviations a question uses (they are topic words; the letters are not)."""
    expanded = expand_abbreviations(text, vocab)
    if expanded == text:
        return []
    tail = expanded[len(text):].strip(" ()")
    return [x for x in tail.split("; ") if x]


_PATTERNS: dict[tuple[int, int, bool], tuple[re.Pattern[str], dict[str, str]]] = {}


def _alternation(names: dict[str, str], key: tuple[int, int, bool]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One compiled pattern for many names, longest first, so each span matches its longest name once.

    (Hundreds of names compiled one by one per question overflowed re's cache: most of a query's time.)
    """
    cached = _PATTERNS.get(key)
    if cached is None:
        ordered = sorted(names, key=len, reverse=True)
        rx = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)") if ordered else \
            re.compile(r"(?!x)x")
        if len(_PATTERNS) > 16:
            _PATTERNS.clear()
        cached = _PATTERNS[key] = (rx, names)
    return cached


def find_provinces(q: str, vocab: Vocabulary) -> list[str]:
    """Provinces named, in order; longest spelling first so each span counts once."""
    accented = has_diacritics(q)
    hay = nfc(q).lower() if accented else fold(q)
    names = {}
    for name in set(vocab.provinces_old) | set(vocab.members) | set(vocab.province_aliases):
        key = nfc(name).lower() if accented else fold(name)
        names[key] = vocab.province_aliases.get(name, name)
    rx, names = _alternation(names, (id(vocab), len(names), accented))
    found = [(m.start(), names[m.group(0)]) for m in rx.finditer(hay)]
    initials = _initials(vocab)  # "KH của VL": a province's initials, in capitals, when no other province has them
    found += [(m.start(), initials[m.group(0)]) for m in re.finditer(r"(?<![\w&/-])[A-ZĐ]{2}(?![\w&/-])", q)
              if m.group(0) in initials]
    lead = re.match(r"\s*([a-zđ]{2})\s*[:,]", q)  # "ht: việc cập nhật …": the province the message is about
    if lead and lead.group(1).upper() in initials:
        found.append((lead.start(1), initials[lead.group(1).upper()]))
    return list(dict.fromkeys(name for _, name in sorted(found)))


_INITIALS: dict[int, dict[str, str]] = {}


def _initials(vocab: Vocabulary) -> dict[str, str]:
    """Two-word province names by their initials ("VL" Vĩnh Long); initials two provinces share, or that are
    an abbreviation of something else in the vocabulary, mean nothing."""
    if id(vocab) not in _INITIALS:
        seen: dict[str, set[str]] = {}
        for name in set(vocab.provinces_old) | set(vocab.members):
            words = name.split()
            if len(words) == 2:
                seen.setdefault("".join(w[0] for w in words).upper(), set()).add(name)
        taken = {a.upper() for a in vocab.abbreviations} | set(vocab.not_initials)
        _INITIALS[id(vocab)] = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1 and k not in taken}
    return _INITIALS[id(vocab)]


def find_agency_spans(folded: str, lexicon: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, canonical key) of each agency named; longest spelling first, each span used once."""
    rx, names = _alternation(lexicon, (id(lexicon), len(lexicon), False))
    return [(m.start(), m.end(), names[m.group(0)]) for m in rx.finditer(folded)]


def find_agencies(folded: str, lexicon: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(a for _, _, a in find_agency_spans(folded, lexicon)))


def _partners(folded: str, spans: list[tuple[int, int, str]], markers: str) -> list[str]:
    """Agencies introduced by "phối hợp với"/"cùng với" (and the ones listed right after them)."""
    out: list[str] = []
    for m in re.finditer(r"\b" + markers + r"\s+", folded):
        pos = m.end()
        for s, e, key in spans:
            if s < pos:
                continue
            gap = folded[pos:s]
            if re.fullmatch(r"[\s,;]*(?:va\s+|cac\s+|voi\s+)?", gap) or (out and re.fullmatch(r"[\s,]*(va)?\s*", gap)):
                out.append(key)
                pos = e
            else:
                break
    return list(dict.fromkeys(out))


_ASKED = re.compile(r"\b([a-z]+)\s+([a-z]+)\s+(?:gi|nao)\b")


_QUOTED = re.compile(r"[“«\"]([^”»\"]{4,80})[”»\"]")
_WHEN_WORDS = {"luc", "khi", "hom", "ngay", "thu", "gio", "thang", "quy", "tuan", "dip", "buoi"}


def _asked_noun(plain: str, pt: Patterns) -> str:
    """The two-syllable noun a 'gì/nào' question asks for, unless it is a generic one (nhiệm vụ, cơ quan)."""
    found = list(_ASKED.finditer(plain))
    if not found:
        return ""
    a, b = found[-1].group(1), found[-1].group(2)
    if a in pt.generic or b in pt.generic or a in STOPWORDS or b in STOPWORDS or b in _WHEN_WORDS:
        return ""  # "xem lúc nào", "thứ mấy": a time asked, not a thing
    return f"{a}_{b}" + ("?" if found[-1].group(0).endswith("gi") else "")


def _drop_locators(provinces: list[str], plain: str, vocab: Vocabulary, pt: Patterns) -> list[str]:
    """'Trà Vinh (nay thuộc Vĩnh Long)': the new province only locates the old one, whose plan is asked about."""
    if len(provinces) < 2 or pt.merger_locator is None:
        return provinces
    out = []
    for p in provinces:
        old_named = any(vocab.merged_into.get(o) == p for o in provinces if o != p)
        at = plain.find(fold(p))
        if old_named and at > 0 and pt.merger_locator.search(re.sub(r"[()]", " ", plain[:at]).rstrip() + " "):
            continue
        out.append(p)
    return out


# "An Giang cũ", "Đồng Tháp (trước sáp nhập)": the pre-merger province of that name, not what merged into it
_OLD_AFTER = re.compile(r"^[\s(,]*(?:tinh\s+)?(?:cu\b|truoc (?:khi )?(?:sap nhap|hop nhat))")
# "không phải phần Tiền Giang", "sáp nhập với Kiên Giang": a province named to be set aside or as context
_CONTEXT_BEFORE = re.compile(r"(?:khong phai|khong tinh|ngoai tru|tru|sap nhap voi|hop nhat voi)\s+(?:phan\s+)?"
                             r"(?:(?:cua|o)\s+)?(?:tinh\s+)?$")


def _after(plain: str, province: str) -> str:
    at = plain.find(fold(province))
    return plain[at + len(fold(province)):] if at >= 0 else ""


def _drop_context(provinces: list[str], plain: str) -> list[str]:
    """'Đồng Tháp cũ (không phải phần Tiền Giang)': Tiền Giang is named only to be set aside."""
    if len(provinces) < 2:
        return provinces
    kept = [p for p in provinces
            if not _CONTEXT_BEFORE.search(re.sub(r"[()]", " ", plain[: max(plain.find(fold(p)), 0)]).rstrip() + " ")]
    return kept or provinces


_CONTEST = re.compile(r"\b(?:cuoc|hoi) thi\s+((?:[a-z0-9]+\s*){1,4})")
_CONTEST_STOP = {"tim", "hieu", "ve", "cai", "cach", "hanh", "chinh", "cchc", "nam", "tinh", "cua", "do", "tai",
                 "truc", "tuyen", "nay", "nao", "gi", "duoc", "to", "chuc", "co", "khong", "thi", "sao"}


def _contest_name(plain: str, text: str, pt: Patterns, places: list[str]) -> tuple[list[str], str]:
    """What tells a contest from the others: 'cuộc thi viết sáng kiến về CCHC' -> ['viet', 'sang', 'kien'];
    nothing for 'cuộc thi tìm hiểu về CCHC' (every plan's contest is one) or 'cuộc thi nào'."""
    m = _CONTEST.search(plain)
    if not m:
        return [], ""
    words: list[str] = []
    end = m.start(1)
    for w in re.finditer(r"[a-z0-9]+", plain[m.start(1):m.end(1)]):
        if w.group(0) in ("ve", "do", "cua", "nam", "tai", "o", "nao", "gi") or \
                any(plain.startswith(p, m.start(1) + w.start()) for p in places):
            break  # the name ends where the sentence goes on
        words.append(w.group(0))
        end = m.start(1) + w.end()
    name = [w for w in words if w not in _CONTEST_STOP and w not in STOPWORDS and w not in pt.generic][:3]
    label = text[m.start(1):end] if name and len(text) == len(plain) else " ".join(name)
    return name, label


# an agency head followed by a capitalised word ("Hội Nông dân", "Bộ đội Biên phòng"); the name runs to the province,
# a role verb or the end of the clause
_UNKNOWN_END = re.compile(r"\s+(?:tỉnh|thành phố|được|có|là|chủ trì|phối hợp|làm|tham gia|tổ chức|thực hiện|trong|ở|"
                          r"tại|cần|phải|giao)\b|[,.;:?!]|$", re.I)
@lru_cache(maxsize=4)
def _heads_rx(heads: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")\s+[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ]\w*")


def _unknown_agency(text: str, vocab: Vocabulary, provinces: list[str]) -> tuple[str, str]:
    """(folded key, name as written) of an agency the vocabulary does not know, named with a known head and a
    capital; the name is empty when the words are a known agency written short ("Sở Giáo dục")."""
    if not vocab.unknown_agency_heads:
        return "", ""
    m = _heads_rx(tuple(vocab.unknown_agency_heads)).search(text)
    if not m:
        return "", ""
    end = _UNKNOWN_END.search(text, m.end())
    name = text[m.start(): end.start() if end else len(text)].strip()
    before, after = fold(text[:m.start()]), fold(text[m.end():])
    if len(before.split()) > 3 and not re.match(r"[^,.;?]{0,30}\b(duoc giao|duoc de nghi|chu tri|phoi hop|co nhiem vu|"
                                                 r"co trach nhiem|lam gi|tham gia)", after):
        return "", ""  # named on the way ("cơ quan thường trực Ban Chỉ đạo …"): not what the question is about
    for p in provinces:
        name = name.replace(p, "").strip()
    if len(name.split()) < 2 or len(name) > 60:
        return "", ""
    key = fold(name)
    known = [fold(c) for c in vocab.agency_canonical if fold(c).startswith(key + " ")]
    if len(known) == 1:
        return known[0], ""  # "Sở Giáo dục" is the vocabulary's "Sở Giáo dục và Đào tạo", written short
    return key, name


def _list_noun(plain: str, pt: Patterns, names: set[str]) -> str:
    """What a list question enumerates ("những hình thức tuyên truyền nào" -> "hinh thuc tuyen truyen").

    Generic heads (cơ quan, nhiệm vụ, tỉnh) and the plan itself are left to the answerers that know them."""
    for rx in pt.list_noun:
        for m in rx.finditer(plain):
            words = m.group("noun").split()
            while words and words[0] in STOPWORDS:
                words = words[1:]
            if len(words) < 2 or words[0] in pt.generic and words[1] in pt.generic:
                continue
            if " ".join(words[:2]) in names or words[0] in ("ke", "tinh") or words[1] in ("hoach",):
                continue
            return " ".join(words)
    return ""


def parse_query(text: str, vocab: Vocabulary, agency_lexicon: dict[str, str],
                patterns: Patterns | None = None, speller: Callable[[str], str] | None = None) -> Query:
    """``speller`` maps an unknown folded word to a known one ("turyen" -> "truyen"), or returns it."""
    pt = patterns or load_patterns()
    text = " ".join(nfc(text).split())
    plain = fold(text)
    folded = fold(expand_abbreviations(text, vocab))
    if speller:
        plain, folded = (re.sub(r"[a-z0-9]+", lambda m: speller(m.group(0)), x) for x in (plain, folded))
    q = Query(text=text, folded=folded)
    named = find_provinces(text, vocab)
    q.provinces = _drop_context(_drop_locators(named, plain, vocab, pt), plain)
    q.old_provinces = [p for p in q.provinces if _OLD_AFTER.match(_after(plain, p))]
    m = _PLAN_REF.search(text) or _PLAN_REF.search(plain)
    if m:
        q.plan_ref = f"{m.group(1)}/{m.group(2)}"
    else:
        m2 = _PLAN_NO.search(plain)
        q.plan_ref = m2.group(1) if m2 else ""
    q.doc_numbers = [m.group(0).split("/")[0].strip() + ("/" + m.group(0).split("/")[1].strip()
                                                           if re.fullmatch(r"\s*20\d\d", m.group(0).split("/")[1])
                                                           else "/")
                     for m in _DOC_NO.finditer(_DATE.sub(" ", text))]
    d = _DATE.search(text)
    if d:
        q.date_ref = f"{int(d.group(1))}/{int(d.group(2))}/{d.group(3)}"
    years = [int(y) for y in _YEAR.findall(_SPAN.sub(" ", _PLAN_REF.sub(" ", _DATE.sub(" ", text))))]
    q.year = years[0] if years else None
    q.intents = {k for k, rx in pt.intents.items() if rx.search(folded)}
    q.topics = {k for k, rx in pt.topics.items() if rx.search(folded)}
    q.asks_amount = bool(pt.amount.search(folded))
    q.attribute = next((a for a in ATTRIBUTE_ORDER if a in q.intents), "")
    if q.doc_numbers and q.attribute in ("", "duties", "definition", "timeline") and re.search(
            r"quy dinh (ve )?(gi|viec gi|cai gi)|ve (viec|cai) gi|la gi|ban hanh|phe duyet|ngay nao|noi dung gi",
            folded):
        q.attribute = "legal"  # "NĐ 42/2022 quy định về việc gì?": the cited document, not a duty or a term
    if q.attribute == "legal" and re.search(r"han chot|thoi han|cua (don vi|co quan|dia phuong) minh", folded):
        q.attribute = "timeline"  # "hạn chót để các sở ban hành kế hoạch của đơn vị mình": their deadline
    if q.attribute in ("lead", "") and q.asks_amount:
        q.attribute = "budget"
    elif q.attribute == "budget" and "lead" in q.intents and not q.asks_amount:
        q.attribute = "lead"  # "kinh phí do cơ quan nào tham mưu bố trí?": who, about money
    m = re.search(r"\bngoai\s+(?:cac\s+|nhung\s+)?([^,?]{3,80})", plain)
    if m:  # only when the same kind of thing is asked again: "ngoài hội thi X, … hội thi nào?"
        head = " ".join(m.group(1).split()[:2])
        q.excluded = m.group(1) if re.search(re.escape(head) + r"\s+(nao|gi)\b", plain[m.end():]) else ""
    agency_text = folded
    for p in q.provinces:  # "Đài PT-TH Hà Tĩnh" -> "đài pt-th tỉnh", the spelling the lexicon knows
        agency_text = re.sub(r"(?:\btinh\s+)?" + re.escape(fold(p)) + r"\b", "tinh", agency_text)
    spans = find_agency_spans(agency_text, agency_lexicon)
    q.agencies = list(dict.fromkeys(a for _, _, a in spans))
    q.partners = _partners(agency_text, spans, pt.partner_markers)
    who = re.search(r"\b(co quan nao|don vi nao|so nao|ben nao|ai)\b", agency_text)
    for s, _e, key in spans:
        if key in q.partners or key in q.mentions:
            continue
        if who and who.start() < s and q.attribute in ("lead", "coordinators"):
            q.mentions.append(key)  # the asked slot is the agency; the one named is context
        elif not q.subject:
            q.subject = key
    if not q.agencies:  # "Hội Nông dân tỉnh …", "Bộ đội Biên phòng …": an agency no plan names is still one
        unknown, label = _unknown_agency(text, vocab, named)
        if unknown:
            q.agencies, q.subject = [unknown], unknown
            if label:
                q.agency_labels[unknown] = label
    q.asks_funding = bool(pt.funding_source.search(folded))
    q.asks_list = "list" in q.intents or "which_province" in q.intents or "aggregate" in q.intents
    m = re.search(r"\b(?:bao nhieu|may)\s+([a-z]+(?:\s[a-z]+)?)", plain)
    if m and not re.match(r"(tien|dong|kinh phi|lan|nam|thang|quy|gio|ngay|phan tram|%)", m.group(1)):
        q.quantity_noun = " ".join(w for w in m.group(1).split() if w not in STOPWORDS and w not in pt.generic)
    q.asked_noun = _asked_noun(plain, pt)
    q.quoted = [t for t in (" ".join(re.findall(r"[a-z0-9]+", fold(m))) for m in _QUOTED.findall(text))
                if len(t.split()) >= 2]
    q.contest_name, q.contest_label = _contest_name(plain, text, pt, [fold(p) for p in named])
    q.list_noun = _list_noun(plain, pt, {fold(p) for p in q.provinces})
    q.asks_list = q.asks_list or bool(q.list_noun)
    m = _ROW.search(folded)
    q.row = m.group(1) if m else ""
    q.refers_back = bool(pt.refers_back.search(plain))
    q.elliptic = bool(pt.elliptic.search(plain.strip()))
    prov_words = {w for p in named for w in fold(p).split()}
    agency_words = {w for a in q.agencies for w in fold(a).split()}
    ref_words = set(re.findall(r"[a-z0-9]+", fold(q.plan_ref)))
    words = re.findall(r"[a-z0-9]+|\|", pt.question_phrases.sub(" | ", plain))
    words = [w if w not in pt.content_after or (i and words[i - 1] in pt.content_after[w]) else "|"
             for i, w in enumerate(words)]  # "cuộc thi" is a topic, "Vĩnh Long thì …" is not
    q.abbreviations = [fold(a) for a in vocab.abbreviations
                       if re.search(r"(?<![\w&])" + re.escape(fold(a)) + r"(?![\w&])", plain)]
    for full in abbreviation_expansions(text, vocab):  # "SIPAS" is also its expansion's words
        words += ["|", *re.findall(r"[a-z0-9]+", fold(full))]
    q.topic_terms = _topic_units(words, prov_words | agency_words | ref_words, vocab, pt.generic)
    q.search_text = expand_synonyms(text, vocab)
    variants = synonym_variants(vocab)
    q.synonym_terms = {v for t in q.topic_terms for v in variants.get(t, ())}
    q.in_domain = bool(pt.domain.search(folded) or q.agencies or q.plan_ref)
    return q
