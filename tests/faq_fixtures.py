"""Small FAQ documents for the FAQ tests, in every accepted format, written here (not the shipped example).

The same questions in each format, so a test can say "this question finds that record" whatever the upload.
"""

from __future__ import annotations

import csv
import io

NATIONAL_MD = """---
title: Hỏi đáp thử nghiệm về dịch vụ công
kind: hoi-dap            # a comment after the value
scope: toàn quốc
updated: 2026-10-01
issuer: Nhóm kiểm thử
---

# Hỏi đáp thử nghiệm về dịch vụ công

Đoạn mở đầu không phải câu hỏi.

## Nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?
Người dân nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia tại https://dichvucong.gov.vn hoặc trên
Cổng dịch vụ công của tỉnh.
- Đăng nhập bằng tài khoản định danh điện tử.
- Chọn thủ tục, điền tờ khai và đính kèm giấy tờ.

## Thanh toán lệ phí trực tuyến như thế nào?
Khi nộp hồ sơ, chọn **thanh toán trực tuyến** và trả lệ phí qua ngân hàng hoặc ví điện tử.
### Lưu ý
Giữ lại biên lai điện tử. Xem thêm [hướng dẫn thanh toán](https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html).

## Tra cứu tình trạng giải quyết hồ sơ ở đâu?
Dùng mã hồ sơ để tra cứu trên Cổng Dịch vụ công quốc gia, mục Tra cứu hồ sơ.

## Tài khoản định danh điện tử mức 2 dùng để làm gì?
Tài khoản định danh điện tử mức 2 trên ứng dụng VNeID dùng để đăng nhập Cổng Dịch vụ công và thay cho việc xuất
trình một số giấy tờ.
"""

PROVINCE_MD = """---
title: Hỏi đáp của tỉnh Trà Vinh về bộ phận một cửa
kind: hoi-dap
scope: Trà Vinh
updated: 2025-03-20
---

## Nộp hồ sơ trực tiếp ở đâu?
Người dân nộp hồ sơ trực tiếp tại Trung tâm Phục vụ hành chính công tỉnh, số 1 đường Thử nghiệm.
"""

QUESTIONS = [
    ("Nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?",
     "Người dân nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia tại https://dichvucong.gov.vn.",
     "https://dichvucong.gov.vn", "toàn quốc", "2026-10-01"),
    ("Thanh toán lệ phí trực tuyến như thế nào?",
     "Khi nộp hồ sơ, chọn thanh toán trực tuyến và trả lệ phí qua ngân hàng hoặc ví điện tử.",
     "https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html", "toàn quốc", "01/10/2026"),
    ("Nộp hồ sơ trực tiếp ở đâu?", "Tại Trung tâm Phục vụ hành chính công tỉnh.", "", "Trà Vinh", "2025-03-20"),
]
HEADER_VI = ["Câu hỏi", "Trả lời", "Liên kết", "Phạm vi", "Ngày cập nhật"]
HEADER_EN = ["question", "answer", "source link", "province", "updated"]


def faq_csv(header: list[str] = HEADER_VI, delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(QUESTIONS)
    return buf.getvalue().encode("utf-8-sig")


def faq_xlsx(header: list[str] = HEADER_EN) -> bytes:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Hỏi đáp thử nghiệm (bảng tính)"])  # a title row above the header
    ws.append(header)
    for q, a, link, scope, updated in QUESTIONS:
        when = dt.date(2026, 10, 1) if updated.startswith("2026") else updated  # a real date cell, and text
        ws.append([q, a, link, scope, when])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def faq_docx() -> bytes:
    from docx import Document

    d = Document()
    d.add_heading("Hỏi đáp thử nghiệm (Word)", level=1)
    d.add_paragraph("Phạm vi: toàn quốc")
    d.add_paragraph("Cập nhật: 01/10/2026")
    d.add_heading(QUESTIONS[0][0], level=2)
    d.add_paragraph(QUESTIONS[0][1])
    p = d.add_paragraph()
    p.add_run(QUESTIONS[1][0]).bold = True  # a bold question instead of a heading
    d.add_paragraph(QUESTIONS[1][1])
    d.add_paragraph("Xem thêm: " + QUESTIONS[1][2])
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()
