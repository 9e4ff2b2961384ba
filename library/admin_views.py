"""Admin views of a stored document: the ``corpus list`` / ``corpus show`` views plus document info."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from library.store import StoredDocument
from library.views import list_view, show_view


def _document_info(d: StoredDocument) -> dict[str, Any]:
    m = d.meta
    return {"id": d.doc_id, "source": d.source, "sha256": d.sha256, "filename": m.get("filename", d.path.name),
            "uploaded_at": m.get("uploaded_at"), "uploaded_by": m.get("uploaded_by"),
            "overrides": m.get("overrides") or {}}


def admin_list_view(d: StoredDocument) -> dict[str, Any]:
    """``corpus list`` view plus where the document comes from and its checksum."""
    info = _document_info(d)
    return list_view(d) | {k: info[k] for k in ("source", "sha256", "filename", "uploaded_at", "uploaded_by")}


def admin_show_view(d: StoredDocument) -> dict[str, Any]:
    """``corpus show`` view plus document info and counts (what an admin checks before going live)."""
    r = d.parsed
    view = show_view(d)
    # the parser warns before the admin's overrides are applied: drop what an override answered
    given = d.meta.get("overrides") or {}
    view["warnings"] = [w for w in view["warnings"] if w not in {_OVERRIDDEN[k] for k in given if k in _OVERRIDDEN}]
    counts = {"tasks": len(r.tasks), "duties": len(r.duties), "passages": len(r.passages),
              "agency_blocks": r.agency_blocks, "agencies": len({x.agency for x in r.duties}), "faqs": len(r.faqs),
              "warnings": len(view["warnings"])}
    return {"document": _document_info(d), "counts": counts} | view


_OVERRIDDEN = {"province": "Không xác định được tỉnh ban hành kế hoạch.",
               "year": "Không xác định được năm của kế hoạch."}


# ---- withdrawn plans and their archived originals (issue 14: lists true after every action, restore) ----

CHANGES = ("add", "replace", "remove", "restore")


def archived_files(archive: Path, doc_id: str, audit: list[dict[str, Any]]) -> list[tuple[Path, str]]:
    """The files the last withdrawal of ``doc_id`` moved to ``.archive/<id>/``: (archived path, live name).

    Archived names are ``<stamp>-<txn6>-<name>``; the withdrawal's txn comes from the audit log, or,
    without one, the newest group of files is taken.
    """
    folder = archive / doc_id
    if not folder.is_dir():
        return []
    groups: dict[tuple[str, str], list[tuple[Path, str]]] = {}
    for f in folder.iterdir():
        bits = f.name.split("-", 2)
        if f.is_file() and len(bits) == 3:
            groups.setdefault((bits[0], bits[1]), []).append((f, bits[2]))
    removals = [e for e in audit if e.get("doc_id") == doc_id and e.get("action") == "remove" and e.get("txn")]
    if removals:
        txn6 = str(removals[-1]["txn"])[:6]
        picked = [files for (_, t), files in groups.items() if t == txn6]
        return sorted(picked[0]) if picked else []
    return sorted(groups[max(groups)]) if groups else []


def withdrawn_view(live_ids: set[str], tombstones: dict[str, dict[str, Any]], audit: list[dict[str, Any]],
                   archive: Path) -> list[dict[str, Any]]:
    """Plans withdrawn and not live again: from the audit log (last change per id) and the tombstones."""
    last: dict[str, dict[str, Any]] = {}
    for e in audit:
        if e.get("action") in CHANGES and e.get("doc_id"):
            last[str(e["doc_id"])] = e
    out: dict[str, dict[str, Any]] = {}
    for doc_id, e in last.items():
        if e["action"] == "remove" and doc_id not in live_ids:
            files = archived_files(archive, doc_id, audit)
            out[doc_id] = {"id": doc_id, "withdrawn_at": e.get("when"), "withdrawn_by": e.get("who"),
                           "filename": e.get("filename"), "sha256": e.get("sha256"),
                           "restorable": bool(files) or doc_id in tombstones}
    for doc_id, t in tombstones.items():
        if doc_id not in out and doc_id not in live_ids:
            out[doc_id] = {"id": doc_id, "withdrawn_at": t.get("withdrawn_at"), "withdrawn_by": t.get("withdrawn_by"),
                           "filename": None, "sha256": t.get("sha256"), "restorable": True}
    return sorted(out.values(), key=lambda x: str(x.get("withdrawn_at") or ""), reverse=True)
