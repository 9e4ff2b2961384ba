"""Fit the ranker's feature weights on the 'fit' split of the generated questions; judge on 'report'.

    .venv/bin/python benchmarks/fit_ranker.py [--write] [--dev SET.jsonl …]

The weights in bot/data/ranker.json were written by:
    .venv/bin/python benchmarks/fit_ranker.py --write --dev ../shared/eval/seed_qa_dev.jsonl \\
        benchmarks/heldout_qa.jsonl benchmarks/frozen_heldout_v2.jsonl

For every answerable question (generated 'fit' split, plus the people-written dev sets given), each
retrieved record is a row of named features (bot/ranker.py), good when it carries every fact the
answer must contain. A pairwise logistic regression (scikit-learn, on feature differences) gives one
weight per feature, rescaled so that the retrieval score keeps weight 1; features no question
exercises keep their hand-set prior. The report split is answered with the current and the fitted
weights; ``--write`` stores the fitted ones only if they do better there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_questions import Case  # noqa: E402
from qa_generated import cases_for, load_grader, run, summarise  # noqa: E402

from bot.answerers.base import Ctx  # noqa: E402
from bot.answerers.general import render  # noqa: E402
from bot.factory import build_assistant  # noqa: E402
from bot.ranker import FEATURES, WEIGHTS_FILE, Ranker  # noqa: E402
from config.settings import Settings  # noqa: E402

SCORER_NORM = None


def _norm(text: str) -> str:
    global SCORER_NORM
    if SCORER_NORM is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location("shared_score", ROOT.parent / "shared" / "eval" / "score.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        SCORER_NORM = mod.norm
    return SCORER_NORM(text)


def dev_cases(path: Path) -> list[Case]:
    """Answerable questions of a shared-format set, as cases to fit on (never to report on)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if not d.get("expect_refusal"):
                out.append(Case(d["id"], d["question"], d.get("type", ""), "dev", d["must_contain"]))
    return out


def rows_for(assistant, cases) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise rows: (a record that answers) - (one that does not), per question, both orders."""
    X, y = [], []
    for c in cases:
        if c.expect_refusal:
            continue
        q = assistant.understand(c.question)
        docs, problem = assistant.scope(q)
        if problem:
            continue
        ctx = Ctx(k=assistant.k, ranker=assistant.ranker, docs=docs)
        pos, neg = [], []
        for cand in ctx._ranked(q, use_vectors=True):
            text = _norm(render(cand.record, q))
            ok = all(any(_norm(o) in text for o in (i if isinstance(i, list) else [i])) for i in c.must_contain)
            (pos if ok else neg).append(np.array([cand.features[f] for f in FEATURES]))
        for p in pos[:3]:
            for n in neg[:15]:  # the strongest wrong candidates under the current weights
                X += [p - n, n - p]
                y += [1, 0]
    return np.array(X), np.array(y)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="store the fitted weights if they do better on 'report'")
    ap.add_argument("--dev", nargs="*", default=[], help="question sets (JSONL, the shared format) to fit on too")
    a = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    assistant = build_assistant(Settings())
    fit_cases, report_cases = cases_for(assistant, "fit"), cases_for(assistant, "report")
    human = [c for f in a.dev for c in dev_cases(Path(f))]
    X, y = rows_for(assistant, fit_cases + human * 3)  # people's wording weighs as much as the templates'
    print(f"dev questions written by people: {len(human)} (from {', '.join(a.dev) or 'none'})")
    print(f"fit rows: {len(y)} pairs from {len(fit_cases)} questions")
    model = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(X, y)
    coef = dict(zip(FEATURES, model.coef_[0], strict=True))
    scale = coef["rrf"] if coef["rrf"] > 0 else 1.0
    current = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    prior = current.get("initial") or current["weights"]
    silent = {f for j, f in enumerate(FEATURES) if not np.any(X[:, j])}  # no generated question exercises it
    fitted = {k: round(float(prior.get(k, 0.0)) if k in silent else float(v / scale), 4) for k, v in coef.items()}
    print("kept at their prior (no signal in the fit split):", ", ".join(sorted(silent)) or "none")
    grade = load_grader()
    results = {}
    for name, weights in (("current", current["weights"]), ("fitted", fitted)):
        assistant.ranker = Ranker(assistant.k, {k: float(weights.get(k, 0.0)) for k in FEATURES})
        rows = run(assistant, report_cases, grade)
        results[name] = sum(r["correct"] for r in rows) / max(len(rows), 1)
        print(f"\n== report split, {name} weights ==\n{summarise(rows)}")
    print("\nfitted weights:", json.dumps(fitted, ensure_ascii=False))
    if a.write and results["fitted"] > results["current"]:
        current["initial"] = current.get("initial") or current["weights"]
        current["weights"] = fitted
        current["fitted"] = {"command": "benchmarks/fit_ranker.py --write", "fit_questions": len(fit_cases),
                             "report_accuracy_before": round(results["current"], 4),
                             "report_accuracy_after": round(results["fitted"], 4)}
        WEIGHTS_FILE.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
