"""The shared-vector-server path (``CCHC_CHROMA_HOST/PORT``) against a real ``chroma run`` on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.factory import build_index
from config.settings import Settings
from library.admin import CorpusAdmin
from tests.admin_plans import plan, render

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]
CHROMA = Path(sys.executable).parent / "chroma"
Q_CA_MAU = "Hội thi tuyên truyền viên cải cách hành chính giỏi Cà Mau"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def chroma_server(path: Path, port: int):
    """``chroma run`` from the chromadb package, on loopback, until the block ends."""
    env = os.environ | {"ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "chroma run exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "chroma run did not answer"
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.mark.skipif(not CHROMA.exists(), reason="the chromadb package's `chroma` command is missing")
def test_index_query_reindex_and_server_restart_against_chroma_run(tmp_path):
    port = _free_port()
    store_path = tmp_path / "chroma-server"
    settings = Settings(data_dir=tmp_path / "data", embedder="hash", chroma_host="127.0.0.1", chroma_port=port)
    with chroma_server(store_path, port):
        index = build_index(settings)
        assert index.vectors.count() == index.embedded > 150 and index.size > 300
        assert not (settings.data_dir / "index" / "vectors").exists()  # the vectors live in the server
        hits = index.search("cuộc thi viết sáng kiến cải cách hành chính Hà Tĩnh")
        assert hits and any(h.vector > 0 for h in hits)
        live: dict = {}
        admin = CorpusAdmin(settings.data_dir, reload=lambda: live.update(index=build_index(settings)))
        doc_id = admin.add(admin.receive(iter([render(plan(), ".txt")]), "ca-mau.txt"))["document"]["id"]
        index = live["index"]
        assert index.vectors.count() == index.embedded
        vec_hits = [h for h in index.search(Q_CA_MAU) if h.vector > 0]
        assert vec_hits and any(h.unit.doc_id == doc_id for h in vec_hits[:5])
        size = index.size
    with chroma_server(store_path, port):  # the server restarts on the same data
        reopened = build_index(settings)
        assert reopened.size == size and reopened.vectors.count() == reopened.embedded > 150
        assert any(h.unit.doc_id == doc_id and h.vector > 0 for h in reopened.search(Q_CA_MAU)[:5])
    with chroma_server(tmp_path / "empty-server", port):  # a server that lost its data: refilled from the cache
        refilled = build_index(settings)
        assert refilled.vectors.count() == refilled.embedded == reopened.embedded
