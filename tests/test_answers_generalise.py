"""Issue 10's mechanisms, each asked in words other than the issue's examples (offline, hash embedder)."""

from __future__ import annotations

import pytest


@pytest.fixture
def bot(bundled_assistant):
    return bundled_assistant


def _provinces(ans) -> set[str]:
    return {s.province for s in ans.sources}


# 1. a follow-up never overrides what the new message says
def test_new_province_in_a_follow_up_is_answered_from_that_plan(bot):
    sid = "conv-new-province"
    bot.answer("Hà Tĩnh: ai chủ trì cuộc thi tìm hiểu CCHC?", session_id=sid)
    ans = bot.answer("tong kinh phi cho tuyen truyen cai cach hanh chinh cua kien giang nam 2024", session_id=sid)
    assert ans.found and "1.005.896.756" in ans.answer
    assert _provinces(ans) == {"Kiên Giang"}


def test_follow_up_without_topic_keeps_topic_and_province(bot):
    sid = "conv-inherit"
    bot.answer("Ở Kiên Giang ai chủ trì hội thi sân khấu hóa về CCHC?", session_id=sid)
    ans = bot.answer("vậy kinh phí bao nhiêu?", session_id=sid)
    assert ans.found and "235.000.000" in ans.answer and _provinces(ans) == {"Kiên Giang"}


def test_con_tinh_khac_thi_sao_swaps_only_the_province(bot):
    sid = "conv-swap"
    bot.answer("Tiền Giang giao cơ quan nào tham mưu tuyên truyền Đề án 06?", session_id=sid)
    ans = bot.answer("còn trà vinh thì sao", session_id=sid)
    assert ans.sources and ans.sources[0].province == "Trà Vinh"


def test_co_quan_do_refers_to_the_agency_just_answered(bot):
    sid = "conv-entity"
    first = bot.answer("Hà Tĩnh: cơ quan nào chủ trì cuộc thi viết sáng kiến cải cách hành chính?", session_id=sid)
    assert "Sở Nội vụ" in first.answer
    ans = bot.answer("cơ quan đó còn chủ trì những nhiệm vụ nào khác?", session_id=sid)
    assert ans.found and ans.answer.count("Sở Nội vụ") >= 1 and "Mục" in ans.answer


def test_channel_province_is_a_default_not_an_override(bot):
    ans = bot.answer("Tổng kinh phí CCHC năm 2024 của Kiên Giang là bao nhiêu?", province="Hà Tĩnh")
    assert ans.found and _provinces(ans) == {"Kiên Giang"}


# 2. outlets and appendix groups
def test_outlet_named_differently_gets_its_group_subtotal_not_the_grand_total(bot):
    ans = bot.answer("dai truyen hinh tinh kien giang duoc chi tong cong bao nhieu tien?")
    assert ans.found and "308.896.756" in ans.answer and "1.005.896.756" not in ans.answer


def test_newspaper_group_lists_its_rows_and_products(bot):
    ans = bot.answer("Báo Kiên Giang được bố trí bao nhiêu kinh phí, đăng mấy tin bài?")
    assert ans.found and "132.000.000" in ans.answer and "Mục 1.1" in ans.answer


# 3. the document named selects the plan
def test_decision_number_selects_its_plan(bot):
    ans = bot.answer("Quyết định 3060/QĐ-UBND do ai ký?")
    assert ans.found and "Nguyễn Thị Quyên Thanh" in ans.answer and _provinces(ans) == {"Vĩnh Long"}


def test_unknown_plan_number_is_refused(bot):
    ans = bot.answer("Kế hoạch số 4242/KH-UBND do ai ký?")
    assert not ans.found and "4242/KH-UBND" in ans.answer


# 4. the subject is not hijacked by a partner
def test_partner_agency_is_not_taken_for_the_lead(bot):
    ans = bot.answer("Ở Tiền Giang, đơn vị nào tổ chức cuộc thi tìm hiểu chuyển đổi số cùng với Công an tỉnh?")
    assert ans.found and "Sở Thông tin và Truyền thông" in ans.answer.split("\n")[0]


# 5. answerability
def test_agency_the_plan_never_names_is_refused_with_what_the_plan_has(bot):
    ans = bot.answer("Sở Công Thương Hà Tĩnh được giao những việc gì?")
    assert not ans.found and "Sở Công Thương" in ans.answer and "Sở Nội vụ" in ans.answer


def test_procedure_outside_the_plans_is_refused(bot):
    ans = bot.answer("làm căn cước cho trẻ em cần giấy tờ gì?")
    assert not ans.found


def test_question_naming_a_figure_the_plan_lacks_is_refused(bot):
    assert not bot.answer("Tổng kinh phí tuyên truyền CCHC của Tiền Giang năm 2024 là bao nhiêu tiền?").found


# 6. lists are complete
def test_which_provinces_lists_every_province_with_a_contest(bot):
    ans = bot.answer("Các tỉnh nào có tổ chức cuộc thi hoặc hội thi về cải cách hành chính?")
    assert ans.found
    for p in ("Tiền Giang", "Kiên Giang", "Hà Tĩnh", "Vĩnh Long"):
        assert p in ans.answer


def test_agency_task_list_is_not_truncated(bot):
    ans = bot.answer("Sở TT&TT Hà Tĩnh chủ trì những nhiệm vụ nào trong phụ lục?")
    assert ans.found and "nhiệm vụ khác" not in ans.answer and ans.answer.count("- Mục") >= 5


# 7. definitions and the corpus itself
def test_term_is_explained_from_the_plan_that_writes_it(bot):
    ans = bot.answer("PAR INDEX nghĩa là gì?")
    assert ans.found and "Chỉ số CCHC" in ans.answer and ans.sources[0].province == "Vĩnh Long"


def test_corpus_listing_names_every_plan(bot):
    ans = bot.answer("Trợ lý có những kế hoạch nào?")
    assert ans.found
    for p in ("Tiền Giang", "Kiên Giang", "Hà Tĩnh", "Vĩnh Long", "Trà Vinh"):
        assert p in ans.answer


# 8. legal basis: the whole list
def test_legal_basis_lists_every_cited_document(bot):
    ans = bot.answer("Kế hoạch tuyên truyền CCHC của Hà Tĩnh dựa trên những văn bản nào?")
    assert ans.found
    for number in ("76/NQ-CP", "876/QĐ-BNV", "12-NQ/TU", "3504/QĐ-UBND"):
        assert number in ans.answer
