"""Admin views of a stored document: the ``corpus list`` / ``corpus show`` views plus document info."""

from __future__ import annotations

from typing import Any

from corpus.store import StoredDocument
from corpus.views import list_view, show_view


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
              "agency_blocks": r.agency_blocks, "agencies": len({x.agency for x in r.duties}),
              "warnings": len(view["warnings"])}
    return {"document": _document_info(d), "counts": counts} | view


_OVERRIDDEN = {"province": "Không xác định được tỉnh ban hành kế hoạch.",
               "year": "Không xác định được năm của kế hoạch."}
