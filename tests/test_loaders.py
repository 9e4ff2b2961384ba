"""The .docx and .pdf loaders must give the parser what the .txt plans give it.

Each bundled plan is rendered to a real .docx / .pdf (tests/renditions.py) and loaded back: the
paragraphs and the task-table rows must survive. Broken, encrypted, scanned or malicious uploads
must fail with a Vietnamese LoaderError instead of a traceback or a silent empty document.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from corpus.document import Document, Paragraph, Table
from corpus.docx_loader import load_docx
from corpus.errors import LoaderError
from corpus.loaders import load_bytes, load_path
from corpus.pdf_loader import load_pdf

try:
    from renditions import RenditionUnavailable, make_docx, make_pdf
except ImportError:  # tests/ imported as a package
    from tests.renditions import RenditionUnavailable, make_docx, make_pdf

PLANS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "plans").glob("*.txt"))
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


def _plan(prefix: str) -> Path:
    [path] = [p for p in PLANS if p.name.startswith(prefix)]
    return path


def _norm(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(doc: Document) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Paragraph)]


def _tables(doc: Document) -> list[list[list[str]]]:
    return [[[_norm(c) for c in row] for row in b.rows] for b in doc.blocks if isinstance(b, Table)]


def _pdf(doc: Document, **layout: Any) -> bytes:
    try:
        return make_pdf(doc, **layout)
    except RenditionUnavailable as exc:
        pytest.skip(str(exc))


def _assert_vietnamese_error(exc: pytest.ExceptionInfo[LoaderError], *words: str) -> None:
    message = str(exc.value)
    assert VIETNAMESE.search(message), message
    for word in words:
        assert word.lower() in message.lower(), message


def test_all_five_bundled_plans_are_present() -> None:
    assert len(PLANS) == 5


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.name[:3])
def test_docx_rendition_keeps_paragraphs_and_table_rows(plan: Path) -> None:
    original = load_path(plan)
    loaded = load_docx(make_docx(original), source="plan.docx")
    assert loaded.source == "plan.docx"
    assert _paragraphs(loaded) == _paragraphs(original)
    assert _tables(loaded) == _tables(original)


def test_docx_merged_cells_appear_once_at_their_first_grid_position() -> None:
    word = docx.Document()
    word.add_paragraph("KẾ HOẠCH\nThông tin, tuyên truyền")
    table = word.add_table(rows=3, cols=4)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 2))  # gridSpan 3: "00" then two empty positions
    table.cell(1, 3).merge(table.cell(2, 3))  # vMerge: "13" only in its first row
    table.cell(2, 0).add_paragraph("đoạn hai")
    inner = table.cell(2, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "lồng", "nhau"
    word.add_paragraph("Hết")
    buf = io.BytesIO()
    word.save(buf)

    loaded = load_docx(buf.getvalue())
    assert _paragraphs(loaded) == ["KẾ HOẠCH", "Thông tin, tuyên truyền", "Hết"]
    assert _tables(loaded) == [
        [
            ["00 01 02", "", "", "03"],
            ["10", "11", "12", "13 23"],
            ["20 đoạn hai", "21 lồng nhau", "22", ""],
        ]
    ]
    assert isinstance(loaded.blocks[2], Table)  # tables stay in document order


def test_docx_automatic_numbering_labels_are_kept() -> None:
    word = docx.Document()
    numbering = word.part.numbering_part.element
    formats = [("upperRoman", "%1."), ("decimal", "%2."), ("lowerLetter", "%3)")]
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(formats)
    )
    abstract = f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{levels}</w:abstractNum>'
    numbering.insert(0, parse_xml(abstract))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for text, level in [("MỤC ĐÍCH", 0), ("Mục đích", 1), ("Nâng cao", 2), ("Thông tin", 2), ("NỘI DUNG", 0)]:
        p = word.add_paragraph(text)
        p._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )
    word.add_paragraph("Một", style="List Number")
    word.add_paragraph("Hai", style="List Number")
    word.add_paragraph("Gạch đầu dòng", style="List Bullet")
    buf = io.BytesIO()
    word.save(buf)
    assert _paragraphs(load_docx(buf.getvalue())) == [
        "I. MỤC ĐÍCH", "1. Mục đích", "a) Nâng cao", "b) Thông tin", "II. NỘI DUNG",
        "1. Một", "2. Hai", "- Gạch đầu dòng",
    ]  # fmt: skip


@pytest.mark.parametrize("prefix", ["001_", "002_"], ids=["kien_giang", "ha_tinh"])
@pytest.mark.parametrize(
    "layout",
    [
        {"borders": "rect"},
        {"borders": "none"},
        {"borders": "rect", "centered": True},
        {"borders": "lines"},
        {"borders": "filled", "centered": True},
    ],
    ids=["boxed", "borderless", "boxed_centred", "line_borders", "word_bars_centred"],
)
def test_pdf_rendition_recovers_task_table_rows(prefix: str, layout: dict[str, Any]) -> None:
    original = load_path(_plan(prefix))
    loaded = load_pdf(_pdf(original, **layout), source="plan.pdf")
    [want] = _tables(original)
    [got] = _tables(loaded)
    header = want[0]
    assert got[0] == header
    assert all(row == header for row in got if row[0] == header[0]), "repeated headers kept whole"
    want_rows = [r for r in want if r != header]
    got_rows = [r for r in got if r != header]
    names = [h.lower() for h in header]
    key = [0] + [i for i, h in enumerate(names) if any(w in h for w in ("chủ trì", "thời gian", "kinh phí"))]
    assert len(key) >= 3
    assert [[r[i] for i in key] for r in got_rows] == [[r[i] for i in key] for r in want_rows]
    assert got_rows == want_rows  # in fact every cell survives, wrapped text included


@pytest.mark.parametrize("prefix", ["000_", "001_"])
def test_pdf_rendition_keeps_running_text_and_drops_page_numbers(prefix: str) -> None:
    original = load_path(_plan(prefix))
    data = _pdf(original)
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    lines = _paragraphs(load_pdf(data))
    assert not [t for t in lines if t.isdigit()]
    assert _norm(" ".join(lines)) == _norm(" ".join(_paragraphs(original)))


def test_load_bytes_dispatches_docx_and_pdf_to_their_loaders() -> None:
    original = load_path(_plan("003_"))
    assert _tables(load_bytes(make_docx(original), "ke-hoach.DOCX")) == _tables(original)
    assert load_bytes(_pdf(original), "ke-hoach.pdf").source == "ke-hoach.pdf"


def test_docx_random_bytes_are_refused_as_corrupt() -> None:
    with pytest.raises(LoaderError) as exc:
        load_docx(bytes(range(256)) * 40)
    _assert_vietnamese_error(exc, "hỏng", ".docx")


def test_docx_zip_without_word_document_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ghi-chu.txt", "không phải Word")
    with pytest.raises(LoaderError) as exc:
        load_docx(buf.getvalue())
    _assert_vietnamese_error(exc, "Word")


def test_docx_old_doc_or_encrypted_ole_file_is_refused() -> None:
    with pytest.raises(LoaderError) as exc:
        load_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    _assert_vietnamese_error(exc, ".doc", "mật khẩu")


def test_docx_zip_bomb_is_refused_before_python_docx_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: object) -> None:
        raise AssertionError("python-docx must not see a zip bomb")

    monkeypatch.setattr("corpus.docx_loader.open_docx", never)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document/>" + b" " * (20 * 1024 * 1024))
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(LoaderError) as exc:
        load_docx(buf.getvalue())
    _assert_vietnamese_error(exc, "zip bomb")


def _small_pdf() -> bytes:
    return _pdf(load_path(_plan("004_")))


def test_pdf_with_user_password_is_refused_as_encrypted() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_small_pdf())))
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(LoaderError) as exc:
        load_pdf(buf.getvalue())
    assert str(exc.value).startswith("PDF được mã hóa/đặt mật khẩu")


def test_pdf_encrypted_only_with_owner_password_is_still_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_small_pdf())))
    writer.encrypt(user_password="", owner_password="chu-so-huu", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    assert _norm(" ".join(_paragraphs(load_pdf(buf.getvalue())))) == _norm(
        " ".join(_paragraphs(load_path(_plan("004_"))))
    )


def test_pdf_without_text_layer_is_refused_as_a_scan() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(120, 120, 120)
    pdf.rect(20, 20, 150, 200, style="F")
    with pytest.raises(LoaderError) as exc:
        load_pdf(bytes(pdf.output()))
    assert str(exc.value).startswith("PDF không có lớp văn bản")
    _assert_vietnamese_error(exc, "OCR")


def test_pdf_truncated_download_is_refused() -> None:
    data = _small_pdf()
    with pytest.raises(LoaderError) as exc:
        load_pdf(data[: len(data) // 2])
    _assert_vietnamese_error(exc, "PDF", "hỏng")


def test_pdf_random_bytes_are_refused() -> None:
    with pytest.raises(LoaderError) as exc:
        load_pdf(b"PK\x03\x04" + bytes(range(256)) * 8)
    _assert_vietnamese_error(exc, "PDF")


def test_pdf_with_damaged_body_is_refused() -> None:
    data = bytearray(_small_pdf())
    body = len(data) // 4
    data[body : body + 4000] = bytes(4000)  # zero out a stretch of objects, keep head and tail
    with pytest.raises(LoaderError) as exc:
        load_pdf(bytes(data))
    _assert_vietnamese_error(exc, "PDF")


NO_STT_ROWS = [
    ["Nội dung", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian", "Kinh phí (đồng)"],
    ["Tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi cấp tỉnh năm 2025", "01 hội thi", "Sở Nội vụ",
     "Tỉnh đoàn; Sở Văn hóa, Thể thao và Du lịch", "Quý III/2025", "185.000.000"],
    ["Sản xuất phóng sự về dịch vụ công trực tuyến", "12 phóng sự", "Đài Phát thanh và Truyền hình tỉnh", "Sở Nội vụ",
     "Tháng 4 - 11/2025", "240.000.000"],
    ["In tờ rơi", "5.000 tờ", "Bưu điện tỉnh", "", "Quý II/2025", "45.000.000"],
]


@pytest.mark.parametrize("borders", ["rect", "lines", "filled"])
def test_pdf_ruled_table_without_stt_column_is_recovered(borders: str) -> None:
    doc = Document(blocks=[Paragraph("PHỤ LỤC", 1), Table(rows=NO_STT_ROWS, line=2)])
    [got] = _tables(load_pdf(_pdf(doc, borders=borders)))
    assert got == [[_norm(c) for c in r] for r in NO_STT_ROWS]


def test_pdf_line_wrapped_before_a_capitalised_word_is_rejoined() -> None:
    text = ("a) Chủ trì, phối hợp với Sở Văn hóa, Thể thao và Du lịch, Tỉnh đoàn và Hội Liên hiệp Phụ nữ tỉnh "
            "tổ chức cuộc thi tìm hiểu về cải cách hành chính trên Cổng Thông tin điện tử tỉnh, Trang thông tin "
            "điện tử của Sở Nội vụ và Báo tỉnh; thời gian: tháng 8/2025.")
    doc = Document(blocks=[Paragraph("1. Sở Nội vụ", 1), Paragraph(text, 2), Paragraph("2. Sở Tư pháp", 3)])
    assert _paragraphs(load_pdf(_pdf(doc))) == ["1. Sở Nội vụ", text, "2. Sở Tư pháp"]
