"""Issue 14, points 9 and 10: lists true after every action, withdrawn plans restorable (API and CLI), audit times
in Asia/Ho_Chi_Minh. Reuses the admin fixtures of tests/test_admin.py (a fresh data dir with the seed index)."""

from __future__ import annotations

import re

from library.audit import local_time
from tests.test_admin import (  # noqa: F401 - fixtures are used by name
    AUTH,
    BUNDLED_IDS,
    HA_TINH,
    Q_HA_TINH,
    Q_LEAD,
    Spec,
    ask,
    audit_lines,
    cli,
    client,
    data_dir,
    listed,
    open_client,
    plan,
    render,
    seed_index,
    upload,
)


def withdrawn(c) -> list[dict]:
    r = c.get("/admin/documents", headers=AUTH)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    return r.json()["withdrawn"]


def test_a_withdrawn_upload_is_listed_and_can_be_restored(client, data_dir):  # noqa: F811
    r = upload(client, render(plan(Spec()), ".txt"), "ca-mau.txt")
    assert r.status_code == 201, r.text
    new = r.json()["document"]["id"]
    assert ask(client, Q_LEAD)["found"]
    assert client.delete(f"/admin/documents/{new}", headers=AUTH).status_code == 200
    assert new not in listed(client) and not ask(client, Q_LEAD)["found"]
    [w] = withdrawn(client)
    assert w["id"] == new and w["restorable"] and w["filename"] == "ca-mau.txt"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", w["withdrawn_at_local"])

    r = client.post(f"/admin/documents/{new}/restore", headers=AUTH)
    assert r.status_code == 200 and "khôi phục" in r.json()["message"]
    assert new in listed(client) and withdrawn(client) == []
    a = ask(client, Q_LEAD)
    assert a["found"] and "Cà Mau" in a["answer"]
    assert (data_dir / "documents" / f"{new}.txt").exists() and (data_dir / "documents" / f"{new}.meta.json").exists()
    again = client.post(f"/admin/documents/{new}/restore", headers=AUTH)
    assert again.status_code == 409 and again.json()["error"] == "already_live"
    assert [e["action"] for e in audit_lines(data_dir)] == ["add", "remove", "restore"]


def test_a_withdrawn_bundled_plan_comes_back_and_unknown_ids_are_404(client, data_dir):  # noqa: F811
    assert client.delete(f"/admin/documents/{HA_TINH}", headers=AUTH).status_code == 200
    assert [w["id"] for w in withdrawn(client)] == [HA_TINH]
    assert client.post(f"/admin/documents/{HA_TINH}/restore", headers=AUTH).status_code == 200
    assert sorted(listed(client)) == BUNDLED_IDS and withdrawn(client) == []
    assert ask(client, Q_HA_TINH)["found"]
    assert not (data_dir / "documents" / f"{HA_TINH}.withdrawn.json").exists()
    r = client.post("/admin/documents/khong-co-ma-nay/restore", headers=AUTH)
    assert r.status_code == 404 and "khôi phục" in r.json()["detail"]
    assert client.post(f"/admin/documents/{HA_TINH}/restore").status_code == 401


def test_a_failed_reindex_during_restore_leaves_the_plan_withdrawn(open_client, data_dir):  # noqa: F811
    c = open_client()
    assert c.delete(f"/admin/documents/{HA_TINH}", headers=AUTH).status_code == 200
    rt = c.app.state.runtime

    def broken() -> None:
        raise RuntimeError("index down")

    rt.reload = broken
    r = c.post(f"/admin/documents/{HA_TINH}/restore", headers=AUTH)
    assert r.status_code == 500 and r.json()["error"] == "reindex_failed"
    assert HA_TINH not in listed(c) and [w["id"] for w in withdrawn(c)] == [HA_TINH]
    assert (data_dir / "documents" / f"{HA_TINH}.withdrawn.json").exists()


def test_the_list_follows_the_disk_even_when_the_loaded_index_is_stale(open_client, data_dir):  # noqa: F811
    c = open_client()
    rt = c.app.state.runtime
    rt.reload = lambda: None  # a service whose re-index has not swapped yet
    assert c.delete(f"/admin/documents/{HA_TINH}", headers=AUTH).status_code == 200
    assert HA_TINH not in listed(c)  # never listed as live once withdrawn on disk
    assert c.post(f"/admin/documents/{HA_TINH}/restore", headers=AUTH).status_code == 200
    docs = {d["id"]: d for d in c.get("/admin/documents", headers=AUTH).json()["documents"]}
    assert HA_TINH in docs and docs[HA_TINH]["pending"] is False  # the old index still holds it


def test_audit_entries_carry_vietnam_local_time(client):  # noqa: F811
    assert client.delete(f"/admin/documents/{HA_TINH}", headers=AUTH).status_code == 200
    body = client.get("/admin/audit", headers=AUTH).json()
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    e = body["entries"][0]
    assert e["when_local"] == local_time(e["when"])
    assert local_time("2026-12-02T20:31:05Z") == "03/12/2026 03:31:05"  # UTC+7, no daylight saving


def test_cli_lists_and_restores_a_withdrawn_plan(cli, data_dir, capsys):  # noqa: F811
    assert cli(["corpus", "remove", HA_TINH]) == 0
    capsys.readouterr()
    assert cli(["corpus", "restore"]) == 0
    assert HA_TINH in capsys.readouterr().out
    assert cli(["corpus", "restore", HA_TINH]) == 0
    assert "Đã khôi phục" in capsys.readouterr().out
    assert cli(["corpus", "restore", HA_TINH]) == 1
    assert "đang được sử dụng" in capsys.readouterr().err
    assert [e["action"] for e in audit_lines(data_dir)] == ["remove", "restore"]
