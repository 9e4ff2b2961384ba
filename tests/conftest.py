"""Shared fixtures. Add fixtures here; keep each one independent of the others."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.fakes.server import ServerThread

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "testserver", ""}


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_external_network(monkeypatch):
    """Tests never reach the internet: only loopback and Unix sockets may connect or be resolved."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OSError(f"tests may not connect to {address[0]!r} (no external network)")

    def connect(self, address):
        guard(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {host!r} (no external network)")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture(scope="session")
def bundled_assistant(tmp_path_factory):
    """One extractive assistant over the bundled plans (hash embedder, no LLM), built once for every module that
    only asks questions; tests that need their own index or corpus build their own."""
    from bot.factory import build_assistant
    from config.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("bundled-assistant"), embedder="hash", llm_base_url=None)
    return build_assistant(settings)


@pytest.fixture(scope="session")
def channels_runtime(tmp_path_factory):
    """One Runtime (bundled plans, hash embedder) shared by the channel tests: the index is built once."""
    from api.runtime import Runtime
    from config.settings import Settings

    return Runtime.start(Settings(data_dir=tmp_path_factory.mktemp("channels-runtime"), embedder="hash"))


@pytest.fixture(scope="session")
def api_runtime(channels_runtime):
    """The HTTP API tests share the same Runtime (bundled plans, hash embedder): one index build per session."""
    return channels_runtime


@pytest.fixture
def api_client(api_runtime):
    """An in-process client over the full app (all routers, lifespan run) with the shared runtime."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(runtime=api_runtime)) as client:
        yield client


class LiveServer(ServerThread):
    """The app under test over real HTTP: lifespan on, and time for the index to load."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        super().__init__(app, host=host, lifespan="on", start_timeout=120.0)


@pytest.fixture
def serve_app():
    """Factory: ``url = serve_app(app)`` serves ``app`` over real HTTP until the test ends."""
    servers: list[LiveServer] = []

    def start(app) -> str:
        servers.append(LiveServer(app).start())
        return servers[-1].url

    yield start
    for s in reversed(servers):
        s.stop()


@pytest.fixture(scope="session")
def live_api(api_runtime):
    """Base URL of one real uvicorn server running the full app over the shared runtime."""
    from api.app import create_app

    server = LiveServer(create_app(runtime=api_runtime)).start()
    yield server.url
    server.stop()
