"""Issue 14, point 11: what citizens could not get answered — recorded at the edges, PII stripped, retained
for a limited time, grouped for the admin and exported as CSV; 👍/👎 through POST /v1/feedback."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import unanswered
from api.app import create_app
from api.privacy import strip_pii
from api.runtime import Runtime
from bot.answer import Answer, Source
from bot.channels import common
from config.settings import Settings

TOKEN = "ma-quan-tri-bao-cao-unanswered"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OFF_TOPIC = "Giá vàng hôm nay bao nhiêu?"


# ---- personal data --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, gone, kept", [
    ("Gọi tôi 0912345678 nhé", "0912345678", "Gọi tôi"),
    ("sđt 0912.345.678 hoặc +84 912 345 678", "345", "hoặc"),
    ("email nguyen.van.a+cchc@gmail.com", "gmail", "email"),
    ("CCCD 001203004567 của tôi", "001203004567", "CCCD"),
    ("CCCD 001 203 004 567", "004 567", "CCCD"),
    ("CMND 123456789", "123456789", "CMND"),
])
def test_phone_email_and_id_numbers_are_stripped(text: str, gone: str, kept: str) -> None:
    out = strip_pii(text)
    assert gone not in out and kept in out, out


def test_budgets_dates_and_plan_numbers_are_not_personal_data() -> None:
    text = "Kinh phí 1.005.896.756 đồng, mục 2.1, Kế hoạch 101/KH-UBND ngày 02/4/2024, năm 2024"
    assert strip_pii(text) == text


# ---- the store ------------------------------------------------------------------------------------------
def test_rows_older_than_the_retention_limit_are_deleted(tmp_path) -> None:
    now = [1_000_000.0]
    store = unanswered.UnansweredStore(tmp_path / "u.sqlite3", retention_days=2, clock=lambda: now[0])
    store.add("not_found", "web", "Câu hỏi cũ")
    now[0] += 3 * 86400
    store.add("not_found", "web", "Câu hỏi mới")
    assert [r["question"] for r in store.rows()] == ["Câu hỏi mới"]


def test_a_thumbs_up_keeps_no_question_text(tmp_path) -> None:
    store = unanswered.UnansweredStore(tmp_path / "u.sqlite3")
    store.add("helpful", "web", "Ai chủ trì cuộc thi?")
    assert store.rows()[0]["question"] == ""
    assert unanswered.report(store)["counts"] == {"not_found": 0, "unhelpful": 0, "helpful": 1}


def test_similar_questions_are_grouped_with_counts_and_scopes(tmp_path) -> None:
    store = unanswered.UnansweredStore(tmp_path / "u.sqlite3")
    store.add("not_found", "web", "Lịch tiếp công dân của Sở Nội vụ Cà Mau?", "Cà Mau")
    store.add("not_found", "telegram", "lich tiep cong dan cua so noi vu ca mau", None)
    store.add("unhelpful", "web", "Lịch tiếp công dân Sở Nội vụ Cà Mau ở đâu?", "Cà Mau", ["Hà Tĩnh, 2024"], "Xin lỗi.")
    store.add("not_found", "zalo", "Học phí trường mầm non bao nhiêu?")
    groups = unanswered.report(store)["groups"]
    assert [g["count"] for g in groups] == [3, 1]
    top = groups[0]
    assert top["kinds"] == {"not_found": 2, "unhelpful": 1}
    assert top["channels"] == {"web": 2, "telegram": 1}
    assert top["provinces"] == {"Cà Mau": 2} and top["plans"] == {"Hà Tĩnh, 2024": 1}
    assert len(top["variants"]) == 3 and top["question"].startswith("Lịch tiếp")  # shown with its diacritics
    assert "Học phí" in groups[1]["question"]


def test_csv_has_one_line_per_question_with_its_group_and_no_formulas(tmp_path) -> None:
    store = unanswered.UnansweredStore(tmp_path / "u.sqlite3")
    store.add("not_found", "web", "=HYPERLINK(\"x\") lịch tiếp dân", reason="Xin lỗi. Không có.")
    store.add("not_found", "web", "Lịch tiếp dân?")
    text = unanswered.to_csv(store)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == unanswered.CSV_COLUMNS
    assert len(rows) == 3
    assert all(not r[3].startswith("=") for r in rows[1:])
    assert rows[1][8].count("/") == 2  # dd/mm/yyyy local time


# ---- recording at the edges -----------------------------------------------------------------------------
@pytest.fixture
def app_client(api_runtime, tmp_path):
    settings = api_runtime.settings.model_copy(update={"data_dir": tmp_path, "admin_token": SecretStr(TOKEN)})
    with TestClient(create_app(settings=settings, runtime=api_runtime)) as c:
        yield c


def test_found_false_on_the_chat_route_is_recorded_without_personal_data(app_client) -> None:
    r = app_client.post("/v1/chat", json={"message": OFF_TOPIC + " Gọi tôi 0987654321", "province": "Hà Tĩnh"})
    assert r.status_code == 200 and r.json()["found"] is False
    assert set(r.json()) == {"answer", "found", "sources", "session_id"}  # the contract is unchanged
    ok = app_client.post("/v1/chat", json={"message": "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang?"})
    assert ok.json()["found"] is True
    report = app_client.get("/admin/unanswered", headers=AUTH).json()
    assert report["counts"]["not_found"] == 1
    g = report["groups"][0]
    assert "0987654321" not in g["question"] and "[số điện thoại]" in g["question"]
    assert g["channels"] == {"web": 1} and g["provinces"] == {"Hà Tĩnh": 1}
    assert g["reasons"]  # the refusal as the user read it


def test_streamed_refusal_is_recorded_once(app_client) -> None:
    with app_client.stream("POST", "/v1/chat/stream", json={"message": OFF_TOPIC}) as r:
        body = "".join(r.iter_text())
    assert "event: answer" in body
    assert app_client.get("/admin/unanswered", headers=AUTH).json()["counts"]["not_found"] == 1


def test_feedback_needs_a_server_issued_session_and_is_reported(app_client) -> None:
    bad = app_client.post("/v1/feedback", json={"session_id": "khong-co", "question": "x", "rating": "down"})
    assert bad.status_code == 404 and "cuộc trò chuyện" in bad.json()["detail"]
    app_client.app.state.runtime.sessions.append("tg:42", "Ai chủ trì?")  # a Telegram chat's session
    chat = app_client.post("/v1/feedback", json={"session_id": "tg:42", "question": "x", "rating": "down"})
    assert chat.status_code == 404
    sid = app_client.post("/v1/chat", json={"message": "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?"}).json()[
        "session_id"]
    r = app_client.post("/v1/feedback", json={
        "session_id": sid, "question": "Ai chủ trì cuộc thi ở Hà Tĩnh? mail tôi: a@b.vn", "rating": "down",
        "province": "Hà Tĩnh", "plans": ["Hà Tĩnh, 2024"], "answer": "Sở Thông tin và Truyền thông chủ trì. Nguồn: …"})
    assert r.status_code == 200 and r.json()["ok"] is True
    vote = {"session_id": sid, "question": "x"}
    assert app_client.post("/v1/feedback", json=vote | {"rating": "up"}).status_code == 200
    assert app_client.post("/v1/feedback", json=vote | {"rating": "meh"}).status_code == 422
    report = app_client.get("/admin/unanswered", headers=AUTH).json()
    assert report["counts"] == {"not_found": 0, "unhelpful": 1, "helpful": 1}
    g = report["groups"][0]
    assert "a@b.vn" not in g["question"] and g["plans"] == {"Hà Tĩnh, 2024": 1}
    csv_r = app_client.get("/admin/unanswered.csv", headers=AUTH)
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_r.headers["content-disposition"]
    assert "Ai chủ trì cuộc thi" in csv_r.text and "a@b.vn" not in csv_r.text


def test_unanswered_report_is_admin_only(app_client) -> None:
    assert app_client.get("/admin/unanswered").status_code == 401
    assert app_client.get("/admin/unanswered.csv", headers={"Authorization": "Bearer sai"}).status_code == 401


class Refusing:
    def answer(self, message, province=None, session_id=None):
        return Answer(answer="Các kế hoạch trong kho không nêu thông tin này. Hỏi lại nhé.", found=False,
                      sources=[Source(document="KH", province="Hà Tĩnh", year=2024)], session_id=session_id)


class FakeSessions:
    def get_meta(self, session_id):
        return {"province": "Kiên Giang"}


def FakeRuntime(data_dir) -> Runtime:
    """The service's Runtime (it records what the channels report) over an assistant that always refuses."""
    return Runtime(settings=Settings(data_dir=data_dir), store=None, assistant=Refusing(), sessions=FakeSessions())


def test_channel_refusals_are_recorded_with_channel_and_chosen_province(tmp_path) -> None:
    rt = FakeRuntime(tmp_path)
    ans = asyncio.run(common.ask(rt, "Lịch tiếp dân 0912345678?", "tg:42"))
    assert ans.found is False
    asyncio.run(common.ask(rt, "Lịch tiếp dân?", "zalo:abc"))
    g = unanswered.report(unanswered.store_for(rt.settings))["groups"][0]
    assert g["count"] == 2 and g["channels"] == {"telegram": 1, "zalo": 1}
    assert g["provinces"] == {"Kiên Giang": 2} and "0912345678" not in g["question"]


def test_a_broken_report_store_never_costs_the_user_the_answer(tmp_path) -> None:
    rt = FakeRuntime(tmp_path / "a-file")
    (tmp_path / "a-file").write_text("not a directory")
    ans = asyncio.run(common.ask(rt, "Lịch tiếp dân?", "tg:1"))
    assert ans.found is False and "không nêu" in ans.answer
