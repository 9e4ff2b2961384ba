"""Plan metadata detected from the text: number, date, province, year, title, signer, legal bases.

Nothing here knows a particular province: the province comes from the vocabulary of names,
found where plans put it (the issuing body, the place-and-date line, the title).
"""

from __future__ import annotations

import re
from collections import Counter

from corpus.contacts import has_contact_phone
from corpus.document import Paragraph
from corpus.records import Plan
from corpus.structure import Outline
from corpus.vocab import Vocabulary, fold

_NUMBER = re.compile(r"^Số\s*:?\s*(\d+)?\s*/\s*([A-ZĐ][\wĐđ\-&]*)", re.I)
_ATTACHED = re.compile(
    r"Kèm theo\s+(Kế hoạch|Quyết định)\s+số\s*(\d+)?\s*/\s*([\wĐđ\-&]+)"
    r"(?:\s+ngày\s+(\d{1,2})\s*(?:tháng|/)\s*(\d{1,2})\s*(?:năm|/)\s*(\d{4}))?",
    re.I,
)
_DECISION = re.compile(
    r"Quyết định\s+số\s*(\d+)\s*/\s*(QĐ-[\wĐđ\-]+)"
    r"(?:\s+ngày\s+(\d{1,2})\s*(?:tháng|/)\s*(\d{1,2})\s*(?:năm|/)\s*(\d{4}))?"
    r"[^;]{0,120}?\bban hành\s+(?:kèm theo\s+)?Kế hoạch", re.I)
_PLACE_DATE = re.compile(
    r"^([^\d,]{2,40}),\s*ngày\s+(\d{1,2})?\s*tháng\s+(\d{1,2})?\s*năm\s+(\d{4})", re.I
)
_YEAR_IN_TITLE = re.compile(r"năm\s+(20\d\d)\b", re.I)
_SIGN_TITLE = re.compile(r"\b(?:PHÓ\s+)?CHỦ\s+TỊCH\b|\bGIÁM ĐỐC\b")
_BASIS_START = re.compile(r"^(Căn cứ|Thực hiện|Theo đề nghị)\b", re.I)


def _paragraphs(*groups: list[Paragraph]) -> list[Paragraph]:
    return [p for g in groups for p in g]


def detect_plan(doc_id: str, outline: Outline, vocab: Vocabulary, warnings: list[str]) -> Plan:
    head = _paragraphs(outline.preamble, outline.closing, outline.appendix[:4])
    plan = Plan(doc_id=doc_id)
    _number_and_date(plan, head, warnings)
    plan.title = _title(outline.preamble + outline.closing, vocab)
    plan.province = _province(head, outline, vocab)
    plan.year = _year(plan, outline)
    plan.signer, plan.signer_title = _signer(outline.closing + outline.preamble)
    if not plan.signer:  # Word often puts "Nơi nhận" and the signature side by side in a table
        plan.signer, plan.signer_title = _signer(_table_paragraphs(outline))
    plan.legal_bases = _legal_bases(outline.preamble)
    if plan.province:
        plan.issuing_body = f"Ủy ban nhân dân tỉnh {plan.province}"
    plan.contacts = [p.text.strip() for p in _all_paragraphs(outline) if has_contact_phone(p.text)]
    return plan


def missing_metadata(plan: Plan) -> list[str]:
    """Warnings for what neither the text nor an admin override supplied."""
    out = []
    if not plan.province:
        out.append("Không xác định được tỉnh ban hành kế hoạch.")
    if not plan.year:
        out.append("Không xác định được năm của kế hoạch.")
    return out


def _all_paragraphs(outline: Outline) -> list[Paragraph]:
    out = list(outline.preamble)
    for part in outline.parts:
        out.extend(part.intro)
        for it in part.items:
            out.append(Paragraph(text=it.text, line=it.line))
            out.extend(it.body)
    return out + outline.closing + outline.appendix


def _table_paragraphs(outline: Outline) -> list[Paragraph]:
    """Cell lines of the small layout tables (not the appendix), read column by column."""
    out: list[Paragraph] = []
    for t in outline.tables:
        if len(t.rows) > 6:
            continue
        width = max((len(r) for r in t.rows), default=0)
        for c in range(width):
            for r in t.rows:
                if c < len(r):
                    # cells arrive with their lines joined: "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Lê Văn Sử"
                    parts = re.split(r"\n|(?<=CHỦ TỊCH)\s+|(?<=GIÁM ĐỐC)\s+", r[c])
                    out += [Paragraph(text=x.strip(), line=t.line) for x in parts if x.strip()]
    return out


def _number_and_date(plan: Plan, head: list[Paragraph], warnings: list[str]) -> None:
    for p in head:
        m = _NUMBER.match(p.text)
        if m:
            if m.group(1):
                plan.number = f"{m.group(1)}/{m.group(2)}"
            else:
                warnings.append(f"Số hiệu văn bản để trống ('{p.text.strip()}').")
            break
    for p in head:
        m = _PLACE_DATE.match(p.text.strip())
        if m and m.group(2) and m.group(3):
            plan.date = f"{m.group(2)}/{m.group(3)}/{m.group(4)}"
            break
    if plan.number and "/QĐ-" in plan.number:  # a decision that attaches its plan
        plan.doc_type = "Quyết định"
    if plan.number and plan.date:
        return
    for p in head:
        if _BASIS_START.match(p.text.strip()):
            continue  # "Thực hiện Quyết định số … ban hành Kế hoạch …" is a basis, not this plan
        m = _DECISION.search(p.text[:1000])
        if m and not plan.number:
            plan.number, plan.doc_type = f"{m.group(1)}/{m.group(2)}", "Quyết định"
            if not plan.date and m.group(3):
                plan.date = f"{m.group(3)}/{m.group(4)}/{m.group(5)}"
            break
    for p in head:
        m = _ATTACHED.search(p.text)
        if m and m.group(2):
            if not plan.number:
                plan.number = f"{m.group(2)}/{m.group(3)}"
                plan.doc_type = "Quyết định" if m.group(1).lower().startswith("quy") else "Kế hoạch"
            if not plan.date and m.group(4):
                plan.date = f"{m.group(4)}/{m.group(5)}/{m.group(6)}"
            break


def _title(paras: list[Paragraph], vocab: Vocabulary) -> str | None:
    for i, p in enumerate(paras):
        if fold(p.text).strip(" :*") == "ke hoach":
            lines = []
            for q in paras[i + 1 : i + 5]:
                t = q.text.strip()
                if (_BASIS_START.match(t) and (len(t) > 120 or " số " in t)) or t.startswith("(") or len(t) > 300:
                    break
                lines.append(t)
            if lines:
                title = " ".join(lines)
                return _sentence_case(title, vocab) if title.isupper() else title
    return None


def _sentence_case(title: str, vocab: Vocabulary) -> str:
    """'TUYÊN TRUYỀN … CỦA TỈNH VĨNH LONG' -> 'Tuyên truyền … của tỉnh Vĩnh Long'."""
    out = title[:1] + title[1:].lower()
    for name in set(vocab.provinces_old) | set(vocab.members):
        out = re.sub(re.escape(name.lower()), name, out)
    for abbr in vocab.abbreviations:
        if abbr.isupper() and len(abbr) > 2:
            out = re.sub(r"\b" + re.escape(abbr.lower()) + r"\b", abbr, out)
    return out


def _province(head: list[Paragraph], outline: Outline, vocab: Vocabulary) -> str | None:
    names = vocab.province_names()
    # one alternation, scanned once per paragraph (not one pattern per province: 63 scans of a 200 KB upload)
    alt = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    named = re.compile(r"\b(?:tinh|thanh pho|tp\.?)\s+(" + alt + r")\b")
    place = re.compile(r"^\s*([^\d,]{2,40}),\s*ngay\b")
    votes: Counter[str] = Counter()
    for p in head[:40]:
        f = fold(p.text)
        m = place.match(f)
        if m and m.group(1).strip() in names:
            votes[names[m.group(1).strip()]] += 3
        for name in {names[k] for k in named.findall(f)}:
            votes[name] += 2
    if not votes:
        for p in _all_paragraphs(outline):
            votes.update(names[k] for k in named.findall(fold(p.text)))
    return votes.most_common(1)[0][0] if votes else None


def _year(plan: Plan, outline: Outline) -> int | None:
    if plan.title:
        m = _YEAR_IN_TITLE.search(plan.title)
        if m:
            return int(m.group(1))
    years: Counter[int] = Counter()
    for p in _all_paragraphs(outline)[:80]:
        years.update(int(y) for y in _YEAR_IN_TITLE.findall(p.text))
    if years:
        return years.most_common(1)[0][0]
    if plan.date:
        return int(plan.date.rsplit("/", 1)[1])
    return None


def _looks_like_name(text: str) -> bool:
    t = text.strip(" *_")
    words = t.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in t) or _SIGN_TITLE.search(t.upper()):
        return False
    upper = t.upper()
    if any(x in upper for x in ("ỦY BAN", "UỶ BAN", "UBND", "KT.", "TM.", "TỈNH", "NƠI NHẬN", "LƯU")):
        return False
    return all(w[:1].isupper() for w in words) and not t.endswith((":", ";", "."))


def _signer(paras: list[Paragraph]) -> tuple[str | None, str | None]:
    # the signature block is written in capitals ("KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH THƯỜNG TRỰC"); a capitalised
    # line first, so "Chủ tịch, các PCT UBND tỉnh;" in the recipients list is not taken for it
    for upper_only in (True, False):
        for i, p in enumerate(paras):
            if not (_SIGN_TITLE.search(p.text.upper()) and len(p.text) < 80) or (upper_only and not p.text.isupper()):
                continue
            for j in range(i + 1, min(i + 6, len(paras))):
                if _looks_like_name(paras[j].text):
                    lines = [x.text.upper() for x in paras[max(0, i - 2): j]]
                    return paras[j].text.strip(" *_"), _signer_title(lines)
    return None, None


def _signer_title(lines: list[str]) -> str:
    """The signer's own title: the last signature line ("PHÓ CHỦ TỊCH THƯỜNG TRỰC" after "KT. CHỦ TỊCH")."""
    for line in reversed(lines):
        m = re.search(r"(PHÓ )?CHỦ TỊCH( THƯỜNG TRỰC)?", line)
        if m and not line.startswith(("KT.", "TM.")):
            return ("Phó " if m.group(1) else "") + "Chủ tịch" + (" Thường trực" if m.group(2) else "")
    return "Phó Chủ tịch" if any("PHÓ CHỦ TỊCH" in x for x in lines) else "Chủ tịch"


def _legal_bases(preamble: list[Paragraph]) -> list[str]:
    out: list[str] = []
    for p in preamble:
        t = p.text.strip()
        if not _BASIS_START.match(t):
            continue
        t = _BASIS_START.sub("", t, count=1).strip(" :")
        for piece in re.split(r";\s*", t):
            piece = piece.strip(" .")
            if re.search(r"\bsố\s+\d|\bLuật\b|\bĐề án\b|\bTờ trình\b", piece) and len(piece) > 10:
                out.append(piece[:400])
    return out
