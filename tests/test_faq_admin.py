"""Issue 16: an admin adds, previews, confirms and withdraws FAQs like plans (admin API and `cchc corpus add`)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli_main
from bot.factory import build_assistant, build_index
from config.settings import Settings
from library.store import GUIDES_DIR
from tests.faq_fixtures import PROVINCE_MD, faq_csv, faq_docx, faq_xlsx

TOKEN = "ma-quan-tri-hoi-dap-5b2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IN_PERSON = "Nộp hồ sơ trực tiếp ở đâu?"
EXAMPLE_ID = "hoi_dap_dich_vu_cong_vi_du"


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("faq-admin-seed")
    build_index(Settings(data_dir=d, embedder="hash"))
    return d / "index"


@pytest.fixture
def data_dir(tmp_path, seed) -> Path:
    d = tmp_path / "data"
    shutil.copytree(seed, d / "index")
    return d


@pytest.fixture
def client(data_dir):
    with contextlib.ExitStack() as stack:
        settings = Settings(data_dir=data_dir, embedder="hash", admin_token=TOKEN)
        yield stack.enter_context(TestClient(create_app(settings)))


def _upload(c: TestClient, data: bytes, name: str, dry_run: bool = False, **form: str):
    return c.post("/admin/documents", params={"dry_run": "true"} if dry_run else None,
                  files={"file": (name, data)}, data=form or None, headers=AUTH)


def _ask(c: TestClient, message: str, province: str | None = None) -> dict:
    r = c.post("/v1/chat", json={"message": message} | ({"province": province} if province else {}))
    assert r.status_code == 200, r.text
    return r.json()


def _audit(d: Path) -> list[dict]:
    path = d / "audit.log"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.mark.parametrize("make, name", [(lambda: PROVINCE_MD.encode(), "tra-vinh.md"), (faq_csv, "hoi-dap.csv"),
                                        (faq_xlsx, "hoi-dap.xlsx"), (faq_docx, "hoi-dap.docx")])
def test_each_format_previews_without_storing(client, data_dir, make, name) -> None:
    r = _upload(client, make(), name, dry_run=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] and body["plan"]["kind"] == "faq" and body["counts"]["faqs"] == len(body["faqs"]) >= 1
    assert "câu hỏi – trả lời" in body["message"] and "chưa lưu" in body["message"]
    assert all(f["question"] and f["answer"] for f in body["faqs"])
    assert not (data_dir / "audit.log").exists() and not list((data_dir / "documents").glob(f"*{Path(name).suffix}"))


def test_upload_confirm_answer_then_withdraw_an_faq(client, data_dir) -> None:
    before = _ask(client, IN_PERSON, "Trà Vinh")
    assert not any(s["section"] == f"Câu hỏi: {IN_PERSON}" for s in before["sources"])

    r = _upload(client, PROVINCE_MD.encode(), "tra-vinh.md", kind="faq")
    assert r.status_code == 201, r.text
    doc_id = r.json()["document"]["id"]
    assert doc_id.startswith("hoi-dap-tra-vinh-") and "hỏi đáp" in r.json()["message"]
    listed = {d["id"]: d for d in client.get("/admin/documents", headers=AUTH).json()["documents"]}
    assert listed[doc_id]["kind"] == "faq" and listed[doc_id]["faqs"] == 1
    ans = _ask(client, IN_PERSON, "Vĩnh Long")
    assert ans["found"] and ans["sources"][0]["section"] == f"Câu hỏi: {IN_PERSON}"
    assert "Trung tâm Phục vụ hành chính công tỉnh" in ans["answer"]

    r = client.delete(f"/admin/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert doc_id not in {d["id"] for d in client.get("/admin/documents", headers=AUTH).json()["documents"]}
    after = _ask(client, IN_PERSON, "Vĩnh Long")
    assert not any(s["section"] == f"Câu hỏi: {IN_PERSON}" for s in after["sources"])
    assert [(e["action"], e["doc_id"]) for e in _audit(data_dir)] == [("add", doc_id), ("remove", doc_id)]


def test_the_bundled_example_can_be_withdrawn_and_restored(client, data_dir) -> None:
    q = "Quên mật khẩu tài khoản VNeID thì phải làm gì?"
    assert _ask(client, q)["found"]
    assert client.delete(f"/admin/documents/{EXAMPLE_ID}", headers=AUTH).status_code == 200
    gone = _ask(client, q)
    assert not gone["found"] and not gone["sources"]
    assert client.post(f"/admin/documents/{EXAMPLE_ID}/restore", headers=AUTH).status_code == 200
    assert _ask(client, q)["found"]


def test_a_bad_kind_or_an_faq_without_questions_is_a_vietnamese_4xx(client, data_dir) -> None:
    r = _upload(client, PROVINCE_MD.encode(), "x.md", kind="bao-cao")
    assert r.status_code == 422 and "Loại văn bản" in r.json()["detail"]
    r = _upload(client, b"cot1,cot2\na,b\n", "x.csv")
    assert 400 <= r.status_code < 500 and "câu hỏi" in r.json()["detail"]
    assert not (data_dir / "audit.log").exists()


def test_cli_corpus_add_previews_and_adds_an_faq(data_dir, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CCHC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CCHC_EMBEDDER", "hash")
    src = tmp_path / "hoi-dap.xlsx"
    src.write_bytes(faq_xlsx())
    assert cli_main(["corpus", "add", str(src), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "chưa lưu" in out and "3 câu hỏi – trả lời" in out and not (data_dir / "audit.log").exists()
    assert cli_main(["corpus", "add", str(src), "--kind", "faq", "--province", "toàn quốc"]) == 0
    doc_id = re.search(r"(hoi-dap-toan-quoc-[0-9a-f]{8})", capsys.readouterr().out).group(1)
    assert cli_main(["corpus", "list", "--json"]) == 0
    items = {i["id"]: i for i in json.loads(capsys.readouterr().out)}
    assert items[doc_id]["kind"] == "faq" and items[EXAMPLE_ID]["kind"] == "faq"
    ans = build_assistant(Settings()).answer(IN_PERSON, "Trà Vinh")
    assert ans.found and ans.sources[0].section == f"Câu hỏi: {IN_PERSON}"


def test_the_guides_folder_ships_in_the_wheel() -> None:
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"corpus.guides" = ["*"]' in text and GUIDES_DIR.name == "guides"


def test_widget_parts_carry_faq_links_as_plain_strings_and_a_miss_reaches_the_unanswered_report(client) -> None:
    r = client.post("/v1/chat", params={"parts": "1"}, json={"message": "tra cuu tinh trang ho so da nop the nao"})
    ans = r.json()
    assert ans["found"] and "https://dichvucong.gov.vn" in ans["answer"]
    flat = json.dumps(ans["parts"], ensure_ascii=False)
    assert "https://dichvucong.gov.vn" in flat and "<a" not in flat and "href" not in flat
    assert all(isinstance(p.get("text", ""), str) for p in ans["parts"])

    miss = _ask(client, "Đăng ký kết hôn cần những giấy tờ gì?")
    assert not miss["found"] and "chưa có hướng dẫn hay hỏi đáp" in miss["answer"]
    report = client.get("/admin/unanswered", headers=AUTH).json()
    assert any("kết hôn" in g["question"] for g in report["groups"])
