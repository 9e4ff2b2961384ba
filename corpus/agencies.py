"""Splitting agency lists ("Sở Nội vụ, Công an tỉnh và các cơ quan liên quan") into names.

Commas and "và" both separate agencies and occur inside names ("Sở Văn hóa, Thể thao và Du lịch",
"Sở Thông tin và Truyền thông"), so known names from the vocabulary are protected first and a
separator only splits when what follows starts like an agency.
"""

from __future__ import annotations

import re

from corpus.vocab import Vocabulary, fold, nfc

_SO_LIST = re.compile(r"\b[Cc]ác [Ss]ở\s*:\s*(.+)$")
_LEADING = re.compile(r"^(?:[-–•+]\s*|Đề nghị\s+|đề nghị\s+)+")
_CONNECT = {"tỉnh", "và", "thành", "phố", "Việt", "Nam", "-", "&", "–", "của"}


def _protected_names(vocab: Vocabulary) -> list[str]:
    names = set(vocab.agency_canonical)
    names.update(vocab.agency_alias.values())
    # aliases are stored folded; protect the canonical spellings, which carry the separators
    return sorted((n for n in names if ("," in n or " và " in n or "-" in n)), key=len, reverse=True)


_RX_CACHE: dict[tuple[int, str], tuple[Vocabulary, re.Pattern[str]]] = {}


def _protected_rx(vocab: Vocabulary) -> re.Pattern[str]:
    """All protected names in one pattern (longest first), compiled once per vocabulary."""
    key = (id(vocab), "protected")
    if key not in _RX_CACHE or _RX_CACHE[key][0] is not vocab:
        names = _protected_names(vocab)
        _RX_CACHE[key] = (vocab, re.compile("|".join(re.escape(n) for n in names) or r"(?!)", re.I))
    return _RX_CACHE[key][1]


def starts_rx(vocab: Vocabulary) -> re.Pattern[str]:
    """Every position where an agency name may start ("Sở ", "Ủy ban ", …), as one zero-width pattern."""
    key = (id(vocab), "starts")
    if key not in _RX_CACHE or _RX_CACHE[key][0] is not vocab:
        alt = "|".join(re.escape(s) for s in sorted(vocab.agency_starts, key=len, reverse=True))
        _RX_CACHE[key] = (vocab, re.compile(r"(?=\b(?:" + alt + r")\s)"))
    return _RX_CACHE[key][1]


def _starts_like_agency(text: str, vocab: Vocabulary) -> bool:
    t = text.lstrip()
    if t.startswith(("các ", "Các ")):
        return True
    return any(t.startswith(s + " ") or t == s for s in vocab.agency_starts)


def _expand_so_list(text: str, vocab: Vocabulary) -> tuple[str, bool]:
    """'các Sở: Nội vụ, Tư pháp' -> 'Sở Nội vụ; Sở Tư pháp' (True when expanded)."""
    m = _SO_LIST.search(text)
    if not m:
        return text, False
    body = m.group(1)
    items = [i.strip(" .") for i in re.split(r"\s*;\s*" if ";" in body else r"\s*,\s*", body)]
    joined: list[str] = []
    for it in items:
        if not it:
            continue
        if joined and it[:1].islower():  # "Văn hóa" + "Thể thao và Du lịch"
            joined[-1] += ", " + it
        else:
            joined.append(it)
    names: list[str] = []
    for it in joined:
        if fold("Sở " + it) in vocab.agency_alias or " và " not in it:
            names.append("Sở " + it)
        else:
            names.extend("Sở " + x for x in it.split(" và ") if x)
    head = text[: m.start()].rstrip(" ,;")
    head = re.sub(r"\s+và$", "", head)
    expanded = "; ".join(names)
    return (f"{head}; {expanded}" if head else expanded), True


def split_agencies(cell: str, vocab: Vocabulary) -> list[str]:
    """A table cell or phrase naming agencies -> canonical names, in order, without duplicates."""
    text = nfc(" ".join(cell.split()))
    if not text:
        return []
    # bullets inside a cell: "- Cấp tỉnh: A; B. - Cấp huyện: C"
    parts = [p for p in re.split(r"(?:^|(?<=[.;:])\s)[-–•]\s+", text) if p.strip()]
    out: list[str] = []
    for part in parts:
        part, expanded = _expand_so_list(part.strip(" .;"), vocab)
        if ":" in part and not expanded:
            before, after = part.split(":", 1)
            if _starts_like_agency(after, vocab) or after.strip()[:1].isupper():
                part = after
            elif not before.strip():
                part = after
        out.extend(_split_phrase(part, vocab))
    seen: set[str] = set()
    result = []
    for name in out:
        canon = vocab.canonical_agency(_LEADING.sub("", name))
        if canon and fold(canon) not in seen and len(canon) > 2:
            seen.add(fold(canon))
            result.append(canon)
    return result


def _split_phrase(text: str, vocab: Vocabulary) -> list[str]:
    protected: list[str] = []

    def protect(m: re.Match[str]) -> str:
        protected.append(m.group(0))
        return f"\x00{len(protected) - 1}\x00"

    text = _protected_rx(vocab).sub(protect, text)
    pieces: list[str] = []
    for chunk in re.split(r"\s*;\s*", text):
        buf = ""
        for tok in re.split(r"(\s*,\s*|\s+và\s+)", chunk):
            if re.fullmatch(r"\s*,\s*|\s+và\s+", tok or ""):
                buf += tok
                continue
            restored = re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], tok)
            if buf and _starts_like_agency(restored, vocab) or (buf and tok.startswith("\x00")):
                pieces.append(buf)
                buf = tok
            else:
                buf += tok
        if buf.strip():
            pieces.append(buf)
    result = []
    for p in pieces:
        p = re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], p)
        p = re.sub(r"(\s*,\s*|\s+và\s*)$", "", p).strip(" .,;")
        if p:
            result.append(p)
    return result


def agencies_after(text: str, marker: str, vocab: Vocabulary) -> list[str]:
    """Named agencies listed right after ``marker`` in prose ("phối hợp với A, B và các ...").

    Only names that start like an agency are kept, each cut where the prose resumes.
    """
    idx = fold(text).find(fold(marker))
    if idx < 0:
        return []
    tail = text[idx + len(marker):]
    tail = re.split(r"[:;.(]", tail, maxsplit=1)[0][:300]
    names: list[str] = []
    for piece in _split_phrase(tail, vocab):
        name = cut_name(piece, vocab)
        if name:
            names.append(vocab.canonical_agency(name))
    return list(dict.fromkeys(names))


def cut_name(piece: str, vocab: Vocabulary) -> str | None:
    piece = piece.strip()
    if not piece or piece[:1].islower() or not _starts_like_agency(piece, vocab):
        return None
    folded = fold(piece)
    best = ""
    for key in vocab.agency_alias:
        if folded.startswith(key) and len(key) > len(best) and (
            len(folded) == len(key) or not folded[len(key)].isalnum()
        ):
            best = key
    if best:
        return piece[: len(best)]
    own = _with_province(piece, folded, vocab)  # "Đài Phát thanh và Truyền hình Nghệ An": the "… tỉnh" alias
    if own:
        return own
    words = piece.split()
    head = next((h for h in vocab.descriptive_heads if piece.startswith(h + " ")), "")
    first = len(head.split()) if head else 1  # "Trung tâm" is one head, its "tâm" no end of the name
    kept = words[:first]
    for i, w in enumerate(words[first:], start=first):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w[:1].isupper() or w[:1].isdigit():
            kept.append(w)
        elif w in _CONNECT and (w != "và" or nxt[:1].isupper()):
            kept.append(w)
        else:
            break
    if head and first < len(kept) < len(words):  # "Trung tâm Hỗ trợ …", not "Hội thi …"
        kept = _descriptive(words, len(kept), vocab)
    while kept and kept[-1] in {"và", "-", "&", "của"}:
        kept.pop()
    return " ".join(kept) if len(kept) >= 2 else None


def _with_province(piece: str, folded: str, vocab: Vocabulary) -> str | None:
    """A provincial agency written with its province's name where the vocabulary writes "tỉnh"."""
    for name in {*vocab.provinces_old, *vocab.members}:
        p = fold(name)
        at = folded.find(" " + p, 0, 90)
        if at < 0 or (len(folded) > at + 1 + len(p) and folded[at + 1 + len(p)].isalnum()):
            continue
        key = folded[:at] + " tinh"
        if key in vocab.agency_alias or folded[:at] in vocab.agency_alias:
            return piece[: at + 1 + len(p)]
    return None


def _descriptive(words: list[str], start: int, vocab: Vocabulary) -> list[str]:
    """'Trung tâm Hỗ trợ phát triển doanh nghiệp tỉnh tổ chức …': lower-case words continue such a name
    until a verb or a preposition (``name_stops``), at most 14 words."""
    stops = {tuple(s.split()) for s in vocab.name_stops}
    longest = max((len(s) for s in stops), default=1)
    kept = words[:start]
    i = start
    while i < len(words) and len(kept) < 14:
        w = words[i]
        if any(tuple(words[i:i + n]) in stops for n in range(1, longest + 1)) and not w[:1].isupper():
            break
        kept.append(w.rstrip(",.;:"))
        if w[-1:] in ",.;:":
            break
        i += 1
    return kept
