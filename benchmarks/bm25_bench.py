"""The lexical side three ways, on the same units in one run: the dict-of-lists BM25 this project had, the
numpy postings it has now (retrieval/bm25.py) and the bm25s library (``pip install bm25s``; not a dependency).

    .venv/bin/python benchmarks/bm25_bench.py --data DIR [--repeat 10] [--quality]

DIR is a data directory with a built index (its live version's lexical.npz gives the units' terms; e.g. one
made by scale_bench or ``cchc index``). ``--repeat`` tiles the rows (10 × 100 plans ≈ the 65,000 units of 1,000
plans: same vocabulary, ten times the postings, which is what query time grows with). Measured per backend:
build time from the term lists, memory it keeps (tracemalloc), query time p50/p95 over the question terms of
the generated suite, and agreement of its top 40 with the current implementation's. ``--quality`` also swaps
each backend into the assistant and grades the generated suite, the dev set and the frozen held-out v3.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval.bm25 import BM25  # noqa: E402
from retrieval.lexical import TermMatrix  # noqa: E402


class DictBM25:
    """The hand-written BM25 as it was before the numpy rewrite (postings as Python lists of tuples)."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for term, tf in Counter(d).items():
                self.postings[term].append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def dense(self, query: list[str], allowed=None) -> np.ndarray:
        out: dict[int, float] = defaultdict(float)
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in self.postings[term]:
                denom = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / (self.avgdl or 1))
                out[i] += idf * tf * (self.k1 + 1) / denom
        s = np.zeros(self.n)
        if out:
            s[list(out)] = list(out.values())
        return _mask(s, allowed)

    best = staticmethod(BM25.best)


class Bm25sBM25:
    """bm25s (Lucene variant: the same idf; its scores are ours divided by k1 + 1)."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        self.k1 = k1
        self.r = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.r.index(docs, show_progress=False)
        self.n = len(docs)
        df = Counter(t for d in docs for t in set(d))
        self.idf = {t: math.log(1 + (self.n - v + 0.5) / (v + 0.5)) for t, v in df.items()}  # for the ranker

    def dense(self, query: list[str], allowed=None) -> np.ndarray:
        terms = sorted({t for t in query if t in self.r.vocab_dict})
        s = self.r.get_scores(terms).astype(np.float64) * (self.k1 + 1) if terms else np.zeros(self.n)
        return _mask(s, allowed)

    best = staticmethod(BM25.best)


def _mask(s: np.ndarray, allowed) -> np.ndarray:
    if allowed is None:
        return s
    out = np.zeros_like(s)
    out[allowed] = s[allowed]
    return out


class Current(BM25):
    def __init__(self, docs: list[list[str]]) -> None:
        super().__init__(docs)


BACKENDS = {"dict (before)": DictBM25, "numpy (now)": Current, "bm25s": Bm25sBM25}


def docs_of(m: TermMatrix, repeat: int) -> list[list[str]]:
    docs = []
    for r in range(m.rows):
        a, b = m.indptr[r], m.indptr[r + 1]
        docs.append([m.vocab[t] for t, n in zip(m.ids[a:b], m.tfs[a:b], strict=True) for _ in range(int(n))])
    return docs * repeat


def query_terms(data: Path) -> list[list[str]]:
    from gen_questions import generate

    from bot.factory import make_store
    from config.settings import Settings
    from retrieval.text import index_terms

    store = make_store(Settings(data_dir=data, embedder="hash"))
    plans = {d.doc_id: d.parsed for d in store.documents()[:12]}
    cases = generate(plans, store.vocab, absent_agencies=list(store.vocab.agency_canonical))
    return [index_terms(c.question, store.vocab) for c in cases[:300]]


def measure(name: str, cls, docs: list[list[str]], queries: list[list[str]], reference) -> dict:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    bm = cls(docs)
    build = time.perf_counter() - t0
    kept = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    lat, agree = [], []
    for q in queries:
        t = time.perf_counter()
        top = [i for i, _ in bm.best(bm.dense(q), 40)]
        lat.append((time.perf_counter() - t) * 1000)
        if reference is not None:
            ref = reference[len(agree)]
            agree.append(len(set(top) & set(ref)) / max(1, len(ref)))
    lat.sort()
    return {"backend": name, "build_s": build, "kept_mb": kept, "p50_ms": statistics.median(lat),
            "p95_ms": lat[int(0.95 * (len(lat) - 1))], "top40_agreement": statistics.mean(agree) if agree else 1.0,
            "obj": bm}


def quality(cls_name: str) -> dict:
    """The assistant with this backend in place of the current one: generated suite, dev and held-out v3."""
    import tempfile

    import embed_chars_bench as ecb

    import retrieval.index as ri

    cls = BACKENDS[cls_name]
    saved = ri.BM25

    def make(docs=None, matrix=None):
        return cls(docs_of(matrix, 1) if matrix is not None else docs)

    ri.BM25 = make
    try:
        with tempfile.TemporaryDirectory() as tmp:
            row = ecb.run_length(0, "hash", Path(tmp) / "data", Path(tmp), ecb.load_grader())
    finally:
        ri.BM25 = saved
    return {k: row[k] for k in ("generated", "dev", "heldout_v3")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--repeat", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bm25.json"))
    a = ap.parse_args(argv)
    data = Path(a.data)
    cur = json.loads((data / "index" / "current.json").read_text(encoding="utf-8"))
    m = TermMatrix.load(data / "index" / cur["dir"])
    queries = query_terms(data)
    rows = []
    for rep in a.repeat:
        docs = docs_of(m, rep)
        current = measure("numpy (now)", Current, docs, queries, None)
        reference = [[i for i, _ in current["obj"].best(current["obj"].dense(q), 40)] for q in queries]
        for name, cls in BACKENDS.items():
            r = current if name == "numpy (now)" else measure(name, cls, docs, queries, reference)
            r = {k: v for k, v in r.items() if k != "obj"}
            rows.append({"units": len(docs), "queries": len(queries), **r})
            print(json.dumps(rows[-1]), flush=True)
        del docs, current
        gc.collect()
    if a.quality:
        for name in BACKENDS:
            q = quality(name)
            rows.append({"backend": name, "quality": q})
            print(json.dumps(rows[-1]), flush=True)
    Path(a.out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
