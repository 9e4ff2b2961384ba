"""Question understanding: provinces and year named, agencies named, and what is asked.

Patterns work on the folded question (no diacritics), so "ai chu tri" and "Ai chủ trì" are the
same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.vocab import Vocabulary, fold, nfc
from retrieval.text import STOPWORDS, expand_abbreviations, has_diacritics

INTENTS: dict[str, str] = {
    "legal": r"quyet dinh (nao|so)|can cu|so hieu|ngay ban hanh|ban hanh ngay|ban hanh (khi nao|luc nao)|"
             r"thuc hien (theo )?(quyet dinh|ke hoach|van ban) nao|nguoi ky|ai ky|(la )?so may|van ban nao",
    "contact": r"so dien thoai|lien he|hotline|dien thoai",
    "budget": r"kinh phi|bao nhieu tien|ngan sach|chi phi|du toan|tong so tien|het bao nhieu",
    "timeline": r"khi nao|thoi gian|bao gio|luc nao|truoc ngay|han chot|thoi han|quy may|thang may|"
                r"bao nhieu lan|may lan|dien ra|tien do|ngay nao|thang nao|quy nao|dinh ky|hang thang|may gio",
    "coordinators": r"phoi hop voi|co quan phoi hop|don vi phoi hop|phoi hop (nhung|cac)",
    "lead": r"chu tri|ai (phu trach|chiu trach nhiem|thuc hien|to chuc|lam)|co quan nao|don vi nao|"
            r"giao (ai|cho ai|co quan nao|don vi nao)|do ai|phu trach|ai dam nhiem|ai la",
    "duties": r"(nhiem vu|trach nhiem|viec|noi dung) (gi|nao)|duoc giao [a-z ]{0,20}gi\b|lam gi|"
              r"(can|phai) [a-z ]{0,20}gi\b|co nhiem vu|co trach nhiem|vai tro",
    "count": r"bao nhieu (clip|bai|ky|so|chuyen muc|tieu pham|phong su|cuoc thi|nhiem vu|lop|hoi nghi|video|tin)|"
             r"may (clip|bai|ky|so|chuyen muc|phong su|cuoc thi)|(nhung|cac) san pham|san pham (gi|nao)",
    "which_province": r"tinh nao|dia phuong nao|(nhung|cac) tinh|o tinh nao",
    "aggregate": r"(cac|nhung) nhiem vu (trong |o |thuoc |cua )?phu luc",
}
TOPICS: dict[str, str] = {
    "contest": r"cuoc thi|hoi thi|thi tim hieu|giai thuong",
    "online": r"dich vu cong|truc tuyen|thanh toan|buu chinh|nop ho so|vneid|cong dich vu",
}
AMOUNT = (r"bao nhieu tien|tong (kinh phi|so tien|cong)|kinh phi .{0,90}bao nhieu|het bao nhieu|"
          r"bao nhieu dong|chi bao nhieu|so tien|kinh phi la bao nhieu")
QUESTION_PHRASES = re.compile(r"\b(bao nhieu|khi nao|the nao|ra sao|bao gio|la gi|lam gi|o dau|may gio|"
                              r"nhu the nao|hay khong|co khong|duoc khong)\b")
# generic domain words: present in nearly every plan, so they say nothing about *which* record
GENERIC = set(
    """tuyen truyen cai cach hanh chinh ke hoach co quan don vi chu tri phoi hop nhiem vu trach nhiem
    tinh nam thuc hien cong tac thong tin to chuc giao ai nao gi khi la cua o cac voi
    nhung trong de va co duoc lam sao thi hay dau tien nay cho can phai thoi gian kinh phi tong
    cchc tthc ubnd so cu moi truoc sau sap nhap hop nhat thuoc hien nay""".split()
)
DOMAIN = re.compile(
    r"tuyen truyen|cai cach|hanh chinh|ke hoach|chu tri|phoi hop|cuoc thi|hoi thi|dich vu cong|thu tuc|"
    r"kinh phi|\bso (noi vu|tu phap|tai chinh|thong tin|y te|giao duc|van hoa|ke hoach|khoa hoc)|ubnd|"
    r"uy ban|cchc|tthc|dvc|truc tuyen|buu chinh|bao chi|phat thanh|truyen hinh|chuyen doi so|de an 06|"
    r"pci|papi|par index|sipas|ddci|mot cua|nhiem vu|trach nhiem|co quan|chuyen muc|chuyen de|doi thoai"
)


@dataclass
class Question:
    text: str
    folded: str
    provinces: list[str] = field(default_factory=list)
    year: int | None = None
    intents: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    agencies: list[str] = field(default_factory=list)
    topic_terms: list[str] = field(default_factory=list)
    in_domain: bool = True
    search_text: str = ""
    asks_amount: bool = False  # a sum of money is asked for, not who funds or approves it
    quantity_noun: str = ""  # "thí sinh" in "có bao nhiêu thí sinh"
    row: str = ""  # "mục 2.6"
    synonym_terms: set[str] = field(default_factory=set)


TOPIC_STOP = STOPWORDS - {"bao"}  # "báo"/"đảm bảo" are topics; "bao nhiêu" is removed as a phrase


def _is_topic(w: str, exclude: set[str]) -> bool:
    return w not in GENERIC and w not in TOPIC_STOP and w not in exclude and len(w) > 1 and not w.isdigit()


def _topic_units(words: list[str], exclude: set[str], vocab: Vocabulary) -> list[str]:
    """Topic words of the question as units: each adjacent pair of topic words ("muc_tieu", "truyen_thanh"),
    or the word alone when it has no topic neighbour. Abbreviations are left out (they are expanded)."""
    abbr = {fold(t) for k in vocab.abbreviations for t in re.split(r"[\s&\-]+", k) if t.isupper() and len(t) > 1}
    runs: list[list[str]] = [[]]
    for w in words:
        if w != "|" and _is_topic(w, exclude | abbr):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    out: list[str] = []
    for run in runs:
        if len(run) == 1:
            out.append(run[0])
        out += [f"{a}_{b}" for a, b in zip(run, run[1:], strict=False)]
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


def _find_provinces(q: str, vocab: Vocabulary) -> list[str]:
    """Provinces named, in order; longest spelling first so each span counts once ("Vĩnh Long" ≠ "Long An")."""
    accented = has_diacritics(q)
    hay = nfc(q).lower() if accented else fold(q)
    names = {}
    for name in set(vocab.provinces_old) | set(vocab.members) | set(vocab.province_aliases):
        key = nfc(name).lower() if accented else fold(name)
        names[key] = vocab.province_aliases.get(name, name)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for key in sorted(names, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", hay):
            if not any(s <= m.start() < e for s, e in taken):
                taken.append((m.start(), m.end()))
                found.append((m.start(), names[key]))
    return list(dict.fromkeys(n for _, n in sorted(found)))


def find_agencies(folded: str, lexicon: dict[str, str]) -> list[str]:
    """Agency names mentioned (longest spelling first, each span used once)."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, str]] = []
    for key in sorted(lexicon, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", folded):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), lexicon[key]))
    out.sort()
    return list(dict.fromkeys(a for _, a in out))


def understand(text: str, vocab: Vocabulary, agency_lexicon: dict[str, str]) -> Question:
    text = " ".join(nfc(text).split())
    folded = fold(expand_abbreviations(text, vocab))
    q = Question(text=text, folded=folded)
    q.provinces = _find_provinces(text, vocab)
    m = re.search(r"(?<![/\-\d])(20\d\d)(?![/\-\d])", text)
    q.year = int(m.group(1)) if m else None
    q.intents = {k for k, rx in INTENTS.items() if re.search(rx, folded)}
    q.topics = {k for k, rx in TOPICS.items() if re.search(rx, folded)}
    agency_text = folded
    for p in q.provinces:  # "Đài PT-TH Hà Tĩnh" -> "đài pt-th tỉnh", the spelling the lexicon knows
        agency_text = re.sub(r"(?:\btinh\s+)?" + re.escape(fold(p)) + r"\b", "tinh", agency_text)
    q.agencies = find_agencies(agency_text, agency_lexicon)
    q.asks_amount = bool(re.search(AMOUNT, folded))
    m = re.search(r"\b(?:bao nhieu|may)\s+([a-z]+(?:\s[a-z]+)?)", fold(text))
    if m and not re.match(r"(tien|dong|kinh phi|lan|nam|thang|quy|gio|ngay|phan tram|%)", m.group(1)):
        q.quantity_noun = m.group(1)
    m = re.search(r"\bmuc\s+(\d{1,2}(?:\.\d{1,2})*)\b", folded)
    q.row = m.group(1) if m else ""
    prov_words = {w for p in q.provinces for w in fold(p).split()}
    agency_words = {w for a in q.agencies for w in fold(a).split()}
    # question phrases break topic runs ("bao nhiêu" must not pair with the noun next to it)
    words = re.findall(r"[a-z0-9]+|\|", QUESTION_PHRASES.sub(" | ", fold(text)))
    q.topic_terms = _topic_units(words, prov_words | agency_words, vocab)
    q.search_text = expand_synonyms(text, vocab)
    variants = synonym_variants(vocab)
    q.synonym_terms = {v for t in q.topic_terms for v in variants.get(t, ())}
    q.in_domain = bool(DOMAIN.search(folded) or q.agencies)
    return q
