"""The attacks of issue 13 replayed against a real ``cchc serve`` on loopback, with figures.

Each attack runs while a prober times GET /healthz every 50 ms; the table gives the result, the
time to it, the worst /healthz latency meanwhile (against the idle /healthz median measured in the
same run: the baseline) and the server's RSS before and after.

    .venv/bin/python benchmarks/attack_bench.py                # hash embedder: fast start
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import RESULTS, Service, free_port  # noqa: E402

ADMIN = "attack-bench-admin-token-0123456789"
APP_ID, OA_KEY = "1234", "attack-oa-key"


def rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def hostile_plan(repeat: int = 400) -> bytes:
    return ("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG\nSố: 1/KH-UBND\nKẾ HOẠCH\nThông tin, tuyên truyền cải cách hành chính "
            "năm 2024\nI. MỤC ĐÍCH, YÊU CẦU\n" + "phối hợp với các sở ban ngành tuyên truyền cải cách hành chính "
            * repeat + "\nII. TỔ CHỨC THỰC HIỆN\n1. Sở Nội vụ\nChủ trì tuyên truyền.\n").encode()


def zalo_sig(body: bytes, ts: str) -> str:
    return "mac=" + hashlib.sha256(APP_ID.encode() + body + ts.encode() + OA_KEY.encode()).hexdigest()


async def raw_declared(url: str, size: int) -> int:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST /v1/chat HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {size}\r\n\r\n".encode() + b'{"message": "' + b"x" * 65536)
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 60)
    writer.close()
    return int(line.split()[1])


class Timed(list):
    """(name, result, seconds since the previous entry): each attack is timed on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.t = time.perf_counter()

    def append(self, item: tuple[str, object]) -> None:  # type: ignore[override]
        now = time.perf_counter()
        super().append((item[0], item[1], now - self.t))
        self.t = now


async def attacks(url: str) -> Timed:
    out = Timed()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        out.t = time.perf_counter()
        out.append(("120 MB declared body → /v1/chat", await raw_declared(url, 120 * 2**20)))
        r = await c.post("/webhooks/zalo", content=b"{" + b" " * (300 * 1024) + b"}",
                         headers={"X-ZEvent-Signature": "mac=0"})
        out.append(("300 kB body → /webhooks/zalo", r.status_code))
        r = await c.post("/admin/documents?dry_run=true", headers=admin,
                         files={"file": ("kh.txt", hostile_plan(), "text/plain")})
        out.append(("hostile plan (25 kB line, no . or ;) dry run", f"{r.status_code} {r.json().get('error')}"))
        first = (await c.post("/v1/chat", json={"message": "Ai chủ trì cuộc thi?"})).json()["session_id"]
        out.t = time.perf_counter()  # time the three refused requests only
        codes = []
        for sid in ("tg:123456", "zalo:7000000001", first[:-1] + ("0" if first[-1] != "0" else "1")):
            codes.append((await c.post("/v1/chat", json={"message": "Khi nào?", "session_id": sid})).status_code)
        out.append(("session_id tg:/zalo:/forged → /v1/chat", codes))
        r = await c.post("/v1/chat", content=b'{"message": "a\\ud800"}', headers={"Content-Type": "application/json"})
        out.append(("lone surrogate in message", r.status_code))
        deep = b'{"timestamp": "1", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        r = await c.post("/webhooks/zalo", content=deep[: 200 * 1024], headers={"X-ZEvent-Signature": "mac=0"})
        out.append(("deep JSON → /webhooks/zalo (unsigned)", r.status_code))
        ts = str(int(time.time() * 1000))
        ev = json.dumps({"event_name": "user_send_text", "timestamp": ts, "sender": {"id": ["x"]},
                         "message": {"msg_id": "a1", "text": "hi"}}).encode()
        r = await c.post("/webhooks/zalo", content=ev, headers={"X-ZEvent-Signature": zalo_sig(ev, ts)})
        out.append(("signed Zalo event, sender.id a list", f"{r.status_code} {r.json().get('status')}"))
        old = str(int((time.time() - 3600) * 1000))
        ev = json.dumps({"event_name": "user_send_text", "timestamp": old, "sender": {"id": "u1"},
                         "message": {"msg_id": "a2", "text": "hi"}}).encode()
        r = await c.post("/webhooks/zalo", content=ev, headers={"X-ZEvent-Signature": zalo_sig(ev, old)})
        out.append(("signed Zalo event 1 h old", f"{r.status_code} {r.json().get('status')}"))
        body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="k.txt"\r\n\r\n' + hostile_plan(5))
        r = await c.post("/admin/documents?dry_run=true", content=body,
                         headers={**admin, "Content-Type": "multipart/form-data; boundary=B"})
        out.append(("multipart without closing boundary", r.status_code))
        t0 = time.perf_counter()
        guesses = [(await c.get("/admin/documents", headers={"Authorization": f"Bearer g{i}"})).status_code
                   for i in range(200)]
        secs = time.perf_counter() - t0
        out.append(("200 admin token guesses", f"{guesses.count(401)}×401 then {guesses.count(429)}×429 "
                                               f"in {secs:.1f} s"))
        for path in ("/", "/docs"):
            h = (await c.get(path)).headers
            out.append((f"headers of {path}", "frame-ancestors 'none'" in h.get("content-security-policy", "")
                        and h.get("x-content-type-options") == "nosniff"))
        spec = (await c.get("/openapi.json")).json()
        out.append(("admin routes in /openapi.json (admin on)", any(p.startswith("/admin") for p in spec["paths"])))
    return out


async def run(url: str, pid: int) -> dict:
    probe: list[float] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        idle = []
        for _ in range(40):
            t0 = time.perf_counter()
            await c.get("/healthz")
            idle.append(time.perf_counter() - t0)

        async def prober() -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                await c.get("/healthz")
                probe.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)

        task = asyncio.create_task(prober())
        before = rss(pid)
        rows = [{"attack": name, "result": result, "seconds": round(secs, 3)}
                for name, result, secs in await attacks(url)]
        after = rss(pid)
        stop.set()
        await task
    return {"rows": rows, "healthz_idle_median_ms": statistics.median(idle) * 1000,
            "healthz_during_max_ms": max(probe) * 1000, "healthz_during_p95_ms":
            statistics.quantiles(probe, n=20)[18] * 1000, "probes": len(probe), "rss_before_mib": before,
            "rss_after_mib": after}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default="hash")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cchc-attack-"))
    os.environ.update({"CCHC_ADMIN_TOKEN": ADMIN, "CCHC_PARSE_TIMEOUT_SECONDS": "3", "CCHC_ZALO_APP_ID": APP_ID,
                       "CCHC_ZALO_OA_SECRET_KEY": OA_KEY, "CCHC_ZALO_ACCESS_TOKEN": "attack-token"})
    (work / "data").mkdir()
    service = Service(work / "data", args.embedder, free_port())
    try:
        service.wait_ready(900)
        result = asyncio.run(run(service.url, service.proc.pid))
    finally:
        service.stop()
        shutil.rmtree(work, ignore_errors=True)
    for r in result["rows"]:
        print(f"{r['attack']:<48} {str(r['result']):<34} {r['seconds']:>7.2f} s")
    print(f"/healthz meanwhile: {result['probes']} probes, p95 {result['healthz_during_p95_ms']:.0f} ms, "
          f"max {result['healthz_during_max_ms']:.0f} ms (idle median {result['healthz_idle_median_ms']:.1f} ms = "
          f"{result['healthz_during_max_ms'] / result['healthz_idle_median_ms']:.0f}× at worst); "
          f"RSS {result['rss_before_mib']:.0f} → {result['rss_after_mib']:.0f} MiB")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attack_bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
