"""The typed query and follow-up resolution: pure functions, no index."""

from __future__ import annotations

import pytest

from bot.dialogue import resolve
from bot.patterns import chat_spelling, load_patterns
from bot.query import parse_query
from corpus.vocab import fold, load_vocabulary

VOCAB = load_vocabulary()
LEXICON = {fold(k): fold(v) for k, v in VOCAB.agency_alias.items()} | {
    "so noi vu": "so noi vu", "cong an tinh": "cong an tinh", "so tai chinh": "so tai chinh"}
PATTERNS = load_patterns()


def q(text: str):
    return parse_query(text, VOCAB, LEXICON)


@pytest.mark.parametrize("intent", sorted(PATTERNS.examples))
def test_each_intent_pattern_matches_its_example(intent):
    assert PATTERNS.intents[intent].search(PATTERNS.examples[intent])


def test_plan_number_and_date_are_slots_and_a_year_is_not_a_number():
    assert q("Kế hoạch số 101/KH-UBND do ai ký?").plan_ref == "101/KH-UBND"
    assert q("kế hoạch 2024 của Vĩnh Long").plan_ref == "" and q("kế hoạch 2024 của Vĩnh Long").year == 2024
    assert q("kế hoạch ban hành ngày 02/4/2024").date_ref == "2/4/2024"


def test_partner_and_context_agencies_are_not_the_subject():
    partner = q("Cơ quan nào chuẩn bị thông tin phối hợp với Sở Tài chính?")
    assert partner.partners == ["so tai chinh"] and partner.subject == ""
    context = q("Ai chủ trì tuyên truyền cùng Công an tỉnh?")
    assert context.subject == ""
    subject = q("Sở Nội vụ phối hợp với Công an tỉnh làm gì?")
    assert subject.subject == "so noi vu" and subject.partners == ["cong an tinh"]


def test_who_asks_about_money_is_a_lead_question_and_amounts_are_budget():
    assert q("Kinh phí do cơ quan nào tham mưu bố trí?").attribute == "lead"
    assert q("Kinh phí cuộc thi là bao nhiêu?").attribute == "budget"


def test_abbreviation_expansions_are_topic_words():
    assert "hai_long" in q("SIPAS là gì?").topic_terms


def test_speller_fixes_swapped_letters_only_into_known_words():
    known = {"truyen", "tuyen"}

    def fix(w: str) -> str:
        return next((k for k in known if sorted(k) == sorted(w)), w)

    assert "tuyen truyen" in parse_query("tuyên turyền", VOCAB, LEXICON, speller=fix).folded


def test_message_slots_win_over_the_conversation():
    prev = q("Ở Hà Tĩnh, ai chủ trì cuộc thi viết sáng kiến?")
    new = resolve(q("kinh phi tuyen truyen cchc kien giang 2024"), prev)
    assert new.provinces == ["Kiên Giang"] and new.inherited == [] and "sang_kien" not in new.topic_terms


def test_empty_slots_are_inherited_and_marked():
    prev = q("Ở Hà Tĩnh, ai chủ trì cuộc thi viết sáng kiến?")
    new = resolve(q("Thời gian thực hiện khi nào?"), prev)
    assert new.provinces == ["Hà Tĩnh"] and "sang_kien" in new.topic_terms
    assert {"provinces", "topic"} <= set(new.inherited) and new.attribute == "timeline"


def test_elliptic_follow_up_replaces_only_what_it_names():
    prev = q("Ở Hà Tĩnh, ai chủ trì cuộc thi viết sáng kiến?")
    new = resolve(q("Còn Vĩnh Long thì sao?"), prev)
    assert new.provinces == ["Vĩnh Long"] and new.attribute == "lead" and "sang_kien" in new.topic_terms


def test_that_agency_is_the_one_last_answered():
    prev = q("Ở Hà Tĩnh, ai chủ trì cuộc thi viết sáng kiến?")
    new = resolve(q("cơ quan đó còn làm gì?"), prev, prev_agency="so noi vu")
    assert new.subject == "so noi vu" and "subject" in new.inherited


def test_a_list_question_names_what_it_enumerates():
    assert q("Kế hoạch nêu những hình thức tuyên truyền nào? Kể đủ giúp tôi.").list_noun == "hinh thuc tuyen truyen"
    assert q("doi tuong cua ke hoach gom nhung ai?").list_noun == "doi tuong"
    assert q("Những cơ quan nào phối hợp với Sở Nội vụ?").list_noun == ""  # agencies: their own answerers
    assert q("Kể đủ giúp tôi các chỉ tiêu").asks_list


def test_a_new_province_named_only_to_locate_an_old_one_is_not_the_scope():
    assert q("Ở Trà Vinh (nay thuộc Vĩnh Long), ai chủ trì?").provinces == ["Trà Vinh"]
    assert q("o tra vinh nay thuoc tinh vinh long thi sao").provinces == ["Trà Vinh"]
    assert q("So sánh Trà Vinh và Vĩnh Long").provinces == ["Trà Vinh", "Vĩnh Long"]


def test_a_province_said_as_it_was_before_the_merger_is_that_province_alone():
    old = q("An Giang cũ (trước khi sáp nhập với Kiên Giang) chi bao nhiêu cho tuyên truyền?")
    assert old.provinces == ["An Giang"] and old.old_provinces == ["An Giang"]
    assert q("Đồng Tháp (trước sáp nhập) có kế hoạch không?").old_provinces == ["Đồng Tháp"]
    assert q("An Giang có kế hoạch tuyên truyền không?").old_provinces == []


def test_a_province_named_to_be_set_aside_is_not_the_scope():
    assert q("Kế hoạch của Đồng Tháp cũ, không phải phần Tiền Giang, do ai ký?").provinces == ["Đồng Tháp"]
    assert q("ở đồng tháp (tiền giang cũ) ai chủ trì?").provinces == ["Đồng Tháp", "Tiền Giang"]


def test_a_strategy_horizon_or_a_period_is_not_the_plan_year():
    assert q("Chiến lược nhân tài đến năm 2030 của Tiền Giang").year is None
    assert q("chương trình tổng thể 2021-2030 ở Trà Vinh").year is None
    assert q("Kế hoạch năm 2024 giai đoạn 2021 - 2025").year == 2024


def test_document_numbers_are_read_from_the_question():
    assert q("Công văn 641/STC-TCHCSN ban hành ngày nào?").doc_numbers == ["641/"]
    assert q("NĐ 42/2022 quy định về việc gì?").doc_numbers == ["42/2022"]
    assert q("NĐ 42/2022 quy định về việc gì?").attribute == "legal"
    assert q("Kế hoạch ngày 2/4/2024 do ai ký?").doc_numbers == []


def test_a_province_written_as_its_capital_initials_is_named_unless_the_initials_mean_something_else():
    assert q("KH tuyên truyền của VL năm 2024 do ai ký?").provinces == ["Vĩnh Long"]  # KH is kế hoạch
    assert q("NĐ 42/2022 quy định gì?").provinces == []
    assert q("chương trình trên TV về cải cách hành chính").provinces == []
    assert q("ht: kinh phí cập nhật TTHC lấy từ đâu?").provinces == ["Hà Tĩnh"]


def test_chat_spellings_are_read_as_the_words_they_stand_for():
    known = {"kinh", "phi", "chuyen", "muc", "truyen", "hinh", "la", "so", "noi", "vu", "giao", "gi"}

    def speller(w: str) -> str:
        return w if w in known else chat_spelling(w, known, PATTERNS) or w

    budget = parse_query("kinh fi lam chuyen muc truyen hinh la bn?", VOCAB, LEXICON, speller=speller)
    assert budget.attribute == "budget" and "phi" in budget.folded.split()
    assert "duoc" in parse_query("so noi vu dc giao gi", VOCAB, LEXICON, speller=speller).folded.split()
    assert chat_spelling("fax", known, PATTERNS) is None  # "phax" is no word: left as written


def test_a_citizen_id_card_is_not_a_legal_basis_question():
    assert q("đổi căn cước công dân mất mấy ngày?").attribute != "legal"  # "can cuoc" is not "căn cứ"
    assert q("Kế hoạch căn cứ những văn bản nào?").attribute == "legal"


def test_who_compiles_the_estimates_is_not_a_question_about_the_total():
    from bot.answerers.budget import TotalBudget

    asked = q("kinh phí tuyên truyền cấp tỉnh thì các cơ quan gửi dự toán cho ai tổng hợp, ai thẩm định?")
    assert not TotalBudget().applies(asked, None)  # "tổng hợp" is not "tổng"
    assert TotalBudget().applies(q("Tổng kinh phí của kế hoạch là bao nhiêu?"), None)


def test_an_organisation_the_vocabulary_does_not_know_is_still_the_agency_asked_about():
    asked = q("Hội Nông dân tỉnh Kiên Giang được giao nhiệm vụ gì?")
    assert asked.subject == "hoi nong dan" and asked.agency_labels["hoi nong dan"] == "Hội Nông dân"
    assert q("Bộ đội Biên phòng tỉnh Hà Tĩnh làm gì?").subject == "bo doi bien phong"
    # named on the way, not asked about
    assert q("Cơ quan thường trực Ban Chỉ đạo cải cách hành chính tỉnh là cơ quan nào?").subject == ""
    assert q("Cổng Dịch vụ công quốc gia là gì?").subject == ""


def test_a_message_that_only_names_a_province_asks_the_previous_question_there():
    prev = q("Ở Tiền Giang, cơ quan nào chủ trì cuộc thi tìm hiểu về cải cách hành chính?")
    again = resolve(q("Vĩnh Long?"), prev)
    assert again.provinces == ["Vĩnh Long"] and again.attribute == "lead" and "cuoc_thi" in again.topic_terms
    assert resolve(q("2023?"), prev).year == 2023 and resolve(q("2023?"), prev).provinces == ["Tiền Giang"]


def test_an_agency_written_short_is_the_vocabulary_agency_it_begins():
    assert q("Sở Giáo dục Nghệ An làm gì?").subject == fold("Sở Giáo dục và Đào tạo")
