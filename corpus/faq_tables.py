"""FAQ documents as tables (CSV, XLSX: one row per question) and as Word files (Heading 2 questions).

Column names are matched folded ("Câu hỏi", "cau hoi", "Question" are one column), so an admin can
export a spreadsheet in either language. Pure: bytes in, ParsedPlan (kind "faq") out.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from corpus.errors import LoaderError
from corpus.faq import FaqFormatError, build_parsed, norm_date, split_links
from corpus.records import ParsedPlan
from corpus.vocab import Vocabulary, fold, nfc

COLUMNS = {
    "question": ("question", "cau hoi", "hoi"),
    "answer": ("answer", "tra loi", "cau tra loi", "dap"),
    "links": ("link", "links", "source link", "lien ket", "nguon", "duong dan", "url"),
    "scope": ("province", "scope", "pham vi", "tinh"),
    "updated": ("updated", "ngay cap nhat", "cap nhat", "ngay"),
}
MAX_ROWS = 5000


def _column(name: Any) -> str | None:
    key = " ".join(fold(str(name or "")).replace("_", " ").split())
    return next((col for col, names in COLUMNS.items() if key in names), None)


def rows_to_items(rows: list[list[Any]], source: str) -> list[dict[str, Any]]:
    """Header row + data rows -> item dicts; the header is the first row naming a question and an answer column."""
    found = [(h, cols) for h, cols in ((h, [_column(c) for c in r]) for h, r in enumerate(rows[:10]))
             if "question" in cols and "answer" in cols]
    if not found:
        raise FaqFormatError(
            f"Tệp {source} thiếu dòng tiêu đề có cột “câu hỏi” (question) và “trả lời” (answer). Các cột khác: "
            "liên kết (link), phạm vi (province), ngày cập nhật (updated).")
    h, cols = found[0]
    items = []
    for n, row in enumerate(rows[h + 1 : h + 1 + MAX_ROWS], start=h + 2):
        item: dict[str, Any] = {"line": n}
        for col, value in zip(cols, row, strict=False):
            if col is None or value is None:
                continue
            if col == "links":
                item["links"] = item.get("links", []) + split_links(value)
            elif col == "updated":
                item["updated"] = value
            else:
                item[col] = nfc(str(value)).strip()
        if any(item.get(c) for c in ("question", "answer")):
            items.append(item)
    return items


def parse_csv(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
              overrides: dict[str, Any] | None = None) -> ParsedPlan:
    from corpus.loaders import decode_text

    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return build_parsed(rows_to_items(rows, filename), doc_id, vocab, {}, overrides, source=Path(filename).name)


def parse_xlsx(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
               overrides: dict[str, Any] | None = None) -> ParsedPlan:
    """The first worksheet; dates typed as dates or as text both work."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # openpyxl ships no type stubs

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoaderError(f"Không đọc được tệp Excel {Path(filename).name}: tệp hỏng hoặc không phải .xlsx.") from exc
    try:
        ws = wb.worksheets[0]
        rows = [list(r) for _, r in zip(range(MAX_ROWS + 10), ws.iter_rows(values_only=True), strict=False)]
    finally:
        wb.close()
    return build_parsed(rows_to_items(rows, filename), doc_id, vocab, {}, overrides, source=Path(filename).name)


# ---- Word -------------------------------------------------------------------------------------------

_META_LINE = re.compile(r"^\s*(pham vi|cap nhat|ngay cap nhat|don vi|loai)\s*:\s*(.+)$")
_META_KEYS = {"pham vi": "scope", "cap nhat": "updated", "ngay cap nhat": "updated", "don vi": "issuer",
              "loai": "kind"}


def _is_question(par) -> bool:  # noqa: ANN001 - a python-docx Paragraph
    style = (par.style.name if par.style is not None else "") or ""
    text = par.text.strip()
    if re.match(r"(?i)^(heading|tiêu đề)\s*2$", style):
        return bool(text)
    runs = [r for r in par.runs if r.text.strip()]
    return text.endswith("?") and bool(runs) and all(r.bold for r in runs)


def _paragraphs(data: bytes):
    from docx import Document as open_docx

    try:
        return open_docx(io.BytesIO(data)).paragraphs
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a damaged file
        raise LoaderError("Không đọc được tệp Word (.docx): tệp bị hỏng hoặc có mật khẩu.") from exc


def docx_looks_like_faq(data: bytes) -> bool:
    """A Word file with 'Phạm vi:'/'Cập nhật:' lines near the top and at least one question heading."""
    try:
        pars = _paragraphs(data)
    except LoaderError:
        return False
    head = [fold(p.text) for p in pars[:12]]
    has_meta = any(_META_LINE.match(h) for h in head)
    says_faq = any(re.match(r"^(hoi dap|huong dan|cau hoi thuong gap)\b", h) for h in head[:3])
    return (has_meta or says_faq) and any(_is_question(p) for p in pars)


def parse_docx_faq(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
                   overrides: dict[str, Any] | None = None) -> ParsedPlan:
    meta: dict[str, Any] = {}
    items: list[tuple[str, str, int]] = []
    body: list[str] = []
    question = ""
    for n, par in enumerate(_paragraphs(data), start=1):
        text = nfc(par.text).strip()
        for link in getattr(par, "hyperlinks", []):  # a link's address is not in its text
            if link.address and link.address.startswith("http") and link.address not in text:
                text = f"{text} ({link.address})"
        if _is_question(par):
            if question:
                items.append((question, "\n".join(body), n))
            question, body = text, []
            continue
        m = _META_LINE.match(fold(text)) if not question else None
        if m:
            meta[_META_KEYS[m.group(1)]] = text.split(":", 1)[1].strip()
        elif question:
            body.append(text)
        elif text and not meta.get("title"):
            meta["title"] = text
    if question:
        items.append((question, "\n".join(body), 0))
    meta["updated"] = norm_date(meta.get("updated", "")) or meta.get("updated", "")
    return build_parsed(items, doc_id, vocab, meta, overrides, source=Path(filename).name)


__all__ = ["docx_looks_like_faq", "parse_csv", "parse_docx_faq", "parse_xlsx", "rows_to_items"]
