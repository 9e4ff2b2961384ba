"""The ``cchc`` command: ask, serve, corpus administration, index.

A thin edge: it parses arguments, builds Settings once, calls the core and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from config.settings import Settings

if TYPE_CHECKING:  # the CLI imports the core lazily: `cchc --help` stays fast
    from bot.service import AnswerService


def _print_table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=False)))


def _store(settings: Settings):
    from library.store import BUNDLED_DIR, CorpusStore

    return CorpusStore(dirs=[BUNDLED_DIR, settings.uploads_dir])


def cmd_corpus_list(args: argparse.Namespace, settings: Settings) -> int:
    from library.views import list_view

    items = [list_view(d) for d in _store(settings).documents()]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=1))
        return 0
    rows = [[i["id"], i["province"] or ("toàn quốc" if i["kind"] == "faq" else "?"), i["year"] or "?",
             i["number"] or ("hỏi đáp" if i["kind"] == "faq" else "—"), i["date"] or "—",
             i["signer"] or "—", i["tasks"], i["duties"], i["passages"]] for i in items]
    _print_table(rows, ["id", "tỉnh", "năm", "số hiệu", "ngày", "người ký", "nhiệm vụ", "trách nhiệm", "đoạn"])
    return 0


def cmd_corpus_show(args: argparse.Namespace, settings: Settings) -> int:
    from library.errors import DocumentNotFound
    from library.views import show_view

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
    if view.get("activities"):
        print(f"\nHoạt động ({len(view['activities'])}):")
        for a in view["activities"]:
            bits = [", ".join(a["lead"]), a["time"], a["place"]]
            print(f"  - {a['name'][:80]} — " + " · ".join(b for b in bits if b))
    print(f"\nTrách nhiệm ({len(view['duties'])}):")
    for d in view["duties"]:
        print(f"  - [{d['role']}] {d['agency']}: {d['text'][:90]}")
    for w in view["warnings"]:
        print(f"Cảnh báo: {w}")
    return 0


def _admin(settings: Settings, reindex: bool = False):
    """The admin service; with ``reindex`` a change also brings the index up to date (only what changed)."""
    from library.admin import CorpusAdmin

    reload = None
    if reindex:
        def reload() -> None:
            _build_with_progress(settings)
    from bot.factory import make_store

    # the live corpus through the parse cache: checking an upload against it must not re-parse every plan
    return CorpusAdmin(settings.data_dir, max_bytes=settings.max_upload_mb * 1024 * 1024, reload=reload,
                       live=make_store(settings))


def _build_with_progress(settings: Settings, force: bool = False):
    """Build (or open) the index showing progress on stderr; raises the factory's errors."""
    import os

    from api.cliprogress import CliProgress
    from bot.factory import build_index
    from retrieval.progress import Progress

    if "embed_threads" not in settings.model_fields_set:
        settings.embed_threads = max(settings.embed_threads, os.cpu_count() or 1)  # a batch job: every core
    with CliProgress() as view:
        return build_index(settings, force=force, progress=view.attach(Progress()))


def _index_failed(exc: BaseException) -> int:
    print(f"Lỗi: không lập hoặc mở được chỉ mục tìm kiếm ({type(exc).__name__}: {str(exc)[:300]}).",
          file=sys.stderr)
    return 1


def cmd_corpus_add(args: argparse.Namespace, settings: Settings) -> int:
    """Validate, parse and store a plan (or a new version of one with --replace), like the admin API."""
    from pathlib import Path

    from corpus.errors import CorpusError

    admin = _admin(settings, reindex=not args.dry_run and not args.no_index)
    path = Path(args.file)
    if not path.is_file():
        print(f"Không tìm thấy tệp '{args.file}'.", file=sys.stderr)
        return 2
    try:
        upload = admin.receive_file(path)
        if args.replace:
            view = admin.replace(args.replace, upload, args.province, args.year, who="cli", dry_run=args.dry_run,
                                 kind=args.kind)
        else:
            view = admin.add(upload, args.province, args.year, who="cli", dry_run=args.dry_run, kind=args.kind)
    except CorpusError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=1))
        return 0
    p, c = view["plan"], view["counts"]
    verb = "Xem trước (chưa lưu)" if args.dry_run else ("Đã thay thế" if args.replace else "Đã thêm")
    print(f"{verb}: {view['document']['id']} — {p.get('doc_type')} {p.get('number') or '(không số)'}, "
          f"{p.get('province')} {p.get('year')}")
    if p.get("kind") == "faq":
        print(f"{c['faqs']} câu hỏi – trả lời: " + "; ".join(f["question"] for f in view["faqs"][:5])
              + ("; …" if len(view["faqs"]) > 5 else ""))
    else:
        print(f"{c['tasks']} nhiệm vụ, {c['duties']} trách nhiệm ({c['agency_blocks']} khối cơ quan), "
              f"{c['passages']} đoạn.")
    for w in view["warnings"]:
        print(f"Cảnh báo: {w}")
    if not args.dry_run:
        print(("Đã cập nhật chỉ mục. " if not args.no_index else
               "Lần chạy `cchc ask`/`cchc index` tiếp theo sẽ cập nhật chỉ mục. ")
              + "Dịch vụ đang chạy trên cùng thư mục dữ liệu cần khởi động lại để thấy thay đổi.")
    return 0


def cmd_corpus_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Withdraw a plan (bundled plans are hidden by a tombstone; uploads move to the archive)."""
    from corpus.errors import CorpusError

    try:
        info = _admin(settings, reindex=True).remove(args.doc_id, who="cli")
    except CorpusError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã thu hồi kế hoạch '{info['id']}' và cập nhật chỉ mục. "
          "Dịch vụ đang chạy trên cùng thư mục dữ liệu cần khởi động lại để thấy thay đổi.")
    return 0


def cmd_corpus_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Put a withdrawn plan back (the archived upload, or the bundled plan behind its tombstone)."""
    from corpus.errors import CorpusError

    admin = _admin(settings)
    if args.doc_id is None:
        rows = [[w["id"], w.get("withdrawn_at") or "—", w.get("filename") or "—", "có" if w["restorable"] else "không"]
                for w in admin.withdrawn()]
        _print_table(rows, ["id", "thu hồi lúc (UTC)", "tệp", "khôi phục được"])
        return 0
    try:
        info = admin.restore(args.doc_id, who="cli")
    except CorpusError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục kế hoạch '{info['id']}'. Lần chạy `cchc ask`/`cchc serve` tiếp theo sẽ dùng lại kế hoạch này.")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from bot.factory import index_exists

    if "embed_threads" not in settings.model_fields_set:
        # one question at a time: each query embedding may use every core (the server keeps 1 per request)
        settings.embed_threads = os.cpu_count() or 1
    if not index_exists(settings):
        print(f"Chưa có chỉ mục trong {settings.index_dir}: đang lập chỉ mục lần đầu "
              "(lần sau sẽ dùng lại ngay)…", file=sys.stderr)
    from retrieval.vectors import VectorStoreError

    try:
        assistant = _assemble_with_progress(settings)
    except (VectorStoreError, OSError) as exc:
        return _index_failed(exc)
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


def _assemble_with_progress(settings: Settings) -> AnswerService:
    from api.cliprogress import CliProgress
    from bot.factory import assemble
    from retrieval.progress import Progress

    with CliProgress() as view:
        return assemble(settings, progress=view.attach(Progress())).assistant


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.vectors import VectorStoreError

    t0 = time.perf_counter()
    try:
        idx = _build_with_progress(settings, force=not args.if_needed)
    except (VectorStoreError, OSError) as exc:
        return _index_failed(exc)
    print(f"Đã lập chỉ mục {idx.size} bản ghi trong {time.perf_counter() - t0:.1f} s ({settings.index_dir}).")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from api.logs import logging_config

    # listens at once; the index is opened or built in the background while /readyz answers 503 with progress
    uvicorn.run(create_app(settings, load_in_background=True), host=args.host or settings.host,
                port=args.port or settings.port, log_config=logging_config(settings.log_format, settings.log_level))
    return 0


def cmd_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    """Register the public webhook URL with Telegram, together with the secret token."""
    import asyncio

    from bot.channels import telegram

    if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
        print("Cần đặt CCHC_TELEGRAM_BOT_TOKEN và CCHC_TELEGRAM_WEBHOOK_SECRET trước.", file=sys.stderr)
        return 2
    if not args.url.startswith("https://") and not args.allow_http:
        print("Telegram chỉ gửi webhook tới địa chỉ https://…", file=sys.stderr)
        return 2
    try:
        info = asyncio.run(telegram.set_webhook(settings, args.url, drop_pending=args.drop_pending))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"Đã đăng ký webhook cho @{info['bot']}: {info['url']} "
          f"(đang chờ {info['pending_update_count']} cập nhật).")
    if info.get("last_error_message"):
        print(f"Lỗi gần nhất Telegram báo: {info['last_error_message']}")
    return 0


def cmd_telegram_info(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.channels import telegram

    if settings.telegram_bot_token is None:
        print("Cần đặt CCHC_TELEGRAM_BOT_TOKEN trước.", file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(telegram.webhook_info(settings)), ensure_ascii=False, indent=1))
    return 0


def cmd_telegram_delete_webhook(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.channels import telegram

    if settings.telegram_bot_token is None:
        print("Cần đặt CCHC_TELEGRAM_BOT_TOKEN trước.", file=sys.stderr)
        return 2
    asyncio.run(telegram.delete_webhook(settings))
    print("Đã gỡ webhook.")
    return 0


def cmd_telegram_poll(args: argparse.Namespace, settings: Settings) -> int:
    """Local development: answer by long polling (this removes the webhook)."""
    from api.runtime import Runtime
    from bot.channels import telegram

    if settings.telegram_bot_token is None:
        print("Cần đặt CCHC_TELEGRAM_BOT_TOKEN trước.", file=sys.stderr)
        return 2
    print("Đang chạy bot Telegram bằng long polling (Ctrl+C để dừng). Webhook (nếu có) sẽ bị gỡ.")
    telegram.run_polling(settings, Runtime.start(settings))
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
    add = csub.add_parser("add", help="thêm một kế hoạch (.docx, .pdf, .txt, .md) hoặc hỏi đáp (.md, .docx, .csv, "
                                      ".xlsx)")
    add.add_argument("file")
    add.add_argument("--kind", choices=["plan", "faq"],
                     help="loại văn bản: plan (kế hoạch) hoặc faq (hướng dẫn / hỏi đáp); mặc định tự nhận dạng")
    add.add_argument("--province", help="tỉnh (nếu muốn ghi đè giá trị tự nhận dạng; hỏi đáp: tỉnh hoặc "
                                        "“toàn quốc”)")
    add.add_argument("--year", type=int, help="năm của kế hoạch (nếu muốn ghi đè)")
    add.add_argument("--replace", metavar="ID", help="thay thế kế hoạch có mã ID bằng tệp này")
    add.add_argument("--dry-run", action="store_true", help="chỉ phân tích và hiển thị, không lưu")
    add.add_argument("--no-index", action="store_true", help="lưu nhưng chưa cập nhật chỉ mục")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_corpus_add)
    rm = csub.add_parser("remove", help="thu hồi một kế hoạch")
    rm.add_argument("doc_id")
    rm.set_defaults(func=cmd_corpus_remove)
    rs = csub.add_parser("restore", help="khôi phục một kế hoạch đã thu hồi (không có ID: liệt kê)")
    rs.add_argument("doc_id", nargs="?")
    rs.set_defaults(func=cmd_corpus_restore)
    tg = sub.add_parser("telegram", help="kênh Telegram: đăng ký webhook, chạy thử bằng polling")
    tsub = tg.add_subparsers(dest="telegram_cmd", required=True)
    sw = tsub.add_parser("set-webhook", help="đăng ký URL webhook (kèm mã bí mật) với Telegram")
    sw.add_argument("url", help="ví dụ https://cchc.example.gov.vn/webhooks/telegram")
    sw.add_argument("--drop-pending", action="store_true", help="bỏ các tin nhắn đang chờ")
    sw.add_argument("--allow-http", action="store_true", help=argparse.SUPPRESS)
    sw.set_defaults(func=cmd_telegram_set_webhook)
    ti = tsub.add_parser("info", help="xem trạng thái webhook")
    ti.set_defaults(func=cmd_telegram_info)
    td = tsub.add_parser("delete-webhook", help="gỡ webhook")
    td.set_defaults(func=cmd_telegram_delete_webhook)
    tp = tsub.add_parser("poll", help="chạy bot bằng long polling (phát triển cục bộ)")
    tp.set_defaults(func=cmd_telegram_poll)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
