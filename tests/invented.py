"""An assistant over one invented plan, hash embedder: answer tests that no bundled plan was tuned on."""

from __future__ import annotations

from pathlib import Path

from bot.assistant import Assistant
from bot.factory import build_index
from bot.knowledge import Knowledge
from config.settings import Settings
from library.store import CorpusStore


def assistant_for(text: str, root: Path, file_name: str) -> Assistant:
    plans = root / "plans"
    plans.mkdir()
    (plans / file_name).write_text(text, encoding="utf-8")
    store = CorpusStore(dirs=[plans])
    index = build_index(Settings(data_dir=root / "data", embedder="hash"), store=store)
    return Assistant(Knowledge(plans={d.doc_id: d.parsed for d in store.documents()}, index=index, vocab=store.vocab))
