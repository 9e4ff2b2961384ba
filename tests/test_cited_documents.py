"""Questions about a document the plan cites, wherever the plan cites it: a basis in the header, a footnote, a
row's note in the appendix. The number a question names decides; words describing another document ("Kế hoạch
cải cách hành chính năm 2024") are not the plan itself; a strategy's horizon ("đến năm 2030") is not a plan year.
An invented plan, so no answer here was tuned on the bundled ones.
"""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from tests.invented import assistant_for

PLAN = """ỦY BAN NHÂN DÂN TỈNH CAO BẰNG
Số: 88/KH-UBND
Cao Bằng, ngày 20 tháng 02 năm 2024

KẾ HOẠCH
Thông tin, tuyên truyền cải cách hành chính tỉnh Cao Bằng năm 2024

Căn cứ Quyết định số 77/QĐ-UBND ngày 10 tháng 01 năm 2024 của Ủy ban nhân dân tỉnh ban hành Kế hoạch cải cách \
hành chính năm 2024 trên địa bàn tỉnh Cao Bằng;
Ủy ban nhân dân tỉnh Cao Bằng ban hành Kế hoạch thông tin, tuyên truyền cải cách hành chính năm 2024 như sau:

I. MỤC ĐÍCH, YÊU CẦU

1. Mục đích

Nâng cao nhận thức của cán bộ, công chức về cải cách hành chính và thu hút nhân tài theo Quyết định số \
899/QĐ-TTg ngày 31/7/2023 phê duyệt Chiến lược quốc gia về thu hút, trọng dụng nhân tài đến năm 2030.

2. Chỉ tiêu

Nâng cao Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước (sau đây viết tắt \
là SIPAS) và Chỉ số cải cách hành chính (PAR INDEX) của tỉnh.

II. TỔ CHỨC THỰC HIỆN

1. Sở Nội vụ

Chủ trì theo dõi, tổng hợp kết quả; các cơ quan báo cáo định kỳ hằng quý<sup>1</sup> về Sở Nội vụ.

2. Sở Tài chính

Tham mưu bố trí kinh phí thực hiện Kế hoạch.

<sup>1</sup> Công văn số 55/SNV-CCHC ngày 03 tháng 02 năm 2024 của Sở Nội vụ về việc hướng dẫn chế độ báo cáo \
cải cách hành chính định kỳ.

PHỤ LỤC
STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian\tKinh phí (đồng)
1\tHội thi tìm hiểu cải cách hành chính\tSở Nội vụ\tTỉnh đoàn, UBND các huyện, TP\tQuý III\t50.000.000 \
(theo Công văn số 310/STC-HCSN ngày 12 tháng 3 năm 2024 của Sở Tài chính)
2\tChuyên mục truyền hình “Dân hỏi - Sở ngành trả lời”, phát lúc 20 giờ 30 thứ Sáu cuối tháng\tĐài Phát thanh \
và Truyền hình tỉnh\tSở Nội vụ\tHằng tháng\t60.000.000
3\tChuyên mục truyền hình “Chính quyền với người dân”, phát lúc 19 giờ thứ Hai\tĐài Phát thanh và Truyền hình \
tỉnh\tSở Tư pháp\tHằng tháng\t40.000.000
"""


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> Assistant:
    return assistant_for(PLAN, tmp_path_factory.mktemp("cited"), "902_cao_bang.txt")


def test_a_document_named_by_number_in_a_row_note_gives_its_date(bot):
    ans = bot.answer("Công văn 310/STC-HCSN của Sở Tài chính mà kế hoạch nhắc đến ban hành ngày nào?")
    assert ans.found and "12 tháng 3 năm 2024" in ans.answer


def test_a_document_cited_in_a_footnote_is_found_by_what_it_is_about(bot):
    ans = bot.answer("Công văn nào của Sở Nội vụ hướng dẫn chế độ báo cáo cải cách hành chính định kỳ?")
    assert ans.found and "55/SNV-CCHC" in ans.answer


def test_a_strategy_horizon_is_not_taken_for_the_plan_year(bot):
    ans = bot.answer("Chiến lược thu hút nhân tài đến năm 2030 mà kế hoạch Cao Bằng nhắc tới được phê duyệt tại "
                     "quyết định nào?")
    assert ans.found and "899/QĐ-TTg" in ans.answer


def test_words_describing_another_plan_find_the_cited_decision_not_the_plan_itself(bot):
    ans = bot.answer("Kế hoạch cải cách hành chính năm 2024 trên địa bàn Cao Bằng ban hành tại quyết định số mấy?")
    assert ans.found and "77/QĐ-UBND" in ans.answer


def test_the_plan_own_number_is_still_the_answer_about_the_plan(bot):
    ans = bot.answer("Kế hoạch tuyên truyền CCHC Cao Bằng số mấy, ban hành ngày nào?")
    assert ans.found and "88/KH-UBND" in ans.answer and "77/QĐ" not in ans.answer


def test_a_row_answer_quotes_the_agencies_as_the_plan_writes_them(bot):
    ans = bot.answer("Hội thi tìm hiểu cải cách hành chính ở Cao Bằng do ai chủ trì, phối hợp với ai?")
    assert ans.found and "Sở Nội vụ" in ans.answer and "Tỉnh đoàn, UBND các huyện, TP" in ans.answer


def test_an_agency_named_as_partner_is_told_what_it_works_on(bot):
    ans = bot.answer("Tỉnh đoàn Cao Bằng được giao nhiệm vụ gì trong kế hoạch tuyên truyền CCHC?")
    assert ans.found and "Hội thi tìm hiểu cải cách hành chính" in ans.answer and "Sở Nội vụ" in ans.answer


def test_a_term_is_defined_when_asked_not_when_used_on_the_way(bot):
    assert "SIPAS là Chỉ số hài lòng" in bot.answer("SIPAS là gì?").answer
    ans = bot.answer("Kế hoạch CCHC của Cao Bằng nâng cao những chỉ số nào? Ghi rõ tên viết tắt.")
    assert "CCHC là" not in ans.answer


def test_a_title_the_question_quotes_picks_the_row_that_has_it(bot):
    ans = bot.answer("Tôi muốn xem chương trình “Dân hỏi - Sở ngành trả lời” của Cao Bằng thì xem lúc nào?")
    assert ans.found and "20 giờ 30" in ans.answer.split("\n")[0]


def test_a_bare_follow_up_asks_the_row_just_answered(bot):
    sid = "follow-row"
    first = bot.answer("Chuyên mục “Chính quyền với người dân” ở Cao Bằng do ai chủ trì?", session_id=sid)
    assert first.found and "Đài Phát thanh và Truyền hình" in first.answer
    again = bot.answer("còn kinh phí?", session_id=sid)
    assert again.found and "40.000.000" in again.answer.split("\n")[0]
    when = bot.answer("phát sóng lúc mấy giờ?", session_id=sid)
    assert when.found and "19 giờ" in when.answer.split("\n")[0]


def test_an_organisation_no_plan_names_is_refused_by_name(bot):
    ans = bot.answer("Hội Nông dân tỉnh Cao Bằng được giao nhiệm vụ gì trong kế hoạch?")
    assert not ans.found and "Hội Nông dân" in ans.answer


def test_a_saved_follow_up_location_that_no_longer_matches_its_row_is_ignored(bot):
    from bot import followup

    q = bot.understand("còn kinh phí?")
    doc_id = next(iter(bot.k.plans))
    assert followup.answer_from(bot.k, q, [doc_id, "task", 0, "a row that was replaced"]) is None
    assert followup.answer_from(bot.k, q, [doc_id, "task", 99, "x"]) is None
