"""The Answer object: the contract shared by the CLI, the HTTP API and the channels."""

from __future__ import annotations

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
