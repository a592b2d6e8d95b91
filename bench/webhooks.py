"""Webhook delivery throughput and delay from commit to receipt. Prints figures.

    .venv/bin/python bench/webhooks.py [--events 1000] [--workers 1,4]
        [--database sqlite|postgresql|both]

Builds a workspace with one brand and an endpoint on a local receiver (127.0.0.1, on
the allow-list), starts ``--workers`` delivery loops (threads of this process, each the
loop ``twinstudio serve`` runs: claim under a lease, sign, POST, record), then writes
``--events`` messages to the outbox, one transaction each, as fast as it can, noting the
moment each commit returned. For each delivery it takes the delay from that commit to
the moment the receiver had the request; it prints deliveries per second (from the first
commit to the last receipt), the delay's p50/p95/p99 and max, and checks that every
message arrived exactly once and verifies. The receiver answers 200 at once (a threaded
http.server in this process, on the same 2 cores). PostgreSQL comes from
``TWINSTUDIO_BENCH_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432``); the bench
creates and drops its own database ``twinstudio_bench``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_load import drop_postgres, postgres_url


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(database_url: str | None, events: int, workers: int) -> dict[str, float]:
    from tests.support.webhooks import Receiver

    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.domain.network import AllowList
    from twinstudio.domain.parties import OrganisationKind
    from twinstudio.domain.webhooks import verify
    from twinstudio.net.outbound import GuardedSender
    from twinstudio.services.parties import add_organisation
    from twinstudio.services.webhooks import emit, register_endpoint, run_delivery_worker
    from twinstudio.workspace import create_workspace

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "ws"
        create_workspace(workspace)
        ctx = bootstrap(Settings(workspace=workspace, database_url=database_url))
        ctx.webhook_sender = GuardedSender(AllowList.parse(["127.0.0.1"]), timeout=10)
        brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Bench brand")
        created = register_endpoint(ctx, organisation_id=brand.id, url=receiver.url,
                                    events=["asset.approved"], actor="bench")
        stop = threading.Event()
        loops = [threading.Thread(target=run_delivery_worker, args=(ctx, stop), kwargs={
            "worker_id": f"bench-{i}", "poll_seconds": 0.05}, daemon=True)
            for i in range(workers)]
        for loop in loops:
            loop.start()
        committed: dict[str, float] = {}
        start = time.monotonic()
        for i in range(events):
            with ctx.uow() as uow:
                (message,) = emit(uow, "asset.approved", [brand.id],
                                  {"asset_id": f"ast_{i}"}, now=ctx.now())
                uow.commit()
            committed[message.id] = time.monotonic()
        written = time.monotonic() - start
        got = receiver.wait_for(events, timeout=600)
        stop.set()
        for loop in loops:
            loop.join(30)
        receiver.close()
    ids = [r.headers["webhook-id"] for r in got]
    assert sorted(ids) == sorted(committed), "a message was lost or sent twice"
    for request in got:
        verify(created.secret, request.headers, request.body,
               now=int(request.headers["webhook-timestamp"]))
    delays = [(r.at - committed[r.headers["webhook-id"]]) * 1000 for r in got]
    total = max(r.at for r in got) - start
    return {"events": events, "workers": workers, "write_s": written, "total_s": total,
            "per_second": events / total, "p50": _percentile(delays, 0.5),
            "p95": _percentile(delays, 0.95), "p99": _percentile(delays, 0.99),
            "max": max(delays)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"],
                        default="both")
    args = parser.parse_args()
    base = os.environ.get("TWINSTUDIO_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"{args.events} events, one transaction each, to one endpoint on 127.0.0.1")
    print(f"{'store':<11}{'workers':>8}{'write s':>9}{'total s':>9}{'deliv/s':>9}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for database in databases:
        for workers in (int(w) for w in args.workers.split(",")):
            url = postgres_url(base) if database == "postgresql" else None
            try:
                r = run(url, args.events, workers)
            finally:
                if url:
                    drop_postgres(base)
            print(f"{database:<11}{workers:>8}{r['write_s']:>9.1f}{r['total_s']:>9.1f}"
                  f"{r['per_second']:>9.0f}{r['p50']:>9.0f}{r['p95']:>9.0f}{r['p99']:>9.0f}"
                  f"{r['max']:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
