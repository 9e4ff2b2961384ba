"""Prose plans written by code, with the records a parser must read from them (issue 11).

Three styles no bundled plan has in this shape, each with invented agencies and figures:

- ``blocks``: no appendix; activities (contests, reportages, leaflets) sit inside the agency blocks of
  "Tổ chức thực hiện", one lettered item each, with time/place/products/budget in the sentence;
- ``content``: a "Nội dung, hình thức" part whose "Các hoạt động" item lists activities as "a) Name: do X
  chủ trì, phối hợp với Y …" followed by "- Thời gian: …" / "- Địa điểm: …" lines;
- ``decision``: "QUYẾT ĐỊNH Về việc ban hành Kế hoạch …" with Điều 1/2/3 and a signature, then the attached
  plan with decimal-numbered duties ("1.1.", "1.2." under each agency) and an appendix grouped under roman
  numerals with subtotals in thousands of đồng.

``prose_plan(style, seed)`` returns a :class:`Generated` (the Document and the expected records);
``render(doc, ext)`` in ``tests/admin_plans.py`` turns it into .txt/.docx/.pdf bytes. Importable from
benchmarks (``from tests.prose_plans import prose_plan``) to generate question sets over these layouts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from corpus.document import Document, Paragraph, Table

STYLES = ("blocks", "content", "decision")
PROVINCES = ("Lào Cai", "Quảng Ngãi", "Bắc Kạn", "Ninh Thuận", "Sóc Trăng", "Hưng Yên", "Đắk Nông", "Yên Bái")
SIGNERS = ("Trần Quốc Hưng", "Lê Thị Mai Anh", "Phạm Văn Định", "Nguyễn Hữu Tâm", "Hoàng Minh Khôi")
LONG_AGENCY = "Trung tâm Hỗ trợ phát triển doanh nghiệp tỉnh"


@dataclass
class ExpectedActivity:
    name: str
    kind: str
    lead: list[str]
    coordinators: list[str] = field(default_factory=list)
    time: str = ""
    place: str = ""
    product: str = ""
    budget: int | None = None
    funding: str = ""


@dataclass
class ExpectedTask:
    row: str
    lead: list[str]
    budget: int
    group_label: str
    group_budget: int


@dataclass
class Expected:
    province: str
    year: int
    number: str
    date: str
    signer: str
    doc_type: str
    activities: list[ExpectedActivity]
    definitions: dict[str, str]  # term -> expansion
    legal: list[tuple[str, str, str, str, bool]]  # (kind, number, date, issuer, basis)
    tasks: list[ExpectedTask] = field(default_factory=list)
    total: int | None = None
    budget_total: int | None = None
    funding: str = ""
    duty_blocks: int = 0


@dataclass
class Generated:
    doc: Document
    expected: Expected


def _dot(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _facts(rng: random.Random, year: int) -> dict[str, str | int]:
    month = rng.randint(3, 9)
    return {
        "month": month,
        "quarter": rng.choice(["II", "III", "IV"]),
        "deadline": f"{rng.randint(10, 28)}/{rng.randint(10, 12)}/{year}",
        "count": rng.randint(3, 12),
        "leaflets": rng.choice([2000, 3500, 5000, 8000]),
        "budget_m": rng.choice([120, 185, 240, 310, 450]),
        "total_m": rng.choice([850, 920, 1250]),
        "district": rng.choice(["huyện Tân Phước", "huyện Bảo Lâm", "thị xã Hòa Thành", "huyện Mỹ Xuyên"]),
    }


def _header(p: str, number: str, day: int, month: int, year: int, title_kind: str = "KẾ HOẠCH") -> list[str]:
    return [
        f"ỦY BAN NHÂN DÂN TỈNH {p.upper()}",
        f"Số: {number}",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"{p}, ngày {day} tháng {month} năm {year}",
        title_kind,
    ]


def _signature(signer: str) -> list[str]:
    return ["Nơi nhận:", "- Bộ Nội vụ;", "- Các sở, ban, ngành tỉnh;", "- Lưu: VT.", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
            signer]


def _bases(year: int, rng: random.Random) -> tuple[list[str], list[tuple[str, str, str, str, bool]]]:
    n1, n2 = rng.randint(100, 999), rng.randint(1000, 3999)
    lines = [
        "Căn cứ Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ ban hành Chương trình tổng thể cải cách "
        "hành chính nhà nước giai đoạn 2021 - 2030;",
        f"Căn cứ Quyết định số {n1}/QĐ-BNV ngày 30 tháng 12 năm {year - 1} của Bộ trưởng Bộ Nội vụ ban hành Kế "
        f"hoạch thông tin, tuyên truyền cải cách hành chính năm {year};",
        f"Thực hiện Kế hoạch số {n2}/KH-UBND ngày 05/01/{year} của Ủy ban nhân dân tỉnh về cải cách hành chính "
        f"năm {year}.",
    ]
    legal = [
        ("Nghị quyết", "76/NQ-CP", "15/7/2021", "Chính phủ", True),
        ("Quyết định", f"{n1}/QĐ-BNV", f"30/12/{year - 1}", "Bộ trưởng Bộ Nội vụ", True),
        ("Kế hoạch", f"{n2}/KH-UBND", f"05/01/{year}", "Ủy ban nhân dân tỉnh", True),
    ]
    return lines, legal


_PURPOSE = [
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Mục đích",
    "Nâng cao nhận thức của cán bộ, công chức, viên chức và người dân về cải cách hành chính, trọng tâm là Chỉ số "
    "hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước (SIPAS) và Chỉ số cải "
    "cách hành chính (PAR INDEX).",
    "2. Yêu cầu",
    "Tuyên truyền thiết thực, gắn với thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác "
    "thực điện tử phục vụ chuyển đổi số quốc gia (sau đây viết tắt là Đề án 06).",
]
_DEFINITIONS = {
    "SIPAS": "Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước",
    "PAR INDEX": "Chỉ số cải cách hành chính",
    "Đề án 06": "Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử phục vụ chuyển đổi số "
                "quốc gia",
}


def prose_plan(style: str, seed: int = 0) -> Generated:
    """A plan in ``style`` (one of :data:`STYLES`) with figures drawn from ``seed``."""
    rng = random.Random(f"{style}-{seed}")
    province = rng.choice(PROVINCES)
    year = rng.choice([2025, 2026])
    signer = rng.choice(SIGNERS)
    if style == "blocks":
        return _blocks(rng, province, year, signer)
    if style == "content":
        return _content(rng, province, year, signer)
    if style == "decision":
        return _decision(rng, province, year, signer)
    raise ValueError(style)


def _doc(lines: list[str], tables: list[tuple[int, Table]] = ()) -> Document:  # type: ignore[assignment]
    blocks: list[Paragraph | Table] = [Paragraph(text=t, line=i + 1) for i, t in enumerate(lines)]
    for at, table in tables:
        blocks.insert(at, table)
    return Document(blocks=blocks, source="generated.txt")


def _blocks(rng: random.Random, p: str, year: int, signer: str) -> Generated:
    f = _facts(rng, year)
    number, day, month = f"{rng.randint(10, 300)}/KH-UBND", rng.randint(2, 28), rng.randint(1, 3)
    bases, legal = _bases(year, rng)
    contest = f"Cuộc thi tìm hiểu về cải cách hành chính và chuyển đổi số năm {year}"
    radio = f"Đài Phát thanh và Truyền hình {p}"
    lines = _header(p, number, day, month, year) + [
        f"Thông tin, tuyên truyền cải cách hành chính năm {year} trên địa bàn tỉnh {p}",
        *bases,
        f"Ủy ban nhân dân tỉnh ban hành Kế hoạch thông tin, tuyên truyền cải cách hành chính năm {year} như sau:",
        *_PURPOSE,
        "II. NỘI DUNG TUYÊN TRUYỀN",
        "1. Nội dung",
        "Tuyên truyền về dịch vụ công trực tuyến, thanh toán trực tuyến và ứng dụng VNeID.",
        "III. KINH PHÍ",
        f"Kinh phí thực hiện Kế hoạch từ nguồn ngân sách tỉnh năm {year}, được bố trí trong dự toán của Sở Nội vụ "
        f"(tổng {f['total_m']} triệu đồng).",
        "IV. TỔ CHỨC THỰC HIỆN",
        "1. Sở Nội vụ",
        f"a) Chủ trì, phối hợp với Sở Văn hóa, Thể thao và Du lịch, Tỉnh đoàn tổ chức {contest[0].lower()}"
        f"{contest[1:]} trên Cổng Thông tin điện tử tỉnh; thời gian: tháng {f['month']}/{year}; kinh phí "
        f"{f['budget_m']} triệu đồng.",
        "b) Theo dõi, đôn đốc các cơ quan, đơn vị triển khai Kế hoạch này; tổng hợp kết quả báo cáo Ủy ban nhân "
        "dân tỉnh.",
        f"2. {radio}",
        f"a) Xây dựng {f['count']:02d} phóng sự về dịch vụ công trực tuyến, hoàn thành trước ngày {f['deadline']}.",
        f"b) Phối hợp với Sở Nội vụ đưa tin về {contest[0].lower()}{contest[1:]}.",
        f"3. {LONG_AGENCY}",
        f"Tổ chức hội nghị đối thoại với doanh nghiệp về thủ tục hành chính tại {f['district']} trong quý "
        f"{f['quarter']}/{year}.",
        f"4. Bưu điện tỉnh {p}",
        f"In và phát hành {_dot(f['leaflets'])} tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính công ích, "
        f"hoàn thành trong tháng {f['month']}/{year}.",
        "Trên đây là Kế hoạch thông tin, tuyên truyền cải cách hành chính của Ủy ban nhân dân tỉnh.",
        *_signature(signer),
    ]
    acts = [
        ExpectedActivity(contest, "contest", ["Sở Nội vụ"],
                         ["Sở Văn hóa, Thể thao và Du lịch", "Tỉnh đoàn", radio],
                         f"tháng {f['month']}/{year}", "trên Cổng Thông tin điện tử tỉnh", "",
                         f["budget_m"] * 1_000_000),
        ExpectedActivity(f"Xây dựng {f['count']:02d} phóng sự về dịch vụ công trực tuyến", "activity", [radio], [],
                         f"hoàn thành trước ngày {f['deadline']}", "",
                         f"{f['count']:02d} phóng sự về dịch vụ công trực tuyến"),
        ExpectedActivity("Hội nghị đối thoại với doanh nghiệp về thủ tục hành chính", "event", [LONG_AGENCY], [],
                         f"quý {f['quarter']}/{year}", f"tại {f['district']}"),
        ExpectedActivity(f"In và phát hành {_dot(f['leaflets'])} tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính "
                         "công ích", "activity", [f"Bưu điện tỉnh {p}"], [],
                         f"hoàn thành trong tháng {f['month']}/{year}",
                         "", f"{_dot(f['leaflets'])} tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính công ích"),
    ]
    exp = Expected(p, year, number, f"{day}/{month}/{year}", signer, "Kế hoạch", acts, dict(_DEFINITIONS), legal,
                   budget_total=f["total_m"] * 1_000_000, funding=f"nguồn ngân sách tỉnh năm {year}", duty_blocks=4)
    return Generated(_doc(lines), exp)


def _content(rng: random.Random, p: str, year: int, signer: str) -> Generated:
    f = _facts(rng, year)
    number, day, month = f"{rng.randint(10, 300)}/KH-UBND", rng.randint(2, 28), rng.randint(1, 3)
    bases, legal = _bases(year, rng)
    contest = f"Cuộc thi trực tuyến tìm hiểu về cải cách hành chính năm {year}"
    festival = "Hội thi tuyên truyền viên cải cách hành chính giỏi"
    lines = _header(p, number, day, month, year) + [
        f"Tuyên truyền cải cách hành chính năm {year} của tỉnh {p}",
        *bases,
        *_PURPOSE,
        "II. NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        "1. Nội dung tuyên truyền",
        "a) Kết quả cải cách thủ tục hành chính, dịch vụ công trực tuyến và thanh toán trực tuyến.",
        "b) Quyền và nghĩa vụ của người dân trong giám sát cải cách hành chính.",
        "2. Các hoạt động tuyên truyền",
        f"a) {contest}: do Sở Nội vụ chủ trì, phối hợp với Báo {p} và Tỉnh đoàn tổ chức trên Cổng Thông tin "
        f"điện tử tỉnh; thời gian: tháng {f['month']}-{f['month'] + 1}/{year}.",
        f"b) {festival}",
        "- Cơ quan chủ trì: Sở Văn hóa, Thể thao và Du lịch",
        "- Cơ quan phối hợp: Sở Nội vụ; Liên đoàn Lao động tỉnh",
        f"- Địa điểm: Nhà văn hóa {f['district']}",
        f"- Thời gian: quý {f['quarter']}/{year}",
        f"- Kinh phí: {f['budget_m']} triệu đồng từ nguồn ngân sách tỉnh",
        f"c) Sản xuất {f['count']:02d} video clip hướng dẫn nộp hồ sơ trực tuyến: do Sở Khoa học và Công nghệ "
        f"chủ trì, hoàn thành trước ngày {f['deadline']}.",
        "III. TỔ CHỨC THỰC HIỆN",
        "1. Sở Nội vụ",
        "Chủ trì triển khai, theo dõi, đôn đốc thực hiện Kế hoạch này.",
        "2. Sở Văn hóa, Thể thao và Du lịch",
        f"Chủ trì tổ chức {festival[0].lower()}{festival[1:]}; phối hợp với Sở Nội vụ tổ chức "
        f"{contest[0].lower()}{contest[1:]}.",
        "Trên đây là Kế hoạch tuyên truyền cải cách hành chính của tỉnh.",
        *_signature(signer),
    ]
    acts = [
        ExpectedActivity(contest, "contest", ["Sở Nội vụ"],
                         [f"Báo {p}", "Tỉnh đoàn", "Sở Văn hóa, Thể thao và Du lịch"],
                         f"tháng {f['month']}-{f['month'] + 1}/{year}", "trên Cổng Thông tin điện tử tỉnh"),
        ExpectedActivity(festival, "contest", ["Sở Văn hóa, Thể thao và Du lịch"],
                         ["Sở Nội vụ", "Liên đoàn Lao động tỉnh"], f"quý {f['quarter']}/{year}",
                         f"Nhà văn hóa {f['district']}", "", f["budget_m"] * 1_000_000, "nguồn ngân sách tỉnh"),
        ExpectedActivity(f"Sản xuất {f['count']:02d} video clip hướng dẫn nộp hồ sơ trực tuyến", "activity",
                         ["Sở Khoa học và Công nghệ"], [], f"hoàn thành trước ngày {f['deadline']}", "",
                         f"{f['count']:02d} video clip hướng dẫn nộp hồ sơ trực tuyến"),
    ]
    exp = Expected(p, year, number, f"{day}/{month}/{year}", signer, "Kế hoạch", acts, dict(_DEFINITIONS), legal,
                   duty_blocks=2)
    return Generated(_doc(lines), exp)


def _decision(rng: random.Random, p: str, year: int, signer: str) -> Generated:
    f = _facts(rng, year)
    qd = f"{rng.randint(100, 3999)}/QĐ-UBND"
    day, month = rng.randint(2, 28), 12
    bases, legal = _bases(year, rng)
    radio = f"Đài Phát thanh và Truyền hình {p}"
    lines = _header(p, qd, day, month, year - 1, "QUYẾT ĐỊNH") + [
        f"Về việc ban hành Kế hoạch tuyên truyền cải cách hành chính năm {year} của tỉnh {p}",
        f"CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH {p.upper()}",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        *bases,
        "Theo đề nghị của Giám đốc Sở Nội vụ.",
        "QUYẾT ĐỊNH:",
        f"Điều 1. Ban hành kèm theo Quyết định này Kế hoạch tuyên truyền cải cách hành chính năm {year} của tỉnh {p}.",
        "Điều 2. Giao Giám đốc Sở Nội vụ chủ trì, phối hợp với các cơ quan liên quan triển khai thực hiện Kế hoạch.",
        "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các sở, ban, ngành tỉnh chịu trách nhiệm thi hành "
        "Quyết định này. Quyết định này có hiệu lực kể từ ngày ký.",
        *_signature(signer),
        "KẾ HOẠCH",
        f"Tuyên truyền cải cách hành chính năm {year} của tỉnh {p}",
        f"(Ban hành kèm theo Quyết định số {qd} ngày {day}/{month}/{year - 1} của Chủ tịch Ủy ban nhân dân tỉnh)",
        *_PURPOSE,
        "II. NỘI DUNG VÀ HÌNH THỨC",
        "Tuyên truyền trên báo chí, mạng xã hội và tại bộ phận một cửa các cấp (chi tiết tại Phụ lục).",
        "III. TỔ CHỨC THỰC HIỆN",
        "1. Sở Nội vụ",
        "1.1. Chủ trì, phối hợp với các cơ quan liên quan tổ chức Hội thi tìm hiểu cải cách hành chính trong quý "
        f"{f['quarter']}/{year}.",
        "1.2. Theo dõi, đôn đốc, tổng hợp kết quả thực hiện Kế hoạch, báo cáo Ủy ban nhân dân tỉnh trước ngày "
        f"{f['deadline']}.",
        f"2. {radio}",
        f"2.1. Xây dựng {f['count']:02d} chuyên mục cải cách hành chính phát sóng định kỳ hằng tháng trên sóng "
        f"{radio}.",
        "2.2. Phối hợp với Sở Nội vụ đưa tin về Hội thi tìm hiểu cải cách hành chính.",
        f"3. {LONG_AGENCY}",
        "3.1. Hướng dẫn doanh nghiệp sử dụng dịch vụ công trực tuyến.",
        "Trên đây là Kế hoạch tuyên truyền cải cách hành chính năm của tỉnh.",
        "PHỤ LỤC",
        f"NHIỆM VỤ TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH NĂM {year}",
        f"(Kèm theo Kế hoạch ban hành tại Quyết định số {qd})",
    ]
    g1 = [rng.choice([40, 60, 85]) * 1000, rng.choice([120, 150, 210]) * 1000]
    g2 = [rng.choice([30, 45, 75]) * 1000, rng.choice([20, 25, 50]) * 1000, rng.choice([90, 110]) * 1000]
    header = ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian", "Kinh phí (nghìn đồng)"]
    rows = [
        header,
        ["I", "TUYÊN TRUYỀN TRÊN BÁO CHÍ", "", "", "", _dot(sum(g1))],
        ["1", "Chuyên mục cải cách hành chính trên sóng phát thanh", radio, "Sở Nội vụ", "Hằng tháng", _dot(g1[0])],
        ["2", f"Phóng sự về dịch vụ công trực tuyến trên Báo {p}", f"Báo {p}", "Sở Nội vụ", f"Quý {f['quarter']}",
         _dot(g1[1])],
        ["II", "HỘI THI VÀ TẬP HUẤN", "", "", "", _dot(sum(g2))],
        ["1", "Hội thi tìm hiểu cải cách hành chính", "Sở Nội vụ", "Tỉnh đoàn", f"Quý {f['quarter']}", _dot(g2[0])],
        ["2", "Tập huấn kỹ năng tuyên truyền cho công chức một cửa", "Sở Nội vụ", "", "Quý II", _dot(g2[1])],
        ["3", "Hướng dẫn doanh nghiệp sử dụng dịch vụ công trực tuyến", LONG_AGENCY, "Sở Nội vụ", "Quý III",
         _dot(g2[2])],
        ["", "Tổng cộng", "", "", "", _dot(sum(g1) + sum(g2))],
    ]
    doc = _doc(lines, [(len(lines), Table(rows=rows, line=len(lines) + 1))])
    tasks = [ExpectedTask("1", [radio], g1[0] * 1000, "I", sum(g1) * 1000),
             ExpectedTask("2", [f"Báo {p}"], g1[1] * 1000, "I", sum(g1) * 1000),
             ExpectedTask("1", ["Sở Nội vụ"], g2[0] * 1000, "II", sum(g2) * 1000),
             ExpectedTask("2", ["Sở Nội vụ"], g2[1] * 1000, "II", sum(g2) * 1000),
             ExpectedTask("3", [LONG_AGENCY], g2[2] * 1000, "II", sum(g2) * 1000)]
    acts = [
        ExpectedActivity("Hội thi tìm hiểu cải cách hành chính", "contest", ["Sở Nội vụ"], [radio],
                         f"quý {f['quarter']}/{year}"),
        ExpectedActivity("Theo dõi, đôn đốc, tổng hợp kết quả thực hiện Kế hoạch, báo cáo Ủy ban nhân dân tỉnh",
                         "activity", ["Sở Nội vụ"], [], f"trước ngày {f['deadline']}"),
        ExpectedActivity(f"Xây dựng {f['count']:02d} chuyên mục cải cách hành chính phát sóng định kỳ hằng tháng",
                         "activity", [radio], [], "định kỳ hằng tháng", f"trên sóng {radio}",
                         f"{f['count']:02d} chuyên mục cải cách hành chính phát sóng định kỳ hằng tháng"),
    ]
    legal = [("Luật", "", "19/6/2015", "Quốc hội", True), *legal]
    exp = Expected(p, year, qd, f"{day}/{month}/{year - 1}", signer, "Quyết định", acts, dict(_DEFINITIONS), legal,
                   tasks=tasks, total=(sum(g1) + sum(g2)) * 1000, duty_blocks=3)
    return Generated(doc, exp)
