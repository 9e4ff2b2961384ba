"""Issue 6: corpus administration through the admin API and the CLI.

Plans for provinces the bundled corpus lacks (Cà Mau, Quảng Bình) are written by the tests
(tests/admin_plans.py), rendered to .docx/.pdf/.txt, uploaded, asked about through POST /v1/chat,
replaced and withdrawn. Bad uploads must be refused with a Vietnamese 4xx and change nothing; a
failed or killed re-index must leave the previous corpus and index serving.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader, PdfWriter

from api.app import create_app
from api.cli import main as cli_main
from bot.factory import build_assistant, build_index, make_chroma_factory
from config.settings import Settings
from corpus.vocab import load_vocabulary
from library.store import BUNDLED_DIR, GUIDES_DIR, CorpusStore
from retrieval.build import load_current, open_index
from retrieval.embedders import HashEmbedder
from retrieval.unittable import UnitTable

try:
    from admin_plans import Spec, plan, render
    from renditions import DEJAVU
except ImportError:  # tests/ imported as a package
    from tests.admin_plans import Spec, plan, render
    from tests.renditions import DEJAVU

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "ma-quan-tri-thu-nghiem-6f1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WHO = "token:" + hashlib.sha256(TOKEN.encode()).hexdigest()[:8]
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
HA_TINH = "002_525e336b753c34f2"
BUNDLED_IDS = sorted([p.stem for p in BUNDLED_DIR.iterdir() if p.suffix == ".txt"]
                     + [p.stem for p in GUIDES_DIR.iterdir() if p.is_file()])  # the plans and the example FAQ

Q_LEAD = "Ở Cà Mau, cơ quan nào chủ trì Hội thi tuyên truyền viên cải cách hành chính giỏi?"
Q_BUDGET = "Kinh phí tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi của tỉnh Cà Mau là bao nhiêu?"
Q_HA_TINH = "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?"
Q_POST = "Ở {p}, cơ quan nào chủ trì in và phát hành tờ rơi hướng dẫn nộp hồ sơ qua dịch vụ bưu chính công ích?"

needs_font = pytest.mark.skipif(not DEJAVU.exists(), reason=f"cần phông {DEJAVU} để tạo PDF")


# ---- fixtures and helpers -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The index of the bundled corpus (hash embedder), built once and copied into each data dir."""
    d = tmp_path_factory.mktemp("admin-seed")
    build_index(Settings(data_dir=d, embedder="hash"))
    return d / "index"


def _fresh_data_dir(root: Path, seed_index: Path) -> Path:
    d = root / "data"
    shutil.copytree(seed_index, d / "index")
    return d


@pytest.fixture
def data_dir(tmp_path, seed_index) -> Path:
    return _fresh_data_dir(tmp_path, seed_index)


@pytest.fixture
def open_client(data_dir):
    """Factory: a TestClient over the full app on ``data_dir`` (admin token set unless told otherwise)."""
    with contextlib.ExitStack() as stack:
        def start(embedder=None, **overrides) -> TestClient:
            settings = Settings(**({"data_dir": data_dir, "embedder": "hash", "admin_token": TOKEN} | overrides))
            return stack.enter_context(TestClient(create_app(settings, embedder=embedder)))

        yield start


@pytest.fixture
def client(open_client) -> TestClient:
    return open_client()


@pytest.fixture(scope="module")
def shared(tmp_path_factory, seed_index):
    """One client for the tests that must change nothing (bad input, auth, dry runs)."""
    d = _fresh_data_dir(tmp_path_factory.mktemp("admin-shared"), seed_index)
    with TestClient(create_app(Settings(data_dir=d, embedder="hash", admin_token=TOKEN))) as c:
        yield c, d


def upload(c: TestClient, data: bytes, filename: str, *, doc_id: str | None = None, dry_run: bool = False,
           headers: dict | None = None, **form: str):
    path = f"/admin/documents/{doc_id}" if doc_id else "/admin/documents"
    return c.request("PUT" if doc_id else "POST", path, params={"dry_run": "true"} if dry_run else None,
                     files={"file": (filename, data)}, data=form or None,
                     headers=AUTH if headers is None else headers)


def ask(c: TestClient, question: str) -> dict:
    r = c.post("/v1/chat", json={"message": question})
    assert r.status_code == 200, r.text
    return r.json()


def listed(c: TestClient) -> list[str]:
    r = c.get("/admin/documents", headers=AUTH)
    assert r.status_code == 200, r.text
    return [d["id"] for d in r.json()["documents"]]


def snapshot(c: TestClient, d: Path) -> tuple:
    """Everything a refused change must leave untouched."""
    audit = (d / "audit.log").read_bytes() if (d / "audit.log").exists() else b""
    uploads = d / "documents"
    files = sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) if uploads.exists() else []
    incoming = sorted(p.name for p in (uploads / ".incoming").iterdir()) if (uploads / ".incoming").exists() else []
    return listed(c), audit, files, incoming, (d / "index" / "current.json").read_bytes()


def audit_lines(d: Path) -> list[dict]:
    path = d / "audit.log"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def assert_vietnamese(message: str, *words: str) -> None:
    assert VIETNAMESE.search(message), message
    for w in words:
        assert w.lower() in message.lower(), message


def ha_tinh_with_justice_dept() -> bytes:
    """The bundled Hà Tĩnh plan with the contest row led by Sở Tư pháp instead of Sở Nội vụ."""
    text = (BUNDLED_DIR / f"{HA_TINH}.txt").read_text(encoding="utf-8")
    old = "cải cách hành chính\tSở Nội vụ\tCác sở"
    assert old in text
    return text.replace(old, "cải cách hành chính\tSở Tư pháp\tCác sở").encode("utf-8")


# ---- the whole life of a new plan ---------------------------------------------------------------------

def test_upload_ask_duplicate_replace_withdraw_a_new_province(client, data_dir):
    before = ask(client, Q_LEAD)
    assert not before["found"] and "chưa có kế hoạch" in before["answer"]

    docx = render(plan(), ".docx")
    r = upload(client, docx, "KH 55 Ca Mau.docx")
    assert r.status_code == 201, r.text
    body = r.json()
    doc_id = body["document"]["id"]
    assert doc_id.startswith("ca-mau-2025-") and body["ok"] and not body["dry_run"]
    assert_vietnamese(body["message"], doc_id)
    assert body["plan"]["province"] == "Cà Mau" and body["plan"]["number"] == "55/KH-UBND"
    assert body["counts"]["tasks"] == 3 and body["counts"]["agency_blocks"] == 5
    assert (data_dir / "documents" / f"{doc_id}.docx").read_bytes() == docx
    meta = json.loads((data_dir / "documents" / f"{doc_id}.meta.json").read_text(encoding="utf-8"))
    assert meta["sha256"] == hashlib.sha256(docx).hexdigest() and meta["uploaded_by"] == WHO

    assert doc_id in listed(client)
    show = client.get(f"/admin/documents/{doc_id}", headers=AUTH).json()
    assert show["document"]["source"] == "uploaded"
    assert [t["lead"] for t in show["tasks"]][0] == ["Sở Nội vụ"]

    lead = ask(client, Q_LEAD)
    assert lead["found"] and "Sở Nội vụ" in lead["answer"], lead
    assert lead["sources"][0]["province"] == "Cà Mau" and lead["sources"][0]["year"] == 2025
    budget = ask(client, Q_BUDGET)
    assert budget["found"] and "185.000.000" in budget["answer"], budget

    dup = upload(client, docx, "ban-sao.docx")
    assert dup.status_code == 409 and dup.json()["existing_id"] == doc_id
    assert_vietnamese(dup.json()["detail"], doc_id)

    v2 = Spec(number=72, contest_lead="Sở Văn hóa, Thể thao và Du lịch", contest_budget="210.000.000")
    r = upload(client, render(plan(v2), ".txt"), "KH 72 Ca Mau.txt", doc_id=doc_id)
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["number"] == "72/KH-UBND"
    assert not (data_dir / "documents" / f"{doc_id}.docx").exists()
    assert (data_dir / "documents" / f"{doc_id}.txt").exists()
    lead = ask(client, Q_LEAD)
    assert lead["found"] and "Sở Văn hóa, Thể thao và Du lịch chủ trì" in lead["answer"], lead
    assert "Sở Nội vụ chủ trì" not in lead["answer"]
    budget = ask(client, Q_BUDGET)
    assert "210.000.000" in budget["answer"] and "185.000.000" not in budget["answer"], budget

    r = client.delete(f"/admin/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200 and doc_id not in listed(client)
    assert_vietnamese(r.json()["message"], doc_id)
    after = ask(client, Q_LEAD)
    assert not after["found"] and "chưa có kế hoạch" in after["answer"], after
    assert client.delete(f"/admin/documents/{doc_id}", headers=AUTH).status_code == 404

    log = audit_lines(data_dir)
    assert [e["action"] for e in log] == ["add", "replace", "remove"]
    assert {e["who"] for e in log} == {WHO} and all(e["doc_id"] == doc_id for e in log)
    assert log[0]["sha256"] == hashlib.sha256(docx).hexdigest() and log[0]["filename"] == "KH 55 Ca Mau.docx"
    assert log[1]["previous_sha256"] == log[0]["sha256"] and log[2]["sha256"] == log[1]["sha256"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["when"]) for e in log)
    archived = sorted(p.name for p in (data_dir / "documents" / ".archive" / doc_id).iterdir())
    assert any(n.endswith(".docx") for n in archived) and any(n.endswith(".txt") for n in archived)
    assert TOKEN not in (data_dir / "audit.log").read_text(encoding="utf-8")


@needs_font
@pytest.mark.parametrize("ext", [".pdf", ".txt"])
def test_uploaded_plan_with_a_table_answers_lead_and_budget(client, ext):
    r = upload(client, render(plan(), ext), f"ke-hoach{ext}")
    assert r.status_code == 201, r.text
    assert [t["budget"] for t in r.json()["tasks"]] == [185_000_000, 240_000_000, 45_000_000]
    lead, budget = ask(client, Q_LEAD), ask(client, Q_BUDGET)
    assert lead["found"] and "Sở Nội vụ" in lead["answer"] and lead["sources"][0]["province"] == "Cà Mau"
    assert budget["found"] and "185.000.000" in budget["answer"]


@needs_font
@pytest.mark.parametrize("ext", [".docx", ".pdf"])
def test_uploaded_plan_without_a_table_answers_from_agency_blocks(client, ext):
    spec = Spec(province="Quảng Bình", number=12, table=False)
    r = upload(client, render(plan(spec), ext), f"quang-binh{ext}")
    assert r.status_code == 201, r.text
    assert r.json()["counts"]["tasks"] == 0 and r.json()["counts"]["agency_blocks"] == 5
    for province in ("Quảng Bình", "Quảng Trị"):  # the old name, and the province it merged into
        a = ask(client, Q_POST.format(p=province))
        assert a["found"] and "Bưu điện tỉnh Quảng Bình" in a["answer"], a
        assert a["sources"][0]["province"] == "Quảng Bình"


def test_province_and_year_given_by_the_admin_override_detection(client, data_dir):
    data = render(plan(Spec(province="Hoa Sen")), ".txt")  # a place name the vocabulary does not know
    r = upload(client, data, "khong-ro-tinh.txt")
    assert r.status_code == 422 and r.json()["error"] == "invalid_metadata"
    assert_vietnamese(r.json()["detail"], "province")
    r = upload(client, data, "khong-ro-tinh.txt", province="ca mau", year="2025")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["plan"]["province"] == "Cà Mau" and body["document"]["overrides"] == {"province": "Cà Mau",
                                                                                     "year": 2025}
    assert not any("tỉnh ban hành" in w for w in body["warnings"])
    assert ask(client, Q_LEAD)["sources"][0]["province"] == "Cà Mau"
    assert audit_lines(data_dir)[-1]["overrides"] == {"province": "Cà Mau", "year": 2025}


def test_bundled_plan_can_be_replaced_then_withdrawn(client, data_dir):
    assert "Sở Nội vụ" in ask(client, Q_HA_TINH)["answer"]
    r = upload(client, ha_tinh_with_justice_dept(), "ha-tinh-dieu-chinh.txt", doc_id=HA_TINH)
    assert r.status_code == 200, r.text
    assert r.json()["document"]["source"] == "replaced"
    assert (data_dir / "documents" / f"{HA_TINH}.txt").exists()  # shadows the bundled file, same id
    assert listed(client) == BUNDLED_IDS
    a = ask(client, Q_HA_TINH)
    assert a["found"] and "Sở Tư pháp" in a["answer"], a

    r = client.delete(f"/admin/documents/{HA_TINH}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert HA_TINH not in listed(client)
    assert [w["id"] for w in client.get("/admin/documents", headers=AUTH).json()["withdrawn"]] == [HA_TINH]
    a = ask(client, Q_HA_TINH)
    assert not a["found"] and "chưa có kế hoạch" in a["answer"]
    assert (BUNDLED_DIR / f"{HA_TINH}.txt").exists()  # the shipped file is never touched
    # every reader of the data dir (CLI, next start) sees the same corpus
    fresh = CorpusStore(dirs=[BUNDLED_DIR, data_dir / "documents"])
    assert sorted(d.doc_id for d in fresh.documents()) == [i for i in BUNDLED_IDS if i != HA_TINH]
    assert client.put(f"/admin/documents/{HA_TINH}", files={"file": ("x.txt", b"x")},
                      headers=AUTH).status_code == 404
    assert [e["action"] for e in audit_lines(data_dir)] == ["replace", "remove"]


def test_dry_run_shows_the_parse_and_stores_nothing(shared):
    c, d = shared
    before = snapshot(c, d)
    r = upload(c, render(plan(), ".docx"), "xem-truoc.docx", dry_run=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] and body["ok"]
    assert_vietnamese(body["message"], "chưa lưu")
    assert body["plan"]["province"] == "Cà Mau" and body["plan"]["signer"] == "Lê Văn Sử"
    assert [t["content"] for t in body["tasks"]][0] == "Tổ chức Hội thi tuyên truyền viên cải cách hành chính giỏi"
    assert {x["agency"] for x in body["duties"]} >= {"Sở Nội vụ", "Bưu điện tỉnh Cà Mau"}
    assert body["warnings"] == [] and body["counts"]["tasks"] == 3
    r = upload(c, ha_tinh_with_justice_dept(), "ht.txt", doc_id=HA_TINH, dry_run=True)
    assert r.status_code == 200 and r.json()["tasks"]
    assert snapshot(c, d) == before
    assert not ask(c, Q_LEAD)["found"]


def test_a_second_plan_for_the_same_province_and_year_is_flagged_before_going_live(shared):
    c, _ = shared
    spec = Spec(province="Hà Tĩnh", year=2024, number=101)
    r = upload(c, render(plan(spec), ".txt"), "ha-tinh-2.txt", dry_run=True)
    assert r.status_code == 200
    assert any(HA_TINH in w and "thay thế" in w for w in r.json()["warnings"]), r.json()["warnings"]


# ---- access -------------------------------------------------------------------------------------------

def test_admin_is_404_without_a_configured_token(open_client):
    c = open_client(admin_token=None)
    for method, path in [("GET", "/admin"), ("GET", "/admin/documents"), ("POST", "/admin/documents"),
                         ("GET", f"/admin/documents/{HA_TINH}"), ("DELETE", f"/admin/documents/{HA_TINH}"),
                         ("GET", "/admin/audit")]:
        assert c.request(method, path, headers=AUTH).status_code == 404, path
    assert ask(c, Q_HA_TINH)["found"]  # the rest of the service is unaffected


def test_empty_admin_token_counts_as_not_configured(open_client):
    assert open_client(admin_token="").get("/admin/documents", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer sai-ma"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN},
    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"},
], ids=["missing", "wrong", "basic", "no-scheme", "longer", "empty"])
def test_missing_or_wrong_token_is_401(shared, headers):
    c, d = shared
    c.app.state.admin_failures.clear()  # the shared client would otherwise hit the failed-sign-in limit (429)
    before = snapshot(c, d)
    for method, path in [("GET", "/admin/documents"), ("GET", f"/admin/documents/{HA_TINH}"),
                         ("DELETE", f"/admin/documents/{HA_TINH}"), ("GET", "/admin/audit")]:
        r = c.request(method, path, headers=headers)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert_vietnamese(r.json()["detail"])
    r = upload(c, render(plan(), ".txt"), "a.txt", headers=headers)
    assert r.status_code == 401
    assert snapshot(c, d) == before


def test_token_is_never_logged_or_echoed(shared, caplog):
    c, _ = shared
    with caplog.at_level(logging.DEBUG):
        responses = [c.get("/admin/documents", headers=AUTH), c.get("/admin/audit", headers=AUTH),
                     upload(c, b"khong phai ke hoach", "x.txt")]
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.text for r in responses)


def test_admin_page_is_served_with_a_strict_policy_and_renders_text_only(shared):
    c, _ = shared
    r = c.get("/admin")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    nonce = re.search(r"script-src 'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in html and "{{NONCE}}" not in html
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "innerHTML" not in html.replace("never innerHTML", "") and "insertAdjacentHTML" not in html
    assert "sessionStorage" in html and "Đăng nhập" in html and "dry_run=true" in html
    assert c.get("/admin").headers["content-security-policy"] != r.headers["content-security-policy"]


# ---- bad input: a clear Vietnamese 4xx, and nothing changes --------------------------------------------

def _docx_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as member:
            for _ in range(40):
                member.write(b" " * (1 << 20))
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(render(plan(), ".pdf"))))
    w.encrypt(user_password="mat-khau-bi-mat", owner_password="chu-so-huu")
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _scanned_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        for y in range(20, 260, 8):  # lines of "text" drawn as bars: what a scan looks like to a parser
            pdf.rect(20, y, 170, 4, style="F")
    return bytes(pdf.output())


def _not_utf8() -> bytes:
    text = unicodedata.normalize("NFD", plan().text())
    return text.encode("cp1258", errors="replace")


RECIPE = """CÁCH NẤU PHỞ BÒ HÀ NỘI
Nguyên liệu cho 4 người:
- 1 kg xương ống bò, 500 g thịt bắp bò
- 1 củ gừng, 2 củ hành tây, quế, hồi, thảo quả
Cách làm:
1. Chần xương bò qua nước sôi rồi rửa sạch.
2. Ninh xương với gừng và hành nướng trong 6 tiếng.
3. Chan nước dùng nóng lên bánh phở và thịt bò thái mỏng.
Chúc cả nhà ngon miệng!"""

LETTER = """CÔNG TY TNHH THƯƠNG MẠI AN PHÚ
Số: 12/CV-AP
V/v xác nhận đơn hàng
Kính gửi: Ông Nguyễn Văn An
Công ty chúng tôi xin xác nhận đã nhận được đơn hàng của Quý khách như sau:
1. Mặt hàng: bàn làm việc, số lượng 10 chiếc.
2. Thời gian giao hàng: ngày 15 tháng 4 năm 2025.
Trân trọng cảm ơn."""

REPORT = """ỦY BAN NHÂN DÂN TỈNH CÀ MAU
BÁO CÁO
Kết quả công tác cải cách hành chính quý I năm 2025
I. KẾT QUẢ ĐẠT ĐƯỢC
Tỷ lệ hồ sơ trực tuyến đạt 60%.
II. TỒN TẠI, HẠN CHẾ
Một số xã còn chậm cập nhật hồ sơ.
III. PHƯƠNG HƯỚNG QUÝ II
Tiếp tục đẩy mạnh dịch vụ công trực tuyến."""


def _docx_of(text: str) -> bytes:
    import docx

    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


BAD_INPUTS = [
    # id, filename, bytes (or a callable making them), status, error code, words the message must contain
    ("exe", "ke-hoach.exe", b"MZ\x90\x00" + b"\x00" * 200, 415, "unsupported_type", [".exe", ".docx"]),
    ("old-doc", "ke-hoach.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, 415, "unsupported_type", [".doc"]),
    ("no-extension", "ke-hoach", b"KE HOACH", 415, "unsupported_type", ["phần mở rộng"]),
    ("pdf-named-docx", "ke-hoach.docx", lambda: render(plan(), ".pdf"), 422, "content_mismatch", ["PDF", ".docx"]),
    ("zip-named-txt", "ke-hoach.txt", lambda: render(plan(), ".docx"), 422, "content_mismatch", ["ZIP", ".txt"]),
    ("docx-named-pdf", "ke-hoach.pdf", lambda: render(plan(), ".docx"), 422, "content_mismatch", [".pdf"]),
    ("png-named-pdf", "ke-hoach.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, 422, "content_mismatch", ["ảnh", "OCR"]),
    ("binary-named-txt", "ke-hoach.txt", b"\x01\x02\x00\x00" * 100, 422, "content_mismatch", ["nhị phân"]),
    ("encrypted-pdf", "ke-hoach.pdf", _encrypted_pdf, 422, "unreadable_file", ["mật khẩu"]),
    ("scanned-pdf", "ke-hoach.pdf", _scanned_pdf, 422, "unreadable_file", ["PDF không có lớp văn bản", "OCR"]),
    ("truncated-pdf", "ke-hoach.pdf", lambda: render(plan(), ".pdf")[:3000], 422, "unreadable_file", ["PDF"]),
    ("corrupt-docx", "ke-hoach.docx", lambda: render(plan(), ".docx")[:4000], 422, "unreadable_file", ["hỏng"]),
    ("zip-bomb-docx", "ke-hoach.docx", _docx_bomb, 422, "unreadable_file", ["zip bomb"]),
    ("not-utf8", "ke-hoach.txt", _not_utf8, 422, "unreadable_file", ["UTF-8"]),
    ("empty", "ke-hoach.txt", b"", 422, "unreadable_file", ["rỗng"]),
    ("recipe", "mon-ngon.txt", RECIPE.encode(), 422, "not_a_plan", ["KẾ HOẠCH", "La Mã", "Tổ chức thực hiện",
                                                                   "phụ lục"]),
    ("letter-docx", "cong-van.docx", lambda: _docx_of(LETTER), 422, "not_a_plan", ["KẾ HOẠCH"]),
    ("report-with-parts", "bao-cao.md", REPORT.encode(), 422, "not_a_plan", ["KẾ HOẠCH", "Tổ chức thực hiện"]),
]


@needs_font
@pytest.mark.parametrize(("filename", "content", "status", "code", "words"),
                         [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_upload_is_refused_and_changes_nothing(shared, filename, content, status, code, words):
    c, d = shared
    data = content() if callable(content) else content
    before = snapshot(c, d)
    for dry_run in (True, False):
        r = upload(c, data, filename, dry_run=dry_run)
        assert r.status_code == status, r.text
        body = r.json()
        assert body["ok"] is False and body["error"] == code, body
        assert_vietnamese(body["detail"], *words)
    assert snapshot(c, d) == before


def test_not_a_plan_message_lists_only_what_is_missing(shared):
    c, _ = shared
    detail = upload(c, REPORT.encode(), "bao-cao.txt").json()["detail"]
    assert "KẾ HOẠCH" in detail and "La Mã" not in detail  # the report has roman parts


@pytest.mark.parametrize(("form", "words"), [
    ({"province": "Atlantis"}, ["Atlantis", "danh mục"]),
    ({"year": "năm ngoái"}, ["năm ngoái"]),
    ({"year": "1875"}, ["1875"]),
], ids=["unknown-province", "year-not-a-number", "year-out-of-range"])
def test_invalid_province_or_year_is_422(shared, form, words):
    c, d = shared
    before = snapshot(c, d)
    r = upload(c, render(plan(), ".txt"), "ke-hoach.txt", **form)
    assert r.status_code == 422 and r.json()["error"] == "invalid_metadata"
    assert_vietnamese(r.json()["detail"], *words)
    assert snapshot(c, d) == before


def test_malformed_requests_are_400_or_404(shared):
    c, d = shared
    before = snapshot(c, d)
    r = c.post("/admin/documents", headers=AUTH, data={"province": "Cà Mau"}, files={"other": ("a.txt", b"x")})
    assert r.status_code == 400 and "file" in r.json()["detail"]
    assert_vietnamese(r.json()["detail"])
    r = c.post("/admin/documents", headers=AUTH, json={"file": "KẾ HOẠCH"})
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    two = [("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))]
    assert c.post("/admin/documents", headers=AUTH, files=two).status_code == 400
    r = c.post("/admin/documents", headers=AUTH, files={"file": ("a.txt", b"x")}, data={"province": "x" * 500})
    assert r.status_code == 400
    for doc_id in ("khong-co-ma-nay", "a" * 300, "%2E%2E", "..%2Fplans"):
        assert c.delete(f"/admin/documents/{doc_id}", headers=AUTH).status_code in (404, 405)
        assert c.get(f"/admin/documents/{doc_id}", headers=AUTH).status_code in (404, 405)
        assert upload(c, render(plan(), ".txt"), "a.txt", doc_id=doc_id).status_code in (404, 405)
    r = c.delete("/admin/documents/khong-co-ma-nay", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert_vietnamese(r.json()["detail"], "khong-co-ma-nay")
    assert snapshot(c, d) == before


def test_upload_over_the_size_limit_is_413(shared, monkeypatch):
    c, d = shared
    monkeypatch.setattr(c.app.state.settings, "max_upload_mb", 1)
    before = snapshot(c, d)
    big = render(plan(), ".txt") + b"\n" + b"Noi dung bo sung cua ke hoach.\n" * 40_000  # ~1.2 MB
    for filename in ("lon.txt", "lon.pdf"):
        r = upload(c, big, filename)
        assert r.status_code == 413 and r.json()["error"] == "too_large"
        assert_vietnamese(r.json()["detail"], "1 MB")
    assert snapshot(c, d) == before


def test_oversized_upload_is_refused_while_streaming(open_client, serve_app, data_dir):
    """Over real HTTP: a declared length over the limit is refused before any body is read, and a
    chunked upload without a length is refused as soon as it passes the limit, before its end."""
    client = open_client(max_upload_mb=1)
    url = serve_app(client.app)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /admin/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                  b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 104857600\r\n\r\n")
        status_line = s.recv(200).split(b"\r\n", 1)[0]
    assert b"413" in status_line

    # chunked, no length: send 2 MB of a never-ending body and stop; the 413 must come without the end
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /admin/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                  b"\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n")
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="lon.txt"\r\n\r\n'
        s.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        chunk = b"a" * 65536
        for _ in range(32):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        response = s.recv(4096)
    assert response.startswith(b"HTTP/1.1 413"), response[:100]
    assert b"1 MB" in response.split(b"\r\n\r\n", 1)[1]
    time.sleep(0.2)
    assert not any((data_dir / "documents" / ".incoming").iterdir())
    assert not (data_dir / "audit.log").exists()


# ---- re-indexing is atomic -----------------------------------------------------------------------------

class ControlledEmbedder(HashEmbedder):
    """The hash embedder (same name, so the seeded index is reused) that can fail or stall on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_after: int | None = None  # raise once this many texts have been embedded
        self.gate: threading.Event | None = None  # block re-indexing until set
        self.entered = threading.Event()

    def embed_passages(self, texts):
        if self.gate is not None:
            self.entered.set()
            assert self.gate.wait(60)
        if self.fail_after is not None:
            super().embed_passages(texts[: self.fail_after])
            raise RuntimeError("máy nhúng vector gặp sự cố giữa chừng")
        return super().embed_passages(texts)


def _index_is_loadable(d: Path, expected_units: int | None = None) -> None:
    cur = load_current(d)
    assert cur is not None and (d / "index" / cur["dir"] / "units.npz").exists()
    idx = open_index(d, HashEmbedder(), load_vocabulary(), make_chroma_factory(Settings(data_dir=d)))
    assert idx.vectors.count() == idx.embedded > 0
    if expected_units is not None:
        assert idx.size == expected_units
    assert idx.search("cuộc thi viết sáng kiến cải cách hành chính Hà Tĩnh")


def test_failed_reindex_rolls_the_change_back_and_keeps_serving(open_client, data_dir, monkeypatch):
    emb = ControlledEmbedder()
    c = open_client(embedder=emb)
    before = snapshot(c, data_dir)
    units = UnitTable.load(data_dir / "index" / load_current(data_dir)["dir"])
    emb.fail_after = 50
    r = upload(c, render(plan(), ".docx"), "ca-mau.docx")
    assert r.status_code == 500 and r.json()["error"] == "reindex_failed"
    assert_vietnamese(r.json()["detail"], "hoàn tác")
    assert snapshot(c, data_dir) == before
    assert not (data_dir / "documents" / ".journal.json").exists()
    assert not [p for p in (data_dir / "index").iterdir() if p.name.startswith(".tmp-")]
    assert ask(c, Q_HA_TINH)["found"] and not ask(c, Q_LEAD)["found"]
    _index_is_loadable(data_dir, expected_units=len(units))
    # a withdrawal that fails is rolled back too: the bundled plan stays visible (a withdrawal embeds
    # nothing, so its build fails at the switch to the new version)
    def switch_fails(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("retrieval.build._write_current", switch_fails)
    r = c.delete(f"/admin/documents/{HA_TINH}", headers=AUTH)
    monkeypatch.undo()
    assert r.status_code == 500 and HA_TINH in listed(c) and ask(c, Q_HA_TINH)["found"]
    assert not (data_dir / "documents" / f"{HA_TINH}.withdrawn.json").exists()
    emb.fail_after = None
    assert upload(c, render(plan(), ".docx"), "ca-mau.docx").status_code == 201
    assert ask(c, Q_LEAD)["found"]


def test_service_answers_from_the_previous_index_while_changes_are_serialised(open_client, data_dir):
    emb = ControlledEmbedder()
    c = open_client(embedder=emb)
    emb.gate = threading.Event()
    results: dict[str, int] = {}

    def run(name, fn):
        results[name] = fn().status_code

    add = threading.Thread(target=run, args=("add", lambda: upload(c, render(plan(), ".txt"), "ca-mau.txt")))
    add.start()
    assert emb.entered.wait(30)  # the upload is stored and its index is being built
    remove = threading.Thread(target=run, args=("remove", lambda: c.delete(f"/admin/documents/{HA_TINH}",
                                                                          headers=AUTH)))
    remove.start()
    try:
        ha_tinh, ca_mau = ask(c, Q_HA_TINH), ask(c, Q_LEAD)
        assert ha_tinh["found"] and not ca_mau["found"]  # still the previous corpus and index
        assert HA_TINH in listed(c)
        time.sleep(0.5)
        assert remove.is_alive() and "remove" not in results  # waits for the first change
    finally:
        emb.gate.set()
    add.join(60)
    remove.join(60)
    assert results == {"add": 201, "remove": 200}
    assert ask(c, Q_LEAD)["found"] and not ask(c, Q_HA_TINH)["found"]
    assert [e["action"] for e in audit_lines(data_dir)] == ["add", "remove"]


def test_old_index_keeps_answering_after_a_swap(client, data_dir):
    """A request that started on the previous assistant must not lose its index files mid-answer."""
    old = client.app.state.runtime.assistant
    assert upload(client, render(plan(), ".txt"), "ca-mau.txt").status_code == 201
    assert client.app.state.runtime.assistant is not old
    assert old.answer(Q_HA_TINH).found and not old.answer(Q_LEAD).found
    assert client.app.state.runtime.assistant.answer(Q_LEAD).found


def test_index_survives_sigkill_of_cchc_index(tmp_path, data_dir, open_client):
    """``cchc index`` killed mid-build: the previous index dir and current.json are intact and loadable."""
    current = (data_dir / "index" / "current.json").read_bytes()
    live_dir = load_current(data_dir)["dir"]
    flag = tmp_path / "embedding-started"
    script = f"""
import time
from retrieval.embedders import HashEmbedder
import bot.factory
class Stuck(HashEmbedder):
    name = "stuck"  # nothing cached for it: the build has to embed (and is killed while it does)
    def embed_passages(self, texts):
        open({str(flag)!r}, "w").close()
        time.sleep(120)
bot.factory.make_embedder = lambda settings: Stuck()
from api.cli import main
main(["index"])
"""
    env = os.environ | {"CCHC_DATA_DIR": str(data_dir), "CCHC_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "cchc index did not start embedding"
            time.sleep(0.05)
        assert [p for p in (data_dir / "index").iterdir() if p.name.startswith(".tmp-")]  # mid-build
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert (data_dir / "index" / "current.json").read_bytes() == current
    assert (data_dir / "index" / live_dir / "units.npz").exists()
    _index_is_loadable(data_dir)
    c = open_client()
    assert ask(c, Q_HA_TINH)["found"]
    assert load_current(data_dir)["dir"] == live_dir  # reused, not rebuilt
    assert upload(c, render(plan(), ".txt"), "ca-mau.txt").status_code == 201
    assert not [p for p in (data_dir / "index").iterdir() if p.name.startswith(".tmp-")]  # leftovers cleaned


def test_admin_change_killed_mid_reindex_is_rolled_back_on_next_start(tmp_path, data_dir, open_client):
    """The process dies while re-indexing an upload: the next reader restores the previous corpus."""
    current = (data_dir / "index" / "current.json").read_bytes()
    src = tmp_path / "ca-mau.docx"
    src.write_bytes(render(plan(), ".docx"))
    flag = tmp_path / "reindex-started"
    script = f"""
import time
from pathlib import Path
from api.runtime import Runtime
from config.settings import Settings
from library.admin import CorpusAdmin
from retrieval.embedders import HashEmbedder
class Stuck(HashEmbedder):
    armed = False
    def embed_passages(self, texts):
        if self.armed:
            open({str(flag)!r}, "w").close()
            time.sleep(120)
        return super().embed_passages(texts)
emb = Stuck()
settings = Settings()
rt = Runtime.start(settings, emb)
emb.armed = True
admin = CorpusAdmin(settings.data_dir, reload=rt.reload, lock=rt.admin_lock)
admin.add(admin.receive_file(Path({str(src)!r})), who="token:deadbeef")
"""
    env = os.environ | {"CCHC_DATA_DIR": str(data_dir), "CCHC_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the admin change did not start"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    uploads = data_dir / "documents"
    assert (uploads / ".journal.json").exists()  # the change was half done when the process died
    assert any(p.suffix == ".docx" for p in uploads.iterdir())
    assert (data_dir / "index" / "current.json").read_bytes() == current

    c = open_client()  # the next start reads the corpus: the interrupted change is undone first
    assert sorted(listed(c)) == BUNDLED_IDS
    assert not (uploads / ".journal.json").exists()
    assert not [p for p in uploads.iterdir() if not p.name.startswith(".")]
    assert ask(c, Q_HA_TINH)["found"] and not ask(c, Q_LEAD)["found"]
    assert (data_dir / "index" / "current.json").read_bytes() == current  # the content hash matched
    [entry] = audit_lines(data_dir)
    assert entry["action"] == "rollback" and entry["who"] == "system" and entry["filename"] == "ca-mau.docx"


# ---- CLI ----------------------------------------------------------------------------------------------

@pytest.fixture
def cli(data_dir, monkeypatch):
    monkeypatch.setenv("CCHC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CCHC_EMBEDDER", "hash")
    monkeypatch.delenv("CCHC_ADMIN_TOKEN", raising=False)
    return cli_main


def test_cli_add_list_remove_and_the_next_ask_picks_it_up(cli, data_dir, tmp_path, capsys):
    src = tmp_path / "KH 55 Cà Mau.pdf" if DEJAVU.exists() else tmp_path / "KH 55 Cà Mau.txt"
    src.write_bytes(render(plan(), src.suffix))
    assert cli(["corpus", "add", str(src), "--dry-run"]) == 0
    assert "chưa lưu" in capsys.readouterr().out and not (data_dir / "audit.log").exists()
    assert cli(["corpus", "add", str(src), "--province", "Cà Mau", "--year", "2025"]) == 0
    out = capsys.readouterr().out
    doc_id = re.search(r"(ca-mau-2025-[0-9a-f]{8})", out).group(1)
    assert "3 nhiệm vụ" in out
    assert cli(["corpus", "list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [i["province"] for i in items if i["id"] == doc_id] == ["Cà Mau"]
    assert cli(["corpus", "add", str(src)]) == 1
    assert doc_id in capsys.readouterr().err

    settings = Settings()
    a = build_assistant(settings).answer(Q_LEAD)  # the content hash changed: the index is rebuilt
    assert a.found and "Sở Nội vụ" in a.answer and a.sources[0].province == "Cà Mau"

    assert cli(["corpus", "remove", doc_id]) == 0
    assert doc_id in capsys.readouterr().out
    assert not build_assistant(settings).answer(Q_LEAD).found
    assert cli(["corpus", "remove", doc_id]) == 1
    assert_vietnamese(capsys.readouterr().err, doc_id)
    log = audit_lines(data_dir)
    assert [(e["action"], e["who"]) for e in log] == [("add", "cli"), ("remove", "cli")]
    assert log[0]["filename"] == src.name


def test_cli_replace_and_bad_file(cli, data_dir, tmp_path, capsys):
    bad = tmp_path / "mon-ngon.txt"
    bad.write_text(RECIPE, encoding="utf-8")
    assert cli(["corpus", "add", str(bad)]) == 1
    assert_vietnamese(capsys.readouterr().err, "KẾ HOẠCH")
    assert cli(["corpus", "add", str(tmp_path / "khong-ton-tai.docx")]) == 2
    assert not (data_dir / "audit.log").exists()
    new = tmp_path / "ha-tinh.txt"
    new.write_bytes(ha_tinh_with_justice_dept())
    assert cli(["corpus", "add", str(new), "--replace", HA_TINH]) == 0
    assert "Đã thay thế" in capsys.readouterr().out
    assert cli(["corpus", "show", HA_TINH, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert any(t["lead"] == ["Sở Tư pháp"] for t in view["tasks"])
    assert "Sở Tư pháp" in build_assistant(Settings()).answer(Q_HA_TINH).answer


# ---- the admin page in a real browser -----------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="cần /usr/bin/chromium")
def test_admin_page_sign_in_preview_confirm_and_withdraw(open_client, serve_app, data_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    url = serve_app(open_client().app)
    hostile = Spec(extra_rows=[["4", '<img src=x onerror="window.__pwned=1">Tờ rơi <b>mới</b>', "Sở Nội vụ",
                                "", "Quý IV/2025", "1.000.000"]])
    data = render(plan(hostile), ".docx")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        # CSP bypassed: Playwright's polling needs eval, and the page must be safe by rendering text only
        page = browser.new_page(locale="vi-VN", bypass_csp=True)
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/admin")
        page.fill("#token", "sai-ma")
        page.click("#login-form button")
        page.wait_for_function("document.querySelector('.hint').textContent.includes('không đúng')")
        assert page.is_hidden("#app")
        page.fill("#token", TOKEN)
        page.click("#login-form button")
        page.wait_for_selector("#docs-table tbody tr")
        assert page.locator("#docs-table tbody tr").count() == len(BUNDLED_IDS)
        assert page.evaluate("sessionStorage.getItem('cchcAdminToken')") == TOKEN

        page.set_input_files("#file", {"name": "ca-mau.docx", "buffer": data,
                                       "mimeType": "application/octet-stream"})
        page.click("#preview-btn")
        page.wait_for_selector("#tasks-table tbody tr")
        assert "chưa lưu" in page.text_content("#status")
        assert page.locator("#tasks-table tbody tr").count() == 4
        # shown as text (the loader drops markdown "__" and <b>, so the payload reads "window.pwned")
        assert '<img src=x onerror="window.' in page.text_content("#tasks-table")
        assert "Bưu điện tỉnh Cà Mau" in page.text_content("#duties")
        assert not (data_dir / "documents").exists() or not any(
            p.suffix == ".docx" for p in (data_dir / "documents").iterdir())
        page.click("#confirm-btn")
        page.wait_for_function("document.querySelector('#status').className.includes('ok')", timeout=60_000)
        page.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS) + 1}")
        assert "Cà Mau" in page.text_content("#docs-table")
        # the audit table is refreshed by its own request after the list: wait for it, don't race it
        page.wait_for_function("document.querySelector('#audit-table').textContent.includes('thêm')", timeout=30_000)

        page.on("dialog", lambda d: d.accept())
        row = page.locator("#docs-table tbody tr", has_text="Cà Mau")
        row.locator("button", has_text="Thu hồi").click()
        page.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS)}",
                               timeout=60_000)
        assert page.evaluate("[window.__pwned, window.pwned]") == [None, None]
        page.click("#signout")
        assert page.evaluate("sessionStorage.getItem('cchcAdminToken')") is None
        browser.close()
    assert not errors, errors
    assert [e["action"] for e in audit_lines(data_dir)] == ["add", "remove"]


def test_index_on_disk_is_complete_after_a_change_is_undone(client, data_dir):
    """Add then withdraw returns the corpus to a content hash this process already indexed: the index
    rebuilt for it must be complete on disk (a fresh process sees every vector), not only in memory."""
    seed_hash = load_current(data_dir)["hash"]
    for _ in range(2):  # the second round builds both content hashes a second time in this process
        r = upload(client, render(plan(), ".txt"), "ca-mau.txt")
        assert r.status_code == 201
        assert client.delete(f"/admin/documents/{r.json()['document']['id']}", headers=AUTH).status_code == 200
        assert load_current(data_dir)["hash"] == seed_hash
    assert ask(client, Q_HA_TINH)["found"]
    script = ("import sys; from tests.test_admin import _index_is_loadable; from pathlib import Path; "
              "_index_is_loadable(Path(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", script, str(data_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]


def test_interrupted_commit_is_finished_not_undone(data_dir, tmp_path):
    """A crash after the change went live (index switched) but before the journal was cleared is
    completed on the next read: the audit line is written once and the old version archived."""
    from library.admin import CorpusAdmin, _Txn

    admin = CorpusAdmin(data_dir)
    src = tmp_path / "ca-mau.txt"
    src.write_bytes(render(plan(), ".txt"))
    view = admin.add(admin.receive_file(src))
    doc_id = view["document"]["id"]
    uploads = data_dir / "documents"
    new = uploads / ".incoming" / "v2.part"
    new.write_bytes(render(plan(Spec(number=72)), ".txt"))
    txn = _Txn(uploads, "replace", doc_id, {"when": "2025-03-12T00:00:00Z", "who": "cli", "action": "replace",
                                              "doc_id": doc_id, "sha256": "x", "filename": "v2.txt"})
    txn.stash(f"{doc_id}.txt")
    txn.place(new, f"{doc_id}.txt")
    txn.state = "committed"
    txn._save()  # ... and the process dies here
    store = CorpusStore(dirs=[BUNDLED_DIR, uploads])
    assert store.get(doc_id).parsed.plan.number == "72/KH-UBND"
    assert not (uploads / ".journal.json").exists()
    assert [e["action"] for e in audit_lines(data_dir)] == ["add", "replace"]
    assert list((uploads / ".archive" / doc_id).iterdir())
    CorpusStore(dirs=[BUNDLED_DIR, uploads]).documents()
    assert len(audit_lines(data_dir)) == 2
