"""The HTTP API (issue 4): validation, answers, SSE streaming, sessions, health, widget, CORS.

In-process tests use TestClient over the full app; the over-the-wire tests run a real uvicorn server
on 127.0.0.1 and talk to it with httpx. All share one Runtime built with the hash embedder.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.answer import Answer, Source
from bot.sessions import SQLiteSessions
from config.settings import Settings

KG_BUDGET = "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang là bao nhiêu?"
HT_CONTEST = "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?"
EMPTY = "Tin nhắn không được để trống."
TOO_LONG = "Tin nhắn quá dài (tối đa 2.000 ký tự)."


def sse_events(text: str) -> list[tuple[str, dict]]:
    """Parse a complete SSE body into (event, data) pairs."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        out.append((event, json.loads("\n".join(data)) if data else {}))
    return out


def without_session(ans: dict) -> dict:
    return {k: v for k, v in ans.items() if k != "session_id"}


# ---- validation -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": ""}, EMPTY),
        ({"message": "   \n\t "}, EMPTY),
        ({}, EMPTY),
        ({"message": "x" * 2001}, TOO_LONG),
        ({"message": "Xin chào", "user": "abc"}, "Trường “user” không được hỗ trợ"),
        ({"message": 42}, "phải là một chuỗi ký tự"),
        ({"message": "Xin chào", "session_id": "có dấu cách!"}, "Mã phiên không hợp lệ"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_invalid_requests_get_a_vietnamese_422(api_client: TestClient, path: str, body: dict, detail: str) -> None:
    r = api_client.post(path, json=body)
    assert r.status_code == 422
    data = r.json()
    assert isinstance(data["detail"], str) and detail in data["detail"]
    assert data["errors"] and all(e["message"] for e in data["errors"])
    assert "Field required" not in r.text and "Input should" not in r.text


def test_message_of_exactly_the_limit_is_accepted(api_client: TestClient) -> None:
    r = api_client.post("/v1/chat", json={"message": "kinh phí " + "a" * 1991})
    assert r.status_code == 200


def test_broken_json_and_non_object_bodies(api_client: TestClient) -> None:
    r = api_client.post("/v1/chat", content=b"{message: ", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = api_client.post("/v1/chat", json=["Xin chào"])
    assert r.status_code == 422 and "đối tượng JSON" in r.json()["detail"]


def test_limit_follows_settings(api_runtime) -> None:
    settings = api_runtime.settings.model_copy(update={"max_message_chars": 50})
    with TestClient(create_app(settings=settings, runtime=api_runtime)) as client:
        r = client.post("/v1/chat", json={"message": "x" * 51})
    assert r.status_code == 422 and r.json()["detail"] == "Tin nhắn quá dài (tối đa 50 ký tự)."


# ---- answers ----------------------------------------------------------------------------
def test_chat_answers_with_sources_and_a_new_session(api_client: TestClient) -> None:
    r = api_client.post("/v1/chat", json={"message": KG_BUDGET})
    assert r.status_code == 200
    ans = r.json()
    assert set(ans) == {"answer", "found", "sources", "session_id"}
    assert ans["found"] is True
    assert "1.005.896.756" in ans["answer"]
    assert any(s["province"] == "Kiên Giang" and s["year"] == 2024 for s in ans["sources"])
    assert all(set(s) == {"document", "province", "year", "section", "quote", "score"} for s in ans["sources"])
    assert ans["session_id"] and len(ans["session_id"]) >= 16


def test_session_id_is_kept_and_new_ids_are_unique(api_client: TestClient) -> None:
    a = api_client.post("/v1/chat", json={"message": KG_BUDGET}).json()["session_id"]
    b = api_client.post("/v1/chat", json={"message": KG_BUDGET}).json()["session_id"]
    assert a != b and len(a) == 48
    c = api_client.post("/v1/chat", json={"message": KG_BUDGET, "session_id": a}).json()
    assert c["session_id"] == a


@pytest.mark.parametrize("sid", ["tg:123456789", "zalo:7000000001", "widget-123", "0" * 48,
                                 "3f2b9c0e8a7d4e51b6c2a1f0e9d8c7b6a41c0d9e7f3b2a10"])
@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_ids_the_server_did_not_issue_are_refused(api_client: TestClient, path: str, sid: str) -> None:
    """Channel sessions (tg:/zalo:) and made-up ids cannot be read or polluted from the web API."""
    r = api_client.post(path, json={"message": KG_BUDGET, "session_id": sid})
    assert r.status_code == 422 and "Mã phiên không hợp lệ" in r.json()["detail"]


def test_a_web_client_cannot_reach_a_telegram_chat_context(api_runtime) -> None:
    api_runtime.sessions.append("tg:42", HT_CONTEST)
    with TestClient(create_app(runtime=api_runtime)) as client:
        r = client.post("/v1/chat", json={"message": "Thời gian thực hiện khi nào?", "session_id": "tg:42"})
    assert r.status_code == 422
    assert api_runtime.sessions.history("tg:42") == [HT_CONTEST]  # not polluted


def test_one_question_visits_store_no_session_until_the_conversation_continues(api_runtime) -> None:
    sessions = api_runtime.sessions
    before = sessions.count()
    with TestClient(create_app(runtime=api_runtime)) as client:
        for _ in range(30):
            client.post("/v1/chat", json={"message": KG_BUDGET})
        assert sessions.count() == before
        sid = client.post("/v1/chat", json={"message": HT_CONTEST}).json()["session_id"]
        ans = client.post("/v1/chat", json={"message": "Thời gian thực hiện khi nào?", "session_id": sid}).json()
    assert "Quý II-III/2024" in ans["answer"]  # the first question was remembered (in memory)
    assert sessions.count() == before + 1 and len(sessions.history(sid)) == 2


def test_stored_sessions_are_capped_and_the_file_shrinks(tmp_path) -> None:
    path = tmp_path / "s.sqlite3"
    sessions = SQLiteSessions(path, max_rows=500, ttl_seconds=60, clock=lambda: now[0])
    now = [1_000.0]
    for i in range(2_000):
        now[0] += 0.001
        sessions.append(f"s{i}", "Ai chủ trì cuộc thi tìm hiểu CCHC? " * 20)
    assert sessions.count() == 500
    assert sessions.history("s1999") and not sessions.history("s0")  # the least recently used went first
    big = path.stat().st_size
    now[0] += 3600
    assert sessions.purge_expired() == 500
    sessions._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size < big / 3


def test_province_scopes_a_question_that_names_none(api_client: TestClient) -> None:
    ans = api_client.post("/v1/chat", json={"message": "Ai chủ trì cuộc thi tìm hiểu CCHC?",
                                            "province": "Hà Tĩnh"}).json()
    assert ans["found"] and ans["sources"][0]["province"] == "Hà Tĩnh"


def test_unknown_province_is_a_polite_refusal(api_client: TestClient) -> None:
    ans = api_client.post("/v1/chat", json={"message": "Cà Mau giao ai chủ trì tuyên truyền CCHC năm 2024?"}).json()
    assert ans["found"] is False and ans["sources"] == [] and "Cà Mau" in ans["answer"]


def follow_up_flow(post) -> None:
    """The conversation from the brief; ``post(body) -> dict`` is any transport."""
    first = post({"message": HT_CONTEST})
    assert first["found"] and "Sở Thông tin và Truyền thông" in first["answer"]
    sid = first["session_id"]
    second = post({"message": "Thời gian thực hiện khi nào?", "session_id": sid})
    assert second["session_id"] == sid
    assert "Quý II-III/2024" in second["answer"]
    assert second["sources"][0]["province"] == "Hà Tĩnh"
    third = post({"message": "Còn ở Vĩnh Long thì sao?", "session_id": sid})
    assert third["found"] and "Vĩnh Long" in third["answer"]
    assert third["sources"][0]["province"] == "Vĩnh Long"


def test_follow_ups_through_the_api(api_client: TestClient) -> None:
    follow_up_flow(lambda body: api_client.post("/v1/chat", json=body).json())


@pytest.mark.slow
def test_sessions_survive_a_restart(api_runtime, tmp_path) -> None:
    """Two apps, one after the other, over the same data dir (the index is copied to save a rebuild)."""
    data_dir = tmp_path / "data"
    shutil.copytree(api_runtime.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("sessions.sqlite3*"))
    settings = Settings(data_dir=data_dir, embedder="hash")
    with TestClient(create_app(settings)) as first:
        sid = first.post("/v1/chat", json={"message": HT_CONTEST}).json()["session_id"]
        # a conversation that continues is stored (a lone first question stays in memory only)
        first.post("/v1/chat", json={"message": HT_CONTEST, "session_id": sid})
    with TestClient(create_app(Settings(data_dir=data_dir, embedder="hash"))) as second:
        ans = second.post("/v1/chat", json={"message": "Thời gian thực hiện khi nào?", "session_id": sid}).json()
    assert ans["session_id"] == sid
    assert "Quý II-III/2024" in ans["answer"] and ans["sources"][0]["province"] == "Hà Tĩnh"
    assert (data_dir / "sessions.sqlite3").exists()


def test_expired_sessions_are_swept_in_the_background(api_runtime, tmp_path) -> None:
    now = [1_000.0]
    sessions = SQLiteSessions(tmp_path / "s.sqlite3", ttl_seconds=60, clock=lambda: now[0])
    sessions.append("cu", "Ai chủ trì?")
    sessions.append("moi", "Ai chủ trì?")
    now[0] += 50
    sessions.append("moi", "Khi nào?")
    now[0] += 30  # "cu" is now 80 s old (expired), "moi" 30 s

    def count() -> int:
        return sessions._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]

    with TestClient(create_app(runtime=dataclasses.replace(api_runtime, sessions=sessions))):
        deadline = time.monotonic() + 5
        while count() != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert count() == 1 and sessions.history("moi") == ["Ai chủ trì?", "Khi nào?"]


# ---- streaming --------------------------------------------------------------------------
def test_stream_events_and_final_answer_match_chat(api_client: TestClient) -> None:
    r = api_client.post("/v1/chat/stream", json={"message": KG_BUDGET})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    events = sse_events(r.text)
    names = [e for e, _ in events]
    assert names[-2:] == ["answer", "done"]
    assert names.count("answer") == 1 and names.count("delta") >= 3
    assert set(names[:-2]) == {"delta"}
    final = events[-2][1]
    assert "".join(d["text"] for e, d in events if e == "delta").strip() == final["answer"].strip()
    plain = api_client.post("/v1/chat", json={"message": KG_BUDGET}).json()
    assert without_session(final) == without_session(plain)
    assert final["session_id"]


def test_stream_follow_up_uses_the_session(api_client: TestClient) -> None:
    def post(body: dict) -> dict:
        events = sse_events(api_client.post("/v1/chat/stream", json=body).text)
        return next(d for e, d in events if e == "answer")

    follow_up_flow(post)


# ---- failures ---------------------------------------------------------------------------
class Boom:
    """An assistant whose backend fails (e.g. the vector store went away)."""

    def answer(self, *a, **kw) -> Answer:
        raise RuntimeError("chroma exploded at /secret/path")

    def stream(self, *a, **kw) -> Iterator[str | Answer]:
        yield "Một "
        raise RuntimeError("chroma exploded at /secret/path")


def test_assistant_errors_become_a_polite_500(api_runtime) -> None:
    app = create_app(runtime=dataclasses.replace(api_runtime, assistant=Boom()))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/v1/chat", json={"message": KG_BUDGET})
        assert r.status_code == 500
        assert r.json()["detail"].startswith("Xin lỗi")
        assert "secret" not in r.text and "Traceback" not in r.text
        s = client.post("/v1/chat/stream", json={"message": KG_BUDGET})
        names = [e for e, _ in sse_events(s.text)]
        assert names == ["delta", "error", "done"]
        assert "secret" not in s.text and "Xin lỗi" in s.text


# ---- health -----------------------------------------------------------------------------
def test_healthz_and_readyz(api_client: TestClient) -> None:
    assert api_client.get("/healthz").json() == {"status": "ok"}
    r = api_client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True and body["documents"] == 5
    assert "Hà Tĩnh" in body["provinces"]
    assert body["channels"]["web"] is True
    assert all(isinstance(v, bool) for v in body["channels"].values())


def test_readyz_is_503_before_the_runtime_loads(api_runtime) -> None:
    client = TestClient(create_app(runtime=api_runtime))  # no ``with``: the lifespan has not run
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["ready"] is False
    assert client.get("/healthz").status_code == 200
    r = client.post("/v1/chat", json={"message": KG_BUDGET})
    assert r.status_code == 503 and "khởi động" in r.json()["detail"]


def test_readyz_reports_channels_set_by_other_modules(api_client: TestClient) -> None:
    api_client.app.state.channels = {"telegram": True, "zalo": False}
    assert api_client.get("/readyz").json()["channels"] == {"web": True, "telegram": True, "zalo": False}


# ---- widget, demo page, docs --------------------------------------------------------------
def test_widget_js_is_served_small_and_cacheable(api_client: TestClient) -> None:
    r = api_client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "max-age=" in r.headers["cache-control"] and r.headers.get("etag")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert len(r.content) < 40_000
    assert r.headers.get("content-encoding") == "gzip"  # ~7 kB on the wire
    js = r.text
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js
    assert "attachShadow" in js and "document.currentScript" in js and "sessionStorage" in js
    etag = r.headers["etag"]
    assert api_client.get("/widget.js", headers={"If-None-Match": etag}).status_code == 304


def test_demo_page_embeds_the_widget_with_one_tag(api_client: TestClient) -> None:
    r = api_client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "Cổng thông tin điện tử tỉnh" in html
    assert "Nhúng trợ lý vào cổng thông tin" in html
    assert '<script src="widget.js" data-title=' in html and 'data-province="Hà Tĩnh"' in html


def test_openapi_has_vietnamese_examples(api_client: TestClient) -> None:
    spec = api_client.get("/openapi.json").json()
    examples = spec["paths"]["/v1/chat"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert any("Kiên Giang" in e["value"]["message"] for e in examples.values())
    assert "/v1/chat/stream" in spec["paths"]
    assert spec["components"]["schemas"]["ChatRequest"]["additionalProperties"] is False
    assert api_client.get("/docs").status_code == 200


# ---- CORS -------------------------------------------------------------------------------
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def test_cors_preflight_from_another_origin(api_client: TestClient) -> None:
    r = api_client.options("/v1/chat/stream", headers={"Origin": "https://hatinh.gov.vn", **PREFLIGHT})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    r = api_client.post("/v1/chat", json={"message": KG_BUDGET}, headers={"Origin": "https://hatinh.gov.vn"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_cors_can_be_restricted(api_runtime) -> None:
    settings = api_runtime.settings.model_copy(update={"cors_origins": ["https://hatinh.gov.vn"]})
    with TestClient(create_app(settings=settings, runtime=api_runtime)) as client:
        ok = client.options("/v1/chat", headers={"Origin": "https://hatinh.gov.vn", **PREFLIGHT})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://hatinh.gov.vn"
        bad = client.options("/v1/chat", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers


# ---- over the wire ------------------------------------------------------------------------
@pytest.mark.slow
def test_real_server_chat_and_stream(live_api: str) -> None:
    with httpx.Client(base_url=live_api, timeout=30) as client:
        assert client.get("/readyz").json()["ready"] is True
        ans = client.post("/v1/chat", json={"message": KG_BUDGET}).json()
        assert "1.005.896.756" in ans["answer"]
        names = []
        with client.stream("POST", "/v1/chat/stream", json={"message": KG_BUDGET}) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("event:"):
                    names.append(line[6:].strip())
        assert names[0] == "delta" and names[-2:] == ["answer", "done"]
        follow_up_flow(lambda body: client.post("/v1/chat", json=body).json())


@pytest.mark.slow
def test_real_server_handles_concurrent_clients(live_api: str) -> None:
    questions = [KG_BUDGET, HT_CONTEST, "Tỉnh đoàn Vĩnh Long được giao nhiệm vụ gì?",
                 "Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì?"] * 4

    def ask(q: str) -> int:
        with httpx.Client(base_url=live_api, timeout=60) as c:
            return c.post("/v1/chat", json={"message": q}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, questions)) == [200] * len(questions)


class SlowAssistant:
    """Streams slowly, to show the server keeps answering other requests meanwhile."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        return Answer(answer="xong", found=True, session_id=session_id)

    def stream(self, message: str, province: str | None = None, session_id: str | None = None):
        self.started.set()
        for word in ["Một ", "hai ", "ba"]:
            time.sleep(0.4)
            yield word
        yield Answer(answer="Một hai ba", found=True, sources=[Source(document="KH 1", province="Hà Tĩnh")],
                     session_id=session_id)


@pytest.mark.slow
def test_streaming_does_not_block_the_event_loop(api_runtime, serve_app) -> None:
    slow = SlowAssistant()
    app = create_app(runtime=api_runtime)
    url = serve_app(app)
    app.state.runtime = dataclasses.replace(api_runtime, assistant=slow)
    result: dict = {}

    def consume() -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            result["text"] = c.post("/v1/chat/stream", json={"message": "đếm"}).text

    t = threading.Thread(target=consume)
    t.start()
    assert slow.started.wait(10)
    t0 = time.perf_counter()
    with httpx.Client(base_url=url, timeout=5) as c:
        assert c.get("/healthz").status_code == 200
        assert c.post("/v1/chat", json={"message": "nhanh"}).json()["answer"] == "xong"
    assert time.perf_counter() - t0 < 0.4
    t.join(10)
    events = sse_events(result["text"])
    assert [d["text"] for e, d in events if e == "delta"] == ["Một ", "hai ", "ba"]
    assert events[-2][1]["sources"][0]["province"] == "Hà Tĩnh"
