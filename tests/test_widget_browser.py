"""The embeddable widget in a real browser (Debian's headless Chromium driven by Playwright).

Covers the demo portal page, a page on another origin that embeds the widget with the one script tag,
and a hostile answer that must render as text. Skips cleanly when Chromium or Playwright is missing.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.app import create_app
from bot.answer import Answer, Source

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
HOSTILE = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="cần /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test (own sessionStorage); page errors fail the test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, errors


class Portal:
    """A second, unrelated web server (another origin) serving pages that embed the widget."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "không có").encode())

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # ``localhost`` vs the API's ``127.0.0.1``: a different host, so a different origin
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def portal():
    servers: list[Portal] = []

    def start(pages: dict[str, str]) -> str:
        servers.append(Portal(pages))
        return servers[-1].url

    yield start
    for s in servers:
        s.close()


def portal_page(api_url: str, attrs: str) -> str:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng TTĐT</title></head>'
            f"<body><h1>Cổng thông tin điện tử tỉnh Kiên Giang</h1><p>Tin tức cải cách hành chính…</p>"
            f'<script src="{api_url}/widget.js" {attrs} defer></script></body></html>')


# ---- helpers over the widget's shadow DOM (Playwright's CSS locators pierce open shadow roots) ----
def shadow_eval(page, expr: str):
    return page.evaluate(f"(() => {{ const r = document.querySelector('#cchc-widget').shadowRoot; return {expr}; }})()")


def ask(page, question: str) -> object:
    """Type a question, press Enter, wait for the n-th finished answer; returns that bubble's locator."""
    done = page.locator(".msg.bot[data-state=done], .msg.bot[data-state=error]")
    before = done.count()
    box = page.locator("#cchc-input")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelector('#cchc-widget').shadowRoot"
        ".querySelectorAll('.msg.bot[data-state=done], .msg.bot[data-state=error]').length > n", arg=before)
    return done.nth(before)


def test_demo_page_conversation(page, live_api: str) -> None:
    page.goto(live_api + "/")
    assert "Cổng thông tin điện tử tỉnh" in page.title()
    launcher = page.locator("#cchc-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.click()
    dialog = page.get_by_role("dialog", name="Trợ lý CCHC Hà Tĩnh")
    assert dialog.is_visible()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert shadow_eval(page, "r.activeElement && r.activeElement.id") == "cchc-input"
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert page.locator(".suggest button").count() == 3
    assert page.get_by_role("button", name="Gửi câu hỏi").is_visible()
    assert page.get_by_role("button", name="Đóng trợ lý").is_visible()

    with page.expect_request(lambda r: r.url.endswith("/v1/chat/stream")) as req:
        first = ask(page, "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?")
    assert req.value.post_data_json == {"message": "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?",
                                        "province": "Hà Tĩnh"}
    assert "Sở Thông tin và Truyền thông" in first.locator(".text").inner_text()
    assert "Hà Tĩnh, 2024" in first.locator(".sources li").first.inner_text()
    assert not page.locator(".suggest").is_visible()
    sid = page.evaluate("Object.values(sessionStorage).map(v => JSON.parse(v).sid)[0]")
    assert sid

    with page.expect_request(lambda r: r.url.endswith("/v1/chat/stream")) as req:
        second = ask(page, "Thời gian thực hiện khi nào?")
    assert req.value.post_data_json["session_id"] == sid
    assert "Quý II-III/2024" in second.locator(".text").inner_text()
    quote = second.locator("details").first
    quote.locator("summary").click()
    assert quote.locator("blockquote").is_visible()
    RESULTS.mkdir(parents=True, exist_ok=True)
    shot = RESULTS / "widget.png"
    page.screenshot(path=str(shot))
    print(f"\nẢnh chụp widget: {shot}")

    # the conversation survives navigation within the portal (sessionStorage)
    page.reload()
    page.locator("#cchc-launcher").click()
    assert page.locator(".msg.user").count() == 2
    assert "Quý II-III/2024" in page.locator(".msg.bot[data-state=done]").nth(1).inner_text()

    # Esc closes and gives focus back to the launcher
    page.locator("#cchc-input").press("Escape")
    assert not dialog.is_visible()
    assert shadow_eval(page, "r.activeElement && r.activeElement.id") == "cchc-launcher"

    # "Cuộc trò chuyện mới" forgets the session and shows the suggestions again
    page.keyboard.press("Enter")  # the focused launcher reopens the panel
    assert dialog.is_visible()
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    assert page.locator(".msg.user").count() == 0
    assert page.locator(".suggest").is_visible()
    assert page.evaluate("Object.values(sessionStorage).map(v => JSON.parse(v).sid)[0]") is None
    page.locator(".suggest button").first.click()
    page.wait_for_selector(".msg.bot[data-state=done]")
    new_sid = page.evaluate("Object.values(sessionStorage).map(v => JSON.parse(v).sid)[0]")
    assert new_sid and new_sid != sid


def test_full_screen_on_a_narrow_phone(browser, live_api: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                              reduced_motion="reduce")  # no opening animation: measure the final box
    try:
        pg = ctx.new_page()
        pg.goto(live_api + "/")
        pg.locator("#cchc-launcher").click()
        box = pg.get_by_role("dialog").bounding_box()
        assert box is not None and (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 740)
        assert pg.get_by_role("dialog").get_attribute("aria-modal") == "true"
        RESULTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(RESULTS / "widget-mobile.png"))
    finally:
        ctx.close()


def test_widget_on_another_origin(page, live_api: str, portal) -> None:
    url = portal({"/": portal_page(live_api, 'data-title="Trợ lý CCHC Kiên Giang" data-color="#0b4f9c" '
                                             'data-province="Kiên Giang"')})
    page.goto(url + "/")
    page.locator("#cchc-launcher").click()
    assert page.get_by_role("dialog", name="Trợ lý CCHC Kiên Giang").is_visible()
    with page.expect_request(lambda r: r.url == live_api + "/v1/chat/stream") as req:
        ans = ask(page, "Tổng kinh phí tuyên truyền CCHC 2024 là bao nhiêu?")
    assert req.value.all_headers()["origin"] == url
    assert req.value.post_data_json["province"] == "Kiên Giang"
    assert "1.005.896.756" in ans.inner_text()
    assert "Kiên Giang" in ans.locator(".sources").inner_text()


def test_widget_reports_a_refused_origin_politely(page, api_runtime, serve_app, portal) -> None:
    settings = api_runtime.settings.model_copy(update={"cors_origins": ["https://hatinh.gov.vn"]})
    api = serve_app(create_app(settings=settings, runtime=api_runtime))
    url = portal({"/": portal_page(api, 'data-province="Kiên Giang"')})
    page.goto(url + "/")
    page.locator("#cchc-launcher").click()
    ans = ask(page, "Tổng kinh phí tuyên truyền CCHC 2024 là bao nhiêu?")
    assert ans.get_attribute("data-state") == "error"
    assert "Không kết nối được" in ans.inner_text()


class HostileAssistant:
    """Answers (slowly, in pieces) with markup in every field the widget shows."""

    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        return self._answer(session_id)

    def stream(self, message: str, province: str | None = None, session_id: str | None = None) -> Iterator:
        for piece in ["Trả lời: ", '<img src=x onerror="window.__pwned=1"> ', "<script>window.__pwned=2</script>"]:
            time.sleep(0.3)
            yield piece
        yield self._answer(session_id)

    @staticmethod
    def _answer(session_id: str | None) -> Answer:
        src = Source(document=f"Kế hoạch {HOSTILE}", province="<b>Hà Tĩnh</b>", year=2024,
                     section=f"Mục {HOSTILE}", quote=f"Trích {HOSTILE}", score=1.0)
        return Answer(answer=f"Trả lời: {HOSTILE}", found=True, sources=[src], session_id=session_id)


def test_hostile_answer_is_shown_as_text(page, api_runtime, serve_app, portal) -> None:
    app = create_app(runtime=api_runtime)
    api = serve_app(app)
    app.state.runtime = dataclasses.replace(api_runtime, assistant=HostileAssistant())
    url = portal({"/": portal_page(api, 'data-title="&lt;img src=x onerror=&quot;window.__pwned=3&quot;&gt;" '
                                        'data-color="red;}</style><img src=x onerror=window.__pwned=4>"')})
    page.goto(url + "/")
    page.locator("#cchc-launcher").click()
    page.locator("#cchc-input").fill("Xin chào")
    page.locator("#cchc-input").press("Enter")
    # pieces arrive over the ReadableStream and are shown before the final answer
    page.wait_for_function(
        "() => { const m = document.querySelector('#cchc-widget').shadowRoot.querySelector('.msg.bot[data-state]');"
        " return m && m.dataset.state === 'pending' && m.textContent.includes('Trả lời'); }")
    page.wait_for_selector(".msg.bot[data-state=done]")
    bubble = page.locator(".msg.bot[data-state=done]")
    bubble.locator("summary").click()
    text = bubble.inner_text()
    assert '<img src=x onerror="window.__pwned=1">' in text
    assert "<script>window.__pwned=2</script>" in text
    assert "<b>Hà Tĩnh</b>" in text
    assert page.locator("h2#cchc-title").inner_text() == '<img src=x onerror="window.__pwned=3">'
    assert shadow_eval(page, "r.querySelectorAll('img, script, b').length") == 0
    assert shadow_eval(page, "getComputedStyle(r.host).getPropertyValue('--c').trim()") == "#b71c1c"
    time.sleep(0.3)  # give any injected handler a chance to run
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_new_conversation_while_an_answer_streams(page, api_runtime, serve_app) -> None:
    app = create_app(runtime=api_runtime)
    api = serve_app(app)
    app.state.runtime = dataclasses.replace(api_runtime, assistant=HostileAssistant())
    page.goto(api + "/")
    page.locator("#cchc-launcher").click()
    page.locator("#cchc-input").fill("Xin chào")
    page.locator("#cchc-input").press("Enter")
    page.wait_for_selector(".msg.bot[data-state=pending]")
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    time.sleep(1.2)  # longer than the whole slow answer
    assert page.locator(".msg.user").count() == 0
    assert page.locator(".msg.bot[data-state]").count() == 0
    assert page.locator(".suggest").is_visible()
    assert page.get_by_role("button", name="Gửi câu hỏi").is_enabled()
    assert page.evaluate("Object.values(sessionStorage).map(v => JSON.parse(v).sid)[0]") is None
