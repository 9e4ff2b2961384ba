"""Read a Word (.docx) plan into a :class:`Document`.

Body paragraphs and tables are walked in document order so a task table stays where it was in
the plan. Merged cells are reported once, at their first grid position, with "" in the positions
they cover: that is the shape the .txt renditions (and so the parser) already expect.
The zip is inspected before python-docx touches it, so a crafted upload cannot exhaust memory.
"""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from lxml.etree import _Element

from corpus.document import Block, Document, Paragraph, Table
from corpus.errors import LoaderError
from corpus.inline import clean_inline

MAX_UNCOMPRESSED = 100 * 1024 * 1024  # total bytes a .docx may expand to
MAX_RATIO = 200  # a member that compresses better than this is treated as a zip bomb
_RATIO_MIN_SIZE = 10_000  # tiny members can have silly ratios without being dangerous

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CORRUPT = "Tệp .docx bị hỏng hoặc không phải định dạng Word (.docx)."
# Runs that are not visible text of this paragraph: deleted/moved-away revisions, text boxes
# (walked nowhere, their order is undefined) and the fallback copy of alternate content.
_RUNS = (
    ".//w:r[not(ancestor::w:del) and not(ancestor::w:moveFrom) and not(ancestor::w:txbxContent)"
    " and not(ancestor::*[local-name()='Fallback'])]"
)


def load_docx(data: bytes, source: str = "") -> Document:
    """Parse .docx bytes; raise :class:`LoaderError` with a Vietnamese message on bad input."""
    _check_container(data)
    try:
        doc = open_docx(io.BytesIO(data))
        body = doc.element.body
        numbering = _Numbering(doc)
    except Exception as exc:  # python-docx raises many types for broken packages
        raise LoaderError(_CORRUPT) from exc
    blocks: list[Block] = []
    for index, child in enumerate(_children(body, "w:p", "w:tbl"), start=1):
        if child.tag == qn("w:p"):
            for piece in _paragraph_text(child, numbering).split("\n"):
                text = clean_inline(piece)
                if text:
                    blocks.append(Paragraph(text=text, line=index))
        elif child.tag == qn("w:tbl"):
            rows = _table_rows(child, numbering)
            if rows:
                blocks.append(Table(rows=rows, line=index))
    return Document(blocks=blocks, source=source)


def _check_container(data: bytes) -> None:
    """Refuse OLE files, non-zips and zip bombs before any XML is parsed."""
    if data[:4] == _OLE_MAGIC:
        raise LoaderError(
            "Tệp này là tài liệu Word cũ (.doc) hoặc tệp Word đã được đặt mật khẩu/mã hóa. "
            "Vui lòng mở bằng Word, gỡ mật khẩu (nếu có) và lưu lại dưới dạng .docx rồi tải lên lại."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise LoaderError(_CORRUPT) from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise LoaderError(_CORRUPT)
    total = sum(i.file_size for i in infos)
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > _RATIO_MIN_SIZE),
        default=0.0,
    )
    if total > MAX_UNCOMPRESSED or worst > MAX_RATIO:
        raise LoaderError(
            "Tệp .docx có dung lượng giải nén bất thường (nghi là tệp nén độc hại - \"zip bomb\") "
            "nên không được xử lý. Vui lòng kiểm tra lại tệp."
        )


def _children(parent: _Element, *tags: str) -> list[_Element]:
    """Direct children with these tags, looking through content controls (w:sdt, w:customXml)."""
    wanted = {qn(t) for t in tags}
    out: list[_Element] = []
    for child in parent:
        if child.tag in wanted:
            out.append(child)
        elif child.tag in (qn("w:sdt"), qn("w:customXml")):
            content = child.find(qn("w:sdtContent"))
            out.extend(_children(content if content is not None else child, *tags))
    return out


def _paragraph_text(p: _Element, numbering: _Numbering) -> str:
    """Visible text of a paragraph (hyperlinks, fields, tracked insertions), with its list label."""
    text = "".join(r.text for r in p.xpath(_RUNS)).replace("\t", " ")
    if not text.strip():
        return text
    label = numbering.label(p)
    return f"{label} {text.lstrip()}" if label else text


def _cell_text(tc: _Element, numbering: _Numbering) -> str:
    """All text of a cell on one line; nested tables are flattened into it."""
    parts: list[str] = []
    for child in _children(tc, "w:p", "w:tbl"):
        if child.tag == qn("w:p"):
            parts.append(_paragraph_text(child, numbering).replace("\n", " "))
        else:
            parts.extend(c for row in _table_rows(child, numbering) for c in row if c)
    return clean_inline(" ".join(parts))


def _table_rows(tbl: _Element, numbering: _Numbering) -> list[list[str]]:
    """Rows on the grid: a merged cell's text at its first position, "" where it extends."""
    rows: list[list[str]] = []
    for tr in _children(tbl, "w:tr"):
        row = [""] * _grid_val(tr, "w:gridBefore")
        for tc in _children(tr, "w:tc"):
            continuation = tc.vMerge == "continue"  # python-docx: None, "restart" or "continue"
            row.append("" if continuation else _cell_text(tc, numbering))
            row.extend([""] * (tc.grid_span - 1))
        row.extend([""] * _grid_val(tr, "w:gridAfter"))
        if any(row):
            rows.append(row)
    return rows


def _grid_val(tr: _Element, tag: str) -> int:
    found = tr.find(f"{qn('w:trPr')}/{qn(tag)}")
    if found is None:
        return 0
    try:
        return max(0, int(found.get(qn("w:val"), "0")))
    except ValueError:
        return 0


class _Numbering:
    """Labels of Word's automatic numbering ("I.", "1.", "a)", bullets): they are not in the text,
    yet the parser needs them to find sections ("I. MỤC ĐÍCH") and items."""

    def __init__(self, doc: DocxDocument) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # -> format, lvlText, start
        # Word continues a list across w:num entries of one abstract definition; a startOverride
        # restarts it when that w:num is first used.
        self.list_of: dict[str, str] = {}
        self.restarts: dict[str, list[int]] = {}
        self.counters: dict[str, list[int | None]] = {}
        root = doc.part.numbering_part.element
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            num_id = num.get(qn("w:numId"), "")
            ref = _val(num, "w:abstractNumId")
            self.list_of[num_id] = ref or num_id
            for lvl in abstract[ref].findall(qn("w:lvl")) if ref in abstract else []:
                fmt, text = _val(lvl, "w:numFmt") or "decimal", _val(lvl, "w:lvlText") or ""
                key = (num_id, _int(lvl.get(qn("w:ilvl"))))
                self.levels[key] = (fmt, text, _int(_val(lvl, "w:start"), 1))
            for override in num.findall(qn("w:lvlOverride")):
                key = (num_id, _int(override.get(qn("w:ilvl"))))
                if key in self.levels and _val(override, "w:startOverride") is not None:
                    fmt, text, _ = self.levels[key]
                    self.levels[key] = (fmt, text, _int(_val(override, "w:startOverride"), 1))
                    self.restarts.setdefault(num_id, []).append(key[1])
        self.styles: dict[str, _Element] = {
            s.get(qn("w:styleId"), ""): s for s in doc.styles.element.findall(qn("w:style"))
        }

    def label(self, p: _Element) -> str:
        num_id, ilvl = self._num_pr(p)
        if num_id in (None, "0") or (num_id, ilvl) not in self.levels:
            return ""
        fmt, text, start = self.levels[(num_id, ilvl)]
        counts = self.counters.setdefault(self.list_of[num_id], [None] * 10)
        for restart in self.restarts.pop(num_id, []):
            counts[restart] = None
        current = counts[ilvl]
        counts[ilvl] = start if current is None else current + 1
        counts[ilvl + 1 :] = [None] * (9 - ilvl)
        if fmt == "bullet":
            return "-"

        def level(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            k_fmt, _, k_start = self.levels.get((num_id, k), ("decimal", "", 1))
            value = counts[k]
            return _format(k_start if value is None else value, k_fmt)

        return re.sub(r"%([1-9])", level, text).strip() if fmt != "none" else ""

    def _num_pr(self, p: _Element) -> tuple[str | None, int]:
        """numId and level from the paragraph, else from its style and the styles it is based on."""
        num_id: str | None = None
        ilvl: int | None = None
        style = _val(p.find(qn("w:pPr")), "w:pStyle")
        node: _Element | None = p
        for _ in range(20):  # basedOn chains are short; guard against cycles
            num_pr = node.find(f"{qn('w:pPr')}/{qn('w:numPr')}") if node is not None else None
            if num_pr is not None:
                num_id = num_id if num_id is not None else _val(num_pr, "w:numId")
                ilvl = ilvl if ilvl is not None else _opt_int(_val(num_pr, "w:ilvl"))
            if num_id is not None or style is None or style not in self.styles:
                break
            node = self.styles[style]
            style = _val(node, "w:basedOn")
        return num_id, min(max(ilvl or 0, 0), 8)


def _val(parent: _Element | None, tag: str) -> str | None:
    child = parent.find(qn(tag)) if parent is not None else None
    return child.get(qn("w:val")) if child is not None else None


def _opt_int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _int(text: str | None, default: int = 0) -> int:
    value = _opt_int(text)
    return default if value is None else value


def _format(n: int, fmt: str) -> str:
    """A counter in Word's list formats (the ones plans use); anything else as a number."""
    if fmt in ("upperRoman", "lowerRoman"):
        out = ""
        for value, letters in zip(_ROMAN_VALUES, _ROMAN, strict=True):
            while n >= value:
                out, n = out + letters, n - value
        return out if fmt == "upperRoman" else out.lower()
    if fmt in ("upperLetter", "lowerLetter") and n > 0:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    return f"{n:02d}" if fmt == "decimalZero" else str(n)


_ROMAN_VALUES = (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1)
_ROMAN = ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I")
