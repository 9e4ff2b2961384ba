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


def test_a_row_cut_by_a_page_break_is_one_task_with_its_cells_rejoined():
    header = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Dự toán (đồng)"]
    rows = [header,
            ["I", "Sở Nội vụ", "", "", "", "300.000.000"],
            ["1", "Tổ chức Hội thi tìm hiểu cải cách hành chính", "Sở Nội vụ", "Tỉnh đoàn, UBND cấp", "Quý III/",
             "300.000.000"],
            ["", "", "", "huyện", "2025", ""],
            header,
            ["II", "Tỉnh đoàn", "", "", "", "70.000.000"],
            ["2", "Đội hình thanh niên tình nguyện", "Tỉnh đoàn", "UBND cấp xã", "Quý III/2025", "70.000.000"]]
    tasks, _ = parse_tables([Table(rows=rows, line=1)], "t", VOCAB, [])
    assert [t.row for t in tasks] == ["1", "2"]
    assert tasks[0].timeline == "Quý III/2025" and "Ủy ban nhân dân cấp huyện" in tasks[0].coordinators
    assert tasks[0].group_budget == 300_000_000 and tasks[1].group == "Tỉnh đoàn"
