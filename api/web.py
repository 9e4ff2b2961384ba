"""The embeddable widget (GET /widget.js) and a demo provincial portal page (GET /) that embeds it."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

STATIC = Path(__file__).parent / "static"
router = APIRouter(tags=["widget"])

# Portals cache the script for an hour and revalidate with the ETag afterwards, so a new release
# reaches every embedding page within the hour without a cache-busting query string.
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
    "Cross-Origin-Resource-Policy": "cross-origin",  # loadable from pages that set COEP
    "X-Content-Type-Options": "nosniff",
}


@lru_cache(maxsize=4)
def _asset(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """File bytes and a strong ETag, re-read only when the file changes (keyed by mtime)."""
    data = path.read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


@router.get("/widget.js", summary="Mã nhúng trợ lý (JavaScript)", response_class=Response,
            responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Không đổi (ETag)"}})
def widget_js(request: Request) -> Response:
    path = STATIC / "widget.js"
    data, etag = _asset(path, path.stat().st_mtime_ns)
    headers = {**WIDGET_HEADERS, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/", summary="Trang minh hoạ cổng thông tin có nhúng trợ lý", response_class=FileResponse,
            include_in_schema=False)
def demo_page() -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})
