"""List questions over prose, a row's own funding line, and follow-ups that point back (v4 weak spots).

One small invented plan (a province the bundled corpus does not hold); the questions name its headings in
other words, without diacritics, and with a qualifier, so nothing here knows a seed plan.
"""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from tests.invented import assistant_for

PLAN = """**KẾ HOẠCH**
**Thông tin, tuyên truyền công tác cải cách hành chính tỉnh Bắc Kạn năm 2024**

Thực hiện Kế hoạch số 12/KH-UBND ngày 05 tháng 01 năm 2024 của Ủy ban nhân dân tỉnh về cải cách hành chính năm 2024; \
Ủy ban nhân dân tỉnh Bắc Kạn ban hành Kế hoạch thông tin, tuyên truyền cải cách hành chính năm 2024 như sau:

## I. MỤC ĐÍCH, YÊU CẦU, CHỈ TIÊU

### 1. Mục đích

a) Nâng cao nhận thức của cán bộ, công chức, viên chức về cải cách hành chính.

### 2. Chỉ tiêu cụ thể

- 100% xã có chuyên mục cải cách hành chính trên loa truyền thanh.

- Các cơ quan báo chí duy trì chuyên trang cải cách hành chính.

- 100% hồ sơ được số hóa khi tiếp nhận tại Bộ phận một cửa cấp xã.

## II. NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN

### 1. Nội dung tuyên truyền

a) Tuyên truyền về cải cách thủ tục hành chính và dịch vụ công trực tuyến.

### 2. Hình thức tuyên truyền

a) Thông qua báo in, báo điện tử và đài phát thanh cấp tỉnh, với các phóng sự, chuyên mục, tin bài về cải cách \
hành chính được phát định kỳ hằng tháng trên sóng và trên trang tin của các cơ quan.

b) Thông qua tờ gấp, pa nô, áp phích đặt tại trụ sở Ủy ban nhân dân cấp xã, nhà văn hóa thôn, bản và các điểm \
bưu điện văn hóa xã trên địa bàn tỉnh.

c) Thông qua hội nghị tập huấn cho cán bộ làm công tác một cửa ở cấp huyện và cấp xã, lồng ghép trong các hội \
nghị phổ biến, giáo dục pháp luật.

d) Thông qua cuộc thi trực tuyến tìm hiểu cải cách hành chính dành cho đoàn viên thanh niên.

e) Thông qua mạng xã hội Zalo, Facebook của các cơ quan nhà nước và nhóm cộng đồng dân cư ở thôn, bản.

## III. GIẢI PHÁP THỰC HIỆN

1. Nâng cao trách nhiệm người đứng đầu trong công tác tuyên truyền cải cách hành chính.

2. Bồi dưỡng kỹ năng cho đội ngũ biên tập viên, phóng viên viết về cải cách hành chính.

3. Gắn công tác tuyên truyền với thi đua, khen thưởng hằng năm.

## IV. TỔ CHỨC THỰC HIỆN

### 1. Sở Nội vụ

Chủ trì tổ chức hội thi tìm hiểu cải cách hành chính trực tuyến năm 2024; kinh phí từ nguồn kinh phí cải cách \
hành chính năm 2024 của tỉnh.

### 2. Sở Thông tin và Truyền thông

Chủ trì duy trì chuyên mục "Cải cách hành chính" trên Cổng Thông tin điện tử tỉnh.
"""


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> Assistant:
    return assistant_for(PLAN, tmp_path_factory.mktemp("lists"), "901_bac_kan.txt")


def test_list_question_names_every_entry_of_the_section_it_asks_for(bot):
    ans = bot.answer("Kế hoạch của Bắc Kạn nêu những hình thức tuyên truyền nào? Kể đủ giúp tôi.")
    assert ans.found, ans.answer
    for entry in ("báo in", "tờ gấp", "hội nghị tập huấn", "cuộc thi trực tuyến", "mạng xã hội"):
        assert entry in ans.answer, (entry, ans.answer)
    assert "Hình thức tuyên truyền" in ans.answer


def test_unaccented_list_question_finds_the_part_and_its_numbered_items(bot):
    ans = bot.answer("ke hoach tinh bac kan de ra nhung giai phap thuc hien nao?")
    assert ans.found, ans.answer
    for entry in ("người đứng đầu", "biên tập viên", "thi đua, khen thưởng"):
        assert entry in ans.answer, (entry, ans.answer)


def test_a_qualifier_in_the_list_noun_keeps_only_the_entries_that_carry_it(bot):
    ans = bot.answer("Bắc Kạn đặt ra những chỉ tiêu 100% nào?")
    assert ans.found, ans.answer
    assert "loa truyền thanh" in ans.answer and "số hóa" in ans.answer
    assert "chuyên trang" not in ans.answer.split("Nguồn:")[0]


def test_a_list_of_something_the_plan_has_no_heading_for_is_not_a_section_answer(bot):
    ans = bot.answer("Bắc Kạn đặt ra những chỉ số PAPI nào?")
    assert "Chỉ tiêu cụ thể (" not in ans.answer


def test_an_activity_funding_source_is_its_own_not_the_plan_general_line(bot):
    ans = bot.answer("Hội thi tìm hiểu cải cách hành chính trực tuyến của Bắc Kạn lấy kinh phí từ nguồn nào?")
    assert ans.found, ans.answer
    assert "kinh phí cải cách hành chính năm 2024" in ans.answer


def test_a_follow_up_pointing_back_is_not_answered_from_another_province(bot):
    sid = "lists-followup"
    first = bot.answer("Ở Bắc Kạn, ai chủ trì duy trì chuyên mục Cải cách hành chính trên Cổng Thông tin điện tử?",
                       session_id=sid)
    assert first.found and "Sở Thông tin và Truyền thông" in first.answer
    follow = bot.answer("Kinh phí cho chuyên mục này là bao nhiêu tiền?", session_id=sid)
    assert not follow.found, follow.answer
    assert "theo các kế hoạch khác" not in follow.answer


def test_which_plans_give_an_agency_work_lists_the_plans_from_their_records(bot):
    ans = bot.answer("Những kế hoạch nào giao nhiệm vụ cho Sở Nội vụ?")
    assert ans.found, ans.answer
    assert "Có 1 kế hoạch giao nhiệm vụ cho Sở Nội vụ" in ans.answer and "Bắc Kạn" in ans.answer


def test_a_province_named_agency_has_the_key_of_its_generic_name(bot):
    from bot.knowledge import agency_key

    assert agency_key("Tỉnh đoàn Bắc Kạn", "Bắc Kạn", bot.k.vocab) == agency_key("Tỉnh đoàn", None, bot.k.vocab)
