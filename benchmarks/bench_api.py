"""Load benchmark of ``cratewatch serve``: the advisories API (fast path and routed) and a page.

Starts ``cratewatch serve --port 0 --workers N`` as a separate process on 127.0.0.1 with the
real advisory database, as a user would, then drives each endpoint with ``wrk`` (C
connections, a bounded duration, a Lua script rotating over every crate that has advisories)
and prints requests/s, p50/p95/p99 latency, the server's own CPU time per request and the
load average before and after each run (the machine's cores are shared: read every figure
beside its load). Without ``wrk`` (``apt-get install wrk``) an httpx asyncio client drives the
server instead; it costs about 1.3 ms of CPU per request on the same cores, so its latencies
measure the client as much as the server.

    uv run python benchmarks/bench_api.py [--db ../shared/data/advisory-db.bundle]
        [--connections 50] [--duration 10] [--workers 2] [--repeat 1]
        [--endpoints advisories,advisories-version,security-page] [--driver wrk|httpx]
        [--max-load 2.0]

wrk runs a closed loop (each connection sends its next request when the answer arrives):
latencies are those of a saturated server, and a stall delays later requests instead of being
counted against them (coordinated omission), so the percentiles are a lower bound under stalls.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx

# httpcore tries `import sniffio` on every request; when it is not installed each failed import
# scans sys.path (about 1 ms). None in sys.modules makes that import fail at once (asyncio is
# then assumed), so the fallback client measures HTTP, not the import system.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT.parent / "shared" / "data" / "advisory-db.bundle"
_LISTENING = re.compile(r"on http://127\.0\.0\.1:(\d+)/")
_RESULT = re.compile(r"^RESULT (.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One URL pattern to drive: ``prefix + crate name + suffix``."""

    key: str
    """Name on the command line."""
    label: str
    """What it is, for the report."""
    prefix: str
    """Path before the crate name."""
    suffix: str
    """Path (and query) after the crate name."""


ENDPOINTS = {
    e.key: e
    for e in (
        Endpoint(
            key="advisories",
            label="GET /api/v1/crates/{name}/advisories (ASGI fast path)",
            prefix="/api/v1/crates/",
            suffix="/advisories",
        ),
        Endpoint(
            key="advisories-version",
            label="GET /api/v1/crates/{name}/advisories?version=1.0.0 (FastAPI route)",
            prefix="/api/v1/crates/",
            suffix="/advisories?version=1.0.0",
        ),
        Endpoint(
            key="security-page",
            label="GET /crates/{name}/security (HTML page, Jinja)",
            prefix="/crates/",
            suffix="/security",
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """The figures of one measured run."""

    requests: int
    """Answers received."""
    seconds: float
    """Length of the run."""
    errors: int
    """Socket errors and timeouts."""
    not_ok: int
    """Answers with a status other than 2xx/3xx."""
    p50: float
    """Latency percentiles and maximum, milliseconds."""
    p95: float
    p99: float
    max: float


# wrk calls init once per thread, request for every request and done once at the end;
# latencies are microseconds. The names file and the path around the name come as arguments.
_WRK_SCRIPT = r"""
local names = {}
local prefix, suffix = "", ""
local i = 0
init = function(args)
  for line in io.lines(args[1]) do names[#names + 1] = line end
  prefix, suffix = args[2], args[3]
  i = math.random(#names)
end
request = function()
  i = i + 1
  return wrk.format("GET", prefix .. names[(i % #names) + 1] .. suffix)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d status=%d p50=%d p95=%d p99=%d max=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


class Server:
    """``cratewatch serve`` in its own process, its stderr drained by a thread."""

    def __init__(self, db: str, cache_dir: Path, workers: int) -> None:
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
            "--workers",
            str(workers),
        ]
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.log: list[str] = []
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 300
        url = None
        started = 0
        while started < workers:  # every worker listening, so none gets all the connections
            line = self.proc.stderr.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"server did not start: {''.join(self.log)}")
            self.log.append(line)
            if match := _LISTENING.search(line):
                url = f"http://127.0.0.1:{match.group(1)}"
            started += "Application startup complete" in line
        assert url is not None
        self.url = url
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)

    def pids(self) -> list[int]:
        """The first process and its forked workers."""
        pid = self.proc.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *map(int, children)]

    def cpu_seconds(self) -> list[float]:
        """CPU time (user + system) each process used so far (Linux ``/proc``; 0 elsewhere)."""
        return [_cpu_seconds(pid) for pid in self.pids()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    names_file: Path,
    endpoint: Endpoint,
    *,
    connections: int,
    threads: int,
    seconds: float,
) -> Run:
    """One wrk run against *endpoint*."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "60s",  # slow answers are counted in the latencies, not dropped as timeouts
        "-s",
        str(script),
        url,
        "--",
        str(names_file),
        endpoint.prefix,
        endpoint.suffix,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = _RESULT.search(out)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    f = {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    return Run(
        requests=f["requests"],
        seconds=f["duration_us"] / 1e6,
        errors=f["errors"],
        not_ok=f["status"],
        p50=f["p50"] / 1000,
        p95=f["p95"] / 1000,
        p99=f["p99"] / 1000,
        max=f["max"] / 1000,
    )


def run_httpx(
    url: str, names: list[str], endpoint: Endpoint, *, connections: int, seconds: float
) -> Run:
    """The fallback driver: *connections* asyncio clients, one connection each."""
    latencies: list[float] = []
    errors = not_ok = 0
    counter = 0

    async def client(worker: int, deadline: float) -> None:
        nonlocal counter, errors, not_ok
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
            while time.perf_counter() < deadline:
                name = names[(counter + worker) % len(names)]
                counter += 1
                start = time.perf_counter()
                try:
                    response = await http.get(endpoint.prefix + name + endpoint.suffix)
                    await response.aread()
                    not_ok += response.status_code >= 400
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - start)

    async def drive() -> float:
        began = time.perf_counter()
        await asyncio.gather(*(client(i, began + seconds) for i in range(connections)))
        return time.perf_counter() - began

    elapsed = asyncio.run(drive())
    ms = sorted(v * 1000 for v in latencies) or [0.0]
    return Run(
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        not_ok=not_ok,
        p50=_percentile(ms, 50),
        p95=_percentile(ms, 95),
        p99=_percentile(ms, 99),
        max=ms[-1],
    )


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def _load() -> float:
    return os.getloadavg()[0]


def _wait_for_load(max_load: float | None, max_wait: float) -> None:
    """Wait (at most *max_wait* s) until the 1-minute load average is at most *max_load*."""
    if max_load is None:
        return
    began = time.monotonic()
    while _load() > max_load and time.monotonic() - began < max_wait:
        time.sleep(5)
    waited = time.monotonic() - began
    if waited >= 5:
        state = "reached" if _load() <= max_load else "NOT reached"
        print(f"  (waited {waited:.0f} s for load <= {max_load:g}: {state}, now {_load():.2f})")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(DEFAULT_DB), help="advisory database source")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds per endpoint before measuring"
    )
    parser.add_argument("--workers", type=int, default=2, help="cratewatch serve --workers")
    parser.add_argument("--repeat", type=int, default=1, help="runs per endpoint")
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help=f"comma-separated, of: {', '.join(ENDPOINTS)}",
    )
    parser.add_argument(
        "--driver",
        choices=("wrk", "httpx"),
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--max-load", type=float, help="before each run, wait until the load average is this low"
    )
    parser.add_argument("--max-wait", type=float, default=300.0, help="longest such wait (s)")
    return parser.parse_args()


def _loads(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def main() -> None:
    args = _arguments()
    endpoints = [ENDPOINTS[key] for key in args.endpoints.split(",")]
    wrk = shutil.which("wrk") if args.driver == "wrk" else None
    if args.driver == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --driver httpx")
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        began = time.perf_counter()
        server = Server(args.db, Path(tmp) / "cache", args.workers)
        try:
            ready = time.perf_counter() - began
            database = httpx.get(server.url + "/api/v1/database").json()
            names = [c["name"] for c in httpx.get(server.url + "/api/v1/crates").json()]
            names_file = Path(tmp) / "names.txt"
            names_file.write_text("\n".join(names) + "\n")
            script = Path(tmp) / "rotate.lua"
            script.write_text(_WRK_SCRIPT)

            def drive(endpoint: Endpoint, seconds: float) -> Run:
                if wrk is None:
                    return run_httpx(
                        server.url, names, endpoint, connections=args.connections, seconds=seconds
                    )
                return run_wrk(
                    wrk,
                    server.url,
                    script,
                    names_file,
                    endpoint,
                    connections=args.connections,
                    threads=args.wrk_threads,
                    seconds=seconds,
                )

            driver = (
                f"{_wrk_version(wrk)}, {args.wrk_threads} thread(s), closed loop"
                if wrk is not None
                else f"httpx {_version('httpx')} asyncio clients in Python (client-bound)"
            )
            print("configuration:")
            print(f"  machine: {os.cpu_count()} CPUs, {platform.platform()}, shared")
            print(
                f"  server: cratewatch serve --workers {args.workers} --no-reload on 127.0.0.1 "
                f"(ready in {ready:.1f} s); Python {platform.python_version()}, "
                f"uvicorn {_version('uvicorn')} (loop: uvloop {_version('uvloop')}, "
                f"http: httptools {_version('httptools')}), FastAPI {_version('fastapi')}"
            )
            print(
                f"  database: {database['commit']}, {database['advisories']} advisories, "
                f"{len(names)} crates rotated over"
            )
            print(
                f"  load: {driver}, {args.connections} connections, {args.duration:g} s per run "
                f"after {args.warmup:g} s warm-up, {args.repeat} run(s) per endpoint"
            )
            print(f"load average at start: {_loads(load_at_start)}\n")
            for endpoint in endpoints:
                print(endpoint.label)
                if args.warmup > 0:
                    drive(endpoint, args.warmup)
                for _ in range(args.repeat):
                    _wait_for_load(args.max_load, args.max_wait)
                    load_before = _load()
                    cpu_before = server.cpu_seconds()
                    run = drive(endpoint, args.duration)
                    cpu = [b - a for a, b in zip(cpu_before, server.cpu_seconds(), strict=False)]
                    _report(run, cpu, load_before, _load())
                print()
        finally:
            server.stop()
    print(f"load average at end: {_loads(os.getloadavg())}")


def _report(run: Run, cpu: list[float], load_before: float, load_after: float) -> None:
    total = sum(cpu)
    shares = "/".join(f"{c / total:.0%}" for c in cpu) if total and len(cpu) > 1 else ""
    per_request = f"{total / run.requests * 1000:.3f} ms" if run.requests and total else "n/a"
    print(
        f"  {run.requests / run.seconds:8.0f} requests/s   latency ms p50 {run.p50:6.2f}  "
        f"p95 {run.p95:6.2f}  p99 {run.p99:6.2f}  max {run.max:7.2f}   "
        f"load {load_before:.2f} -> {load_after:.2f}"
    )
    print(
        f"           {run.requests} answers in {run.seconds:.1f} s, socket errors {run.errors}, "
        f"status >= 400: {run.not_ok}; server CPU {per_request} per request"
        + (f" (workers {shares})" if shares else "")
    )


if __name__ == "__main__":
    main()
