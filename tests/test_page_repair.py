"""What a PDF-to-text conversion does to a plan's prose must not change its lists.

A footnote body sits where the page ended and a page break cuts a sentence in two; left alone, each
reads as one more item of the list above it. A long list is answered whole, every entry shortened,
rather than cut after its first few entries.
"""

from __future__ import annotations

import library.store
from bot.answerers.sections import render_entries
from corpus.document import Paragraph
from corpus.loaders import load_text
from corpus.structure import repair_paragraphs
from library.store import BUNDLED_DIR, CorpusStore

_PAGE = """2. Hình thức tuyên truyền
- Thông qua các loại hình báo chí và phương tiện thông tin đại chúng: Đài Phát thanh và Truyền hình \
tỉnh, Báo tỉnh.
- Tiếp tục triển khai Kế hoạch thực hiện Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ \
về thực hiện cơ chế một cửa, một cửa liên thông, Nghị định số 107/2021/NĐ-CP của

---

<sup>1</sup> Kế hoạch số 42/KH-UBND ngày 06 tháng 6 năm 2022 về hỗ trợ chuyển đổi số trong trường học.

Chính phủ, Nghị định số 45/2020/NĐ-CP về thực hiện thủ tục hành chính trên môi trường điện tử.
- Phát hành tờ gấp, pa nô, áp phích.
"""


def _paragraphs(text: str) -> list[str]:
    return [b.text for b in repair_paragraphs(load_text(text)) if isinstance(b, Paragraph)]


def test_a_footnote_body_is_kept_out_of_the_list_it_interrupted():
    doc = load_text(_PAGE)
    assert [n.text[:30] for n in doc.notes] == ["Kế hoạch số 42/KH-UBND ngày 06"]
    assert not any(p.startswith("Kế hoạch số 42") for p in _paragraphs(_PAGE))
    assert "Kế hoạch số 42/KH-UBND" in doc.text()  # still searchable and hashed


def test_a_sentence_a_page_break_cut_is_joined_even_when_it_resumes_on_a_capital():
    paras = _paragraphs(_PAGE)
    joined = [p for p in paras if "61/2018" in p]
    assert len(joined) == 1 and "Nghị định số 45/2020/NĐ-CP" in joined[0]
    assert paras.count("- Phát hành tờ gấp, pa nô, áp phích.") == 1  # the next bullet stays an entry


def test_a_short_heading_without_punctuation_is_not_joined_to_the_paragraph_after_it():
    paras = _paragraphs("1. Mục đích\nNâng cao nhận thức của cán bộ.\n")
    assert paras == ["1. Mục đích", "Nâng cao nhận thức của cán bộ."]


def test_a_long_list_shows_every_entry_within_the_answer_budget():
    entries = [f"Mục thứ {i}: tổ chức tuyên truyền về cải cách hành chính qua kênh riêng số {i} " + "nội dung " * 20
               + f"điểm riêng {i}" for i in range(9)]
    shown = render_entries(entries)
    assert len(shown) == 9
    assert sum(len(e) + 3 for e in shown) <= 700
    assert all(e.startswith(f"Mục thứ {i}") for i, e in enumerate(shown))
    assert "CCHC" in shown[0]  # long phrases take their short forms before anything is cut


def test_a_short_list_is_shown_word_for_word():
    entries = ["Phát hành tờ gấp.", "Tổ chức hội nghị cải cách hành chính."]
    assert render_entries(entries) == entries


def test_the_index_key_changes_with_the_parser_code(monkeypatch, tmp_path):
    store = CorpusStore(dirs=[BUNDLED_DIR, tmp_path])
    before = store.content_hash()
    monkeypatch.setattr(library.store, "_CODE_FP", ["another parser"])
    assert store.content_hash() != before  # units come from the parse: a new parser must rebuild the index
