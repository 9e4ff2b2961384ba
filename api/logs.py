"""Logging for ``cchc serve``: our ``cchc.*`` INFO lines visible, optionally as JSON lines with request ids.

``CCHC_LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message, request_id,
exception), which log shippers read without parsing rules; the default is readable text. The
request id comes from the middleware in :mod:`api.guards` through a context variable, so a line
logged anywhere while a request is served carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("cchc_request_id", default=None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on odd arguments."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid and rid != "-":
            out["request_id"] = rid
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn's ``log_config``: uvicorn's loggers and ours, one format."""
    formatter = {"()": "api.logs.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "api.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "cchc": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["main"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["main"], "level": "WARNING"},
    }
