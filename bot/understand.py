"""Question understanding: provinces and year named, agencies named, and what is asked.

Patterns work on the folded question (no diacritics), so "ai chu tri" and "Ai chủ trì" are the
same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.vocab import Vocabulary, fold, nfc
from retrieval.text import expand_abbreviations, has_diacritics

INTENTS: dict[str, str] = {
    "legal": r"quyet dinh (nao|so)|can cu|so hieu|ngay ban hanh|ban hanh ngay|ban hanh (khi nao|luc nao)|"
             r"thuc hien (theo )?(quyet dinh|ke hoach|van ban) nao|nguoi ky|ai ky|(la )?so may|van ban nao",
    "contact": r"so dien thoai|lien he|hotline|dien thoai",
    "budget": r"kinh phi|bao nhieu tien|ngan sach|chi phi|du toan|tong so tien|het bao nhieu",
    "timeline": r"khi nao|thoi gian|bao gio|luc nao|truoc ngay|han chot|thoi han|quy may|thang may|"
                r"bao nhieu lan|may lan|dien ra|tien do|ngay nao|thang nao|quy nao",
    "coordinators": r"phoi hop voi|co quan phoi hop|don vi phoi hop|phoi hop (nhung|cac)",
    "lead": r"chu tri|ai (phu trach|chiu trach nhiem|thuc hien|to chuc|lam)|co quan nao|don vi nao|"
            r"giao (ai|cho ai|co quan nao|don vi nao)|do ai|phu trach|ai dam nhiem|ai la",
    "duties": r"(nhiem vu|trach nhiem|viec) (gi|nao)|duoc giao (nhiem vu )?gi|lam gi|(can|phai) [a-z ]{0,20}gi\b|"
              r"co nhiem vu|co trach nhiem|vai tro",
    "count": r"bao nhieu (clip|bai|ky|so|chuyen muc|tieu pham|phong su|cuoc thi|nhiem vu|lop|hoi nghi|video|tin)|"
             r"may (clip|bai|ky|so|chuyen muc|phong su|cuoc thi)",
    "which_province": r"tinh nao|dia phuong nao|(nhung|cac) tinh|o tinh nao",
    "aggregate": r"(cac|nhung) nhiem vu (trong )?phu luc|phu luc ke hoach|trong phu luc",
}
TOPICS: dict[str, str] = {
    "contest": r"cuoc thi|hoi thi|thi tim hieu|giai thuong",
    "online": r"dich vu cong|truc tuyen|thanh toan|buu chinh|nop ho so|vneid|cong dich vu",
}
# generic domain words: present in nearly every plan, so they say nothing about *which* record
GENERIC = set(
    """tuyen truyen cai cach hanh chinh ke hoach co quan don vi chu tri phoi hop nhiem vu trach nhiem
    tinh nam thuc hien cong tac thong tin to chuc giao ai nao gi bao nhieu khi la cua o cac voi
    nhung trong de va co duoc lam sao thi hay dau tien nay cho can phai thoi gian kinh phi tong
    cchc tthc ubnd so""".split()
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
    unknown_province: str | None = None
    year: int | None = None
    intents: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    agencies: list[str] = field(default_factory=list)
    topic_terms: list[str] = field(default_factory=list)
    in_domain: bool = True


def _find_provinces(q: str, vocab: Vocabulary) -> list[str]:
    accented = has_diacritics(q)
    hay = nfc(q).lower() if accented else fold(q)
    found: list[tuple[int, str]] = []
    names = {}
    for name in set(vocab.provinces_old) | set(vocab.members) | set(vocab.province_aliases):
        key = nfc(name).lower() if accented else fold(name)
        names[key] = vocab.province_aliases.get(name, name)
    for key in sorted(names, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", hay):
            if not any(s <= m.start() < e for s, e, _ in found_spans(found)):
                found.append((m.start(), names[key] + "\x00" + str(m.end())))
    found.sort()
    out = []
    for _, v in found:
        n = v.split("\x00")[0]
        if n not in out:
            out.append(n)
    return out


def found_spans(found: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    return [(s, int(v.split("\x00")[1]), v) for s, v in found]


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
    m = re.search(r"\b(20\d\d)\b", text)
    q.year = int(m.group(1)) if m else None
    q.intents = {k for k, rx in INTENTS.items() if re.search(rx, folded)}
    q.topics = {k for k, rx in TOPICS.items() if re.search(rx, folded)}
    q.agencies = find_agencies(folded, agency_lexicon)
    prov_words = {w for p in q.provinces for w in fold(p).split()}
    agency_words = {w for a in q.agencies for w in fold(a).split()}
    words = re.findall(r"[a-z0-9]+", fold(text))
    q.topic_terms = [w for w in words if w not in GENERIC and w not in prov_words and w not in agency_words
                     and len(w) > 1]
    q.in_domain = bool(DOMAIN.search(folded) or q.agencies)
    return q
