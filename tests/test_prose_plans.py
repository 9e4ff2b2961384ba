"""Generated prose plans (tests/prose_plans.py) parse to their expected records in every format (issue 11)."""

from __future__ import annotations

import json
import re
import time

import pytest

from corpus.loaders import load_bytes
from corpus.parser import parse_document
from corpus.records import ParsedPlan
from tests.admin_plans import render
from tests.prose_plans import STYLES, Expected, prose_plan
from tests.renditions import DEJAVU

EXTS = [".txt", ".docx", pytest.param(".pdf", marks=pytest.mark.skipif(not DEJAVU.exists(), reason="cần DejaVu"))]
SEEDS = (0, 1, 2)


def parse_rendition(style: str, seed: int, ext: str) -> tuple[ParsedPlan, Expected]:
    g = prose_plan(style, seed)
    return parse_document(load_bytes(render(g.doc, ext), f"plan{ext}"), f"{style}-{seed}"), g.expected


def activity_rows(r: ParsedPlan) -> dict[str, tuple]:
    return {a.name: (a.kind, a.lead, a.coordinators, a.time, a.place, a.product, a.budget, a.funding)
            for a in r.activities}


@pytest.mark.parametrize("ext", EXTS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("style", STYLES)
def test_generated_prose_plan_parses_to_its_expected_records(style, seed, ext):
    r, e = parse_rendition(style, seed, ext)
    p = r.plan
    assert (p.province, p.year, p.number, p.date, p.signer, p.doc_type) == (
        e.province, e.year, e.number, e.date, e.signer, e.doc_type)
    assert r.agency_blocks == e.duty_blocks
    assert activity_rows(r) == {a.name: (a.kind, a.lead, a.coordinators, a.time, a.place, a.product, a.budget,
                                         a.funding) for a in e.activities}
    assert {d.term: d.expansion for d in r.definitions} == e.definitions
    assert [(d.kind, d.number, d.date, d.issuer, d.basis) for d in r.legal_docs if d.basis] == e.legal
    assert [(t.row, t.lead, t.budget, t.group_label, t.group_budget) for t in r.tasks] == [
        (t.row, t.lead, t.budget, t.group_label, t.group_budget) for t in e.tasks]
    assert p.appendix_total == e.total
    assert (p.budget_total, p.funding) == (e.budget_total, e.funding)
    assert not r.warnings


@pytest.mark.parametrize("style", STYLES)
def test_every_rendition_round_trips_to_the_same_records(style):
    exts = [".txt", ".docx"] + ([".pdf"] if DEJAVU.exists() else [])
    dumps = []
    for ext in exts:
        r, _ = parse_rendition(style, 5, ext)
        dumps.append([(a.name, a.lead, a.coordinators, a.time, a.place, a.product, a.budget) for a in r.activities]
                     + [(d.term, d.expansion) for d in r.definitions]
                     + [(d.kind, d.number, d.date, d.issuer, d.title, d.basis) for d in r.legal_docs]
                     + [(t.row, t.content, t.lead, t.budget, t.group_budget) for t in r.tasks])
    assert all(d == dumps[0] for d in dumps[1:]) and dumps[0]


def test_a_contest_named_in_two_agency_blocks_is_one_activity_with_both_roles():
    r, _ = parse_rendition("blocks", 0, ".txt")
    contests = [a for a in r.activities if a.kind == "contest"]
    assert len(contests) == 1
    [c] = contests
    assert c.lead == ["Sở Nội vụ"] and any(x.startswith("Đài Phát thanh") for x in c.coordinators)
    assert c.text.count("\n") == 1  # both blocks' sentences are kept as its source


def test_decimal_numbered_duties_stay_in_their_agency_block():
    r, _ = parse_rendition("decision", 0, ".txt")
    assert r.agency_blocks == 3
    noi_vu = [d for d in r.duties if d.agency == "Sở Nội vụ" and "Tổ chức thực hiện" in d.where]
    assert len(noi_vu) == 2 and noi_vu[0].role == "chủ trì" and noi_vu[1].role == "thực hiện"
    helper = next(d for d in r.duties if d.text.startswith("Phối hợp với Sở Nội vụ"))
    assert helper.role == "phối hợp"


def test_group_subtotals_in_thousands_are_read_per_group_not_as_the_grand_total():
    r, e = parse_rendition("decision", 1, ".txt")
    groups = {t.group_label: t.group_budget for t in r.tasks}
    assert set(groups) == {"I", "II"}
    assert sum(groups.values()) == r.plan.appendix_total == e.total
    assert all(sum(t.budget for t in r.tasks if t.group_label == g) == b for g, b in groups.items())


def test_long_unknown_agency_name_is_kept_whole():
    r, _ = parse_rendition("blocks", 0, ".txt")
    assert "Trung tâm Hỗ trợ phát triển doanh nghiệp tỉnh" in {d.agency for d in r.duties}


HOSTILE_LINE = "Sở Nội vụ chủ trì phối hợp với Sở Tài chính tổ chức cuộc thi tại huyện " * 2_000


def hostile_plan() -> str:
    """About 200 KB built to make backtracking regexes slow: long unpunctuated lines, a huge table,
    deep numbering, a parenthesis never closed and thousands of cited-looking numbers."""
    lines = ["KẾ HOẠCH", "Căn cứ Quyết định số 1/QĐ-UBND " * 500, "I. NỘI DUNG, HÌNH THỨC", "1. Nội dung",
             "a) " + HOSTILE_LINE[:60_000], "(" + "Chỉ số " * 3_000, "IV. TỔ CHỨC THỰC HIỆN", "1. Sở Nội vụ",
             "- " + HOSTILE_LINE[:60_000]]
    lines += [".".join(["1"] * 40) + ". Sở Nội vụ chủ trì"] * 200
    lines += ["STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian\tKinh phí"]
    lines += [f"{i}\tTuyên truyền {'x ' * 20}\tSở Nội vụ\tSở Tài chính\tQuý II\t1.000.000" for i in range(400)]
    return "\n".join(lines)


def test_a_200_kb_hostile_plan_parses_well_under_a_second():
    data = hostile_plan().encode()
    assert len(data) > 200_000
    start = time.perf_counter()
    r = parse_document(load_bytes(data, "hostile.txt"), "hostile")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"parse took {elapsed:.2f} s"
    assert r.tasks  # it still parsed


def test_corpus_show_json_lists_activities_definitions_and_legal_docs(tmp_path, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CCHC_EMBEDDER", "hash")
    monkeypatch.delenv("CCHC_ADMIN_TOKEN", raising=False)
    g = prose_plan("blocks", 0)
    src = tmp_path / "ke-hoach.txt"
    src.write_bytes(render(g.doc, ".txt"))
    assert main(["corpus", "add", str(src)]) == 0
    doc_id = re.search(r"\b([a-z-]+-\d{4}-[0-9a-f]{8})\b", capsys.readouterr().out).group(1)
    assert main(["corpus", "show", doc_id, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    contest = next(a for a in view["activities"] if a["kind"] == "contest")
    assert contest["lead"] == ["Sở Nội vụ"] and contest["time"] and contest["place"] and contest["coordinators"]
    assert {d["term"] for d in view["definitions"]} == set(g.expected.definitions)
    assert [d["number"] for d in view["legal_docs"] if d["basis"]] == [x[1] for x in g.expected.legal]
    assert main(["corpus", "list", "--json"]) == 0
    listed = next(i for i in json.loads(capsys.readouterr().out) if i["id"] == doc_id)
    assert listed["activities"] == len(g.expected.activities)
