"""The FastAPI application: chat API, widget, webhooks, admin. Built by ``create_app``.

Each concern lives in its own module exposing ``router`` and, optionally, ``async on_startup(app)``
/ ``async on_shutdown(app)``; the index and models load once in the lifespan, never per request.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import admin, chat, web, webhooks
from api.runtime import Runtime
from api.settings import Settings
from retrieval.embedders import Embedder

MODULES = (chat, web, webhooks, admin)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               embedder: Embedder | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio.to_thread

        rt = runtime or await anyio.to_thread.run_sync(lambda: Runtime.start(settings, embedder))
        app.state.runtime = rt
        for m in MODULES:
            hook = getattr(m, "on_startup", None)
            if hook:
                await hook(app)
        yield
        for m in reversed(MODULES):
            hook = getattr(m, "on_shutdown", None)
            if hook:
                await hook(app)

    app = FastAPI(
        title="Trợ lý CCHC",
        description="Hỏi đáp về kế hoạch thông tin, tuyên truyền cải cách hành chính của các tỉnh.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"], allow_credentials=False)
    for m in MODULES:
        app.include_router(m.router)
    return app
