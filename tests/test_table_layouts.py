"""Appendix tables laid out unlike the seeds: one "Cơ quan thực hiện" cell for both roles, a funding-source
column beside the sum, a provincial agency written with its province's name. Invented rows."""

from __future__ import annotations

from corpus.appendix import parse_tables
from corpus.document import Table
from corpus.duties import names_in
from corpus.vocab import load_vocabulary

VOCAB = load_vocabulary()
HEADER = ["STT", "Cơ quan thực hiện", "Nội dung", "Thời gian", "Dự toán kinh phí (triệu đồng)", "Nguồn kinh phí"]


def _tasks(*rows: list[str]):
    warnings: list[str] = []
    tasks, _ = parse_tables([Table(rows=[HEADER, *rows], line=1)], "t", VOCAB, warnings)
    return tasks


def test_one_cell_for_both_roles_is_split_into_lead_and_partners():
    (t,) = _tasks(["1", "Công an tỉnh (chủ trì); Sở Tư pháp, Bảo hiểm xã hội tỉnh (phối hợp)",
                   "Tuyên truyền Đề án 06", "Thường xuyên", "85", "Ngân sách tỉnh"])
    assert t.lead == ["Công an tỉnh"]
    assert "Sở Tư pháp" in t.coordinators and len(t.coordinators) == 2


def test_the_funding_source_column_is_kept_beside_the_sum():
    (t,) = _tasks(["2", "Sở Nội vụ (chủ trì)", "Hội thi tuyên truyền viên", "Quý III", "320", "Ngân sách tỉnh"])
    assert t.budget == 320_000_000 and "Nguồn kinh phí: Ngân sách tỉnh" in t.note


def test_a_provincial_agency_written_with_its_province_keeps_its_whole_name():
    assert names_in("- Đài Phát thanh và Truyền hình Nghệ An chủ trì sản xuất chuyên mục", VOCAB) == [
        "Đài Phát thanh và Truyền hình Nghệ An"]
