"""Prompt files (prompts/*.txt, package data of `prompts`) and the rendering of records, questions, history.

Everything that comes from a document or a user goes inside its own tag (<tai_lieu id="R1">,
<cau_hoi>, <lich_su>) with '<' and '>' escaped, so no text can close a tag or open a new one;
the system prompt says the contents of those tags are data, never instructions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

PROMPTS_PACKAGE = "prompts"  # the top-level prompts/ folder, shipped in the wheel as package data
REFUSAL = "KHÔNG_CÓ_THÔNG_TIN"  # the model's fixed "not in the records" reply
MAX_RECORD_CHARS = 2000
MAX_HISTORY_TURNS = 3
MAX_HISTORY_CHARS = 300


class PromptError(RuntimeError):
    """A prompt file is missing or malformed."""


def escape(text: str) -> str:
    """Data text safe to place inside a tag: NFC, '<' '>' escaped, control characters removed."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def render_context(items: Sequence[tuple[str, str]]) -> str:
    """(id, text) pairs -> one <tai_lieu id="Rn"> block per record."""
    blocks = []
    for rid, text in items:
        body = escape(text)[:MAX_RECORD_CHARS]
        blocks.append(f'<tai_lieu id="{escape(rid)}">\n{body}\n</tai_lieu>')
    return "\n".join(blocks)


def render_history(history: Sequence[str]) -> str:
    """The last few questions of a session, one escaped line each."""
    turns = [" ".join(h.split())[:MAX_HISTORY_CHARS] for h in history[-MAX_HISTORY_TURNS:] if h.strip()]
    return "\n".join(f"- {escape(t)}" for t in turns)


@dataclass(frozen=True)
class Prompts:
    """The three prompt texts; placeholders: {refusal} (system), {context} {question} {refusal} (answer),
    {history} {question} (condense)."""

    system: str
    answer: str
    condense: str

    @classmethod
    def load(cls, directory: Path | Traversable | None = None) -> Prompts:
        """From ``directory`` or, by default, the installed `prompts` package (checkout or wheel alike)."""
        try:
            d = directory if directory is not None else resources.files(PROMPTS_PACKAGE)
        except ModuleNotFoundError as exc:
            raise PromptError(f"prompt package missing: {PROMPTS_PACKAGE}") from exc
        texts = {}
        for name in ("system", "answer", "condense"):
            path = d / f"{name}.txt"
            try:
                texts[name] = unicodedata.normalize("NFC", path.read_text(encoding="utf-8")).strip()
            except OSError as exc:
                raise PromptError(f"prompt file missing: {path}") from exc
        prompts = cls(**texts)
        prompts._check()
        return prompts

    def _check(self) -> None:
        need = {"answer": ("{context}", "{question}"), "condense": ("{history}", "{question}")}
        for name, keys in need.items():
            missing = [k for k in keys if k not in getattr(self, name)]
            if missing:
                raise PromptError(f"prompts/{name}.txt lacks {', '.join(missing)}")

    def answer_template(self) -> ChatPromptTemplate:
        """System + human messages; inputs: context, question (refusal is bound)."""
        tpl = ChatPromptTemplate.from_messages([("system", self.system), ("human", self.answer)])
        return tpl.partial(refusal=REFUSAL) if "refusal" in tpl.input_variables else tpl

    def condense_template(self) -> ChatPromptTemplate:
        """One human message; inputs: history, question."""
        return ChatPromptTemplate.from_messages([("human", self.condense)])

    def instruction_texts(self) -> list[str]:
        """The instruction text (placeholders removed) that must never be echoed to a user."""
        out = []
        for text in (self.system, self.answer, self.condense):
            for key in ("{context}", "{question}", "{history}", "{refusal}"):
                text = text.replace(key, "\n")
            out.append(text)
        return out
