"""Issue 14, points 8–11 on the admin page in Chromium: progress of a change (also in a second tab), lists true
after withdraw/restore, local times, the unanswered report with its CSV, and the page on a phone.

``GET /admin/progress`` belongs to the indexing work (issue 12); the page is written against its contract
(``{"running", "op", "doc_id", "stage", "done", "total"}``), so these tests serve that route from the browser
side (Playwright routing) whatever the server has, and also check the fallback when it is absent (404).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from api import unanswered
from tests.test_admin import (  # noqa: F401 - fixtures are used by name
    AUTH,
    BUNDLED_IDS,
    HA_TINH,
    TOKEN,
    data_dir,
    open_client,
    seed_index,
)

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason="cần /usr/bin/chromium")]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def served(open_client, serve_app):  # noqa: F811
    """The admin app over real HTTP; its re-index takes 2.5 s so that a change can be watched."""
    c = open_client()
    rt = c.app.state.runtime
    real = rt.reload

    def slow_reload() -> None:
        time.sleep(2.5)
        real()

    rt.reload = slow_reload
    return serve_app(c.app), c.app


def sign_in(browser, url: str, **ctx):
    context = browser.new_context(locale="vi-VN", bypass_csp=True, **ctx)  # Playwright polls with eval
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/admin")
    page.fill("#token", TOKEN)
    page.click("#login-form button")
    page.wait_for_selector("#docs-table tbody tr")
    return page, errors


def progress_route(state: dict):
    """Serve the issue-12 contract from a dict the test changes; 404 when ``state`` is None-valued."""
    def handle(route) -> None:
        if state.get("absent"):
            route.fulfill(status=404, content_type="application/json", body='{"detail": "Not Found"}')
        else:
            body = {"running": False, "op": None, "doc_id": None, "stage": "idle", "done": 0, "total": 0} | state
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
    return handle


def rows(page, table: str) -> int:
    return page.locator(f"#{table} tbody tr").count()


def test_withdraw_shows_elapsed_time_without_a_progress_route_and_restore_puts_it_back(browser, served):
    url, _app = served
    page, errors = sign_in(browser, url)
    page.route("**/admin/progress", progress_route({"absent": True}))

    def slow_withdrawal(route) -> None:  # a withdrawal now takes well under a second: hold it so the clock shows
        if route.request.method == "DELETE":
            time.sleep(1.6)
        route.continue_()

    page.route("**/admin/documents/*", slow_withdrawal)
    page.on("dialog", lambda d: d.accept())
    page.locator("#docs-table tbody tr", has_text=HA_TINH).locator("button", has_text="Thu hồi").click()
    # the clock shows whole seconds; on a busy machine the poll may first see "2 giây", so any count from 1 will do
    page.wait_for_function("/Đang xử lý… — [1-9]\\d* giây/.test(document.querySelector('#progress-text').textContent)")
    assert page.is_visible("#progress")
    page.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS) - 1}")
    assert page.is_hidden("#progress")
    assert HA_TINH not in page.text_content("#docs-table")
    withdrawn = page.locator("#withdrawn-table tbody tr", has_text=HA_TINH)
    assert withdrawn.count() == 1
    assert len(withdrawn.locator("td").nth(1).inner_text().split("/")) == 3  # dd/mm/yyyy, Vietnam time
    page.wait_for_function("document.querySelector('#audit-table').textContent.includes('thu hồi')")
    assert "giờ Việt Nam" in page.text_content("#audit-table thead")
    assert "Z" not in page.locator("#audit-table tbody tr").first.locator("td").first.inner_text()

    withdrawn.locator("button", has_text="Khôi phục").click()
    page.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS)}")
    assert "Không có." in page.text_content("#withdrawn-table")
    page.wait_for_function("document.querySelector('#audit-table').textContent.includes('khôi phục')")
    assert "Đã khôi phục" in page.text_content("#status")
    assert not errors, errors


def test_progress_stage_is_shown_here_and_in_a_second_tab_which_then_refreshes(browser, served):
    url, _app = served
    state: dict = {}
    page, errors = sign_in(browser, url)
    other, other_errors = sign_in(browser, url)  # a second admin tab (its own sessionStorage)
    for p in (page, other):
        p.route("**/admin/progress", progress_route(state))
    state.update(running=True, op="remove", doc_id=HA_TINH, stage="embed", done=3, total=10)
    other.wait_for_function("document.querySelector('#progress-text').textContent.includes('tính vector (3/10)')")
    text = other.text_content("#progress-text")
    assert f"Đang thu hồi kế hoạch “{HA_TINH}”" in text and "phiên quản trị khác" in text
    assert other.evaluate("document.querySelector('#progress-bar').value") == 3
    RESULTS.mkdir(parents=True, exist_ok=True)
    other.screenshot(path=str(RESULTS / "admin-progress-second-tab.png"))
    # the change itself (made by "another admin" through the API), then the route reports it finished
    r = httpx.delete(f"{url}/admin/documents/{HA_TINH}", headers=AUTH, timeout=60)
    assert r.status_code == 200
    state.update(running=False, op=None, doc_id=None, stage="idle", done=0, total=0)
    other.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS) - 1}")
    assert other.is_hidden("#progress")
    assert other.locator("#withdrawn-table tbody tr", has_text=HA_TINH).count() == 1
    # this tab's own change: stage and count from the route, with the elapsed time
    state.update(running=True, op="restore", doc_id=HA_TINH, stage="index", done=1, total=2)
    page.on("dialog", lambda d: d.accept())
    page.click("#refresh")
    page.locator("#withdrawn-table tbody tr", has_text=HA_TINH).locator("button", has_text="Khôi phục").click()
    page.wait_for_function("document.querySelector('#progress-text').textContent.includes('lập chỉ mục (1/2) — ')")
    page.screenshot(path=str(RESULTS / "admin-progress.png"))
    state.update(running=False)
    page.wait_for_function(f"document.querySelectorAll('#docs-table tbody tr').length === {len(BUNDLED_IDS)}")
    assert not errors and not other_errors, errors + other_errors


def test_unanswered_report_grouped_with_csv_download(browser, served):
    url, app = served
    store = unanswered.store_for(app.state.settings)
    store.add("not_found", "web", "Lịch tiếp công dân của Sở Nội vụ Cà Mau? gọi 0912345678", "Cà Mau",
              reason="Các kế hoạch trong kho không nêu thông tin này.")
    store.add("not_found", "telegram", "lich tiep cong dan so noi vu ca mau")
    store.add("unhelpful", "web", "Học phí mầm non bao nhiêu?", None, ["Hà Tĩnh, 2024"], "Xin lỗi.")
    page, errors = sign_in(browser, url)
    page.wait_for_selector("#unanswered-table tbody tr")
    first = page.locator("#unanswered-table tbody tr").first
    assert "Lịch tiếp công dân" in first.inner_text() and first.locator("td").nth(1).inner_text() == "2"
    assert "telegram" in first.inner_text() and "Cà Mau" in first.inner_text()
    assert "0912345678" not in page.text_content("#unanswered-table")
    assert "2 câu không tìm thấy, 1 đánh giá 👎" in page.text_content("#unanswered-summary")
    with page.expect_download() as dl:
        page.click("#unanswered-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert dl.value.suggested_filename == "cau-hoi-chua-tra-loi.csv"
    assert text.startswith("nhom,") and "Học phí mầm non" in text and "0912345678" not in text
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.locator("#h-unanswered").scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / "admin-unanswered.png"))
    assert not errors, errors


def test_admin_page_is_usable_on_a_phone(browser, served):
    url, _app = served
    page, errors = sign_in(browser, url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling of the page
    small = page.evaluate("[...document.querySelectorAll('button, input, select')].filter(e => e.offsetParent)"
                          ".map(e => [e.id || e.textContent.trim(), e.getBoundingClientRect().height])"
                          ".filter(([n, h]) => h < 44).map(([n]) => n)")
    assert small == []
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / "admin-phone.png"), full_page=False)
    assert not errors, errors
