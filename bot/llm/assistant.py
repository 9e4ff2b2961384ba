"""LLMAssistant: the extractive Assistant, with answers rephrased by an OpenAI-compatible model.

Same interface as ``Assistant`` (``answer``, ``stream``, ``respond``), so the API and the channels
do not change. The base assistant still does everything that decides *what* is true: follow-up
condensing (rule-based fallback), retrieval, ``found``. The model only rewrites the answer from the
retrieved records, and its text reaches a user only after ``verify.check`` accepts it; any error,
timeout, refusal or failed check returns the extractive answer. Logs (logger ``cchc.llm``) carry
event names, reasons, timings and counts, never the user's text, the model's text or the key.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from bot.answer import Answer, Source
from bot.assistant import MAX_QUESTION, Assistant, ContextItem, Result
from bot.knowledge import Knowledge
from bot.sessions import SessionStore
from config.settings import Settings
from corpus.vocab import fold

from . import verify
from .prompts import REFUSAL, Prompts, escape, render_context, render_history

log = logging.getLogger("cchc.llm")

MAX_CONDENSED = 400
MAX_SOURCES = 5
_NOTE = re.compile(r"^Lưu ý: ", re.M)


@dataclass(frozen=True)
class LLMSettings:
    """Where the model is and how long to wait for it."""

    base_url: str
    model: str
    api_key: SecretStr | None = None
    timeout: float = 20.0  # seconds, whole answer (streamed or not)
    condense_timeout: float = 4.0  # seconds, the follow-up rewrite: one short call
    max_tokens: int = 600
    temperature: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMSettings:
        """From ``config.settings.Settings`` (CCHC_LLM_BASE_URL, CCHC_LLM_API_KEY, CCHC_LLM_MODEL, CCHC_LLM_TIMEOUT)."""
        if not settings.llm_base_url:
            raise ValueError("llm_base_url is not set")
        timeout = float(settings.llm_timeout)
        return cls(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                   timeout=timeout, condense_timeout=min(timeout, 4.0))


def chat_openai(settings: LLMSettings, timeout: float, max_tokens: int) -> BaseChatModel:
    """A ChatOpenAI client on the chat-completions endpoint, no retries (a fallback is always ready)."""
    from langchain_openai import ChatOpenAI

    # local servers (vLLM, Ollama) accept any key, but the client insists on one
    key = settings.api_key or SecretStr("not-needed")
    return ChatOpenAI(base_url=settings.base_url, api_key=key, model=settings.model, timeout=timeout,
                      max_retries=0, temperature=settings.temperature, max_tokens=max_tokens,
                      use_responses_api=False)


ModelFactory = Callable[[LLMSettings, float, int], BaseChatModel]


class LLMAssistant:
    """Wraps an ``Assistant``: same ``answer``/``stream``/``respond``; the model only rephrases."""

    def __init__(self, base: Assistant, settings: LLMSettings, prompts: Prompts | None = None,
                 model_factory: ModelFactory = chat_openai) -> None:
        self.base = base
        self.settings = settings
        self.prompts = prompts or Prompts.load()
        answer_model = model_factory(settings, settings.timeout, settings.max_tokens)
        condense_model = model_factory(settings, min(settings.condense_timeout, settings.timeout), 120)
        self._answer_chain: Runnable = self.prompts.answer_template() | answer_model | StrOutputParser()
        # streaming without the output parser: closing a parser's stream early waits for the model to finish
        self._answer_stream: Runnable = self.prompts.answer_template() | answer_model
        self._condense_chain: Runnable = self.prompts.condense_template() | condense_model | StrOutputParser()
        self._groups = verify.alias_groups(base.k.vocab.agency_alias)
        self._forbidden = verify.leak_shingles(self.prompts.instruction_texts())
        _quiet_client_logs()

    # ---- the Assistant interface ----------------------------------------------------------
    @property
    def k(self) -> Knowledge:
        """The base assistant's knowledge (the runtime and /readyz read it)."""
        return self.base.k

    @property
    def sessions(self) -> SessionStore:
        return self.base.sessions

    def __getattr__(self, name: str) -> Any:
        if name == "base":  # not set yet (during __init__)
            raise AttributeError(name)
        return getattr(self.base, name)

    def answer(self, message: str, province: str | None = None, session_id: str | None = None) -> Answer:
        """The verified model answer, or the extractive one."""
        res = self.respond(message, province, session_id)
        return res.answer

    def respond(self, message: str, province: str | None = None, session_id: str | None = None) -> Result:
        """Like ``Assistant.respond``; ``answer`` is the model's when it passed the checks."""
        res = self._retrieve(message, province, session_id)
        if not self._worth_asking(res):
            return res
        started = time.monotonic()
        try:
            raw = self._answer_chain.invoke(self._inputs(res))
        except Exception as exc:  # noqa: BLE001 - any model failure means the extractive answer
            _log_error("answer", exc, started)
            return res
        return Result(answer=self._finish(raw, res, started), question=res.question, context=res.context)

    def stream(self, message: str, province: str | None = None,
               session_id: str | None = None) -> Iterator[str | Answer]:
        """Yield the model's text as it arrives (citations stripped), then the final, verified Answer.

        If the check fails after streaming, the final Answer carries the extractive text: a client
        must replace what it displayed with the final Answer's ``answer``.
        """
        res = self._retrieve(message, province, session_id)
        if not self._worth_asking(res):
            yield from re.findall(r"\S+\s*", res.answer.answer)
            yield res.answer
            return
        started = time.monotonic()
        deadline = started + self.settings.timeout
        parts: list[str] = []
        shown = StreamFilter()
        # Runnable.stream is annotated Iterator, but it is a generator: closing it drops the HTTP stream
        chunks = cast("Generator[Any, None, None]", self._answer_stream.stream(self._inputs(res)))
        try:
            for chunk in chunks:
                piece = _text_of(chunk)
                parts.append(piece)
                out = shown.feed(piece)
                if out:
                    yield out
                if time.monotonic() > deadline:
                    raise TimeoutError("stream deadline")
            tail = shown.flush()
            if tail:
                yield tail
        except Exception as exc:  # noqa: BLE001
            _log_error("stream", exc, started)
            yield res.answer
            return
        finally:
            chunks.close()  # drop the HTTP stream now, not when garbage-collected
        yield self._finish("".join(parts), res, started)

    # ---- steps ------------------------------------------------------------------------------
    def _retrieve(self, message: str, province: str | None, session_id: str | None) -> Result:
        """Condense a follow-up with the model (rule-based inside the base on failure), then retrieve."""
        text = (message or "").strip()
        standalone = text
        if session_id and text and len(text) <= MAX_QUESTION:
            history = self.base.sessions.history(session_id)
            if history:
                standalone = self._condense(text, history) or text
        return self.base.respond(standalone, province, session_id)

    def _condense(self, question: str, history: list[str]) -> str | None:
        """One short model call: the follow-up as a standalone question, or None (use the rules)."""
        started = time.monotonic()
        try:
            raw = self._condense_chain.invoke({"history": render_history(history), "question": escape(question)})
        except Exception as exc:  # noqa: BLE001
            _log_error("condense", exc, started)
            return None
        label = re.compile(r"^(?:Câu hỏi độc lập|Câu hỏi)\s*:\s*", re.I)
        lines = [label.sub("", x.strip()).strip("\"'“”«» ") for x in (raw or "").splitlines()]
        lines = [x for x in lines if x]
        out = lines[0] if lines else ""
        reason = None
        if not out:
            reason = "empty"
        elif len(out) > MAX_CONDENSED or len(lines) > 1:
            reason = "too_long"
        elif verify.is_refusal(out) or re.search(r"</?\s*(?:tai_lieu|cau_hoi|lich_su)|&lt;", out, re.I):
            reason = "markup"
        if reason:
            log.warning("llm condense rejected: reason=%s ms=%d", reason, _ms(started))
            return None
        log.info("llm condense used: ms=%d", _ms(started))
        return out

    @staticmethod
    def _worth_asking(res: Result) -> bool:
        """Only a found answer with records is rephrased; an honest refusal stays as it is."""
        return bool(res.answer.found and res.context)

    @staticmethod
    def _inputs(res: Result) -> dict[str, str]:
        return {"context": render_context([(c.id, c.text) for c in res.context]), "question": escape(res.question)}

    def _finish(self, raw: str, res: Result, started: float) -> Answer:
        """Check the model's text; the Answer to return (the model's, or the extractive one)."""
        records = {c.id: c.text for c in res.context}
        verdict = verify.check(raw, records, groups=self._groups, forbidden=self._forbidden)
        if not verdict.ok:
            level = logging.INFO if verdict.reason == "refusal" else logging.WARNING
            log.log(level, "llm answer rejected: reason=%s records=%d cited=%d ms=%d",
                    verdict.reason, len(records), len(verdict.cited), _ms(started))
            return res.answer
        log.info("llm answer used: records=%d cited=%d ms=%d", len(records), len(verdict.cited), _ms(started))
        return compose_answer(verdict.text, verdict.cited, res)


def compose_answer(text: str, cited: list[str], res: Result) -> Answer:
    """The verified text, the extractive answer's notes (province merger), and a readable source line."""
    by_id = {c.id: c for c in res.context}
    cited_items: list[ContextItem] = [by_id[c] for c in cited if c in by_id]
    sources = _sources(cited_items, res.answer.sources)
    notes = [line for line in res.answer.answer.splitlines() if _NOTE.match(line) and fold(line) not in fold(text)]
    seen: list[str] = []
    for c in cited_items:
        s = c.source
        label = f"{s.document} ({s.province}, {s.year}), {s.section}" if s.province else f"{s.document}, {s.section}"
        if label not in seen:
            seen.append(label)
    cite = "Nguồn: " + "; ".join(seen[:3])
    body = "\n".join([text, *notes, cite])
    return Answer(answer=body, found=True, sources=sources, session_id=res.answer.session_id)


def _sources(cited: list[ContextItem], retrieved: list[Source]) -> list[Source]:
    """The retrieved sources, those the model cited first."""
    out: list[Source] = []
    keys: set[tuple[str, str]] = set()
    for s in [c.source for c in cited] + list(retrieved):
        key = (s.document, s.section)
        if key not in keys:
            keys.add(key)
            out.append(s)
    return out[:MAX_SOURCES]


class StreamFilter:
    """Cleans a token stream on the fly: drops [Rn] markers and Markdown emphasis, holds back text that
    may still turn into a marker or into the refusal token (which is never shown)."""

    def __init__(self) -> None:
        self._buf = ""
        self._started = False

    def feed(self, piece: str) -> str:
        self._buf += piece
        return self._drain(final=False)

    def flush(self) -> str:
        return self._drain(final=True)

    def _drain(self, final: bool) -> str:
        if not self._started:
            head = fold(self._buf.strip())
            token = fold(REFUSAL)
            if verify.is_refusal(self._buf):
                self._buf = "" if final else self._buf
                return ""
            if not final and (token.startswith(head) or token.replace("_", " ").startswith(head)):
                return ""  # may still be the refusal token
            self._started = True
            self._buf = self._buf.lstrip()
        text = verify._CITE_STRIP.sub("", self._buf).replace("**", "").replace("__", "")
        hold = ""
        if not final:
            i = text.rfind("[")
            if i != -1 and "]" not in text[i:] and len(text) - i <= 24:
                text, hold = text[:i], text[i:]
            if text.endswith("*") or text.endswith("_"):
                text, hold = text[:-1], text[-1:] + hold
            stripped = text.rstrip()
            hold = text[len(stripped):] + hold  # trailing spaces wait: a marker may follow
            text = stripped
        else:
            text = text.rstrip()
        self._buf = hold
        return re.sub(r"[ \t]+([.,;:!?)])", r"\1", text)


def _text_of(chunk: Any) -> str:
    """The text of a streamed message chunk (content is a str, or a list of typed parts)."""
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content or [])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _log_error(step: str, exc: BaseException, started: float) -> None:
    """Exception class and HTTP status only: messages may quote the request."""
    status = getattr(exc, "status_code", None)
    log.warning("llm %s failed, using the extractive path: error=%s status=%s ms=%d",
                step, type(exc).__name__, status if status is not None else "-", _ms(started))


def _quiet_client_logs() -> None:
    """The OpenAI client logs whole requests (user text) at DEBUG: keep its loggers at INFO or above."""
    for name in ("openai", "openai._base_client"):
        lg = logging.getLogger(name)
        if lg.getEffectiveLevel() < logging.INFO:
            lg.setLevel(logging.INFO)
