"""The index over its life: incremental builds equal full ones, progress is visible, start-up never blocks
listening, admin changes leak nothing, and a damaged vector store is repaired or reported (issues 12, 13)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cliprogress import CliProgress
from bot.factory import build_index, make_store
from config.settings import Settings
from library.admin import CorpusAdmin
from library.store import BUNDLED_DIR, CorpusStore
from retrieval.build import NO_VECTOR_KINDS, load_current
from retrieval.embedders import HashEmbedder
from retrieval.progress import Progress
from tests.admin_plans import Spec, plan, render

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "t" * 32
KIEN_GIANG = "001_4c71ade8d3617029"
QUERIES = ["cơ quan nào chủ trì cuộc thi viết sáng kiến cải cách hành chính",
           "kinh phí thực hiện kế hoạch tuyên truyền", "Sở Thông tin và Truyền thông phối hợp",
           "Hội thi tuyên truyền viên cải cách hành chính giỏi Cà Mau", "dịch vụ công trực tuyến toàn trình",
           "nộp hồ sơ qua dịch vụ bưu chính công ích"]


def _snapshot(index) -> tuple:
    units = [u.to_dict() for u in index.units]
    results = [[(h.unit.uid, round(h.score, 9), round(h.bm25, 6), round(h.vector, 5)) for h in index.search(q)]
               for q in QUERIES]
    scoped = [(h.unit.uid, round(h.vector, 5)) for h in index.search(QUERIES[0], doc_ids={KIEN_GIANG})]
    return units, results, scoped


def _full_rebuild(data_dir: Path, tmp: Path):
    """The same corpus built from nothing: a copy of the uploads, no index, no caches."""
    fresh = tmp / f"full-{time.monotonic_ns()}"
    if (data_dir / "documents").exists():
        shutil.copytree(data_dir / "documents", fresh / "documents")
    return build_index(Settings(data_dir=fresh, embedder="hash"))


def _upload(admin: CorpusAdmin, data: bytes, name: str):
    return admin.receive(iter([data]), name)


def test_incremental_add_replace_withdraw_equal_a_full_rebuild(tmp_path):
    d = tmp_path / "data"
    settings = Settings(data_dir=d, embedder="hash")
    live: dict = {}

    def reload() -> None:
        live["index"] = build_index(settings)

    reload()
    assert _snapshot(live["index"]) == _snapshot(_full_rebuild(d, tmp_path))
    admin = CorpusAdmin(d, reload=reload)
    added = admin.add(_upload(admin, render(plan(), ".txt"), "ca-mau.txt"))["document"]["id"]
    assert any(u.doc_id == added for u in live["index"].units)
    assert _snapshot(live["index"]) == _snapshot(_full_rebuild(d, tmp_path))
    admin.replace(added, _upload(admin, render(plan(Spec(province="Cà Mau", year=2026)), ".txt"), "ca-mau-2026.txt"))
    assert _snapshot(live["index"]) == _snapshot(_full_rebuild(d, tmp_path))
    admin.remove(KIEN_GIANG)
    assert not any(u.doc_id == KIEN_GIANG for u in live["index"].units)
    assert _snapshot(live["index"]) == _snapshot(_full_rebuild(d, tmp_path))


def test_a_change_embeds_only_the_changed_plan(tmp_path):
    class Counting(HashEmbedder):
        embedded = 0

        def embed_passages(self, texts):
            Counting.embedded += len(texts)
            return super().embed_passages(texts)

    d = tmp_path / "data"
    settings = Settings(data_dir=d, embedder="hash")
    first = build_index(settings, embedder=Counting())
    assert Counting.embedded == len({u.text[:settings.embed_chars] for u in first.units
                                     if u.kind not in NO_VECTOR_KINDS})
    admin = CorpusAdmin(d, reload=lambda: build_index(settings, embedder=Counting()))
    before = Counting.embedded
    doc_id = admin.add(_upload(admin, render(plan(), ".txt"), "ca-mau.txt"))["document"]["id"]
    new_units = len(make_store(settings).get(doc_id).parsed.tasks)
    assert 0 < Counting.embedded - before <= new_units + 200  # one plan's units, not the corpus
    before = Counting.embedded
    admin.remove(doc_id)
    admin.remove(KIEN_GIANG)
    assert Counting.embedded == before  # a withdrawal embeds nothing
    build_index(settings, force=True, embedder=Counting())
    assert Counting.embedded == before  # a forced rebuild reuses every cached vector


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    out = io.StringIO()
    with CliProgress(out, tty=False) as view:
        build_index(Settings(data_dir=tmp_path, embedder="hash"), progress=view.attach(Progress()))
    lines = out.getvalue().splitlines()
    n = len(CorpusStore().entries())  # the bundled plans and the example FAQ
    assert any(line.startswith(f"[chỉ mục] đọc kế hoạch: {n}/{n}") for line in lines)
    assert any("nhúng vector" in line and "(100%)" in line for line in lines)
    assert "\r" not in out.getvalue()


def test_a_progress_bar_on_a_terminal(tmp_path):
    out = io.StringIO()
    with CliProgress(out, tty=True) as view:
        build_index(Settings(data_dir=tmp_path, embedder="hash"), progress=view.attach(Progress()))
    text = out.getvalue()
    assert "\r" in text and "nhúng vector" in text and "mục/s" in text


class GatedEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.gate, self.entered = threading.Event(), threading.Event()

    def embed_passages(self, texts):
        self.entered.set()
        assert self.gate.wait(60)
        return super().embed_passages(texts)


def test_readyz_reports_indexing_progress_until_the_index_is_ready(tmp_path):
    emb = GatedEmbedder()
    settings = Settings(data_dir=tmp_path, embedder="hash", admin_token=TOKEN)
    with TestClient(create_app(settings, embedder=emb, load_in_background=True)) as c:
        try:
            assert emb.entered.wait(60)
            r = c.get("/readyz")
            assert r.status_code == 503
            body = r.json()
            assert body["status"] == "indexing" and body["progress"]["stage"] == "embed"
            assert body["progress"]["total"] > 0 and 0 <= body["progress"]["done"] < body["progress"]["total"]
            assert c.get("/healthz").status_code == 200
            assert c.post("/v1/chat", json={"message": "Ai chủ trì?"}).status_code == 503
            assert c.get("/admin/documents", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 503
            p = c.get("/admin/progress", headers={"Authorization": f"Bearer {TOKEN}"}).json()
            assert p["running"] is True and p["op"] == "index" and p["stage"] == "embed"
        finally:
            emb.gate.set()
        deadline = time.monotonic() + 60
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert c.get("/readyz").json()["status"] == "ready"
        assert c.post("/v1/chat", json={"message": "Ở Hà Tĩnh, ai chủ trì cuộc thi viết sáng kiến?"}).json()["found"]
        p = c.get("/admin/progress", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert p == p | {"running": False, "stage": "ready"}


def test_admin_progress_names_the_running_change(tmp_path):
    emb = GatedEmbedder()
    emb.gate.set()
    settings = Settings(data_dir=tmp_path, embedder="hash", admin_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings, embedder=emb)) as c:
        assert c.get("/admin/progress").status_code == 401
        emb.gate.clear()
        emb.entered.clear()
        result: dict = {}
        t = threading.Thread(target=lambda: result.update(r=c.post(
            "/admin/documents", headers=auth, files={"file": ("ca-mau.txt", render(plan(), ".txt"))})))
        t.start()
        try:
            assert emb.entered.wait(60)
            p = c.get("/admin/progress", headers=auth).json()
            assert p["running"] is True and p["op"] == "add" and p["doc_id"].startswith("ca-mau")
            assert p["stage"] == "embed" and p["total"] > 0
        finally:
            emb.gate.set()
        t.join(60)
        assert result["r"].status_code == 201
        assert c.get("/admin/progress", headers=auth).json()["running"] is False


def _threads_and_fds() -> tuple[int, int, int]:
    fds = os.listdir("/proc/self/fd")
    deleted = sum("(deleted)" in _readlink(f"/proc/self/fd/{f}") for f in fds)
    return len(os.listdir("/proc/self/task")), len(fds), deleted


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_twenty_admin_changes_leak_no_threads_or_files(tmp_path):
    settings = Settings(data_dir=tmp_path, embedder="hash", admin_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings)) as c:
        def change(i: int) -> None:
            if i % 2 == 0:
                r = c.post("/admin/documents", headers=auth, files={"file": ("ca-mau.txt", render(plan(), ".txt"))})
                assert r.status_code == 201, r.text
                change.last = r.json()["document"]["id"]
            else:
                assert c.delete(f"/admin/documents/{change.last}", headers=auth).status_code == 200

        for i in range(4):  # warm up: thread pools and the shared client reach their size
            change(i)
        threads, fds, deleted = _threads_and_fds()
        for i in range(20):
            change(i)
        threads_after, fds_after, deleted_after = _threads_and_fds()
    assert threads_after <= threads + 2, (threads, threads_after)
    assert fds_after <= fds + 4, (fds, fds_after)
    assert deleted_after <= deleted, (deleted, deleted_after)  # no handle kept on a removed index version


def _readlink(p: str) -> str:
    try:
        return os.readlink(p)
    except OSError:
        return ""


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"CCHC_DATA_DIR": str(data_dir), "CCHC_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("damage", ["deleted", "garbage"])
def test_a_damaged_vector_store_is_rebuilt_at_open_not_served_empty(tmp_path, damage):
    d = tmp_path / "data"
    settings = Settings(data_dir=d, embedder="hash")
    size = build_index(settings).embedded
    assert size > 150
    db = d / "index" / "vectors" / "chroma.sqlite3"
    assert db.exists()
    if damage == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"this is not a database" * 1000)
    done = _cli(d, "index", "--if-needed")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    check = ("import sys; from pathlib import Path; from config.settings import Settings; "
             "from bot.factory import build_index; i = build_index(Settings(data_dir=Path(sys.argv[1]), "
             "embedder='hash')); print(i.vectors.count(), i.embedded)")
    out = subprocess.run([sys.executable, "-c", check, str(d)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == [str(size), str(size)], out.stderr[-2000:]


def test_an_unreachable_vector_server_is_reported_not_a_traceback(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    env = {"CCHC_CHROMA_HOST": "127.0.0.1", "CCHC_CHROMA_PORT": str(port)}
    done = subprocess.run([sys.executable, "-m", "api.cli", "index", "--if-needed"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=os.environ | env | {
                              "CCHC_DATA_DIR": str(tmp_path), "CCHC_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "chỉ mục" in done.stderr
    settings = Settings(data_dir=tmp_path, embedder="hash", chroma_host="127.0.0.1", chroma_port=port)
    with TestClient(create_app(settings, load_in_background=True)) as c:
        deadline = time.monotonic() + 60
        while (body := c.get("/readyz").json())["status"] == "indexing":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert body["status"] == "error" and body["reason"] and c.get("/readyz").status_code == 503


def test_ask_without_an_index_says_so_on_stderr_and_builds_it(tmp_path):
    done = _cli(tmp_path, "ask", "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến?")
    assert done.returncode == 0, done.stderr
    assert "Chưa có chỉ mục" in done.stderr and "nhúng vector" in done.stderr
    assert "Sở Nội vụ" in done.stdout and "Chưa có chỉ mục" not in done.stdout
    again = _cli(tmp_path, "ask", "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến?")
    assert "Chưa có chỉ mục" not in again.stderr and load_current(tmp_path) is not None


def test_bundled_dir_is_never_written(tmp_path):
    before = sorted(p.name for p in BUNDLED_DIR.iterdir())
    build_index(Settings(data_dir=tmp_path, embedder="hash"))
    assert sorted(p.name for p in BUNDLED_DIR.iterdir()) == before


def test_cli_corpus_add_updates_the_index_with_progress_lines(tmp_path):
    build_index(Settings(data_dir=tmp_path, embedder="hash"))
    before = load_current(tmp_path)["hash"]
    src = tmp_path / "ca-mau.txt"
    src.write_bytes(render(plan(), ".txt"))
    done = _cli(tmp_path, "corpus", "add", str(src))
    assert done.returncode == 0, done.stderr
    assert "[chỉ mục] nhúng vector:" in done.stderr and "Đã cập nhật chỉ mục" in done.stdout
    assert load_current(tmp_path)["hash"] != before
    assert load_current(tmp_path)["hash"] == make_store(Settings(data_dir=tmp_path)).content_hash()


def test_answers_after_incremental_changes_equal_answers_after_a_full_rebuild(tmp_path):
    import json

    from bot.assistant import Assistant
    from bot.knowledge import Knowledge

    d = tmp_path / "data"
    settings = Settings(data_dir=d, embedder="hash")
    live: dict = {}
    live["index"] = build_index(settings)
    admin = CorpusAdmin(d, reload=lambda: live.update(index=build_index(settings)))
    admin.add(_upload(admin, render(plan(), ".txt"), "ca-mau.txt"))
    admin.remove(KIEN_GIANG)

    def answers(index) -> list[dict]:
        store = make_store(settings)
        k = Knowledge(plans={doc.doc_id: doc.parsed for doc in store.documents()}, index=index, vocab=store.vocab)
        a = Assistant(k)
        out = []
        for q in questions:
            ans = a.answer(q).model_dump()
            out.append({key: ans[key] for key in ("answer", "found", "sources")})
        return out

    lines = (ROOT / "benchmarks" / "heldout_qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(x)["question"] for x in lines if x.strip()] + QUERIES
    incremental = answers(live["index"])
    assert sum(a["found"] for a in incremental) > len(questions) // 2
    assert incremental == answers(_full_rebuild(d, tmp_path))


def test_a_version_is_reused_plan_by_plan_only_when_made_by_the_same_unit_code(tmp_path, monkeypatch):
    """Plans are copied from the live version by parse key; a change to the unit code makes them again."""
    from retrieval import build

    settings = Settings(data_dir=tmp_path / "data", embedder="hash")
    first = build_index(settings)
    made: list[str] = []
    real = build.units_for

    def counting(plan):
        made.append(plan.plan.doc_id)
        return real(plan)

    monkeypatch.setattr(build, "units_for", counting)
    build_index(settings, force=True)
    assert made == []  # every plan copied from the live version
    build.units_fingerprint.cache_clear()
    monkeypatch.setattr(build, "units_fingerprint", lambda: "other-unit-code")
    again = build_index(settings, force=True)
    assert sorted(made) == sorted(d.doc_id for d in make_store(settings).documents())
    assert _snapshot(again) == _snapshot(first)
