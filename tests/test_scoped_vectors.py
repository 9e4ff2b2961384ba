"""A question scoped to a few plans is answered from those plans' vectors in process (issue 12: Chroma's
filtered query cost ~30 ms at 1,000 plans); it must find what the store's own filtered search finds."""

from __future__ import annotations

from bot.factory import build_index
from config.settings import Settings
from retrieval.vectors import IndexVectors

QUESTIONS = ["cơ quan nào chủ trì cuộc thi", "kinh phí tuyên truyền", "Sở Tư pháp phối hợp", "dịch vụ công trực tuyến"]


def test_scoped_vector_search_finds_what_the_store_filter_finds(tmp_path):
    index = build_index(Settings(data_dir=tmp_path, embedder="hash"))
    scoped = index.vectors
    assert scoped is not None and scoped.by_doc
    through_store = IndexVectors(scoped.store, sorted(scoped.ids))  # no per-plan ids: the store's filter
    docs = sorted(scoped.by_doc)
    for i, q in enumerate(QUESTIONS):
        qv = index.embedder.embed_query(q)
        for scope in ({docs[i % len(docs)]}, set(docs[:3])):
            got, want = scoped.query(qv, 12, scope), through_store.query(qv, 12, scope)
            assert got and [v for v, _ in got] == [v for v, _ in want]
            assert all(abs(a - b) < 2e-6 for (_, a), (_, b) in zip(got, want, strict=True))  # float32 rounding
            assert all(vid.split(":")[0] in scope for vid, _ in got)
    assert scoped.query(index.embedder.embed_query(QUESTIONS[0]), 5, {"no-such-plan"}) == []
