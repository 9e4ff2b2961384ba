"""The generated question suite: accuracy per attribute and per variant, on the 'report' split.

    .venv/bin/python benchmarks/qa_generated.py [--split report|fit|all] [--failures N] [--json OUT] [--layouts]

Runs in-process over the bundled plans with the configured index (CCHC_DATA_DIR, default ./data).
Grading is the shared scorer's (../shared/eval/score.py: found + must_contain in the first 700
characters; refusals must be found=false). The split is by source record (benchmarks/gen_questions.py),
so ranker weights fitted on 'fit' (benchmarks/fit_ranker.py) are judged on records they never saw.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_questions import Case, generate  # noqa: E402

from bot.factory import build_assistant  # noqa: E402
from config.settings import Settings  # noqa: E402

SCORER = ROOT.parent / "shared" / "eval" / "score.py"


def load_grader():
    spec = importlib.util.spec_from_file_location("shared_score", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.grade


def cases_for(assistant, split: str) -> list[Case]:
    k = assistant.k
    cases = generate(k.plans, k.vocab, absent_agencies=list(k.vocab.agency_canonical))
    return [c for c in cases if split == "all" or c.split == split]


def run(assistant, cases: list[Case], grade) -> list[dict]:
    out = []
    for c in cases:
        t0 = time.perf_counter()
        ans = assistant.answer(c.question)
        ms = (time.perf_counter() - t0) * 1000
        g = grade(c.to_dict(), ans.model_dump())
        out.append({**c.to_dict(), "correct": g["correct"], "found": ans.found, "answer": ans.answer[:400],
                    "ms": ms})
    return out


def summarise(rows: list[dict]) -> str:
    def table(key: str) -> list[str]:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            acc[r[key]][0] += r["correct"]
            acc[r[key]][1] += 1
        return [f"| {k} | {v[0]}/{v[1]} | {v[0] / v[1]:.3f} |" for k, v in sorted(acc.items())]

    n = len(rows)
    ok = sum(r["correct"] for r in rows)
    refusals = [r for r in rows if r["expect_refusal"]]
    answerable = [r for r in rows if not r["expect_refusal"]]
    false_refusals = sum(1 for r in answerable if not r["found"])
    lat = sorted(r["ms"] for r in rows)
    lines = [f"accuracy {ok}/{n} = {ok / max(n, 1):.3f}; refusals {sum(r['correct'] for r in refusals)}/"
             f"{len(refusals)}; false refusals on answerable {false_refusals}/{len(answerable)}; "
             f"latency p50 {lat[n // 2]:.1f} ms, p95 {lat[int(n * 0.95)]:.1f} ms" if n else "no cases",
             "", "| attribute | correct | accuracy |", "| --- | --- | --- |", *table("type"),
             "", "| variant | correct | accuracy |", "| --- | --- | --- |", *table("variant")]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="report", choices=["report", "fit", "all"])
    ap.add_argument("--failures", type=int, default=0, help="print this many failures")
    ap.add_argument("--json", default=None, help="write every graded case here")
    ap.add_argument("--layouts", action="store_true",
                    help="also plans generated in other layouts (tests/prose_plans.py), indexed with the hash embedder")
    a = ap.parse_args()
    if a.layouts:
        with tempfile.TemporaryDirectory() as tmp:
            assistant = with_generated_layouts(Path(tmp))
            return report(assistant, a)
    return report(build_assistant(Settings()), a)


def with_generated_layouts(root: Path):
    """The bundled plans plus generated prose plans (three layouts × two seeds) in a fresh corpus."""
    from bot.assistant import Assistant
    from bot.factory import build_index
    from bot.knowledge import Knowledge
    from library.store import BUNDLED_DIR, CorpusStore
    from tests.admin_plans import render
    from tests.prose_plans import STYLES, prose_plan

    plans = root / "plans"
    plans.mkdir()
    for f in BUNDLED_DIR.glob("*.txt"):
        shutil.copy(f, plans / f.name)
    for n, (style, seed) in enumerate((s, k) for s in STYLES for k in (0, 1)):
        (plans / f"9{n:02d}_{style}{seed}.txt").write_bytes(render(prose_plan(style, seed).doc, ".txt"))
    settings = Settings(data_dir=root / "data", embedder="hash")
    store = CorpusStore(dirs=[plans])
    index = build_index(settings, store=store)
    return Assistant(Knowledge(plans={d.doc_id: d.parsed for d in store.documents()}, index=index,
                               vocab=store.vocab))


def report(assistant, a) -> int:
    rows = run(assistant, cases_for(assistant, a.split), load_grader())
    print(summarise(rows))
    for r in [r for r in rows if not r["correct"]][: a.failures]:
        print(f"\nFAIL {r['id']} [{r['type']}/{r['variant']}] {r['question']}\n  must {r['must_contain']} "
              f"refusal={r['expect_refusal']}\n  got found={r['found']}: {r['answer'][:300]!r}")
    if a.json:
        Path(a.json).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
