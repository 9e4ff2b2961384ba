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

    with page.expect_request(lambda r: "/v1/chat/stream" in r.url) as req:
        first = ask(page, "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?")
    assert req.value.post_data_json == {"message": "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?",
                                        "province": "Hà Tĩnh"}
    assert "Sở Thông tin và Truyền thông" in first.locator(".text").inner_text()
    assert "Hà Tĩnh, 2024" in first.locator(".sources li").first.inner_text()
    assert not page.locator(".suggest").is_visible()
    sid = page.evaluate("Object.values(sessionStorage).map(v => JSON.parse(v).sid)[0]")
    assert sid

    with page.expect_request(lambda r: "/v1/chat/stream" in r.url) as req:
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
    with page.expect_request(lambda r: r.url == live_api + "/v1/chat/stream?parts=1") as req:
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


# ---- issue 14: readable answers, recoverable errors, accessibility, contrast, hostile CSS, feedback ------
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
         "reduced_motion": "reduce", "locale": "vi-VN"}
HT_CONTEST = "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?"


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(**PHONE)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, errors


def shot(page, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / name))


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast of two computed colours ('rgb(r, g, b)')."""
    def lum(css: str) -> float:
        vals = [int(float(x)) / 255 for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    a, b = lum(fg), lum(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def style(page, selector: str, prop: str) -> str:
    return shadow_eval(page, f"getComputedStyle(r.querySelector({selector!r})).{prop}")


class LongAssistant:
    """A long structured answer (twelve appendix rows): longer than a phone screen."""

    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        return self._answer(session_id)

    def stream(self, message: str, province: str | None = None, session_id: str | None = None) -> Iterator:
        yield self._answer(session_id)

    @staticmethod
    def _answer(session_id: str | None) -> Answer:
        rows = [f"• [Hà Tĩnh, 2024] Sở Nội vụ chủ trì nhiệm vụ “Tuyên truyền nội dung số {i} về cải cách hành chính "
                f"trên báo, đài và mạng xã hội” (Phụ lục, mục {i}). Sản phẩm: Tin, bài. "
                f"Thời gian: Quý {i % 4 + 1}/2024. Kinh phí: {i}.000.000 đồng." for i in range(1, 13)]
        return Answer(answer="\n".join(rows), found=True, session_id=session_id,
                      sources=[Source(document="Kế hoạch tuyên truyền CCHC Hà Tĩnh 2024", province="Hà Tĩnh", year=2024,
                                      section="Phụ lục, mục 1", quote="Tuyên truyền nội dung số 1", score=1.0)])


def test_the_start_of_a_long_answer_is_scrolled_to_the_top_on_a_phone(phone, api_runtime, serve_app) -> None:
    app = create_app(runtime=api_runtime)
    api = serve_app(app)
    app.state.runtime = dataclasses.replace(api_runtime, assistant=LongAssistant())
    phone.goto(api + "/")
    phone.locator("#cchc-launcher").click()
    ask(phone, "Câu hỏi thứ nhất")
    bubble = ask(phone, "Sở Nội vụ làm những nhiệm vụ nào?")
    pos = shadow_eval(phone, "(() => { const log = r.querySelector('.log'); "
                             "const b = r.querySelectorAll('.msg.bot[data-state=done]')[1]; "
                             "return {top: b.getBoundingClientRect().top - log.getBoundingClientRect().top, "
                             "scroll: log.scrollTop, max: log.scrollHeight - log.clientHeight}; })()")
    assert 0 <= pos["top"] <= 16, pos  # the answer's first line is at the top of the chat area ...
    assert pos["scroll"] < pos["max"] - 100, pos  # ... not its end ("Nguồn:") at the bottom
    assert bubble.locator(".lead").inner_text() == "Có 12 nội dung phù hợp trong các kế hoạch:"
    assert bubble.locator(".plan").count() == 1  # "[Hà Tĩnh, 2024]" once, not on every bullet
    assert bubble.locator("ul.items > li").count() == 12
    shot(phone, "widget-scroll-phone.png")


def test_answer_is_structured_text_with_labels_and_supporting_quote_cells(page, live_api: str) -> None:
    page.goto(live_api + "/")
    page.locator("#cchc-launcher").click()
    bubble = ask(page, HT_CONTEST)
    assert bubble.locator(".plan").all_inner_texts() == ["Hà Tĩnh, 2024"]
    assert "Sở Thông tin và Truyền thông chủ trì" in bubble.locator(".lead").inner_text()
    labels = bubble.locator(".text dt").all_inner_texts()
    assert {"Sản phẩm", "Phối hợp", "Thời gian"} <= {x.rstrip(":") for x in labels}
    assert "[Hà Tĩnh, 2024]" not in bubble.inner_text() and "Nguồn: Kế hoạch" not in bubble.inner_text()
    # point 7: the quote shows the row's cells that support the answer, not only the task title
    first = bubble.locator("details").first
    first.locator("summary").click()
    cells = dict(zip(first.locator("dt").all_inner_texts(), first.locator("dd").all_inner_texts(), strict=True))
    assert cells["Chủ trì"] == "Sở Thông tin và Truyền thông" and "Quý II-III/2024" in cells["Thời gian"]
    # point 4: speakers are labelled for screen readers; each quote toggle has its own name
    assert page.locator(".msg.user .who").first.text_content() == "Bạn: "
    assert bubble.locator(".who").text_content() == "Trợ lý: "
    snapshot = page.locator(".log").aria_snapshot()
    assert "Bạn:" in snapshot and "Trợ lý:" in snapshot
    names = [s.get_attribute("aria-label") for s in bubble.locator("summary").all()]
    assert len(names) >= 2 and len(set(names)) == len(names) and all(n.startswith("Xem trích dẫn") for n in names)
    shot(page, "widget-structured-desktop.png")


def test_failed_question_is_kept_and_retried_when_the_server_comes_back(page, live_api: str, portal) -> None:
    url = portal({"/": portal_page(live_api, 'data-province="Hà Tĩnh"')})
    page.goto(url + "/")
    page.locator("#cchc-launcher").click()
    page.route("**/v1/chat/stream*", lambda route: route.abort("connectionrefused"))
    failed = ask(page, HT_CONTEST)
    assert failed.get_attribute("data-state") == "error" and "Không kết nối được" in failed.inner_text()
    assert page.locator("#cchc-input").input_value() == HT_CONTEST  # the typed text is not lost
    retry = page.get_by_role("button", name="Thử lại")
    assert retry.is_visible()
    shot(page, "widget-retry.png")
    # a failed turn is not stored as answered: after a reload it is gone, not shown without an answer
    page.reload()
    page.locator("#cchc-launcher").click()
    assert page.locator(".msg.user").count() == 0
    failed = ask(page, HT_CONTEST)
    assert failed.get_attribute("data-state") == "error"
    page.unroute("**/v1/chat/stream*")  # the server is back
    page.get_by_role("button", name="Thử lại").click()
    page.wait_for_selector(".msg.bot[data-state=done] .lead")
    assert page.locator(".msg.user").count() == 1 and page.locator(".msg.bot.error").count() == 0
    assert "Sở Thông tin và Truyền thông" in page.locator(".msg.bot[data-state=done]").last.inner_text()
    assert page.locator("#cchc-input").input_value() == ""
    page.reload()
    page.locator("#cchc-launcher").click()
    assert page.locator(".msg.user").count() == 1 and page.locator(".msg.bot[data-state=done]").count() == 1


def test_a_hung_server_shows_progress_and_can_be_cancelled_early(page, live_api: str) -> None:
    page.goto(live_api + "/")
    page.locator("#cchc-launcher").click()
    page.route("**/v1/chat/stream*", lambda route: None)  # never answered
    page.locator("#cchc-input").fill(HT_CONTEST)
    page.locator("#cchc-input").press("Enter")
    page.wait_for_function("() => document.querySelector('#cchc-widget').shadowRoot.querySelector('.wait')"
                           " && document.querySelector('#cchc-widget').shadowRoot.querySelector('.wait')"
                           ".textContent.includes('giây')", timeout=8_000)
    shot(page, "widget-progress.png")
    started = time.monotonic()
    page.get_by_role("button", name="Hủy", exact=True).click()
    page.wait_for_selector(".msg.bot[data-state=error]")
    assert time.monotonic() - started < 5
    assert "Đã hủy" in page.locator(".msg.bot.error").inner_text()
    assert page.get_by_role("button", name="Thử lại").is_visible()
    assert page.get_by_role("button", name="Gửi câu hỏi").is_enabled()


def test_launcher_name_and_touch_targets_on_a_phone(phone, live_api: str) -> None:
    phone.goto(live_api + "/")
    launcher = phone.locator("#cchc-launcher")
    assert launcher.inner_text().strip() in launcher.get_attribute("aria-label")
    assert phone.get_by_role("button", name="Hỏi đáp CCHC").is_visible()
    launcher.click()
    ask(phone, HT_CONTEST)
    small = shadow_eval(phone, "[...r.querySelectorAll('.panel button, .panel summary')]"
                               ".filter(e => e.offsetParent !== null)"
                               ".map(e => [e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])"
                               ".filter(([t, b]) => b.width < 44 || b.height < 44).map(([t]) => t)")
    assert small == []
    shot(phone, "widget-answer-phone.png")


def test_light_brand_colour_gets_readable_text_and_a_visible_focus_ring(page, live_api: str, portal) -> None:
    url = portal({"/": portal_page(live_api, 'data-color="#ffd54f" data-province="Kiên Giang"')})
    page.goto(url + "/")
    assert contrast(style(page, ".launcher", "color"), style(page, ".launcher", "backgroundColor")) >= 4.5
    page.locator("#cchc-launcher").click()
    ask(page, "Tổng kinh phí tuyên truyền CCHC 2024 là bao nhiêu?")
    for sel in ("header", ".msg.user", ".send"):
        assert contrast(style(page, sel, "color"), style(page, sel, "backgroundColor")) >= 4.5, sel
    # the brand colour used as text on white (quote toggles) is darkened until it reads
    assert contrast(style(page, "summary", "color"), "rgb(255, 255, 255)") >= 4.5
    page.locator("#cchc-input").focus()
    page.keyboard.press("Shift+Tab")  # keyboard focus: :focus-visible applies
    ring = shadow_eval(page, "getComputedStyle(r.activeElement).boxShadow")
    assert "rgb(27, 27, 27)" in ring  # a dark ring outside a white one: visible on light and brand backgrounds
    shot(page, "widget-light-color.png")


def test_portal_div_rules_do_not_touch_the_widget_host(page, live_api: str, portal) -> None:
    hostile_css = ("<style>div{display:block!important;border:6px solid red!important;padding:40px!important;"
                   "margin:30px!important;min-height:80px!important;background:#f00!important;position:relative}"
                   "</style>")
    url = portal({"/": portal_page(live_api, 'data-province="Hà Tĩnh"').replace("</head>", hostile_css + "</head>")})
    page.goto(url + "/")
    box = page.evaluate("(() => { const h = document.querySelector('#cchc-widget');"
                        " const b = h.getBoundingClientRect(); const s = getComputedStyle(h);"
                        " return [b.width, b.height, s.borderTopWidth, s.paddingTop,"
                        " s.backgroundColor]; })()")
    assert box == [0, 0, "0px", "0px", "rgba(0, 0, 0, 0)"]
    page.locator("#cchc-launcher").click()
    assert page.get_by_role("dialog").is_visible()


@pytest.mark.parametrize("name, options", [
    ("zoom-200", {"viewport": {"width": 640, "height": 430}, "device_scale_factor": 2}),  # 1280×860 at 200 %
    ("landscape", {"viewport": {"width": 844, "height": 390}, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 3}),
])
def test_panel_stays_usable_at_200_percent_zoom_and_in_landscape(browser, live_api: str, name, options) -> None:
    ctx = browser.new_context(locale="vi-VN", reduced_motion="reduce", **options)
    try:
        pg = ctx.new_page()
        pg.goto(live_api + "/")
        pg.locator("#cchc-launcher").click()
        height = options["viewport"]["height"]
        assert shadow_eval(pg, "r.querySelector('.log').clientHeight") >= 0.4 * height
        ask(pg, HT_CONTEST)
        log_h = shadow_eval(pg, "r.querySelector('.log').clientHeight")
        assert log_h >= 0.5 * height, log_h
        for sel in ("#cchc-input", ".send", ".close"):
            b = pg.locator(sel).bounding_box()
            assert b and b["y"] >= 0 and b["y"] + b["height"] <= height + 1, (sel, b)
        shot(pg, f"widget-{name}.png")
    finally:
        ctx.close()


def test_thumbs_down_by_keyboard_reaches_the_unanswered_report(page, live_api: str, api_runtime) -> None:
    from api import unanswered

    question = "Sở Y tế tỉnh Tiền Giang có nhiệm vụ gì trong kế hoạch tuyên truyền CCHC? Gọi 0912345678"
    page.goto(live_api + "/")
    page.locator("#cchc-launcher").click()
    bubble = ask(page, question)
    down = bubble.get_by_role("button", name="Chưa hữu ích", exact=True)
    down.focus()
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as resp:
        page.keyboard.press("Enter")
    assert resp.value.status == 200
    assert down.get_attribute("aria-pressed") == "true"
    assert "Cảm ơn" in bubble.locator(".acts").inner_text()
    body = resp.value.request.post_data_json
    assert body["rating"] == "down" and body["province"] == "Hà Tĩnh" and body["plans"] == ["Tiền Giang, 2024"]
    rows = [r for r in unanswered.store_for(api_runtime.settings).rows() if "Sở Y tế tỉnh Tiền Giang" in r["question"]]
    assert rows and rows[0]["kind"] == "unhelpful" and "0912345678" not in rows[0]["question"]
    # a refusal asked through the widget is recorded too
    ask(page, "Giá vé máy bay đi Hà Nội tháng này?")
    assert any("vé máy bay" in r["question"] and r["kind"] == "not_found"
               for r in unanswered.store_for(api_runtime.settings).rows())
    page.reload()
    page.locator("#cchc-launcher").click()
    assert page.locator(".msg.bot[data-state=done]").first.get_by_role(
        "button", name="Chưa hữu ích", exact=True).get_attribute("aria-pressed") == "true"
    shot(page, "widget-feedback.png")


def test_widget_is_small_and_never_parses_server_html() -> None:
    src = (Path(__file__).resolve().parents[1] / "api" / "static" / "widget.js").read_text(encoding="utf-8")
    assert len(src.encode("utf-8")) < 40_000
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser", "eval("):
        assert sink not in src, sink
