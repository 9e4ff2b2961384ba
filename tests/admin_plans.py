"""Plans written by the admin tests: provinces the bundled corpus does not have, in every format.

``plan(...)`` builds a :class:`Document` shaped like the real plans (header, "Số: …/KH-UBND", place
and date, "KẾ HOẠCH", roman parts, "TỔ CHỨC THỰC HIỆN" with numbered agency blocks, signature,
"PHỤ LỤC" with a STT/Nội dung/Cơ quan chủ trì/Cơ quan phối hợp/Thời gian/Kinh phí table);
``render(doc, ext)`` turns it into the bytes of a .txt, .docx (real Word table) or .pdf (drawn
table, DejaVu font) upload, through ``tests/renditions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.document import Document, Paragraph, Table

try:
    from renditions import make_docx, make_pdf
except ImportError:  # tests/ imported as a package
    from tests.renditions import make_docx, make_pdf

TABLE_HEADER = ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian", "Kinh phí (đồng)"]


@dataclass
class Spec:
    """What varies between the generated plans (and what the tests then ask about)."""

    province: str = "Cà Mau"
    number: int = 55
    day: int = 10
    month: int = 3
    year: int = 2025
    signer: str = "Lê Văn Sử"
    contest_lead: str = "Sở Nội vụ"
    contest_budget: str = "185.000.000"
    table: bool = True
    extra_rows: list[list[str]] = field(default_factory=list)


def plan(spec: Spec | None = None) -> Document:
    s = spec or Spec()
    p = s.province
    lines = [
        f"ỦY BAN NHÂN DÂN TỈNH {p.upper()}",
        f"Số: {s.number}/KH-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"{p}, ngày {s.day} tháng {s.month} năm {s.year}",
        "KẾ HOẠCH",
        f"Thông tin, tuyên truyền cải cách hành chính năm {s.year} trên địa bàn tỉnh {p}",
        f"Căn cứ Quyết định số 1222/QĐ-BNV ngày 30 tháng 12 năm {s.year - 1} của Bộ trưởng Bộ Nội vụ ban hành "
        f"Kế hoạch thông tin, tuyên truyền cải cách hành chính năm {s.year};",
        f"Ủy ban nhân dân tỉnh ban hành Kế hoạch thông tin, tuyên truyền cải cách hành chính năm {s.year} "
        "với các nội dung sau:",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "1. Mục đích",
        "Nâng cao nhận thức của cán bộ, công chức, viên chức và người dân về cải cách hành chính; tăng tỷ lệ "
        "hồ sơ nộp trực tuyến và thanh toán trực tuyến.",
        "2. Yêu cầu",
        "Công tác tuyên truyền phải thiết thực, đa dạng hình thức, phù hợp với từng nhóm đối tượng.",
        "II. NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        "1. Nội dung",
        "Tuyên truyền về dịch vụ công trực tuyến, thanh toán trực tuyến, nộp hồ sơ qua dịch vụ bưu chính công ích "
        "và ứng dụng VNeID.",
        "2. Hình thức",
        "Tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi; xây dựng chuyên mục trên báo, đài; "
        "phát hành tờ rơi hướng dẫn.",
        "III. KINH PHÍ",
        f"Kinh phí thực hiện Kế hoạch từ nguồn ngân sách tỉnh năm {s.year}"
        + (" (chi tiết tại Phụ lục kèm theo)." if s.table else "; các cơ quan lập dự toán theo quy định."),
        "IV. TỔ CHỨC THỰC HIỆN",
        f"1. {s.contest_lead}",
        "Chủ trì, phối hợp với các cơ quan liên quan tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi "
        f"trong Quý III/{s.year}; theo dõi, đôn đốc việc thực hiện Kế hoạch.",
        "2. Sở Khoa học và Công nghệ",
        "Chủ trì hướng dẫn người dân sử dụng dịch vụ công trực tuyến và thanh toán trực tuyến trên Cổng Dịch vụ "
        "công quốc gia.",
        f"3. Đài Phát thanh và Truyền hình {p}",
        "Xây dựng và phát sóng các phóng sự về dịch vụ công trực tuyến, mỗi tháng ít nhất một phóng sự.",
        f"4. Bưu điện tỉnh {p}",
        "Chủ trì in và phát hành tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính công ích tại các xã.",
        "5. Ủy ban nhân dân các xã, phường",
        "Lồng ghép tuyên truyền cải cách hành chính trong các buổi sinh hoạt khu dân cư.",
        "Trên đây là Kế hoạch thông tin, tuyên truyền cải cách hành chính của Ủy ban nhân dân tỉnh.",
        "Nơi nhận:",
        "- Bộ Nội vụ;",
        "- Các sở, ban, ngành tỉnh;",
        "- Lưu: VT.",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        s.signer,
    ]
    blocks: list[Paragraph | Table] = [Paragraph(text=t, line=i + 1) for i, t in enumerate(lines)]
    if s.table:
        n = len(blocks)
        blocks += [
            Paragraph(text="PHỤ LỤC", line=n + 1),
            Paragraph(text=f"NHIỆM VỤ THÔNG TIN, TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH NĂM {s.year}", line=n + 2),
            Paragraph(text=f"(Kèm theo Kế hoạch số {s.number}/KH-UBND ngày {s.day}/{s.month}/{s.year} của Ủy ban "
                           f"nhân dân tỉnh {p})", line=n + 3),
            Table(rows=[TABLE_HEADER, *rows(s)], line=n + 4),
        ]
    return Document(blocks=blocks, source=f"{p}.txt")


def rows(s: Spec) -> list[list[str]]:
    p = s.province
    body = [
        ["1", "Tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi", s.contest_lead,
         "Sở Văn hóa, Thể thao và Du lịch; Tỉnh Đoàn", f"Quý III/{s.year}", s.contest_budget],
        ["2", "Sản xuất 12 phóng sự về dịch vụ công trực tuyến", f"Đài Phát thanh và Truyền hình {p}",
         "Trung tâm Phục vụ hành chính công tỉnh", f"Tháng 4 - tháng 11/{s.year}", "240.000.000"],
        ["3", "In và phát hành 5.000 tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính công ích",
         f"Bưu điện tỉnh {p}", "Ủy ban nhân dân các xã, phường", f"Quý II/{s.year}", "45.000.000"],
        *s.extra_rows,
    ]
    total = sum(int(r[5].replace(".", "")) for r in body if r[5])
    return [*body, ["", "Tổng cộng", "", "", "", f"{total:,}".replace(",", ".")]]


def render(doc: Document, ext: str) -> bytes:
    """The upload bytes of ``doc`` as .txt/.md (tab-separated table rows), .docx or .pdf."""
    if ext in (".txt", ".md"):
        return (doc.text() + "\n").encode("utf-8")
    if ext == ".docx":
        return make_docx(doc)
    if ext == ".pdf":
        return make_pdf(doc)
    raise ValueError(ext)
