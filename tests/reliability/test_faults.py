"""Fault injection on the channels: platform API down then up, a restart with unanswered events, TTLs, order."""

from __future__ import annotations

import itertools
import json
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.answer import Answer
from bot.channels.store import EVENT_TTL_SECONDS, ChannelStore
from bot.channels.zalo import signature
from bot.sessions import MemorySessions
from config.settings import Settings
from tests.fakes.server import ServerThread, wait_until
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

APP_ID, OA_KEY = "99887766", "oa-key-faults"
TG_TOKEN, TG_SECRET = "654321:FAULTS-token", "faults-secret"
KG_QUESTION = "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang?"
KG_TOTAL = "1.005.896.756"
_ids = itertools.count(500_000)


@pytest.fixture
def fake_zalo():
    fake = FakeZalo(app_id=APP_ID, app_secret="s", access_tokens={"AT"}, refresh_token="RT")
    with ServerThread(fake.app()) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def fake_tg():
    fake = FakeTelegram(token=TG_TOKEN)
    with ServerThread(fake.app()) as server:
        fake.url = server.url
        yield fake


def zalo_settings(data_dir, fake) -> Settings:
    return Settings(data_dir=data_dir, embedder="hash", zalo_app_id=APP_ID, zalo_oa_secret_key=OA_KEY,
                    zalo_app_secret="s", zalo_access_token="AT", zalo_refresh_token="RT",
                    zalo_api_base_url=fake.url, zalo_oauth_base_url=fake.url)


def tg_settings(data_dir, fake) -> Settings:
    return Settings(data_dir=data_dir, embedder="hash", telegram_bot_token=TG_TOKEN,
                    telegram_webhook_secret=TG_SECRET, telegram_api_base_url=f"{fake.url}/bot")


def zalo_event(user: str, text: str, msg_id: str | None = None) -> dict:
    return {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "message": {"msg_id": msg_id or f"f{next(_ids)}", "text": text}}


def zalo_post(client, ev: dict):
    body = json.dumps(ev, ensure_ascii=False).encode()
    sig = signature(APP_ID, body, ev["timestamp"], OA_KEY)
    return client.post("/webhooks/zalo", content=body, headers={"X-ZEvent-Signature": f"mac={sig}"})


def tg_update(chat_id: int, text: str) -> dict:
    return {"update_id": next(_ids), "message": {
        "message_id": next(_ids), "date": int(time.time()), "text": text,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
        "chat": {"id": chat_id, "type": "private", "first_name": "Lan"}}}


def tg_post(client, upd: dict):
    return client.post("/webhooks/telegram", json=upd, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})


# ---- platform down, then up ------------------------------------------------------------------------------

def test_zalo_outage_then_recovery_the_reply_arrives(tmp_path, fake_zalo, channels_runtime):
    fake_zalo.down = True
    with TestClient(create_app(zalo_settings(tmp_path, fake_zalo), runtime=channels_runtime)) as c:
        c.app.state.zalo.outbox.base_delay = 0.2  # retry quickly in the test (1 s, 2 s, … in service)
        assert zalo_post(c, zalo_event("u-outage", KG_QUESTION)).json()["status"] == "accepted"
        wait_until(lambda: c.app.state.zalo.outbox.failures >= 2, timeout=15)
        assert fake_zalo.texts("u-outage") == []
        assert c.get("/readyz").json()["channel_health"]["zalo"]["pending_replies"] == 1
        fake_zalo.down = False
        [text] = wait_until(lambda: fake_zalo.texts("u-outage"), timeout=15)
        assert c.get("/readyz").json()["channel_health"]["zalo"]["pending_replies"] == 0
    assert KG_TOTAL in text


def test_telegram_outage_then_recovery_the_reply_arrives(tmp_path, fake_tg, channels_runtime):
    fake_tg.down_methods = {"sendmessage"}
    with TestClient(create_app(tg_settings(tmp_path, fake_tg), runtime=channels_runtime)) as c:
        c.app.state.telegram.outbox.base_delay = 0.2
        assert tg_post(c, tg_update(31337, KG_QUESTION)).json()["queued"] is True
        wait_until(lambda: c.app.state.telegram.outbox.failures >= 2, timeout=15)
        assert fake_tg.texts(31337) == []
        fake_tg.down_methods = set()
        [text] = wait_until(lambda: fake_tg.texts(31337), timeout=15)
    assert KG_TOTAL in text


def test_replies_queued_when_the_service_stopped_go_out_after_a_restart(tmp_path, fake_zalo, channels_runtime):
    fake_zalo.down = True
    settings = zalo_settings(tmp_path, fake_zalo)
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        zalo_post(c, zalo_event("u-restart", KG_QUESTION))
        wait_until(lambda: c.app.state.zalo.outbox.failures >= 1, timeout=15)
    fake_zalo.down = False
    with TestClient(create_app(settings, runtime=channels_runtime)):
        [text] = wait_until(lambda: fake_zalo.texts("u-restart"), timeout=15)
    assert KG_TOTAL in text


# ---- a crash between accepting and answering ----------------------------------------------------------------

def test_an_event_accepted_before_a_crash_is_answered_after_the_restart(tmp_path, fake_zalo, fake_tg,
                                                                        channels_runtime):
    store = ChannelStore(tmp_path / "channels.sqlite3")  # what the killed process left behind
    ev = zalo_event("u-crash", KG_QUESTION, msg_id="crash-1")
    assert store.first_delivery("zalo", "crash-1", payload=json.dumps(ev))
    upd = tg_update(4242, KG_QUESTION)
    assert store.first_delivery("telegram", str(upd["update_id"]), payload=json.dumps(upd))
    store.close()
    settings = zalo_settings(tmp_path, fake_zalo).model_copy(update=tg_settings(tmp_path, fake_tg).model_dump(
        include={"telegram_bot_token", "telegram_webhook_secret", "telegram_api_base_url"}))
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        [z] = wait_until(lambda: fake_zalo.texts("u-crash"), timeout=20)
        [t] = wait_until(lambda: fake_tg.texts(4242), timeout=20)
        assert zalo_post(c, ev).json()["status"] == "duplicate"  # Zalo re-delivering it changes nothing
        wait_until(lambda: not c.app.state.channel_store.pending_events("telegram"), timeout=10)
        assert c.app.state.channel_store.pending_events("zalo") == []
    assert KG_TOTAL in z and KG_TOTAL in t


# ---- store rules ----------------------------------------------------------------------------------------

def test_dedupe_ttl_is_enforced_on_every_insert(tmp_path):
    now = [1_000_000.0]
    store = ChannelStore(tmp_path / "c.sqlite3", clock=lambda: now[0])
    assert store.first_delivery("zalo", "m1") and not store.first_delivery("zalo", "m1")
    now[0] += EVENT_TTL_SECONDS - 1
    assert not store.first_delivery("zalo", "m1")
    now[0] += EVENT_TTL_SECONDS + 1  # past the TTL: a new delivery with a reused id is answered
    assert store.first_delivery("zalo", "m1")
    assert store._db.execute("SELECT COUNT(*) FROM channel_events").fetchone()[0] == 1


def test_an_expired_reply_is_dropped_not_retried_for_ever(tmp_path):
    import asyncio

    from bot.channels.outbox import Outbox

    now = [1_000.0]
    store = ChannelStore(tmp_path / "c.sqlite3", clock=lambda: now[0])
    calls = []

    async def send(chat_id, text, fmt):
        calls.append(text)
        raise ConnectionError("down")

    async def run():
        box = Outbox(store, "zalo", send, ttl=60, clock=lambda: now[0])
        box.put("e1", "u1", [("một", "text"), ("hai", "text")])
        await box.deliver_due()
        now[0] += 61
        await box.deliver_due()

    asyncio.run(run())
    assert calls == ["một"] and store.pending_replies() == 0


# ---- order of multi-part answers --------------------------------------------------------------------------

def test_two_quick_questions_do_not_interleave_their_parts(tmp_path, fake_tg):
    class Long:
        def answer(self, message, province=None, session_id=None):
            time.sleep(0.05)
            body = "\n\n".join(f"{message} phần {i:02d}. " + "nội dung " * 120 for i in range(6))
            return Answer(answer=body, found=True, session_id=session_id)

    runtime = SimpleNamespace(assistant=Long(), sessions=MemorySessions())
    with TestClient(create_app(tg_settings(tmp_path, fake_tg), runtime=runtime)) as c:
        tg_post(c, tg_update(777, "A"))
        tg_post(c, tg_update(777, "B"))
        texts = wait_until(lambda: (t := fake_tg.texts(777)) and sum("phần 05" in x for x in t) == 2 and t,
                           timeout=20)
    labels = [x.split(" ", 1)[0] for x in texts]
    first = labels[0]
    cut = labels.index("B" if first == "A" else "A")
    assert len(texts) >= 4 and set(labels[:cut]) == {first} and first not in labels[cut:]
