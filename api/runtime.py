"""What a running service holds: settings, the corpus store, the live assistant, sessions.

The assistant is replaced as a whole when the corpus changes (``swap``), so a request always sees
one consistent index; readers never wait for a rebuild.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from api.settings import Settings
from bot.assistant import Assistant
from bot.factory import build_index, make_store, with_llm
from bot.knowledge import Knowledge
from bot.sessions import SQLiteSessions
from corpus.store import CorpusStore
from retrieval.embedders import Embedder


@dataclass
class Runtime:
    settings: Settings
    store: CorpusStore
    assistant: Assistant
    sessions: SQLiteSessions
    embedder: Embedder | None = None
    admin_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, settings: Settings, embedder: Embedder | None = None) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        sessions = SQLiteSessions(settings.data_dir / "sessions.sqlite3",
                                  ttl_seconds=settings.session_ttl_minutes * 60,
                                  max_turns=settings.session_max_turns)
        store = make_store(settings)
        index = build_index(settings, store=store, embedder=embedder)
        plans = {d.doc_id: d.parsed for d in store.documents()}
        assistant = with_llm(Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab), sessions), settings)
        return cls(settings=settings, store=store, assistant=assistant, sessions=sessions, embedder=embedder)

    def reload(self) -> None:
        """Re-read the corpus, rebuild the index if its content changed, then swap atomically."""
        store = make_store(self.settings)
        index = build_index(self.settings, store=store, embedder=self.embedder or self.assistant.k.index.embedder)
        plans = {d.doc_id: d.parsed for d in store.documents()}
        new = with_llm(Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab), self.sessions), self.settings)
        self.store, self.assistant = store, new
