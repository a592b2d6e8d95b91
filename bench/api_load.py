"""Latency and errors of ``twinstudio serve`` under a steady request rate. Prints figures.

    .venv/bin/python bench/api_load.py [--database sqlite|postgresql|both]
        [--rates 50,100,200] [--seconds 30] [--workers 1] [--routes licences,verify]

Builds a two-tenant workspace (the one the API tests use: agencies, talents, twins,
consents, licences, marked assets, users with API keys), starts ``twinstudio serve``
on it in a subprocess (``--workers`` server processes), and for each route and rate sends
requests on an open-loop schedule (request i leaves at i/rate seconds, whatever the
answers before it did, so a slow server shows as latency, not as a lower rate) for
``--seconds`` seconds, with a brand admin's API key:

- ``GET /api/v1/licences``: the brand's licences (auth, tenant scoping, a query);
- ``POST /api/v1/verify``: a 320x400 JPEG of one of the marked assets (C2PA, watermark,
  fingerprint and face: the perception models). A 503 answer (the perception queue is
  full) is load shedding and is counted apart from errors.

For each it prints p50/p95/p99 latency of answered requests, the answers by status,
errors (connection failures, timeouts, 5xx other than 503), the rate achieved and the CPU
time per request of the server and of the load generator; and the
server's resident memory (all its processes) before and after. The load generator runs
on the same machine (on 2 cores it takes part of one). PostgreSQL comes from
``TWINSTUDIO_BENCH_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432``); the
bench creates and drops its own database ``twinstudio_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_DB = "twinstudio_bench"


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0   # the server's CPU seconds over the run
    client_cpu_s: float = 0.0   # the load generator's


def postgres_url(base: str) -> str:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return f"{base}/{BENCH_DB}"


def drop_postgres(base: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


class Connections:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator shares
    the server's 2 cores, and httpx costs 2-9 ms of CPU per request there (more as
    answers slow down and connections pile up), enough to make the generator, not the
    server, the bottleneck at 200 requests/s. Each request takes an idle connection or
    opens one; an answer is read by its Content-Length (the server sends one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, raw: bytes) -> int:
        reused = bool(self.idle)
        if reused:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
        except BaseException as error:
            writer.close()
            stale = isinstance(error, ConnectionResetError) or (
                isinstance(error, asyncio.IncompleteReadError) and not error.partial)
            if reused and stale:  # the server had closed it (its keep-alive timeout):
                return await self.request(raw)  # once more, on a new connection
            raise
        try:
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                           if line.lower().startswith("content-length:")), 0)
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        closing = any(line.lower() == "connection: close" for line in lines[1:])
        if closing:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def raw_request(method: str, path: str, key: str, image: bytes | None) -> bytes:
    """The bytes of one request (a multipart upload of ``image`` when given)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
    body = b""
    if image is not None:
        boundary = "twinstudio-bench-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                f"filename=\"asset.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                ).encode() + image + f"\r\n--{boundary}--\r\n".encode()
        head += f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def load(port: int, path: str, *, method: str, key: str, image: bytes | None,
               rate: float, seconds: float) -> Outcome:
    outcome = Outcome()
    total = int(rate * seconds)
    raw = raw_request(method, path, key, image)
    connections = Connections(port)

    async def one() -> None:
        started = time.perf_counter()
        try:
            status = await asyncio.wait_for(connections.request(raw), timeout=30)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                TimeoutError, ValueError) as error:
            name = type(error).__name__
            outcome.errors[name] = outcome.errors.get(name, 0) + 1
            return
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        if status < 500:
            outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
        elif status != 503:
            outcome.errors[f"http {status}"] = outcome.errors.get(f"http {status}", 0) + 1

    start, client_cpu = time.perf_counter(), time.process_time()
    tasks = []
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
        outcome.sent += 1
    await asyncio.gather(*tasks)
    outcome.seconds = time.perf_counter() - start
    outcome.client_cpu_s = time.process_time() - client_cpu
    connections.close()
    return outcome


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(database: str, route: str, rate: float, outcome: Outcome) -> None:
    lat = outcome.latencies_ms
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(outcome.statuses.items()))
    errors = sum(outcome.errors.values())
    detail = f" ({', '.join(f'{k} {v}' for k, v in outcome.errors.items())})" if errors else ""
    print(f"  {database:10} {route:16} {rate:5.0f}/s  p50 {percentile(lat, 50):7.1f}  "
          f"p95 {percentile(lat, 95):7.1f}  p99 {percentile(lat, 99):7.1f} ms  "
          f"achieved {outcome.sent / outcome.seconds:5.1f}/s  [{statuses}]  "
          f"errors {errors}{detail}; CPU per request: server "
          f"{outcome.server_cpu_s / max(outcome.sent, 1) * 1000:.1f} ms, load generator "
          f"{outcome.client_cpu_s / max(outcome.sent, 1) * 1000:.1f} ms", flush=True)


def run_database(database: str, args: argparse.Namespace) -> None:
    from tests.support.served import build_workspace, cpu_seconds, memory_mb, serve

    base = os.environ.get("TWINSTUDIO_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    database_url = postgres_url(base) if database == "postgresql" else None
    workspace = Path(tempfile.mkdtemp(prefix="twinstudio-load-")) / "ws"
    try:
        key, image = build_workspace(workspace, database_url)
        with serve(workspace, workers=args.workers, database_url=database_url) as served:
            pid, port = served.process.pid, int(served.url.rsplit(":", 1)[1])
            print(f"{database}: serve --workers {args.workers}, RSS at start "
                  f"{memory_mb(pid, 'VmRSS'):.0f} MB", flush=True)
            routes = {"licences": ("GET", "/api/v1/licences", None),
                      "verify": ("POST", "/api/v1/verify", image)}
            for name in args.routes.split(","):
                method, path, body = routes[name]
                # one request first, so that model loading is not in the figures
                asyncio.run(load(port, path, method=method, key=key, image=body, rate=1,
                                 seconds=1))
                for rate in (float(r) for r in args.rates.split(",")):
                    cpu_before = cpu_seconds(pid)
                    outcome = asyncio.run(load(port, path, method=method, key=key,
                                               image=body, rate=rate, seconds=args.seconds))
                    outcome.server_cpu_s = cpu_seconds(pid) - cpu_before
                    report(database, f"{method} {name}", rate, outcome)
                    if not served.alive():
                        print(f"  the server died (exit {served.process.returncode})",
                              flush=True)
                        return
            print(f"{database}: RSS after {memory_mb(pid, 'VmRSS'):.0f} MB; server alive: "
                  f"{served.alive()}", flush=True)
    finally:
        if database_url:
            drop_postgres(base)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"],
                        default="both")
    parser.add_argument("--rates", default="50,100,200")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--routes", default="licences,verify")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.seconds:.0f} s per rate; latencies of answered "
          f"requests; 503 = shed by the perception queue", flush=True)
    for database in (["sqlite", "postgresql"] if args.database == "both"
                     else [args.database]):
        run_database(database, args)


if __name__ == "__main__":
    main()
