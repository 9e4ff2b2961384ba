"""Telegram channel (issue 5): the real python-telegram-bot client against a fake Bot API on 127.0.0.1.

Updates are posted to the real FastAPI app (webhook route, secret header); what the bot sends is read
back from the fake server, which enforces Telegram's message limit and HTML rules.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.answer import Answer, Source
from bot.channels.formatting import TELEGRAM_LIMIT, split_text, telegram_messages, utf16_len
from bot.sessions import MemorySessions
from config.settings import Settings
from tests.fakes.server import ServerThread, wait_until
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:TEST-token_abc"
SECRET = "webhook-secret_0123456789"
KG_QUESTION = "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang?"
KG_TOTAL = "1.005.896.756"

_ids = itertools.count(1000)
_chats = itertools.count(900001)


@pytest.fixture(scope="module")
def fake_tg():
    fake = FakeTelegram(token=TOKEN)
    with ServerThread(fake.app()) as server:
        fake.url = server.url
        yield fake


def tg_settings(data_dir, fake: FakeTelegram, **extra) -> Settings:
    return Settings(data_dir=data_dir, embedder="hash", telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
                    telegram_api_base_url=f"{fake.url}/bot", **extra)


@pytest.fixture
def client(tmp_path, fake_tg, channels_runtime):
    app = create_app(tg_settings(tmp_path, fake_tg), runtime=channels_runtime)
    with TestClient(app) as c:
        yield c


def update(chat_id: int, text: str | None = None, update_id: int | None = None, **message) -> dict:
    """A realistic private-chat update, as Telegram posts it."""
    msg = {"message_id": next(_ids), "date": int(time.time()),
           "from": {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
           "chat": {"id": chat_id, "first_name": "Lan", "type": "private"}, **message}
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": update_id or next(_ids), "message": msg}


def post(client: TestClient, body: dict, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhooks/telegram", json=body, headers=headers)


def replies(fake: FakeTelegram, chat_id: int, n: int = 1, timeout: float = 15.0) -> list[str]:
    """Wait until the bot has sent at least ``n`` messages to the chat; return them (as displayed)."""
    return wait_until(lambda: (t := fake.texts(chat_id)) and len(t) >= n and t, timeout=timeout)


def shown(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


# ---- the main path ------------------------------------------------------------------------------

def test_question_is_answered_with_sources_in_html(client, fake_tg):
    chat = next(_chats)
    r = post(client, update(chat, KG_QUESTION))
    assert r.status_code == 200 and r.json()["queued"] is True
    [text] = replies(fake_tg, chat)
    assert KG_TOTAL in text
    assert "<b>Nguồn:</b>" in text and "Kiên Giang" in text
    sent = fake_tg.sent("sendMessage", chat)[0]
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    # the typing indicator went out before the answer
    methods = [c.method for c in fake_tg.calls if int(c.params.get("chat_id", 0) or 0) == chat]
    assert "sendChatAction" in methods and methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake_tg.sent("sendChatAction", chat)[0]["action"] == "typing"
    # PTB really talks form-encoded bodies to the fake
    assert any(c.content_type.startswith("application/x-www-form-urlencoded") for c in fake_tg.calls)


def test_channels_flag_and_off_channel(tmp_path, fake_tg, channels_runtime):
    app = create_app(tg_settings(tmp_path / "on", fake_tg), runtime=channels_runtime)
    with TestClient(app) as c:
        assert app.state.channels == {"telegram": True, "zalo": False}
        assert c.get("/readyz").json()["channels"]["telegram"] is True
    off = create_app(Settings(data_dir=tmp_path / "off", embedder="hash"), runtime=channels_runtime)
    with TestClient(off) as c:
        assert off.state.channels == {"telegram": False, "zalo": False}
        r = post(c, update(next(_chats), "xin chào"))
        assert r.status_code == 503 and "Telegram" in r.json()["detail"]
    no_secret = create_app(Settings(data_dir=tmp_path / "nosecret", embedder="hash", telegram_bot_token=TOKEN,
                                    telegram_api_base_url=f"{fake_tg.url}/bot"), runtime=channels_runtime)
    with TestClient(no_secret) as c:  # a bot token alone never opens an unauthenticated webhook
        assert no_secret.state.channels["telegram"] is False
        assert post(c, update(next(_chats), "xin chào")).status_code == 503


# ---- security and delivery ------------------------------------------------------------------------

def test_forged_or_missing_secret_is_refused_and_nothing_sent(client, fake_tg):
    chat = next(_chats)
    body = update(chat, KG_QUESTION)
    assert post(client, body, secret="wrong-secret").status_code == 403
    assert post(client, body, secret=SECRET + "x").status_code == 403
    assert post(client, body, secret=None).status_code == 401
    time.sleep(0.3)
    assert fake_tg.sent("sendMessage", chat) == [] and fake_tg.sent("sendChatAction", chat) == []
    # the refused deliveries were not even remembered: the genuine one is still answered
    assert post(client, body).json()["queued"] is True
    assert KG_TOTAL in replies(fake_tg, chat)[0]


def test_duplicate_update_is_answered_once_even_after_restart(tmp_path, fake_tg, channels_runtime):
    chat = next(_chats)
    body = update(chat, KG_QUESTION)
    settings = tg_settings(tmp_path, fake_tg)
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:
        assert post(c, body).json()["queued"] is True
        assert post(c, body).json()["queued"] is False
        replies(fake_tg, chat)
        time.sleep(0.3)
    with TestClient(create_app(settings, runtime=channels_runtime)) as c:  # a restart between deliveries
        assert post(c, body).json()["queued"] is False
        time.sleep(0.3)
    assert len(fake_tg.texts(chat)) == 1


def test_long_answer_arrives_in_order_in_several_messages(tmp_path, fake_tg):
    paragraphs = [f"Đoạn {i:02d}: nhiệm vụ <tuyên truyền> & phối hợp — " + "nội dung chi tiết " * 30
                  for i in range(30)]
    long_text = "\n\n".join(paragraphs) + "\nNguồn: Kế hoạch 1/KH-UBND (Kiên Giang, 2024), Phụ lục"
    assert len(long_text) > 3 * TELEGRAM_LIMIT

    class LongAssistant:
        def answer(self, message, province=None, session_id=None):
            return Answer(answer=long_text, found=True, session_id=session_id,
                          sources=[Source(document="Kế hoạch 1/KH-UBND", province="Kiên Giang", year=2024,
                                          section="Phụ lục")])

    runtime = SimpleNamespace(assistant=LongAssistant(), sessions=MemorySessions())
    chat = next(_chats)
    with TestClient(create_app(tg_settings(tmp_path, fake_tg), runtime=runtime)) as c:
        post(c, update(chat, "cho tôi toàn bộ nhiệm vụ"))
        texts = wait_until(lambda: (t := fake_tg.texts(chat)) and "Nguồn" in t[-1] and t, timeout=15)
    assert len(texts) >= 4
    assert all(utf16_len(shown(t)) <= TELEGRAM_LIMIT for t in texts)
    joined = "\n\n".join(texts)
    positions = [joined.index(f"Đoạn {i:02d}:") for i in range(30)]
    assert positions == sorted(positions)  # in order, none missing
    assert all(t.split("\n")[0].startswith(("Đoạn", "Nguồn")) for t in texts)  # cut between paragraphs
    assert "&lt;tuyên truyền&gt; &amp; phối hợp" in texts[0]  # escaped, and the fake parsed it
    assert "<tuyên truyền> & phối hợp" in shown(texts[0])


# ---- commands and other messages --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["/start", "/help"])
def test_start_and_help_in_vietnamese_with_examples(client, fake_tg, command):
    chat = next(_chats)
    post(client, update(chat, command))
    [text] = replies(fake_tg, chat)
    assert "Trợ lý CCHC" in text and "Ví dụ câu hỏi" in text and "Kiên Giang" in text and "/tinh" in text


def test_tinh_chooses_the_province_for_the_chat(client, fake_tg, channels_runtime):
    chat = next(_chats)
    post(client, update(chat, "/tinh kien giang"))
    assert "Đã chọn tỉnh Kiên Giang" in replies(fake_tg, chat, 1)[0]
    assert channels_runtime.sessions.get_meta(f"tg:{chat}")["province"] == "Kiên Giang"
    post(client, update(chat, "Tổng kinh phí tuyên truyền CCHC năm 2024 là bao nhiêu?"))
    assert KG_TOTAL in replies(fake_tg, chat, 2)[1]
    post(client, update(chat, "/help"))
    assert "Tỉnh đang chọn: Kiên Giang" in replies(fake_tg, chat, 3)[2]
    post(client, update(chat, "/province Hà Tĩnh"))  # the English alias
    assert "Đã chọn tỉnh Hà Tĩnh" in replies(fake_tg, chat, 4)[3]
    post(client, update(chat, "/tinh Cà Mau"))
    assert "chưa có kế hoạch" in replies(fake_tg, chat, 5)[4]
    assert channels_runtime.sessions.get_meta(f"tg:{chat}")["province"] == "Hà Tĩnh"
    post(client, update(chat, "/tinh xoa"))
    assert "Đã bỏ chọn tỉnh" in replies(fake_tg, chat, 6)[5]
    assert not channels_runtime.sessions.get_meta(f"tg:{chat}").get("province")


@pytest.mark.parametrize("message", [
    {"photo": [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90}]},
    {"sticker": {"file_id": "CAAD", "file_unique_id": "u2", "width": 512, "height": 512, "is_animated": False,
                 "is_video": False, "type": "regular"}},
    {"voice": {"file_id": "AwAD", "file_unique_id": "u3", "duration": 2}},
])
def test_non_text_message_gets_a_polite_reply(client, fake_tg, message):
    chat = next(_chats)
    post(client, update(chat, None, **message))
    [text] = replies(fake_tg, chat)
    assert "chỉ đọc được tin nhắn văn bản" in text


def test_unknown_command_points_to_help(client, fake_tg):
    chat = next(_chats)
    post(client, update(chat, "/abc"))
    assert "/help" in replies(fake_tg, chat)[0]


# ---- command line and polling --------------------------------------------------------------------

def test_cli_set_webhook_registers_url_and_secret(fake_tg, monkeypatch, capsys, tmp_path):
    from api.cli import main

    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CCHC_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("CCHC_TELEGRAM_API_BASE_URL", f"{fake_tg.url}/bot")
    assert main(["telegram", "set-webhook", "https://cchc.example.gov.vn/webhooks/telegram"]) == 2  # no secret
    monkeypatch.setenv("CCHC_TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert main(["telegram", "set-webhook", "http://insecure.example/webhooks/telegram"]) == 2
    assert main(["telegram", "set-webhook", "https://cchc.example.gov.vn/webhooks/telegram"]) == 0
    assert fake_tg.webhook == {"url": "https://cchc.example.gov.vn/webhooks/telegram", "secret_token": SECRET,
                               "allowed_updates": ["message"]}
    commands = fake_tg.sent("setMyCommands")[-1]["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "tinh"]
    assert "cchc_test_bot" in capsys.readouterr().out
    assert main(["telegram", "info"]) == 0
    assert main(["telegram", "delete-webhook"]) == 0 and fake_tg.webhook == {}


def test_polling_mode_answers_the_same_way(fake_tg, channels_runtime, tmp_path):
    """``cchc telegram poll`` builds the same handlers with an Updater; drive it for one update."""
    from bot.channels.telegram import TelegramBot

    chat = next(_chats)
    fake_tg.updates.append(update(chat, "/help"))
    bot = TelegramBot(tg_settings(tmp_path, fake_tg), channels_runtime, store=None, webhook=False)

    async def run() -> list[str]:
        app = bot.application
        async with app:
            await app.updater.start_polling(poll_interval=0.05, timeout=0)
            await app.start()
            try:
                for _ in range(200):
                    if fake_tg.texts(chat):
                        break
                    await asyncio.sleep(0.05)
            finally:
                await app.updater.stop()
                await app.stop()
        return fake_tg.texts(chat)

    texts = asyncio.run(run())
    fake_tg.updates.clear()
    assert texts and "Ví dụ câu hỏi" in texts[0]


# ---- formatting (pure) ---------------------------------------------------------------------------

def test_split_text_prefers_paragraphs_then_lines_then_words():
    text = "A" * 50 + "\n\n" + "B" * 50 + "\n" + "C" * 50 + "\n\n" + " ".join(["từ"] * 60)
    chunks = split_text(text, 110)
    assert chunks[0] == "A" * 50 and chunks[1] == "B" * 50 + "\n" + "C" * 50
    assert all(len(c) <= 110 for c in chunks)
    assert " ".join(chunks[2:]).split() == ["từ"] * 60
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("  ", 10) == []


def test_telegram_messages_escape_everything_and_respect_the_limit():
    ans = Answer(answer="Sở <TT&TT> chủ trì \"x\"\nNguồn: Kế hoạch 1", found=True,
                 sources=[Source(document="Kế hoạch <1>", province="Hà Tĩnh", year=2024, section="Mục 2")])
    [msg] = telegram_messages(ans)
    assert "Sở &lt;TT&amp;TT&gt; chủ trì" in msg and "Kế hoạch &lt;1&gt; (Hà Tĩnh, 2024), Mục 2" in msg
    assert msg.count("Nguồn:") == 1 and "<b>Nguồn:</b>" in msg
    many = Answer(answer="&" * 5000, found=False)
    msgs = telegram_messages(many)
    assert len(msgs) == 2 and all(len(shown(m)) <= TELEGRAM_LIMIT for m in msgs)  # counted after parsing
    assert msgs[0] == "&amp;" * TELEGRAM_LIMIT  # entities never cut in two
    assert len(telegram_messages(Answer(answer="😀" * 3000, found=False))) == 2  # UTF-16 units
