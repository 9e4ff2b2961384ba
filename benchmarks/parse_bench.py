"""Parse the five bundled plans: time per run, against a baseline measured in the same run.

Baseline: reading + decoding the files and splitting them into lines (the floor any parser pays).
Usage: .venv/bin/python benchmarks/parse_bench.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.loaders import load_bytes  # noqa: E402
from corpus.parser import parse_document  # noqa: E402
from corpus.vocab import load_vocabulary  # noqa: E402

PLANS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "plans").glob("*.txt"))


def baseline() -> int:
    return sum(len(p.read_bytes().decode("utf-8").splitlines()) for p in PLANS)


def full_parse() -> int:
    vocab = load_vocabulary()
    n = 0
    for p in PLANS:
        r = parse_document(load_bytes(p.read_bytes(), p.name), p.stem, vocab)
        n += len(r.tasks) + len(r.duties) + len(r.passages)
    return n


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up (imports, regex compilation)
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    base = timed(baseline, a.repeat)
    parse = timed(full_parse, a.repeat)
    b, p = statistics.median(base), statistics.median(parse)
    print(f"plans: {len(PLANS)}  records per run: {full_parse()}")
    print(f"baseline (read+split lines): median {b * 1000:.2f} ms")
    p95 = sorted(parse)[int(0.95 * len(parse)) - 1]
    print(f"load+parse all plans:        median {p * 1000:.1f} ms  (p95 {p95 * 1000:.1f} ms)")
    print(f"ratio parse/baseline: {p / b:.0f}x   budget check: {'OK' if p < 1.0 else 'OVER'} (< 1 s for all five)")


if __name__ == "__main__":
    main()
