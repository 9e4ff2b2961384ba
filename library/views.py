"""The stable JSON shapes of ``cchc corpus list/show`` (and the admin API)."""

from __future__ import annotations

from typing import Any

from library.store import StoredDocument


def list_view(d: StoredDocument) -> dict[str, Any]:
    p = d.parsed.plan
    return {"id": d.doc_id, "kind": p.kind, "title": p.title, "province": p.province, "year": p.year,
            "number": p.number, "date": p.date, "signer": p.signer, "tasks": len(d.parsed.tasks),
            "duties": len(d.parsed.duties), "passages": len(d.parsed.passages),
            "activities": len(d.parsed.activities), "definitions": len(d.parsed.definitions),
            "legal_docs": len(d.parsed.legal_docs), "faqs": len(d.parsed.faqs)}


def show_view(d: StoredDocument) -> dict[str, Any]:
    r = d.parsed
    return {
        "plan": r.plan.model_dump() | {"agency_blocks": r.agency_blocks, "sha256": d.sha256},
        "tasks": [{"row": t.row, "content": t.content, "product": t.product, "lead": t.lead,
                   "coordinators": t.coordinators, "timeline": t.timeline, "budget": t.budget,
                   "note": t.note, "group": t.group} for t in r.tasks],
        "duties": [{"agency": x.agency, "role": x.role, "text": x.text, "where": x.where} for x in r.duties],
        "activities": [a.model_dump(exclude={"doc_id", "text"}) for a in r.activities],
        "definitions": [x.model_dump(exclude={"doc_id"}) for x in r.definitions],
        "legal_docs": [x.model_dump(exclude={"doc_id", "text"}) for x in r.legal_docs],
        "faqs": [x.model_dump(exclude={"doc_id"}) for x in r.faqs],
        "warnings": r.warnings,
    }
