"""Issue 16: citizens' "how do I" questions are answered from the admins' FAQs, plan questions from the plans.

An assistant over the bundled plans plus the test FAQs (tests/faq_fixtures.py, not the shipped example),
hash embedder: what is found here is found by the words (abbreviations, synonyms, no diacritics), not vectors.
"""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.channels.formatting import telegram_messages, zalo_messages
from bot.factory import build_index
from bot.knowledge import Knowledge
from config.settings import Settings
from library.store import BUNDLED_DIR, CorpusStore
from tests.faq_fixtures import NATIONAL_MD, PROVINCE_MD

PAY = "Thanh toán lệ phí trực tuyến như thế nào?"
SUBMIT = "Nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?"
LOOKUP = "Tra cứu tình trạng giải quyết hồ sơ ở đâu?"
ID2 = "Tài khoản định danh điện tử mức 2 dùng để làm gì?"
IN_PERSON = "Nộp hồ sơ trực tiếp ở đâu?"
PLAN_Q = "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?"


def _assistant(root, guides) -> Assistant:
    store = CorpusStore(dirs=[BUNDLED_DIR], guides=guides)
    index = build_index(Settings(data_dir=root / "data", embedder="hash"), store=store)
    return Assistant(Knowledge(plans={d.doc_id: d.parsed for d in store.documents()}, index=index,
                               vocab=store.vocab))


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Assistant, Assistant]:
    """(plans + test FAQs, plans only): the same plans, so a plan answer can be compared across the two."""
    root = tmp_path_factory.mktemp("faq-answers")
    guides = root / "guides"
    guides.mkdir()
    (guides / "hoi_dap_thu.md").write_text(NATIONAL_MD, encoding="utf-8")
    (guides / "hoi_dap_tra_vinh.md").write_text(PROVINCE_MD, encoding="utf-8")
    return _assistant(root / "with", [guides]), _assistant(root / "without", [])


@pytest.fixture(scope="module")
def a(both) -> Assistant:
    return both[0]


def _faq(ans, question: str) -> None:
    assert ans.found, ans.answer
    assert ans.sources[0].section == f"Câu hỏi: {question}", (ans.sources[0].section, ans.answer)


@pytest.mark.parametrize("asked, faq", [
    (SUBMIT, SUBMIT),
    ("nop ho so online o dau", SUBMIT),  # no diacritics, "online" for "trực tuyến"
    ("Muốn nộp hồ sơ qua mạng thì nộp ở đâu?", SUBMIT),
    ("thanh toan le phi truc tuyen the nao", PAY),
    ("Làm sao để thanh toán lệ phí online?", PAY),
    ("tra cứu trạng thái hồ sơ ở đâu", LOOKUP),  # "trạng thái" for "tình trạng"
    ("tai khoan dinh danh dien tu muc 2 de lam gi", ID2),
])
def test_paraphrased_and_unaccented_questions_find_the_right_faq(a, asked, faq) -> None:
    _faq(a.answer(asked), faq)


def test_an_faq_answer_quotes_the_admins_answer_cites_title_and_date_and_shows_links_as_text(a) -> None:
    ans = a.answer(PAY)
    assert "Khi nộp hồ sơ, chọn thanh toán trực tuyến" in ans.answer  # the answer as the admin wrote it
    assert "https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html" in ans.answer  # the link, as plain text
    assert "<a" not in ans.answer and "](" not in ans.answer
    assert ans.answer.splitlines()[-1] == "Nguồn: Hỏi đáp “Hỏi đáp thử nghiệm về dịch vụ công”, cập nhật 01/10/2026."
    src = ans.sources[0]
    assert src.document == "Hỏi đáp: Hỏi đáp thử nghiệm về dịch vụ công (cập nhật 01/10/2026)"
    assert src.province is None and src.year == 2026


def test_a_plan_question_is_answered_from_the_plan_exactly_as_without_faqs(both) -> None:
    with_faq, without = both
    for q in (PLAN_Q, "Ở Kiên Giang, cơ quan nào chủ trì tuyên truyền dịch vụ công trực tuyến?",
              "Kinh phí tuyên truyền về thanh toán trực tuyến ở Tiền Giang là bao nhiêu?",
              "Sở Nội vụ tỉnh Vĩnh Long có nhiệm vụ gì về dịch vụ công trực tuyến?"):
        got, expected = with_faq.answer(q), without.answer(q)
        assert (got.found, got.answer) == (expected.found, expected.answer), q
        assert not any(s.section.startswith("Câu hỏi:") for s in got.sources)


def test_an_unanswerable_plan_question_stays_unanswered(a) -> None:
    for q in ("Ở Hà Tĩnh, cơ quan nào chủ trì tuyên truyền về thanh toán lệ phí trực tuyến năm 2030?",
              "Kinh phí cho việc nộp hồ sơ trực tuyến ở Cà Mau là bao nhiêu?"):
        assert not a.answer(q).found, q


@pytest.mark.parametrize("asked", ["Đăng ký kết hôn cần những giấy tờ gì?", "làm sao để xin cấp hộ chiếu?",
                                   "mua vé máy bay ở đâu?"])
def test_a_how_to_question_no_faq_answers_is_refused_honestly(a, asked) -> None:
    ans = a.answer(asked)
    assert not ans.found and not ans.sources
    assert "chưa có hướng dẫn hay hỏi đáp" in ans.answer


def test_a_provinces_faq_applies_under_its_2025_name_and_not_elsewhere(a) -> None:
    ans = a.answer(IN_PERSON, province="Vĩnh Long")  # Trà Vinh is part of Vĩnh Long since 1/7/2025
    _faq(ans, IN_PERSON)
    assert "Áp dụng tại tỉnh Trà Vinh" in ans.answer and "Vĩnh Long" in ans.answer
    assert ans.sources[0].province == "Trà Vinh"
    _faq(a.answer("Ở Trà Vinh nộp hồ sơ trực tiếp ở đâu?"), IN_PERSON)
    elsewhere = a.answer("Ở Hà Tĩnh nộp hồ sơ trực tiếp ở đâu?")
    assert not any(s.province == "Trà Vinh" for s in elsewhere.sources)


def test_a_national_faq_answers_in_a_province_without_a_plan(a) -> None:
    _faq(a.answer("Ở Cà Mau nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?"), SUBMIT)


def test_channels_render_faq_links_as_text_telegram_escaped_zalo_plain(a) -> None:
    ans = a.answer(PAY).model_copy()
    ans.answer = ans.answer.replace("Khi nộp", "Khi nộp <b>hồ sơ</b> & ")  # text an admin could have typed
    tg = "\n".join(telegram_messages(ans))
    assert "&lt;b&gt;hồ sơ&lt;/b&gt; &amp;" in tg and "<a " not in tg and "href" not in tg
    assert "https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html" in tg
    zalo = "\n".join(zalo_messages(ans))
    assert "<b>hồ sơ</b>" in zalo and "https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html" in zalo


def test_a_how_to_question_goes_to_the_faq_even_where_the_plans_mention_the_service(both) -> None:
    with_faq, without = both
    q = "Ở Hà Tĩnh, nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?"
    plan_only = without.answer(q)
    assert plan_only.found and plan_only.sources[0].province == "Hà Tĩnh"  # a quote about publicising the service
    _faq(with_faq.answer(q), SUBMIT)


def test_which_office_a_citizen_must_go_to_is_a_how_to_question_not_a_plan_one(a) -> None:
    _faq(a.answer("Muốn có tài khoản định danh điện tử mức 2 thì phải đến cơ quan nào đăng ký?"), ID2)


VALUE_MD = """---
title: Hỏi đáp về kết quả điện tử
kind: hoi-dap
scope: toàn quốc
updated: 2026-10-01
---

## Kết quả giải quyết thủ tục hành chính bản điện tử có giá trị pháp lý như bản giấy không?
Có. Kết quả bản điện tử do cơ quan có thẩm quyền ký số có giá trị pháp lý như bản giấy.
"""


def test_a_plan_sentence_merely_on_the_topic_gives_way_to_the_faq_that_answers(tmp_path) -> None:
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "hoi_dap_ket_qua.md").write_text(VALUE_MD, encoding="utf-8")
    ans = _assistant(tmp_path, [guides]).answer("Kết quả giải quyết TTHC bản điện tử có giá trị như bản giấy không?")
    assert ans.found and "giá trị pháp lý" in ans.answer, ans.answer


HOTLINE_MD = """---
title: Hỏi đáp về cổng thử
kind: hoi-dap
scope: toàn quốc
updated: 2026-10-01
---

## Cổng Dịch vụ công thử nghiệm là gì?
Cổng Dịch vụ công thử nghiệm là nơi nộp hồ sơ trực tuyến của người dân và doanh nghiệp.

## Gặp lỗi khi dùng Cổng Dịch vụ công thử nghiệm thì liên hệ ở đâu?
Gọi Tổng đài hỗ trợ 1900 9999 hoặc xem mục hướng dẫn trên Cổng.
"""


def test_an_faq_whose_answer_holds_what_is_asked_beats_one_that_only_names_the_subject(tmp_path) -> None:
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "hoi_dap_cong.md").write_text(HOTLINE_MD, encoding="utf-8")
    ans = _assistant(tmp_path, [guides]).answer("Số tổng đài hỗ trợ Cổng Dịch vụ công thử nghiệm là bao nhiêu?")
    assert ans.found and "1900 9999" in ans.answer, ans.answer
