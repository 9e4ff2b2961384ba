"""What the edges (HTTP API, channels, CLI) need of an assistant, whichever one the settings chose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bot.answer import Answer
from bot.knowledge import Knowledge
from bot.result import Result
from bot.sessions import SessionStore


class AnswerService(Protocol):
    """Implemented by the extractive ``bot.assistant.Assistant`` and by ``bot.llm.LLMAssistant`` wrapping it."""

    @property
    def k(self) -> Knowledge:
        """The parsed plans and the index the answers come from (/readyz and the channels read it)."""
        ...

    @property
    def sessions(self) -> SessionStore: ...

    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer: ...

    def respond(self, message: str, province: str | None = None, session_id: str | None = None) -> Result: ...

    def stream(self, message: str, province: str | None = None,
               session_id: str | None = None) -> Iterator[str | Answer]:
        """The answer text in pieces, then the final Answer."""
        ...
