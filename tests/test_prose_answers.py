"""Prose-only plans answer from their activity, definition and legal records (issue 11), cited.

The plans are generated (tests/prose_plans.py) for provinces the bundled corpus does not hold, in
three layouts; the questions are built from the expected records, so nothing here knows a seed plan.
"""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.factory import build_index
from bot.knowledge import Knowledge
from config.settings import Settings
from library.store import CorpusStore
from tests.admin_plans import render
from tests.prose_plans import STYLES, prose_plan


@pytest.fixture(scope="module", params=STYLES)
def case(request, tmp_path_factory):
    g = prose_plan(request.param, seed=1)
    root = tmp_path_factory.mktemp(f"prose-{request.param}")
    plans = root / "plans"
    plans.mkdir()
    (plans / f"900_{request.param}.txt").write_bytes(render(g.doc, ".txt"))
    settings = Settings(data_dir=root / "data", embedder="hash")
    store = CorpusStore(dirs=[plans])
    index = build_index(settings, store=store)
    parsed = {d.doc_id: d.parsed for d in store.documents()}
    return Assistant(Knowledge(plans=parsed, index=index, vocab=store.vocab)), g.expected


def _ok(ans, *must: str) -> None:
    assert ans.found, ans.answer
    for m in must:
        assert m.lower() in ans.answer.lower(), (m, ans.answer)
    assert ans.sources and "Nguồn:" in ans.answer


def test_who_leads_each_prose_activity(case):
    bot, exp = case
    for a in exp.activities:
        if a.lead:
            _ok(bot.answer(f"Ở {exp.province}, đơn vị nào chủ trì {a.name[:1].lower()}{a.name[1:]}?"), a.lead[0])


def test_when_and_where_each_prose_activity_happens(case):
    bot, exp = case
    for a in exp.activities:
        if a.time:
            _ok(bot.answer(f"{a.name} ở tỉnh {exp.province} diễn ra khi nào?"), a.time)
        if a.place:
            _ok(bot.answer(f"{a.name} ở tỉnh {exp.province} tổ chức ở đâu?"), a.place.removeprefix("tại "))


def test_terms_are_explained_from_the_plan(case):
    bot, exp = case
    for term, expansion in exp.definitions.items():
        _ok(bot.answer(f"{term} là gì?"), expansion)


def test_the_plan_lists_every_document_it_rests_on(case):
    bot, exp = case
    ans = bot.answer(f"Kế hoạch tuyên truyền CCHC của {exp.province} căn cứ những văn bản nào?")
    _ok(ans, *[number for _kind, number, _date, _issuer, basis in exp.legal if basis and number])


def test_number_and_signer_of_the_prose_plan(case):
    bot, exp = case
    _ok(bot.answer(f"Kế hoạch số {exp.number} do ai ký?"), exp.signer)
