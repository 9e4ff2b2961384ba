"""Issue 16: FAQ/guide documents in every accepted format become the same FAQ records; the shipped example loads."""

from __future__ import annotations

import pytest

from corpus.faq import FaqFormatError
from corpus.faq_files import is_faq, parse_faq
from corpus.vocab import load_vocabulary
from library.store import BUNDLED_DIR, GUIDES_DIR, CorpusStore
from library.validation import ContentMismatchError, InvalidMetadataError, normalise_overrides, validate
from retrieval.units import units_for
from tests.faq_fixtures import HEADER_EN, NATIONAL_MD, PROVINCE_MD, QUESTIONS, faq_csv, faq_docx, faq_xlsx

VOCAB = load_vocabulary()
EXAMPLE = GUIDES_DIR / "hoi_dap_dich_vu_cong_vi_du.md"


def test_markdown_front_matter_and_question_headings_become_records() -> None:
    parsed = parse_faq(NATIONAL_MD.encode(), "faq.md", "faq", VOCAB)
    p = parsed.plan
    assert (p.kind, p.doc_type, p.province, p.date, p.year) == ("faq", "Hỏi đáp", None, "01/10/2026", 2026)
    assert p.title == "Hỏi đáp thử nghiệm về dịch vụ công" and p.issuing_body == "Nhóm kiểm thử"
    assert [f.question for f in parsed.faqs][:2] == ["Nộp hồ sơ thủ tục hành chính trực tuyến ở đâu?",
                                                      "Thanh toán lệ phí trực tuyến như thế nào?"]
    assert len(parsed.faqs) == 4 and all(f.scope == "toàn quốc" and f.updated == "01/10/2026" for f in parsed.faqs)
    first, second = parsed.faqs[0], parsed.faqs[1]
    assert first.links == ["https://dichvucong.gov.vn"] and "- Chọn thủ tục" in first.answer
    # a Markdown link is kept as plain text with its address; "### " and "**" are decoration
    assert "hướng dẫn thanh toán (https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html)" in second.answer
    assert "Lưu ý" in second.answer and "###" not in second.answer and "**" not in second.answer
    assert second.links == ["https://dichvucong.gov.vn/p/home/dvc-thanh-toan.html"]
    assert "Đoạn mở đầu" not in " ".join(f.answer for f in parsed.faqs)


def test_province_scope_is_read_and_a_national_scope_has_no_province() -> None:
    parsed = parse_faq(PROVINCE_MD.encode(), "tv.md", "tv", VOCAB)
    assert parsed.plan.province == "Trà Vinh" and parsed.faqs[0].scope == "Trà Vinh"
    assert parsed.faqs[0].updated == "20/03/2025"


@pytest.mark.parametrize("make, name", [(faq_csv, "hoi-dap.csv"), (faq_xlsx, "hoi-dap.xlsx"),
                                        (lambda: faq_csv(HEADER_EN, ";"), "hoi-dap-en.csv")])
def test_csv_and_xlsx_rows_become_records_with_their_own_scope_date_and_links(make, name) -> None:
    data = make()
    assert is_faq(data, name)
    parsed = validate(data, name, "bang", VOCAB)  # the upload path: type checks, then the FAQ parser
    got = [(f.question, f.scope, f.updated, f.links) for f in parsed.faqs]
    assert got == [(QUESTIONS[0][0], "toàn quốc", "01/10/2026", ["https://dichvucong.gov.vn"]),
                   (QUESTIONS[1][0], "toàn quốc", "01/10/2026", [QUESTIONS[1][2]]),
                   (QUESTIONS[2][0], "Trà Vinh", "20/03/2025", [])]
    assert parsed.plan.kind == "faq" and parsed.plan.date == "01/10/2026"


def test_docx_with_heading_and_bold_questions_is_detected_and_parsed() -> None:
    data = faq_docx()
    assert is_faq(data, "hoi-dap.docx")
    parsed = validate(data, "hoi-dap.docx", "word", VOCAB)
    assert parsed.plan.title == "Hỏi đáp thử nghiệm (Word)" and parsed.plan.date == "01/10/2026"
    assert [f.question for f in parsed.faqs] == [QUESTIONS[0][0], QUESTIONS[1][0]]
    assert parsed.faqs[1].links == [QUESTIONS[1][2]] and "Phạm vi" not in parsed.faqs[0].answer


def test_a_plan_is_never_taken_for_an_faq() -> None:
    plan_txt = next(BUNDLED_DIR.glob("*.txt"))
    assert not is_faq(plan_txt.read_bytes(), plan_txt.name)
    assert not is_faq(b"# Ghi chu\n\n## Cau hoi?\nTra loi\n", "ghi-chu.md")  # no front matter: not an FAQ
    assert is_faq(b"# Ghi chu\n\n## Cau hoi?\nTra loi\n", "ghi-chu.md", {"kind": "faq"})  # unless the admin says so


@pytest.mark.parametrize("data, name, words", [
    (b"cot1,cot2\nx,y\n", "sai.csv", "câu hỏi"),
    (b"---\nkind: hoi-dap\n---\n\nChi co mot doan van, khong co cau hoi.\n", "rong.md", "## "),
])
def test_an_faq_without_questions_is_refused_in_vietnamese(data, name, words) -> None:
    with pytest.raises(FaqFormatError) as err:
        validate(data, name, "x", VOCAB)
    assert words in str(err.value)


def test_an_xlsx_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(ContentMismatchError):
        validate(b"question,answer\n", "bang.xlsx", "x", VOCAB)


def test_upload_form_kind_and_national_scope_are_validated() -> None:
    assert normalise_overrides("toàn quốc", None, VOCAB, "faq") == {"kind": "faq", "province": "toàn quốc"}
    assert normalise_overrides("tỉnh Trà Vinh", None, VOCAB, "hỏi đáp") == {"kind": "faq", "province": "Trà Vinh"}
    with pytest.raises(InvalidMetadataError):
        normalise_overrides(None, None, VOCAB, "bao cao")
    with pytest.raises(InvalidMetadataError):
        normalise_overrides("toàn quốc", None, VOCAB)  # a plan belongs to a province


def test_faq_records_are_their_own_unit_kind_with_the_question_first() -> None:
    units = units_for(parse_faq(NATIONAL_MD.encode(), "faq.md", "faq", VOCAB))
    assert {u.kind for u in units} == {"faq"} and len(units) == 4
    assert units[0].uid == "faq:faq:0" and units[0].text.startswith("Nộp hồ sơ thủ tục hành chính trực tuyến")


def test_the_shipped_example_faq_loads_with_the_bundled_corpus() -> None:
    docs = {d.doc_id: d for d in CorpusStore().documents()}
    ex = docs[EXAMPLE.stem]
    assert ex.bundled and ex.parsed.plan.kind == "faq" and ex.parsed.plan.province is None
    assert len(ex.parsed.faqs) >= 15 and all(f.question.endswith("?") and f.answer for f in ex.parsed.faqs)
    assert "VÍ DỤ" in ex.parsed.plan.title and any("VÍ DỤ" in w for w in ex.parsed.warnings)
    assert any("https://dichvucong.gov.vn" in f.links for f in ex.parsed.faqs)
    assert sum(d.parsed.plan.kind == "plan" for d in docs.values()) == 5


def test_every_file_in_corpus_guides_is_a_loadable_faq() -> None:
    files = [p for p in GUIDES_DIR.iterdir() if p.is_file() and not p.name.startswith(".")]
    assert files
    for path in files:
        parsed = validate(path.read_bytes(), path.name, path.stem, VOCAB)
        assert parsed.plan.kind == "faq" and parsed.faqs, path.name
