"""Zalo OA channel (issue 5): signed webhook events in, OA messages out through the real httpx client.

The fake Zalo OpenAPI/OAuth server on 127.0.0.1 answers like Zalo (HTTP 200 with ``error != 0``)
and rotates single-use refresh tokens, so token expiry and restarts are exercised for real.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.answer import Answer
from bot.channels.formatting import ZALO_LIMIT
from bot.channels.store import ChannelStore
from bot.channels.zalo import ZaloTokenManager, is_stale, signature, verify_signature
from bot.sessions import MemorySessions
from config.settings import Settings
from tests.fakes.server import ServerThread, wait_until
from tests.fakes.zalo_api import FakeZalo

APP_ID = "1234567890123456789"
APP_SECRET = "app-secret-XYZ"
OA_KEY = "oa-secret-key-ABC"
KG_QUESTION = "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang?"
KG_TOTAL = "1.005.896.756"

_users = itertools.count(7000000001)
_msgs = itertools.count(1)


@pytest.fixture
def fake_zalo():
    """A fresh fake per test: one valid access token AT-0 and refresh token RT-0."""
    fake = FakeZalo(app_id=APP_ID, app_secret=APP_SECRET, access_tokens={"AT-0"}, refresh_token="RT-0")
    with ServerThread(fake.app()) as server:
        fake.url = server.url
        yield fake


def zalo_settings(data_dir, fake: FakeZalo, access: str | None = "AT-0", refresh: str | None = "RT-0",
                  **extra) -> Settings:
    return Settings(data_dir=data_dir, embedder="hash", zalo_app_id=APP_ID, zalo_oa_secret_key=OA_KEY,
                    zalo_app_secret=APP_SECRET, zalo_access_token=access, zalo_refresh_token=refresh,
                    zalo_api_base_url=fake.url, zalo_oauth_base_url=fake.url, **extra)


def event(user_id: str, text: str | None = "xin chào", name: str = "user_send_text", ts_ms: int | None = None,
          msg_id: str | None = None, **message) -> dict:
    """A realistic Zalo OA webhook event (timestamp in ms, as a string)."""
    msg = {"msg_id": msg_id or f"mid{next(_msgs):08d}", **message}
    if text is not None:
        msg["text"] = text
    return {"app_id": APP_ID, "user_id_by_app": "55" + user_id, "event_name": name,
            "timestamp": str(ts_ms if ts_ms is not None else int(time.time() * 1000)),
            "sender": {"id": user_id}, "recipient": {"id": "4321000000000000000"}, "message": msg}


def post(client: TestClient, ev: dict, key: str = OA_KEY, prefix: str = "mac=", signed_body: bytes | None = None,
         sign: bool = True):
    body = json.dumps(ev, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if sign:
        headers["X-ZEvent-Signature"] = prefix + signature(APP_ID, signed_body or body, ev["timestamp"], key)
    return client.post("/webhooks/zalo", content=body, headers=headers)


def replies(fake: FakeZalo, user_id: str, n: int = 1, timeout: float = 15.0) -> list[str]:
    return wait_until(lambda: (t := fake.texts(user_id)) and len(t) >= n and t, timeout=timeout)


@pytest.fixture
def client(tmp_path, fake_zalo, channels_runtime):
    app = create_app(zalo_settings(tmp_path, fake_zalo), runtime=channels_runtime)
    with TestClient(app) as c:
        yield c


# ---- the main path ------------------------------------------------------------------------------

def test_question_is_answered_through_the_oa_api(client, fake_zalo):
    user = str(next(_users))
    t0 = time.perf_counter()
    r = post(client, event(user, KG_QUESTION))
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    [text] = replies(fake_zalo, user)
    assert KG_TOTAL in text and "Nguồn:" in text and "<b>" not in text
    assert fake_zalo.messages[-1]["token"] in {"AT-0", "AT-1"}  # seeded, or refreshed at start (expiry unknown)
    assert time.perf_counter() - t0 < 15


def test_signature_accepted_without_mac_prefix(client, fake_zalo):
    user = str(next(_users))
    assert post(client, event(user, "/help"), prefix="").status_code == 200
    assert "Ví dụ câu hỏi" in replies(fake_zalo, user)[0]


def test_channels_flag_and_off_channel(tmp_path, fake_zalo, channels_runtime):
    app = create_app(zalo_settings(tmp_path / "on", fake_zalo), runtime=channels_runtime)
    with TestClient(app) as c:
        assert app.state.channels == {"telegram": False, "zalo": True}
        assert c.get("/readyz").json()["channels"]["zalo"] is True
    off = create_app(Settings(data_dir=tmp_path / "off", embedder="hash"), runtime=channels_runtime)
    with TestClient(off) as c:
        assert off.state.channels["zalo"] is False
        r = post(c, event(str(next(_users))))
        assert r.status_code == 503 and "Zalo" in r.json()["detail"]
    no_tokens = create_app(zalo_settings(tmp_path / "notok", fake_zalo, access=None, refresh=None),
                           runtime=channels_runtime)
    with TestClient(no_tokens) as c:  # could verify events but never answer: stays off
        assert no_tokens.state.channels["zalo"] is False
        assert post(c, event(str(next(_users)))).status_code == 503


# ---- security and delivery ------------------------------------------------------------------------

def test_forged_or_unsigned_events_are_refused_stale_ones_acknowledged_and_nothing_sent(client, fake_zalo):
    user = str(next(_users))
    ev = event(user, KG_QUESTION)
    assert post(client, ev, key="not-the-key").status_code == 401
    assert post(client, ev, sign=False).status_code == 401
    tampered = dict(ev, sender={"id": str(next(_users))})  # signature of the original body
    assert post(client, tampered, signed_body=json.dumps(ev, ensure_ascii=False).encode()).status_code == 401
    old = event(user, KG_QUESTION, ts_ms=int((time.time() - 3600) * 1000))
    r = post(client, old)  # authentic: 200 so that Zalo stops retrying (and never disables the webhook)
    assert r.status_code == 200 and r.json()["status"] == "stale"
    future = event(user, KG_QUESTION, ts_ms=int((time.time() + 3600) * 1000))
    assert post(client, future).json()["status"] == "stale"
    time.sleep(0.3)
    assert fake_zalo.messages == [] and fake_zalo.rejected == []
    assert post(client, ev).status_code == 200  # the genuine delivery was not marked as seen
    assert KG_TOTAL in replies(fake_zalo, user)[0]


def test_duplicate_msg_id_is_answered_once(tmp_path, fake_zalo, channels_runtime):
    user = str(next(_users))
    ev = event(user, KG_QUESTION)
    settings = zalo_settings(tmp_path, fake_zalo)
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        assert post(c, ev).json()["status"] == "accepted"
        assert post(c, ev).json()["status"] == "duplicate"
        replies(fake_zalo, user)
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:  # restart between deliveries
        assert post(c, ev).json()["status"] == "duplicate"
    time.sleep(0.2)
    assert len(fake_zalo.texts(user)) == 1


def test_long_answer_is_split_in_order(tmp_path, fake_zalo):
    paragraphs = [f"Mục {i:02d}. " + "nội dung nhiệm vụ tuyên truyền " * 12 for i in range(25)]

    class LongAssistant:
        def answer(self, message, province=None, session_id=None):
            return Answer(answer="\n\n".join(paragraphs), found=True, session_id=session_id)

    runtime = SimpleNamespace(assistant=LongAssistant(), sessions=MemorySessions())
    user = str(next(_users))
    with TestClient(create_app(zalo_settings(tmp_path, fake_zalo), runtime=runtime)) as c:
        post(c, event(user, "liệt kê tất cả"))
        texts = wait_until(lambda: (t := fake_zalo.texts(user)) and "Mục 24." in t[-1] and t, timeout=15)
    assert len(texts) >= 4 and all(len(t) <= ZALO_LIMIT for t in texts)
    joined = "\n\n".join(texts)
    assert [joined.index(f"Mục {i:02d}.") for i in range(25)] == sorted(joined.index(f"Mục {i:02d}.")
                                                                        for i in range(25))
    assert all(t.startswith("Mục ") for t in texts)


# ---- tokens -------------------------------------------------------------------------------------

def test_expired_token_is_refreshed_and_rotated_token_survives_restart(tmp_path, fake_zalo, channels_runtime):
    settings = zalo_settings(tmp_path, fake_zalo, access="AT-expired", refresh="RT-0")
    user = str(next(_users))
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        post(c, event(user, KG_QUESTION))
        [text] = replies(fake_zalo, user)
    assert KG_TOTAL in text
    assert all(r["token"] == "AT-expired" for r in fake_zalo.rejected)  # Zalo says -216 (if the send came first)
    [refresh] = fake_zalo.refreshes  # expiry unknown: refreshed once at start, with the app secret
    assert refresh == {"refresh_token": "RT-0", "app_id": APP_ID, "grant_type": "refresh_token",
                       "secret_key": APP_SECRET}
    new_refresh = fake_zalo.refresh_token
    assert new_refresh != "RT-0" and fake_zalo.messages[-1]["token"] != "AT-expired"
    stored = ChannelStore(tmp_path / "channels.sqlite3").load_zalo_tokens(APP_ID)
    assert stored.refresh_token == new_refresh and stored.expires_at > time.time() + 80000

    # restart with the same (now spent) env tokens; the access token also expires meanwhile
    fake_zalo.expire_all()
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        post(c, event(user, "/help"))
        replies(fake_zalo, user, 2)
    assert [r["refresh_token"] for r in fake_zalo.refreshes] == ["RT-0", new_refresh]  # never the spent RT-0 again
    assert ChannelStore(tmp_path / "channels.sqlite3").load_zalo_tokens(APP_ID).refresh_token == \
        fake_zalo.refresh_token


def test_a_new_env_refresh_token_replaces_the_stored_one(tmp_path, fake_zalo):
    store = ChannelStore(tmp_path / "channels.sqlite3")

    async def run() -> tuple[str, str]:
        async with httpx.AsyncClient() as http:
            m1 = ZaloTokenManager(zalo_settings(tmp_path, fake_zalo, access=None, refresh="RT-0"), store, http)
            first = await m1.access_token()  # no access token: refreshed at once
            fake_zalo.refresh_token = "RT-manual"  # an official re-authorised the OA and pasted new tokens
            m2 = ZaloTokenManager(zalo_settings(tmp_path, fake_zalo, access=None, refresh="RT-manual"), store, http)
            await m2.startup()  # the new env token is tried at start and, as it works, adopted
            return first, await m2.access_token()

    first, second = asyncio.run(run())
    assert first != second and [r["refresh_token"] for r in fake_zalo.refreshes] == ["RT-0", "RT-manual"]
    assert store.load_zalo_tokens(APP_ID).refresh_token == fake_zalo.refresh_token


def test_a_wrong_env_refresh_token_does_not_destroy_the_working_stored_pair(tmp_path, fake_zalo):
    store = ChannelStore(tmp_path / "channels.sqlite3")

    async def run() -> tuple[str, str, dict]:
        async with httpx.AsyncClient() as http:
            m1 = ZaloTokenManager(zalo_settings(tmp_path, fake_zalo, access=None, refresh="RT-0"), store, http)
            first = await m1.access_token()
            typo = ZaloTokenManager(zalo_settings(tmp_path, fake_zalo, access=None, refresh="RT-0-typo"), store, http)
            await typo.startup()  # refused by Zalo: the stored (rotated) pair stays
            return first, await typo.access_token(), typo.health

    first, second, health = asyncio.run(run())
    assert first == second and health == {"ok": True}
    assert [r["refresh_token"] for r in fake_zalo.refreshes] == ["RT-0", "RT-0-typo"]
    assert store.load_zalo_tokens(APP_ID).refresh_token == fake_zalo.refresh_token  # still usable


def test_readyz_reports_a_broken_token_chain(tmp_path, fake_zalo, channels_runtime):
    settings = zalo_settings(tmp_path, fake_zalo, access="AT-0", refresh="RT-revoked")
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        health = wait_until(lambda: (h := c.get("/readyz").json()["channel_health"]["zalo"]) and not h["ok"] and h,
                            timeout=10)
    assert "token chain broken" in health["detail"] and "RT-revoked" not in health["detail"]


def test_token_is_refreshed_before_it_expires(tmp_path, fake_zalo):
    store = ChannelStore(tmp_path / "channels.sqlite3")
    now = [1_000_000.0]

    async def run() -> list[str]:
        async with httpx.AsyncClient() as http:
            m = ZaloTokenManager(zalo_settings(tmp_path, fake_zalo, access=None, refresh="RT-0"), store, http,
                                 clock=lambda: now[0])
            tokens = [await m.access_token()]
            now[0] += 3600  # an hour later: still valid, no refresh
            tokens.append(await m.access_token())
            now[0] += 90000 - 3600 - 300  # five minutes before expiry (margin is ten): refreshed proactively
            tokens.append(await m.access_token())
            return tokens

    a, b, c = asyncio.run(run())
    assert a == b != c and len(fake_zalo.refreshes) == 2 and fake_zalo.rejected == []


def test_refused_refresh_sends_nothing_and_keeps_serving(tmp_path, fake_zalo, channels_runtime):
    settings = zalo_settings(tmp_path, fake_zalo, access="AT-expired", refresh="RT-wrong")
    user = str(next(_users))
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        assert post(c, event(user, KG_QUESTION)).status_code == 200
        wait_until(lambda: fake_zalo.refreshes)
        time.sleep(0.2)
        assert c.get("/healthz").status_code == 200
    assert fake_zalo.messages == []


# ---- commands and other events ------------------------------------------------------------------

def test_help_and_province_commands(client, fake_zalo, channels_runtime):
    user = str(next(_users))
    post(client, event(user, "/start"))
    assert "Ví dụ câu hỏi" in replies(fake_zalo, user, 1)[0]
    post(client, event(user, "/tinh Kiên Giang"))
    assert "Đã chọn tỉnh Kiên Giang" in replies(fake_zalo, user, 2)[1]
    assert channels_runtime.sessions.get_meta(f"zalo:{user}")["province"] == "Kiên Giang"
    post(client, event(user, "Tổng kinh phí tuyên truyền CCHC năm 2024 là bao nhiêu?"))
    assert KG_TOTAL in replies(fake_zalo, user, 3)[2]


@pytest.mark.parametrize("name,message", [
    ("user_send_image", {"attachments": [{"type": "image", "payload": {"url": "https://zalo.example/i.jpg"}}]}),
    ("user_send_sticker", {"attachments": [{"type": "sticker", "payload": {"id": "abc"}}]}),
])
def test_images_and_stickers_get_a_polite_reply(client, fake_zalo, name, message):
    user = str(next(_users))
    assert post(client, event(user, None, name=name, **message)).json()["status"] == "accepted"
    assert "chỉ đọc được tin nhắn văn bản" in replies(fake_zalo, user)[0]


def test_other_events_are_ignored(client, fake_zalo):
    user = str(next(_users))
    for name in ("follow", "user_seen_message", "oa_send_text"):
        ev = event(user, "x", name=name)
        assert post(client, ev).json() == {"ok": True, "status": "ignored"}
    time.sleep(0.2)
    assert fake_zalo.texts(user) == []


# ---- pure helpers -------------------------------------------------------------------------------

def test_signature_helpers():
    body = b'{"event_name":"user_send_text"}'
    mac = signature(APP_ID, body, "1700000000000", OA_KEY)
    assert verify_signature("mac=" + mac, APP_ID, body, "1700000000000", OA_KEY)
    assert verify_signature(mac.upper(), APP_ID, body, "1700000000000", OA_KEY)
    assert not verify_signature("mac=" + mac, APP_ID, body, "1700000000001", OA_KEY)
    assert not verify_signature(None, APP_ID, body, "1700000000000", OA_KEY)
    assert is_stale("1700000000000", 300, now=1700000000 + 301)
    assert not is_stale("1700000000000", 300, now=1700000000 + 299)
    assert is_stale("not-a-number", 300)
