"""Run an ASGI app with uvicorn in a background thread on a free 127.0.0.1 port."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


class ServerThread:
    """A real HTTP server for tests: ``with ServerThread(app) as s: s.url``.

    The one way tests run uvicorn in a thread: the fakes (Telegram, Zalo, OpenAI) with the lifespan
    off, the app under test with it on.
    """

    def __init__(self, app, host: str = "127.0.0.1", lifespan: str = "off", start_timeout: float = 10.0,
                 **config) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.start_timeout = start_timeout
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan, **config))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
