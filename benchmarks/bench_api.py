"""Load benchmark of ``GET /api/v1/crates/{name}/advisories`` on ``cratewatch serve``.

Starts ``cratewatch serve`` (a separate process, as deployed) on 127.0.0.1 with the real
advisory database, then drives the endpoint with 50 concurrent clients (httpx, async, one
connection each) over every crate that has advisories, for a bounded number of requests and
a bounded time, and prints requests/s and latency percentiles. Latency is measured by the
client, from sending the request to having read the whole body.

    uv run python benchmarks/bench_api.py [--db ../shared/data/advisory-db.bundle]
        [--clients 50] [--requests 20000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

# httpcore tries `import sniffio` on every request; when it is not installed each failed import
# scans sys.path (about 1 ms). None in sys.modules makes that import fail at once (asyncio is
# then assumed), so the client measures HTTP, not the import system.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT.parent / "shared" / "data" / "advisory-db.bundle"
LOOP_STALLS: list[float] = []
"""Longest late wake-up of the client's event loop in each phase, in seconds."""
_LISTENING = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


def start_server(db: str, cache_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """Run ``cratewatch serve --port 0`` and return it with its base URL."""
    command = [
        sys.executable,
        "-c",
        "from cratewatch.cli.main import main; main()",
        "serve",
        "--db",
        db,
        "--cache-dir",
        str(cache_dir),
        "--stale",
        "ignore",
        "--no-reload",
        "--port",
        "0",
    ]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit(f"server exited: {proc.wait()}")
        match = _LISTENING.search(line)
        if match:
            url = f"http://127.0.0.1:{match.group(1)}"
            break
    else:
        proc.kill()
        raise SystemExit("server did not start in time")
    for _ in range(100):  # wait until uvicorn accepts requests
        try:
            httpx.get(url + "/api/v1/database", timeout=5).raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server does not answer")


async def drive(
    url: str,
    names: list[str],
    *,
    clients: int,
    total: int,
    seconds: float,
    rate: float | None = None,
) -> tuple[list[float], int, float]:
    """Send up to *total* requests (for at most *seconds*) from *clients* tasks.

    Without *rate* each client sends its next request as soon as the previous answer is read
    (closed loop: measures saturation). With *rate* (requests/s over all clients) each client
    sends on a fixed schedule and latency counts from the scheduled time, so a slow answer
    that delays the next request is not hidden (no coordinated omission).
    """
    latencies: list[float] = []
    errors = 0
    counter = 0
    began = time.perf_counter()
    deadline = began + seconds
    period = clients / rate if rate else 0.0

    async def client(worker: int) -> None:
        nonlocal counter, errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        scheduled = began + worker * period / clients
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as http:
            while counter < total and time.perf_counter() < deadline:
                name = names[(counter + worker) % len(names)]
                counter += 1
                if rate:
                    await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                    start = scheduled
                    scheduled += period
                else:
                    start = time.perf_counter()
                try:
                    response = await http.get(f"/api/v1/crates/{name}/advisories")
                    await response.aread()
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

    async def watch_loop() -> None:
        # how late the client's own event loop wakes up: stalls here are the client's (or the
        # machine's), not the server's
        while time.perf_counter() < deadline and counter < total:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            stalls.append(time.perf_counter() - before - 0.01)

    stalls: list[float] = []
    watcher = asyncio.create_task(watch_loop())
    await asyncio.gather(*(client(i) for i in range(clients)))
    watcher.cancel()
    LOOP_STALLS.append(max(stalls, default=0.0))
    return latencies, errors, time.perf_counter() - began


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server process used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def report(title: str, latencies: list[float], errors: int, elapsed: float, stall: float) -> None:
    """Print throughput and latency percentiles of one phase."""
    ms = sorted(v * 1000 for v in latencies)
    print(f"{title}: {len(ms)} requests in {elapsed:.2f} s, errors: {errors}")
    print(f"  throughput: {len(ms) / elapsed:.0f} requests/s")
    print(
        f"  latency ms: p50 {percentile(ms, 50):.2f}  p95 {percentile(ms, 95):.2f}  "
        f"p99 {percentile(ms, 99):.2f}  max {ms[-1]:.2f}  mean {statistics.fmean(ms):.2f}"
    )
    print(f"  longest stall of the client's own event loop: {stall * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(DEFAULT_DB), help="advisory database source")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=20_000, help="closed-loop request cap")
    parser.add_argument("--seconds", type=float, default=30.0, help="closed-loop time cap")
    parser.add_argument("--warmup", type=int, default=1_000, help="requests before measuring")
    parser.add_argument("--rate", type=float, default=100.0, help="paced phase: requests/s")
    parser.add_argument("--paced-seconds", type=float, default=15.0, help="paced phase length")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        started = time.perf_counter()
        proc, url = start_server(args.db, Path(tmp))
        try:
            print(f"server ready in {time.perf_counter() - started:.1f} s at {url}")
            names = [c["name"] for c in httpx.get(url + "/api/v1/crates").json()]
            asyncio.run(drive(url, names, clients=args.clients, total=args.warmup, seconds=10))
            cpu_before = server_cpu_seconds(proc.pid)
            client_before = time.process_time()
            closed = asyncio.run(
                drive(url, names, clients=args.clients, total=args.requests, seconds=args.seconds)
            )
            cpu = server_cpu_seconds(proc.pid) - cpu_before
            client_cpu = time.process_time() - client_before
            load = os.getloadavg()[0]
            paced = asyncio.run(
                drive(
                    url,
                    names,
                    clients=args.clients,
                    total=10**9,
                    seconds=args.paced_seconds,
                    rate=args.rate,
                )
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(
        f"GET /api/v1/crates/{{name}}/advisories over {len(names)} crates, "
        f"{args.clients} concurrent clients (httpx), {os.cpu_count()} CPUs, "
        f"load average {load:.2f} (other processes share the CPUs)"
    )
    report("saturation (closed loop)", *closed, LOOP_STALLS[-2])
    if cpu:
        print(
            f"  CPU per request: server {cpu / len(closed[0]) * 1000:.3f} ms, "
            f"client {client_cpu / len(closed[0]) * 1000:.3f} ms"
        )
    report(f"paced at {args.rate:g} requests/s", *paced, LOOP_STALLS[-1])


if __name__ == "__main__":
    main()
