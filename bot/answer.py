"""The Answer object: the contract shared by the CLI, the HTTP API and the channels."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Source(BaseModel):
    document: str
    province: str | None = None
    year: int | None = None
    section: str = ""
    quote: str = ""
    score: float = 0.0


class Answer(BaseModel):
    answer: str
    found: bool
    sources: list[Source] = Field(default_factory=list)
    session_id: str | None = None
    # Optional presentation hints for rich clients (the widget): lead, plan tags, labelled lines, quote cells.
    # ``answer`` stays the complete plain text; absent from the JSON unless set (see docs/embed.md).
    parts: list[dict[str, Any]] | None = Field(default=None, exclude_if=lambda v: v is None)
