"""The lexical side as arrays (issue 12): scores equal the Okapi BM25 formula, and a matrix assembled from the
previous version's rows plus new ones equals one built from nothing."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np

from retrieval.bm25 import BM25
from retrieval.lexical import TermMatrix


def _docs(n: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)]
    return [[rng.choice(words[: 10 + i % 50]) for _ in range(rng.randint(0, 40))] for i in range(n)]


def _okapi(docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75) -> dict[int, float]:
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    df = Counter(t for d in docs for t in set(d))
    out: dict[int, float] = {}
    for i, d in enumerate(docs):
        tf = Counter(d)
        s = sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] * (k1 + 1)
                / (tf[t] + k1 * (1 - b + b * len(d) / avgdl)) for t in set(query) if tf[t])
        if s > 0:
            out[i] = s
    return out


def test_scores_equal_the_okapi_formula_and_respect_the_allowed_units():
    docs = _docs(200)
    bm = BM25(docs)
    query = ["w3", "w7", "w7", "w41", "absent"]
    want = _okapi(docs, query)
    got = bm.scores(query)
    assert got.keys() == want.keys() and all(abs(got[i] - want[i]) < 1e-4 * max(1.0, want[i]) for i in want)
    allowed = np.arange(50, 120)
    top = bm.top(query, 10, allowed)
    assert len(top) == 10 and all(50 <= i < 120 for i, _ in top)
    best = sorted(((i, s) for i, s in want.items() if 50 <= i < 120), key=lambda x: (-x[1], x[0]))[:10]
    assert [i for i, _ in top] == [i for i, _ in best]


def test_ties_keep_unit_order_and_empty_queries_find_nothing():
    bm = BM25([["a", "b"], ["a", "b"], ["a", "b"], ["c"]])
    assert [i for i, _ in bm.top(["a"], 2)] == [0, 1]
    assert bm.top(["zzz"], 5) == [] and bm.top([], 5) == []


def test_assembled_from_the_previous_rows_equals_built_from_nothing(tmp_path):
    docs = _docs(120, seed=2)
    hashes = [f"h{i}" for i in range(len(docs))]
    old = TermMatrix.from_terms(docs[:80], hashes[:80])
    old.save(tmp_path)
    old = TermMatrix.load(tmp_path)
    # the new version drops rows 0-19, keeps 20-79 in another order and adds 80-119 (with one new word)
    docs[100] = docs[100] + ["brand-new"]
    keep = list(range(79, 19, -1)) + list(range(80, 120))
    new = TermMatrix.from_terms([docs[i] for i in range(80, 120)], hashes[80:120])
    got = TermMatrix.assemble([hashes[i] for i in keep], old, new)
    want = TermMatrix.from_terms([docs[i] for i in keep], [hashes[i] for i in keep])
    assert got.vocab == want.vocab and "brand-new" in got.vocab and "w0" in got.vocab
    assert np.array_equal(got.indptr, want.indptr)
    # within a row the order of terms may differ; compare each row as a mapping
    for r in range(got.rows):
        a, b = slice(got.indptr[r], got.indptr[r + 1]), slice(want.indptr[r], want.indptr[r + 1])
        assert dict(zip(got.ids[a], got.tfs[a], strict=True)) == dict(zip(want.ids[b], want.tfs[b], strict=True))
    q = ["w5", "w12", "brand-new"]
    assert BM25(matrix=got).top(q, 30) == BM25(matrix=want).top(q, 30)


def test_concatenated_plan_slices_equal_a_matrix_built_from_nothing():
    docs = _docs(90, seed=3)
    docs[60] = docs[60] + ["only-in-a-withdrawn-row"]
    old = TermMatrix.from_terms(docs[:70], [])  # "plans": rows 0-29, 30-59, 60-69
    new = TermMatrix.from_terms(docs[70:] + [["brand-new", "w1"]], [])  # rows 70-89 and one more
    # the next version withdraws rows 60-69, puts the second plan first and adds the new rows
    got = TermMatrix.concat([(old, 30, 60), (old, 0, 30), (new, 0, 21)])
    order = docs[30:60] + docs[:30] + docs[70:] + [["brand-new", "w1"]]
    want = TermMatrix.from_terms(order, [])
    assert got.vocab == want.vocab and "only-in-a-withdrawn-row" not in got.vocab and "brand-new" in got.vocab
    assert np.array_equal(got.indptr, want.indptr)
    for r in range(got.rows):
        a, b = slice(got.indptr[r], got.indptr[r + 1]), slice(want.indptr[r], want.indptr[r + 1])
        assert dict(zip(got.ids[a], got.tfs[a], strict=True)) == dict(zip(want.ids[b], want.tfs[b], strict=True))
    q = ["w5", "w12", "brand-new"]
    assert BM25(matrix=got).top(q, 40) == BM25(matrix=want).top(q, 40)


def test_a_scoped_query_scores_exactly_like_the_masked_full_one():
    docs = _docs(400, seed=4)
    bm = BM25(docs)
    allowed = np.concatenate((np.arange(10, 25), np.arange(200, 203), [399], np.arange(60, 70)))
    for query in (["w3", "w7", "w41"], ["w1"], ["absent"], []):
        full = bm._dense(query)
        want = np.zeros_like(full)
        want[allowed] = full[allowed]
        assert np.array_equal(bm.dense(query, allowed), want)  # bit-equal, not just close
    assert not bm.dense(["w3"], np.zeros(0, np.int64)).any()
