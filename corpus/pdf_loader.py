"""Read a PDF plan into a :class:`Document`.

PDFs have no paragraphs or tables, only positioned text and drawn lines. We collect both with
pypdf's visitors, rebuild visual lines, drop running headers/footers (page numbers) and hand the
lines to :mod:`corpus.pdf_tables`, which recovers the task tables so the parser sees the same
rows as from a .docx or .txt. Everything that is not a table becomes one Paragraph per line.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
from collections import Counter
from math import sqrt
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from corpus.document import Document
from corpus.errors import LoaderError
from corpus.pdf_tables import Frag, Line, Rules, build_blocks, find_header

MIN_CHARS_PER_PAGE = 80  # letters/digits; below this on average the PDF is a scan
_CORRUPT = "Tệp PDF bị hỏng hoặc không đọc được. Vui lòng xuất lại tệp PDF rồi tải lên lại."
_PAGE_NO = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–—\s]*$", re.I)
_STROKE = {b"S", b"s", b"B", b"B*", b"b", b"b*"}
_FILL = {b"f", b"F", b"f*"}


def load_pdf(data: bytes, source: str = "") -> Document:
    """Parse PDF bytes; raise :class:`LoaderError` (Vietnamese) if the PDF cannot give us text."""
    reader = _open(data)
    pages: list[tuple[list[Line], Rules]] = []
    try:
        for number, page in enumerate(reader.pages):
            pages.append(_read_page(page, number))
    except LoaderError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged content streams
        raise LoaderError(_CORRUPT) from exc
    chars = sum(ch.isalnum() for lines, _ in pages for ln in lines for f in ln.frags for ch in f.text)
    if not pages or chars < MIN_CHARS_PER_PAGE * len(pages):
        raise LoaderError(
            "PDF không có lớp văn bản (hoặc gần như không có chữ trích xuất được): có lẽ đây là bản "
            "scan/ảnh chụp. Vui lòng dùng phần mềm nhận dạng chữ (OCR) để tạo PDF có lớp văn bản, "
            "hoặc tải lên bản .docx gốc."
        )
    _drop_running_lines(pages)
    lines = [ln for page_lines, _ in pages for ln in page_lines]
    return Document(blocks=build_blocks(lines, [rules for _, rules in pages]), source=source)


def _open(data: bytes) -> PdfReader:
    """Open with pypdf; encrypted PDFs are accepted only if the empty password opens them."""
    if b"%PDF" not in data[:1024]:
        raise LoaderError("Tệp không phải định dạng PDF (thiếu phần đầu %PDF). Vui lòng kiểm tra lại tệp.")
    if b"%%EOF" not in data[-4096:]:
        raise LoaderError(
            "Tệp PDF bị cắt cụt hoặc hỏng (thiếu phần kết thúc). Vui lòng tải lên lại tệp đầy đủ."
        )
    locked = LoaderError(
        "PDF được mã hóa/đặt mật khẩu nên không đọc được nội dung. Vui lòng gỡ mật khẩu "
        "(hoặc in/xuất lại ra PDF không mã hóa) rồi tải lên lại."
    )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise locked
        _ = len(reader.pages)
    except LoaderError:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise locked from exc
    except Exception as exc:  # PdfReadError and the many lower-level errors of broken files
        raise LoaderError(_CORRUPT) from exc
    return reader


def _mult(m: list[float], n: list[float]) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5],
    ]  # fmt: skip


def _read_page(page: Any, number: int) -> tuple[list[Line], Rules]:
    """Text fragments grouped into visual lines (top to bottom) and the page's ruling lines."""
    frags: list[Frag] = []
    rules = Rules()
    paths: list[list[tuple[float, float]]] = []  # the path being built, as point lists

    def on_text(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        text = unicodedata.normalize("NFC", text.replace("\n", " "))
        if text.strip():
            m = _mult(list(tm), list(cm))
            scale = sqrt(abs(m[0] * m[3] - m[1] * m[2])) or 1.0
            frags.append(Frag(x=m[4], y=m[5], text=text, size=float(size) * scale))

    def on_op(op: bytes, args: list[Any], cm: list[float], _tm: list[float]) -> None:
        def pt(x: Any, y: Any) -> tuple[float, float]:
            x, y = float(x), float(y)
            return x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]

        if op == b"re" and len(args) == 4:
            x, y, w, h = (float(a) for a in args)
            paths.append([pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h), pt(x, y)])
        elif op == b"m" and len(args) == 2:
            paths.append([pt(*args)])
        elif op == b"l" and len(args) == 2 and paths:
            paths[-1].append(pt(*args))
        elif op == b"h" and paths:
            paths[-1].append(paths[-1][0])
        elif op in _STROKE:  # every straight piece of a stroked path may be a table rule
            rules.add_segments([(*p, *q) for path in paths for p, q in zip(path, path[1:], strict=False)])
            paths.clear()
        elif op in _FILL:  # thin filled shapes are how many writers (Word) draw borders
            spans = (zip(*path, strict=True) for path in paths)
            boxes = [(min(xs), min(ys), max(xs), max(ys)) for xs, ys in spans]
            rules.add_segments([b for b in boxes if min(b[2] - b[0], b[3] - b[1]) <= 2.5], box=True)
            paths.clear()
        elif op == b"n":
            paths.clear()

    damage = _DamageLog()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(damage)
    try:
        page.extract_text(visitor_text=on_text, visitor_operand_before=on_op)
    finally:
        pypdf_log.removeHandler(damage)
    if damage.hits:
        raise LoaderError(
            f"Tệp PDF bị hỏng: không giải nén được nội dung trang {number + 1}. "
            "Vui lòng xuất lại tệp PDF rồi tải lên lại."
        )
    return _group_lines(frags, number), rules


class _DamageLog(logging.Handler):
    """pypdf only logs undecodable content streams; a page read that way has lost its text."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.hits = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and "decompress" in record.getMessage().lower():
            self.hits += 1


def _group_lines(frags: list[Frag], page: int) -> list[Line]:
    """Fragments whose baselines are within about half a font size form one visual line."""
    lines: list[Line] = []
    for f in sorted(frags, key=lambda f: (-f.y, f.x)):
        last = lines[-1] if lines else None
        if last is not None and abs(last.y - f.y) <= 0.45 * max(f.size, last.size, 1.0):
            last.frags.append(f)
        else:
            lines.append(Line(page=page, y=f.y, frags=[f]))
    for ln in lines:
        ln.frags.sort(key=lambda f: f.x)
    return lines


def _drop_running_lines(pages: list[tuple[list[Line], Rules]]) -> None:
    """Remove page numbers and headers/footers repeated at the top or bottom of pages."""

    def key(ln: Line) -> str:
        return re.sub(r"\d+", "#", ln.text.lower())

    all_rules = [rules for _, rules in pages]
    ends: list[tuple[int, Line]] = []
    for lines, rules in pages:
        for pos in {0, len(lines) - 1} if lines else set():
            ln = lines[pos]
            if find_header(lines, pos, all_rules) is None and not rules.crosses(ln, float("-inf")):
                ends.append((pos, ln))
    counts = Counter((pos == 0, key(ln)) for pos, ln in ends)
    for pos, ln in ends:
        repeated = len(pages) > 1 and counts[(pos == 0, key(ln))] >= max(2, len(pages) // 2)
        if _PAGE_NO.match(ln.text) or repeated:
            pages[ln.page][0].remove(ln)
