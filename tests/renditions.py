"""Render a :class:`Document` back to .docx and .pdf, so loaders can be tested on real files.

The bundled plans only exist as .txt; these renditions give the .docx and .pdf loaders the
same content in the shapes real uploads have: Word tables with merged cells, and PDF tables
drawn as ruled grids whose cell text wraps and whose header repeats on every page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.table import Table as DocxTable
from pypdf import PdfReader, PdfWriter

from corpus.document import Document, Paragraph, Table

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TABLE_FONT_PT = 7
PADDING_MM = 1.2


class RenditionUnavailable(RuntimeError):
    """A tool needed to build a rendition (e.g. the DejaVu font) is missing; tests should skip."""


def group_span(row: list[str]) -> int:
    """How many leading cells a group row ("1. Báo X", "", "", ..., budget) spans; 1 if none."""
    if not row or not row[0]:
        return 1
    span = 1
    while span < len(row) and not row[span]:
        span += 1
    return span if span >= 3 else 1


def make_docx(doc: Document) -> bytes:
    """A .docx with one Word paragraph per Paragraph and a real Word table per Table."""
    out = docx.Document()
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.add_paragraph(block.text)
        else:
            _add_docx_table(out, block)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def _add_docx_table(out: docx.document.Document, table: Table) -> None:
    """Group rows are merged horizontally; empty leading cells below a task merge vertically."""
    width = max(len(r) for r in table.rows)
    rows = [r + [""] * (width - len(r)) for r in table.rows]
    grid: DocxTable = out.add_table(rows=len(rows), cols=width)
    grid.style = "Table Grid"
    for r, row in enumerate(rows):
        cells = grid.rows[r].cells
        for c, text in enumerate(row):
            if text:
                cells[c].text = text
    header = rows[0]
    for r, row in enumerate(rows):
        span = group_span(row)
        if span > 1:
            grid.cell(r, 0).merge(grid.cell(r, span - 1))
            continue
        above = rows[r - 1] if r else header
        if r == 0 or above == header or group_span(above) > 1 or not any(row[2:]):
            continue
        for c in (0, 1):
            if c < width and not row[c]:
                grid.cell(r - 1, c).merge(grid.cell(r, c))


def make_pdf(doc: Document, borders: str = "rect", centered: bool = False) -> bytes:
    """An A4 PDF: paragraphs wrapped at 10 pt, tables as grids at 7 pt, page numbers in the footer.

    ``borders``: "rect" (a stroked box per cell, as fpdf2 draws), "lines" (stroked line pieces, as
    LibreOffice draws), "filled" (thin filled bars, as Word draws) or "none" (layout-only path).
    ``centered=True`` centres cell text both ways, as many Word-made plans do.
    """
    from fpdf import FPDF
    from fpdf.enums import TableCellFillMode, VAlign, XPos, YPos
    from fpdf.fonts import FontFace

    if not DEJAVU.exists():
        raise RenditionUnavailable(f"Không tìm thấy phông chữ {DEJAVU} để tạo PDF thử nghiệm.")

    class _PDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=9)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = _PDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", str(DEJAVU))
    pdf.add_page()
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            pdf.set_font("DejaVu", size=10)
            pdf.multi_cell(0, 5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            continue
        pdf.set_font("DejaVu", size=TABLE_FONT_PT)
        width = max(len(r) for r in block.rows)
        rows = [r + [""] * (width - len(r)) for r in block.rows]
        with pdf.table(
            col_widths=_col_widths(pdf, rows),
            width=pdf.epw,
            line_height=TABLE_FONT_PT * 0.45,
            padding=PADDING_MM,
            v_align=VAlign.M if centered else VAlign.T,
            text_align="CENTER" if centered else "LEFT",
            repeat_headings=1,
            headings_style=FontFace(),
            cell_fill_mode=TableCellFillMode.NONE,
            borders_layout="NONE" if borders == "none" else "ALL",
        ) as grid:
            for row in rows:
                line = grid.row()
                span = group_span(row)
                line.cell(row[0], colspan=span)
                for text in row[span:]:
                    line.cell(text)
        pdf.ln(3)
    data = bytes(pdf.output())
    return _restyle_borders(data, borders) if borders in ("lines", "filled") else data


_RECT_STROKE = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re S")


def _restyle_borders(data: bytes, style: str) -> bytes:
    """Redraw fpdf2's stroked cell boxes as separate lines or as thin filled bars."""

    def redraw(m: re.Match[bytes]) -> bytes:
        x, y, w, h = (float(v) for v in m.groups())
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
        if style == "lines":
            pieces = zip(corners, corners[1:], strict=False)
            return b" ".join(b"%.2f %.2f m %.2f %.2f l S" % (*p, *q) for p, q in pieces)
        t, y0, y1 = 0.5, min(y, y + h), max(y, y + h)
        bars = [(x, y0, w, 0), (x, y1, w, 0), (x, y0, 0, y1 - y0), (x + w, y0, 0, y1 - y0)]
        boxes = [(bx - t / 2, by - t / 2, bw + t, bh + t) for bx, by, bw, bh in bars]
        return b" ".join(b"%.2f %.2f %.2f %.2f re f" % box for box in boxes)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        content = page.get_contents()
        if content is not None:
            content.set_data(_RECT_STROKE.sub(redraw, content.get_data()))
            page.replace_contents(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _col_widths(pdf: object, rows: list[list[str]]) -> list[float]:
    """Wide enough for each column's longest word, the rest shared by average text width."""
    width_of = pdf.get_string_width  # type: ignore[attr-defined]
    n = len(rows[0])
    least = [0.0] * n
    weight = [1.0] * n
    for c in range(n):
        texts = [r[c] for r in rows if c > 0 or group_span(r) == 1]
        words = [w for t in texts for w in t.split()]
        least[c] = max((width_of(w) for w in words), default=0.0) + 2 * PADDING_MM + 1
        weight[c] = max(1.0, sum(width_of(t) for t in texts) / max(1, len(texts)))
    spare = max(0.0, pdf.epw - sum(least))  # type: ignore[attr-defined]
    return [least[c] + spare * weight[c] / sum(weight) for c in range(n)]
