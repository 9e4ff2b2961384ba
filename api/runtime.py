"""What a running service holds: settings, the corpus store, the live assistant, sessions, build progress.

The assistant is replaced as a whole when the corpus changes (``swap``), so a request always sees
one consistent index; readers never wait for a rebuild. ``progress`` tells /readyz and /admin/progress
what a running build is doing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from api import unanswered
from bot.answer import Answer
from bot.factory import assemble, make_sessions
from bot.service import AnswerService
from bot.sessions import SessionStore
from config.settings import Settings
from library.store import CorpusStore
from retrieval.embedders import Embedder
from retrieval.progress import Progress


@dataclass
class Runtime:
    settings: Settings
    store: CorpusStore
    assistant: AnswerService
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
        progress.begin("index")
        try:
            built = assemble(settings, sessions=sessions, embedder=embedder, progress=progress)
        except BaseException:
            progress.end("error")
            raise
        progress.end("ready")
        return cls(settings=settings, store=built.store, assistant=built.assistant, sessions=sessions,
                   embedder=embedder, progress=progress)

    def reload(self) -> None:
        """Re-read the corpus, build the changed part of the index, then swap atomically.

        The caller (an admin change) sets ``progress.begin(op, doc_id)``; this reports the stages and ends it.
        """
        if not self.progress.running:
            self.progress.begin("reload")
        try:
            built = assemble(self.settings, sessions=self.sessions,
                             embedder=self.embedder or self.assistant.k.index.embedder, progress=self.progress)
        except BaseException:
            self.progress.end("error")
            raise
        self.store, self.assistant = built.store, built.assistant
        self.progress.end("ready")

    async def note_answer(self, question: str, session_id: str, ans: Answer) -> None:
        """Channels report every answer here: unanswered ones go to the unanswered-questions report (never raises)."""
        await unanswered.record_channel_answer(self, question, session_id, ans)
