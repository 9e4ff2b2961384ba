"""Multi-turn conversations: every turn graded like a single question, in one session per conversation.

    .venv/bin/python benchmarks/conversation_bench.py [CONVERSATIONS.jsonl] [--show-failures] [--plans DIR]

Each line is {"id", "turns": [{"question", "must_contain", "expect_refusal"}, …]}. A turn is right when
the shared scorer's rule holds (found + must_contain in the first 700 characters, or found=false for a
refusal); a conversation is right when all its turns are. The naive baseline (1000-char chunks + BM25)
answers each turn alone, as a stateless pipeline would, in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from qa_bench import load_grader, setup  # noqa: E402

from bot.factory import build_assistant  # noqa: E402

DEFAULT = ROOT / "benchmarks" / "frozen_conversations_v1.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--plans", help="add this folder's plans (benchmarks/newdocs) to a fresh data dir")
    a = ap.parse_args()
    _, settings, baseline = setup(["--plans", a.plans] if a.plans else [])
    grade = load_grader()
    convs = [json.loads(x) for x in Path(a.path).read_text(encoding="utf-8").splitlines() if x.strip()]
    assistant = build_assistant(settings)
    totals = {"assistant": [0, 0, 0], "baseline": [0, 0, 0]}  # turns right, turns, conversations right
    for conv in convs:
        sid = f"bench-{uuid.uuid4().hex}"
        ok_all = {"assistant": True, "baseline": True}
        for i, turn in enumerate(conv["turns"]):
            q = {"must_contain": turn.get("must_contain", []), "expect_refusal": turn.get("expect_refusal", False)}
            for name, answer in (("assistant", assistant.answer(turn["question"], session_id=sid).model_dump()),
                                 ("baseline", baseline.answer(turn["question"]))):
                ok = grade(q, answer)["correct"]
                totals[name][0] += ok
                totals[name][1] += 1
                ok_all[name] &= ok
                if not ok and name == "assistant" and a.show_failures:
                    print(f"FAIL {conv['id']} turn {i + 1}: {turn['question']}\n  must {q['must_contain']} "
                          f"refusal={q['expect_refusal']}\n  got found={answer['found']}: {answer['answer'][:260]!r}")
        for name in totals:
            totals[name][2] += ok_all[name]
    for name, (t_ok, t_n, c_ok) in totals.items():
        print(f"{name:10s} turns {t_ok}/{t_n} = {t_ok / max(t_n, 1):.3f}   conversations {c_ok}/{len(convs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
