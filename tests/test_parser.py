"""Pinned facts parsed from the five bundled plans (issue 2)."""

from __future__ import annotations

import glob

import pytest

from corpus.loaders import load_path, load_text
from corpus.parser import parse_document
from corpus.records import ParsedPlan

PLANS = {p.split("/")[-1][:3]: p for p in sorted(glob.glob("corpus/plans/*.txt"))}


def parsed(prefix: str) -> ParsedPlan:
    return parse_document(load_path(PLANS[prefix]), prefix)


@pytest.fixture(scope="module")
def all_plans() -> dict[str, ParsedPlan]:
    return {k: parsed(k) for k in PLANS}


@pytest.mark.parametrize(
    ("prefix", "province", "year", "number", "date", "signer", "tasks", "blocks"),
    [
        ("000", "Tiền Giang", 2024, None, None, "Nguyễn Thành Diệu", 0, 13),
        ("001", "Kiên Giang", 2024, "101/KH-UBND", "02/4/2024", "Nguyễn Thanh Nhân", 12, 3),
        ("002", "Hà Tĩnh", 2024, None, None, "Lê Ngọc Châu", 24, 13),
        ("003", "Vĩnh Long", 2024, "3060/QĐ-UBND", "29/12/2023", "Nguyễn Thị Quyên Thanh", 14, 11),
        ("004", "Trà Vinh", 2023, None, None, "Nguyễn Quỳnh Thiện", 0, 5),
    ],
)
def test_plan_metadata_and_counts_are_detected_from_text(all_plans, prefix, province, year, number, date, signer,
                                                          tasks, blocks):
    r = all_plans[prefix]
    assert (r.plan.province, r.plan.year, r.plan.number, r.plan.date) == (province, year, number, date)
    assert r.plan.signer == signer
    assert r.plan.signer_title == "Phó Chủ tịch"
    assert len(r.tasks) == tasks
    assert r.agency_blocks == blocks
    assert r.passages and all(p.text for p in r.passages)


def test_kien_giang_budgets_sum_to_the_stated_total(all_plans):
    r = all_plans["001"]
    assert r.plan.appendix_total == 1_005_896_756
    assert sum(t.budget or 0 for t in r.tasks) == 1_005_896_756
    by_row = {t.row: t for t in r.tasks}
    assert by_row["2.2"].budget == 91_596_756
    assert by_row["5"].product == "Hội thi Sân khấu hóa" and by_row["5"].timeline == "Quý II"
    assert by_row["6"].budget is None and "Tỉnh đoàn sắp xếp" in by_row["6"].note
    assert by_row["1.1"].group == "Báo Kiên Giang"
    assert not r.warnings


def test_kien_giang_cell_continued_after_page_break_is_merged(all_plans):
    t = {t.row: t for t in all_plans["001"].tasks}["2.1"]
    assert t.content.endswith("giải quyết thủ tục hành chính...")
    assert "KG1 của ngày hôm sau" in t.timeline


def test_ha_tinh_rows_split_across_page_break_are_merged(all_plans):
    tasks = all_plans["002"].tasks
    contest = next(t for t in tasks if t.row == "4")
    assert contest.content == "Tổ chức cuộc thi tìm hiểu cải cách hành chính trên Cổng Thông tin điện tử tỉnh"
    assert contest.lead == ["Sở Thông tin và Truyền thông"]
    assert contest.timeline == "Quý II-III/2024"
    assert "Sở Nội vụ" in contest.coordinators
    law = next(t for t in tasks if t.row == "8")
    assert law.content.endswith("pháp luật trên các lĩnh vực")


def test_ha_tinh_sub_rows_without_stt_inherit_the_row(all_plans):
    row2 = [t for t in all_plans["002"].tasks if t.row == "2"]
    assert len(row2) == 5
    assert row2[0].lead == ["Báo Hà Tĩnh"]
    assert all(t.content.startswith("Duy trì các chuyên trang") for t in row2)
    assert "Đại biểu dân cử" in row2[2].product and "hình Hà Tĩnh" in row2[2].product
    assert [t.row for t in all_plans["002"].tasks].count("17") == 2


def test_vinh_long_one_cell_per_line_table(all_plans):
    tasks = all_plans["003"].tasks
    assert [t.row for t in tasks] == [str(i) for i in range(1, 15)]
    assert tasks[4].lead == ["Sở Thông tin và Truyền thông"] and tasks[4].timeline == "Quý IV/2024"
    assert tasks[2].timeline == "Trước ngày 16/01/2024"


def test_agency_blocks_become_duties_with_roles(all_plans):
    duties = all_plans["000"].duties
    police = [d for d in duties if d.agency == "Công an tỉnh" and "Đề án 06" in d.text]
    assert police and police[0].role == "chủ trì"
    mic = next(d for d in duties if d.agency == "Sở Thông tin và Truyền thông" and "cuộc thi" in d.text)
    assert mic.coordinators[:2] == ["Sở Nội vụ", "Công an tỉnh"]
    press = [d for d in duties if d.agency == "Báo Ấp Bắc"]
    assert press and all(d.role == "đề nghị" for d in press)
    assert any(d.agency == "Sở Tư pháp" and d.role == "phối hợp" for d in duties)


def test_legal_bases_and_titles(all_plans):
    assert any("35/QĐ-BNV" in b for b in all_plans["000"].plan.legal_bases)
    assert any("82/QĐ-BNV" in b for b in all_plans["004"].plan.legal_bases)
    assert all_plans["003"].plan.title == "Tuyên truyền cải cách hành chính năm 2024 của tỉnh Vĩnh Long"
    assert any("02703 836 904" in c for c in all_plans["003"].plan.contacts)


def test_blank_plan_number_is_a_warning_not_a_guess(all_plans):
    assert all_plans["002"].plan.number is None
    assert any("Số hiệu" in w for w in all_plans["002"].warnings)


@pytest.mark.parametrize(
    "text",
    ["", "\t\t\t", "Xin chào\n\n", "STT\tNội dung\tCơ quan chủ trì\n\t\t\n1.\t\t", "I.\n1.\na)\n" * 50,
     "PHỤ LỤC\nTổng\t\t\n", "\x00\x01 lạ"],
)
def test_odd_input_never_crashes_and_reports_warnings(text):
    r = parse_document(load_text(text), "odd")
    assert r.warnings


def test_markdown_decoration_is_stripped():
    doc = load_text("## **IV. TỔ CHỨC THỰC HIỆN**\n\n**1. Sở Nội vụ**\n\nChủ trì tổ chức hội thi<sup>2</sup>.\n")
    r = parse_document(doc, "md")
    assert r.duties[0].agency == "Sở Nội vụ"
    assert r.duties[0].text == "Chủ trì tổ chức hội thi."


def _facts(r: ParsedPlan) -> dict:
    return {
        "plan": (r.plan.province, r.plan.year, r.plan.number, r.plan.date, r.plan.signer, r.plan.appendix_total),
        "tasks": [(t.row, t.lead, t.coordinators, t.timeline, t.budget) for t in r.tasks],
        "blocks": r.agency_blocks,
        "duty_agencies": sorted({d.agency for d in r.duties}),
    }


@pytest.mark.parametrize("prefix", ["001", "002", "000"])
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_docx_and_pdf_renditions_parse_to_the_same_records(prefix, fmt):
    from corpus.loaders import load_bytes
    from tests.renditions import RenditionUnavailable, make_docx, make_pdf

    original = load_path(PLANS[prefix])
    try:
        data = make_docx(original) if fmt == "docx" else make_pdf(original)
    except RenditionUnavailable as exc:
        pytest.skip(str(exc))
    again = parse_document(load_bytes(data, f"plan.{fmt}"), prefix)
    assert _facts(again) == _facts(parse_document(original, prefix))


def test_contests_in_agency_blocks_become_activities_with_lead_and_coordinators(all_plans):
    acts = {a.name: a for a in all_plans["000"].activities}
    reform = acts["Cuộc thi tìm hiểu về cải cách hành chính năm 2024"]
    assert reform.kind == "contest" and reform.lead == ["Sở Nội vụ"]
    assert {"Sở Thông tin và Truyền thông", "Công an tỉnh", "Báo Ấp Bắc"} <= set(reform.coordinators)
    digital = acts["Cuộc thi tìm hiểu về công tác chuyển đổi số"]
    assert digital.lead == ["Sở Thông tin và Truyền thông"] and "Sở Nội vụ" in digital.coordinators
    vl = next(a for a in all_plans["003"].activities if a.kind == "contest")
    assert vl.lead == ["Sở Thông tin và Truyền thông"] and "Chuyển đổi số" in vl.name
    # Hà Tĩnh's Sở Nội vụ only "phối hợp với sở, ban, ngành, UBND … tổ chức các Cuộc thi": nobody is written as
    # its lead, so no activity credits one (the appendix row has the lead)
    assert not [a for a in all_plans["002"].activities if a.kind == "contest"]
    deadline = next(a for a in all_plans["003"].activities if a.time.startswith("trước ngày"))
    assert deadline.time == "trước ngày 16/01/2024"


def test_terms_spelled_out_in_the_plans_become_definitions(all_plans):
    vl = {d.term: d.expansion for d in all_plans["003"].definitions}
    assert vl["SIPAS"] == ("Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính "
                           "nhà nước")
    assert vl["PAPI"] == "Chỉ số Hiệu quả Quản trị và Hành chính công cấp tỉnh"
    assert vl["PAR INDEX"] == "Chỉ số CCHC" and vl["CCHC"] == "Cải cách hành chính"
    ht = {d.term: d.expansion for d in all_plans["002"].definitions}
    assert ht["PCI"] == "Chỉ số năng lực cạnh tranh cấp tỉnh"
    assert ht["DDCI"].startswith("Chỉ số đánh giá năng lực cạnh tranh")
    assert not all_plans["004"].definitions  # nothing spelled out, nothing invented


def test_legal_bases_and_cited_documents_are_listed_with_kind_number_date_issuer(all_plans):
    tg = all_plans["000"].legal_docs
    bases = [(d.kind, d.number, d.date, d.issuer) for d in tg if d.basis]
    assert bases == [("Quyết định", "35/QĐ-BNV", "22/01/2024", "Bộ trưởng Bộ Nội vụ"),
                     ("Quyết định", "35/QĐ-UBND", "11/01/2024", "Ủy ban nhân dân tỉnh")]
    cited = {d.number: d for d in tg if not d.basis}
    assert cited["61/2018/NĐ-CP"].kind == "Nghị định" and cited["61/2018/NĐ-CP"].issuer == "Chính phủ"
    assert cited["72-QĐ/TW"].issuer == "Ban Chấp hành Trung ương"
    vl = [d for d in all_plans["003"].legal_docs if d.basis]
    assert vl[0].kind == "Luật" and vl[0].title == "Luật Tổ chức chính quyền địa phương"
    assert "3060/QĐ-UBND" not in {d.number for d in all_plans["003"].legal_docs}  # the plan itself
    assert all_plans["003"].plan.doc_type == "Quyết định"


def test_duty_role_is_read_from_the_sentence_not_assumed(all_plans):
    duties = all_plans["000"].duties
    health = next(d for d in duties if d.agency == "Sở Y tế")
    assert health.role == "thực hiện"  # "Nâng cao chất lượng dịch vụ y tế công …": nobody said it leads
    police = next(d for d in duties if d.agency == "Công an tỉnh")
    assert police.role == "chủ trì"
    assert {d.role for d in duties} <= {"chủ trì", "phối hợp", "đề nghị", "thực hiện"}


def test_two_level_header_keeps_lead_and_coordinator_sub_columns_apart():
    from corpus.document import Document, Table

    header = ["STT", "Nội dung", "Cơ quan thực hiện", "", "Thời gian", "Kinh phí (triệu đồng)"]
    sub = ["", "", "Chủ trì", "Phối hợp", "", ""]
    rows = [header, sub, ["1", "Hội thi tìm hiểu", "Sở Nội vụ", "Tỉnh đoàn", "Quý III", "185"],
            header, sub, ["2", "Phóng sự", "Sở Tư pháp", "Sở Nội vụ", "Quý II", "40"],
            ["", "Tổng cộng", "", "", "", "225"]]
    r = parse_document(Document(blocks=[Table(rows=rows, line=1)]), "two-level")
    assert [(t.row, t.lead, t.coordinators, t.budget) for t in r.tasks] == [
        ("1", ["Sở Nội vụ"], ["Tỉnh đoàn"], 185_000_000), ("2", ["Sở Tư pháp"], ["Sở Nội vụ"], 40_000_000)]
    assert r.plan.appendix_total == 225_000_000 and not [w for w in r.warnings if "Tổng" in w]


def test_long_unknown_agency_names_in_prose_are_not_cut_after_two_words():
    from corpus.agencies import agencies_after
    from corpus.vocab import load_vocabulary

    v = load_vocabulary()
    text = "Phối hợp với Trung tâm Hỗ trợ phát triển doanh nghiệp tỉnh và Sở Tư pháp tổ chức hội nghị đối thoại"
    assert agencies_after(text, "phối hợp với", v) == ["Trung tâm Hỗ trợ phát triển doanh nghiệp tỉnh", "Sở Tư pháp"]
    assert agencies_after("phối hợp với Hội thi tuyên truyền viên giỏi", "phối hợp với", v) == []
