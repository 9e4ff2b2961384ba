"""Read a Word (.docx) plan into a :class:`Document`.

Body paragraphs and tables are walked in document order so a task table stays where it was in
the plan. Merged cells are reported once, at their first grid position, with "" in the positions
they cover: that is the shape the .txt renditions (and so the parser) already expect.
The zip is inspected before python-docx touches it, so a crafted upload cannot exhaust memory.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document as open_docx
from docx.oxml.ns import qn
from lxml.etree import _Element

from corpus.document import Block, Document, Paragraph, Table
from corpus.errors import LoaderError
from corpus.loaders import clean_inline

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
    except Exception as exc:  # python-docx raises many types for broken packages
        raise LoaderError(_CORRUPT) from exc
    blocks: list[Block] = []
    for index, child in enumerate(_children(body, "w:p", "w:tbl"), start=1):
        if child.tag == qn("w:p"):
            for piece in _paragraph_text(child).split("\n"):
                text = clean_inline(piece)
                if text:
                    blocks.append(Paragraph(text=text, line=index))
        elif child.tag == qn("w:tbl"):
            rows = _table_rows(child)
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


def _paragraph_text(p: _Element) -> str:
    """Visible text of a paragraph, including hyperlinks, fields and tracked insertions."""
    text = "".join(r.text for r in p.xpath(_RUNS))
    return text.replace("\t", " ")


def _cell_text(tc: _Element) -> str:
    """All text of a cell on one line; nested tables are flattened into it."""
    parts: list[str] = []
    for child in _children(tc, "w:p", "w:tbl"):
        if child.tag == qn("w:p"):
            parts.append(_paragraph_text(child).replace("\n", " "))
        else:
            parts.extend(c for row in _table_rows(child) for c in row if c)
    return clean_inline(" ".join(parts))


def _table_rows(tbl: _Element) -> list[list[str]]:
    """Rows on the grid: a merged cell's text at its first position, "" where it extends."""
    rows: list[list[str]] = []
    for tr in _children(tbl, "w:tr"):
        row = [""] * _grid_val(tr, "w:gridBefore")
        for tc in _children(tr, "w:tc"):
            continuation = tc.vMerge == "continue"  # python-docx: None, "restart" or "continue"
            row.append("" if continuation else _cell_text(tc))
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
