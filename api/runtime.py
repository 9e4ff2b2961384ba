"""What a running service holds: settings, the corpus store, the live assistant, sessions, build progress.

The assistant is replaced as a whole when the corpus changes (``swap``), so a request always sees
one consistent index; readers never wait for a rebuild. ``progress`` tells /readyz and /admin/progress
what a running build is doing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.assistant import Assistant
from bot.factory import build_index, make_sessions, make_store, with_llm
from bot.knowledge import Knowledge
from bot.sessions import SessionStore
from config.settings import Settings
from library.store import CorpusStore
from retrieval.embedders import Embedder
from retrieval.progress import Progress


@dataclass
class Runtime:
    settings: Settings
    store: CorpusStore
    assistant: Assistant
    sessions: SessionStore
    embedder: Embedder | None = None
    admin_lock: threading.Lock = field(default_factory=threading.Lock)
    progress: Progress = field(default_factory=Progress)

    @classmethod
    def start(cls, settings: Settings, embedder: Embedder | None = None,
              progress: Progress | None = None) -> Runtime:
        progress = progress or Progress()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        sessions = make_sessions(settings)
        store = make_store(settings)
        progress.begin("index")
        try:
            index = build_index(settings, store=store, embedder=embedder, progress=progress)
        except BaseException:
            progress.end("error")
            raise
        plans = {d.doc_id: d.parsed for d in store.documents()}
        assistant = with_llm(Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab), sessions), settings)
        progress.end("ready")
        return cls(settings=settings, store=store, assistant=assistant, sessions=sessions, embedder=embedder,
                   progress=progress)

    def reload(self) -> None:
        """Re-read the corpus, build the changed part of the index, then swap atomically.

        The caller (an admin change) sets ``progress.begin(op, doc_id)``; this reports the stages and ends it.
        """
        if not self.progress.running:
            self.progress.begin("reload")
        try:
            store = make_store(self.settings)
            index = build_index(self.settings, store=store,
                                embedder=self.embedder or self.assistant.k.index.embedder, progress=self.progress)
            plans = {d.doc_id: d.parsed for d in store.documents()}
            new = with_llm(Assistant(Knowledge(plans=plans, index=index, vocab=store.vocab), self.sessions),
                           self.settings)
        except BaseException:
            self.progress.end("error")
            raise
        self.store, self.assistant = store, new
        self.progress.end("ready")
