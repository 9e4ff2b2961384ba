"""A prose-only plan states its sums in its funding part: they are answered from there, and a sum it does not
state is refused while saying what it does fund (never "no figure is given" when figures are). Invented plan."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from tests.invented import assistant_for

PLAN = """ỦY BAN NHÂN DÂN TỈNH ĐIỆN BIÊN
Số: 51/KH-UBND
Điện Biên, ngày 05 tháng 3 năm 2024

KẾ HOẠCH
Thông tin, tuyên truyền cải cách hành chính tỉnh Điện Biên năm 2024

I. MỤC ĐÍCH, YÊU CẦU

1. Mục đích

Nâng cao nhận thức của người dân về dịch vụ công trực tuyến.
- Góp phần cải thiện Chỉ số cải cách hành chính (PAR INDEX), Chỉ số hài lòng của người dân (SIPAS) và Chỉ số năng \
lực cạnh tranh cấp tỉnh (PCI) của tỉnh.

II. NHIỆM VỤ

1. Cuộc thi trực tuyến "Tìm hiểu cải cách hành chính tỉnh Điện Biên năm 2024"
- Cơ quan chủ trì: Sở Nội vụ.
- Cơ quan phối hợp: Sở Thông tin và Truyền thông (xây dựng phần mềm thi), Báo Điện Biên Phủ.
- Thời gian: tháng 8/2024.
- Cơ cấu giải thưởng: 01 giải Nhất, 02 giải Nhì, 05 giải Khuyến khích.
- Kinh phí: 120 triệu đồng.

2. Chuyên mục truyền hình
- Đài Phát thanh và Truyền hình Điện Biên chủ trì sản xuất chuyên mục "Dân vận khéo", thời lượng 15 phút/số, phát sóng \
lúc 20 giờ 10 phút tối thứ Năm hằng tuần; vòng phát lại vào sáng thứ Bảy.
- Thời gian: hằng tháng.

3. Tình nguyện hỗ trợ dịch vụ công

Tỉnh đoàn chủ trì tổ chức các đội thanh niên tình nguyện hỗ trợ người dân nộp hồ sơ trực tuyến trong hè 2024.

III. KINH PHÍ THỰC HIỆN

1. Tổng kinh phí cấp tỉnh: 600 triệu đồng từ ngân sách tỉnh năm 2024, trong đó:
- Giao Sở Nội vụ: 400 triệu đồng (bao gồm 120 triệu đồng tổ chức cuộc thi trực tuyến).
- Giao Sở Thông tin và Truyền thông: 200 triệu đồng để duy trì chuyên mục trên Cổng Thông tin điện tử tỉnh.

2. Các sở, ngành bố trí kinh phí trong dự toán chi thường xuyên của cơ quan mình.

IV. TỔ CHỨC THỰC HIỆN

1. Sở Nội vụ
- Chủ trì, theo dõi, đôn đốc việc thực hiện Kế hoạch.

2. Tỉnh đoàn
- Thực hiện điểm 3 mục II.

Nơi nhận:
- Chủ tịch, các PCT UBND tỉnh;
- Lưu: VT.

KT. CHỦ TỊCH
PHÓ CHỦ TỊCH THƯỜNG TRỰC

Lò Văn Mừng
"""


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> Assistant:
    return assistant_for(PLAN, tmp_path_factory.mktemp("prose-budget"), "903_dien_bien.txt")


def test_an_agency_sum_written_in_the_funding_prose_is_the_answer(bot):
    ans = bot.answer("Sở Thông tin và Truyền thông Điện Biên được giao bao nhiêu tiền?")
    assert ans.found and "200 triệu đồng" in ans.answer


def test_a_sum_the_plan_does_not_state_is_refused_without_claiming_it_states_none(bot):
    ans = bot.answer("Tỉnh đoàn Điện Biên được cấp bao nhiêu kinh phí cho đội tình nguyện?")
    assert not ans.found and "không nêu số tiền cụ thể" not in ans.answer


def test_a_prize_the_plan_gives_no_sum_for_is_refused_not_answered_with_the_contest_budget(bot):
    ans = bot.answer("Giải nhất cuộc thi trực tuyến tìm hiểu cải cách hành chính Điện Biên được thưởng bao nhiêu?")
    assert not ans.found


def test_a_contest_described_field_by_field_is_one_activity_with_its_lead_partners_and_details(bot):
    ans = bot.answer("Cuộc thi trực tuyến của Điện Biên có cơ cấu giải thưởng thế nào, ai phối hợp?")
    assert ans.found and "01 giải Nhất" in ans.answer and "Sở Thông tin và Truyền thông" in ans.answer
    assert "(xây dựng phần mềm thi)" not in ans.answer.split("Cơ cấu")[0]  # partners named without their task


def test_a_when_question_gets_the_clause_with_the_clock_time_not_only_the_period(bot):
    ans = bot.answer("Chuyên mục Dân vận khéo của Điện Biên phát sóng thứ mấy, lúc mấy giờ?")
    assert ans.found and "20 giờ 10" in ans.answer and "thứ Năm" in ans.answer


def test_the_total_comes_with_the_plans_own_sentence_on_how_it_is_split(bot):
    ans = bot.answer("Tổng kinh phí kế hoạch tuyên truyền CCHC Điện Biên là bao nhiêu?")
    assert ans.found and "600" in ans.answer


def test_a_list_written_inside_a_sentence_is_answered_with_that_sentence(bot):
    ans = bot.answer("Kế hoạch tuyên truyền của Điện Biên hướng tới cải thiện những chỉ số nào?")
    assert ans.found and all(x in ans.answer for x in ("PAR INDEX", "SIPAS", "PCI"))


def test_a_duty_that_points_at_an_item_of_the_plan_names_it(bot):
    ans = bot.answer("Tỉnh đoàn Điện Biên được giao nhiệm vụ gì?")
    assert ans.found and "Tình nguyện hỗ trợ dịch vụ công" in ans.answer


def test_the_signer_title_is_the_signature_line_not_the_recipients_list(bot):
    ans = bot.answer("Kế hoạch tuyên truyền CCHC Điện Biên do ai ký?")
    assert "Phó Chủ tịch Thường trực Lò Văn Mừng" in ans.answer
