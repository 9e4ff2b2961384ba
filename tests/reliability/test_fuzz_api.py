"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis + hypothesis).

The app runs over real HTTP with every part on (admin, Telegram and Zalo against loopback fakes), so
the webhooks and admin routes are fuzzed too (unauthenticated: fuzzing must not change the corpus).
The property: no request, valid or not, gets a 500 or a stack trace; 503 only where a part is
deliberately unavailable.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck

from api.app import create_app
from config.settings import Settings
from tests.fakes.server import ServerThread
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef"


def _settings(data_dir, **extra) -> Settings:
    return Settings(data_dir=data_dir, embedder="hash", admin_token=ADMIN_TOKEN, **extra)


# The schema comes from the app itself (admin on, so its routes are in it); no server needed to build it.
schema = schemathesis.openapi.from_dict(create_app(_settings("/nonexistent")).openapi())


@pytest.fixture(scope="module")
def live_url(api_runtime, tmp_path_factory):
    tg = FakeTelegram(token="123456:FUZZ-token")
    zalo = FakeZalo(app_id="42", app_secret="s", access_tokens={"AT"}, refresh_token="RT")
    with ServerThread(tg.app()) as tg_srv, ServerThread(zalo.app()) as zalo_srv:
        settings = _settings(tmp_path_factory.mktemp("fuzz"), telegram_bot_token=tg.token,
                             telegram_webhook_secret="fuzz-secret", telegram_api_base_url=f"{tg_srv.url}/bot",
                             zalo_app_id="42", zalo_oa_secret_key="k", zalo_app_secret="s", zalo_access_token="AT",
                             zalo_refresh_token="RT", zalo_api_base_url=zalo_srv.url,
                             zalo_oauth_base_url=zalo_srv.url)
        app = create_app(settings, runtime=api_runtime)
        with ServerThread(app, lifespan="on", start_timeout=60) as live:
            yield live.url


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, live_url):
    response = case.call(base_url=live_url, timeout=30)
    assert response.status_code != 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 500:
        assert response.status_code == 503 and "detail" in response.json(), (case.path, response.text[:300])
    assert "Traceback" not in response.text
    assert response.headers.get("x-content-type-options") == ["nosniff"]
