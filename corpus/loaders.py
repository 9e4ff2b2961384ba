"""Turn .txt/.md/.docx/.pdf bytes into a :class:`Document`.

Plain-text plans carry tables two ways: one row per line with tab-separated cells, or one cell
per line (each line starting with a tab) with a blank line between rows. Both become ``Table``
rows here so the parser sees one shape. Markdown decoration left by converters (``#``, ``**``,
``<sup>``) is stripped.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.document import Block, Document, Paragraph, Table
from corpus.errors import LoaderError
from corpus.inline import clean_inline

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".csv", ".xlsx")  # .csv/.xlsx: FAQ tables only (corpus.faq)

def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM); anything else is refused rather than guessed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(
            "Tệp văn bản không phải mã UTF-8. Vui lòng lưu lại tệp với bảng mã UTF-8 rồi tải lên lại."
        ) from exc


def load_text(text: str, source: str = "") -> Document:
    """Parse plain text or markdown into blocks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    notes: list[Block] = []  # footnote bodies ("<sup>1</sup> Kế hoạch số 42 ..."): kept, out of the body's flow
    table: Table | None = None  # the table rows are currently appended to
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        if not raw.strip():
            i += 1
            continue
        if _is_cell_line(raw):
            run = [raw]
            j = i + 1
            while j < len(lines) and _is_cell_line(lines[j]):
                run.append(lines[j])
                j += 1
            if len(run) >= 2:
                row = [clean_inline(c) for c in run]
                table = _append_row(blocks, table, row, lineno)
                i = j
                continue
            # a lone indented line is text
            table = None
            _add_paragraph(blocks, raw, lineno)
            i += 1
            continue
        if "\t" in raw.strip("\n") and raw.count("\t") >= 1 and not _is_cell_line(raw):
            row = [clean_inline(c) for c in raw.split("\t")]
            if sum(1 for c in row if c) >= 1 and len(row) >= 2:
                table = _append_row(blocks, table, row, lineno)
                i += 1
                continue
        table = None
        _add_paragraph(notes if _FOOTNOTE.match(raw) else blocks, raw, lineno)
        i += 1
    return Document(blocks=blocks, source=source, notes=[n for n in notes if isinstance(n, Paragraph)])


# a converter's footnote body starts its line with the marker; left in place it splits the sentence the page
# break cut and reads as one more item of the list above it
_FOOTNOTE = re.compile(r"^\s*(?:<sup>\s*\d+\s*</sup>|\[\d{1,2}\]\s)")


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.count("\t") == 1 and bool(line.strip())


def _append_row(blocks: list[Block], table: Table | None, row: list[str], lineno: int) -> Table:
    if table is None or not blocks or blocks[-1] is not table:
        table = Table(rows=[], line=lineno)
        blocks.append(table)
    table.rows.append(row)
    return table


def _add_paragraph(blocks: list[Block], raw: str, lineno: int) -> None:
    text = clean_inline(raw)
    if not text or set(text) <= set("-_=*/. "):
        return
    blocks.append(Paragraph(text=text, line=lineno))


def load_bytes(data: bytes, filename: str) -> Document:
    """Dispatch on the extension; check the content really is of that type."""
    ext = Path(filename).suffix.lower()
    if ext in (".txt", ".md"):
        if data[:4] == b"%PDF" or data[:2] == b"PK":
            raise LoaderError("Nội dung tệp không khớp với phần mở rộng .txt/.md (có vẻ là PDF hoặc DOCX).")
        return load_text(decode_text(data), source=filename)
    if ext == ".docx":
        from corpus.docx_loader import load_docx

        return load_docx(data, source=filename)
    if ext == ".pdf":
        from corpus.pdf_loader import load_pdf

        return load_pdf(data, source=filename)
    if ext in (".csv", ".xlsx"):
        raise LoaderError(f"Tệp {ext} chỉ dùng cho hỏi đáp (cột câu hỏi, trả lời…), không phải kế hoạch.")
    raise LoaderError(
        f"Định dạng tệp '{ext or filename}' chưa được hỗ trợ. Chỉ nhận: {', '.join(SUPPORTED)}."
    )


def load_path(path: str | Path) -> Document:
    p = Path(path)
    return load_bytes(p.read_bytes(), p.name)
