"""The FastAPI application: chat API, widget, webhooks, admin. Built by ``create_app``.

Each concern lives in its own module exposing ``router`` and, optionally, ``async on_startup(app)``
/ ``async on_shutdown(app)``; the index and models load once in the lifespan, never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from api import admin, chat, feedback, guards, web, webhooks
from api.runtime import Runtime
from config.settings import Settings
from retrieval.embedders import Embedder
from retrieval.progress import Progress

MODULES = (chat, feedback, web, webhooks, admin)
log = logging.getLogger("cchc.api")

TAGS = [
    {"name": "trò chuyện", "description": "Hỏi đáp với trợ lý (JSON hoặc Server-Sent Events)."},
    {"name": "vận hành", "description": "Kiểm tra sống / sẵn sàng cho bộ điều phối và giám sát."},
]


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Last resort: a polite Vietnamese 500, never a stack trace (the trace goes to the log)."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": chat.ERROR_500, "errors": []})


async def _start_modules(app: FastAPI) -> None:
    for m in MODULES:
        hook = getattr(m, "on_startup", None)
        if hook:
            await hook(app)
    app.state.modules_started = True


async def _load_runtime(app: FastAPI, settings: Settings, embedder: Embedder | None) -> None:
    """Build or open the index off the event loop; /readyz reports progress until it is done."""
    import anyio.to_thread

    progress: Progress = app.state.progress
    try:
        rt = await anyio.to_thread.run_sync(lambda: Runtime.start(settings, embedder, progress),
                                            abandon_on_cancel=True)
    except Exception as exc:  # noqa: BLE001 - the service stays up and says why it is not ready
        app.state.startup_error = _reason(exc)
        log.error("the index could not be loaded: %s", app.state.startup_error)
        return
    app.state.runtime = rt
    await _start_modules(app)
    log.info("index ready: %d units", rt.assistant.k.index.size if hasattr(rt.assistant, "k") else -1)


def _reason(exc: BaseException) -> str:
    """One line for /readyz and the log: what failed, never a traceback."""
    return f"{type(exc).__name__}: {str(exc)[:300]}" if str(exc) else type(exc).__name__


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               embedder: Embedder | None = None, load_in_background: bool = False) -> FastAPI:
    """The app. With ``load_in_background`` (``cchc serve``) it listens at once and builds the index meanwhile;
    otherwise the lifespan returns only once the index is loaded (tests, embedding in another server)."""
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio.to_thread

        loader = None
        if runtime is not None:
            app.state.runtime = runtime
            app.state.progress = getattr(runtime, "progress", None) or app.state.progress
            await _start_modules(app)
        elif load_in_background:
            loader = asyncio.create_task(_load_runtime(app, settings, embedder))
        else:
            rt = await anyio.to_thread.run_sync(lambda: Runtime.start(settings, embedder, app.state.progress))
            app.state.runtime = rt
            await _start_modules(app)
        yield
        if loader is not None and not loader.done():
            loader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loader
        if getattr(app.state, "modules_started", False):
            for m in reversed(MODULES):
                hook = getattr(m, "on_shutdown", None)
                if hook:
                    await hook(app)

    app = FastAPI(
        title="Trợ lý CCHC",
        description=("Hỏi đáp về kế hoạch thông tin, tuyên truyền cải cách hành chính của các tỉnh. "
                     "Mọi câu trả lời đều nêu nguồn (tỉnh, năm, văn bản, mục)."),
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    app.state.runtime = None  # /readyz answers 503 until the lifespan has loaded it
    app.state.progress = getattr(runtime, "progress", None) or Progress()
    app.state.startup_error = None
    app.state.modules_started = False
    app.add_exception_handler(RequestValidationError, chat.validation_error_handler)
    app.add_exception_handler(Exception, _unexpected_error)
    guards.install(app, settings, admin_on=lambda: admin.token_problem(settings.admin_token) is None)
    # The widget is embedded on other sites: its POSTs (JSON, so preflighted) must pass CORS.
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"], allow_credentials=False, max_age=600)
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # widget.js 20 kB -> ~6 kB; SSE is never compressed
    for m in MODULES:
        app.include_router(m.router)
    return app
