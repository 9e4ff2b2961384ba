"""The ``cchc`` command: ask, serve, corpus administration, index.

A thin edge: it parses arguments, builds Settings once, calls the core and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from api.settings import Settings


def _print_table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=False)))


def _store(settings: Settings):
    from corpus.store import BUNDLED_DIR, CorpusStore

    return CorpusStore(dirs=[BUNDLED_DIR, settings.uploads_dir])


def cmd_corpus_list(args: argparse.Namespace, settings: Settings) -> int:
    from corpus.views import list_view

    items = [list_view(d) for d in _store(settings).documents()]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=1))
        return 0
    rows = [[i["id"], i["province"] or "?", i["year"] or "?", i["number"] or "—", i["date"] or "—",
             i["signer"] or "—", i["tasks"], i["duties"], i["passages"]] for i in items]
    _print_table(rows, ["id", "tỉnh", "năm", "số hiệu", "ngày", "người ký", "nhiệm vụ", "trách nhiệm", "đoạn"])
    return 0


def cmd_corpus_show(args: argparse.Namespace, settings: Settings) -> int:
    from corpus.errors import DocumentNotFound
    from corpus.views import show_view

    try:
        doc = _store(settings).get(args.doc_id)
    except DocumentNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 1
    view = show_view(doc)
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=1))
        return 0
    p = view["plan"]
    print(f"{p.get('doc_type')} {p.get('number') or '(không số)'} — {p.get('province')} {p.get('year')}")
    print(f"Tiêu đề: {p.get('title')}")
    print(f"Ngày: {p.get('date') or '—'} · Ký: {p.get('signer_title') or ''} {p.get('signer') or '—'}")
    if p.get("appendix_total") is not None:
        print(f"Tổng kinh phí phụ lục: {p['appendix_total']:,} đồng".replace(",", "."))
    if view["tasks"]:
        print("\nPhụ lục — nhiệm vụ:")
        rows = [[t["row"], t["content"][:50], ", ".join(t["lead"])[:35], t["timeline"][:25],
                 f"{t['budget']:,}".replace(",", ".") if t["budget"] is not None else "—"] for t in view["tasks"]]
        _print_table(rows, ["mục", "nội dung", "chủ trì", "thời gian", "kinh phí"])
    print(f"\nTrách nhiệm ({len(view['duties'])}):")
    for d in view["duties"]:
        print(f"  - [{d['role']}] {d['agency']}: {d['text'][:90]}")
    for w in view["warnings"]:
        print(f"Cảnh báo: {w}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.factory import build_assistant

    assistant = build_assistant(settings)
    if args.batch:
        if not args.out:
            print("Thiếu --out cho chế độ --batch.", file=sys.stderr)
            return 2
        with open(args.batch, encoding="utf-8") as src, open(args.out, "w", encoding="utf-8") as out:
            for line in src:
                if not line.strip():
                    continue
                q = json.loads(line)
                t0 = time.perf_counter()
                ans = assistant.answer(q.get("question", ""), province=q.get("province") or args.province)
                obj = ans.model_dump()
                obj["id"] = q.get("id")
                obj["latency_ms"] = round((time.perf_counter() - t0) * 1000, 2)
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return 0
    if not args.question:
        print("Hãy nhập câu hỏi, ví dụ: cchc ask \"Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?\"", file=sys.stderr)
        return 2
    ans = assistant.answer(args.question, province=args.province)
    if args.json:
        print(json.dumps(ans.model_dump(), ensure_ascii=False, indent=1))
    else:
        print(ans.answer)
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.factory import build_index

    t0 = time.perf_counter()
    idx = build_index(settings, force=not args.if_needed)
    print(f"Đã lập chỉ mục {idx.size} bản ghi trong {time.perf_counter() - t0:.1f} s ({settings.index_dir}).")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="cchc", description="Trợ lý CCHC — hỏi đáp về kế hoạch tuyên truyền CCHC.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ask = sub.add_parser("ask", help="hỏi một câu (hoặc --batch)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--province")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--batch")
    ask.add_argument("--out")
    ask.set_defaults(func=cmd_ask)
    serve = sub.add_parser("serve", help="chạy dịch vụ HTTP")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    idx = sub.add_parser("index", help="lập lại chỉ mục")
    idx.add_argument("--if-needed", action="store_true", help="chỉ lập khi nội dung kho đã thay đổi")
    idx.set_defaults(func=cmd_index)
    corpus = sub.add_parser("corpus", help="quản trị kho văn bản")
    csub = corpus.add_subparsers(dest="corpus_cmd", required=True)
    ls = csub.add_parser("list")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_corpus_list)
    show = csub.add_parser("show")
    show.add_argument("doc_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_corpus_show)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
