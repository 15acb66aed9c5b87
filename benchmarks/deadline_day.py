"""A deadline day, replayed on the whole platform: ``make bench-deadline N=200 CONCURRENCY=20 DB=postgresql``.

Starts the five services with ``make run``'s machinery on the run's own databases (PostgreSQL: made on
``--pg-admin-url`` and dropped after; SQLite: files in a temporary directory), puts N declarations in place through
the public API (benchmarks/deadline/declarations.py), measures a bare FastAPI call as the same run's baseline, replays
the day with bounded concurrency (benchmarks/deadline/flows.py), checks that every transmit exists exactly once with
its receipt, and prints the figures next to the issue's targets (benchmarks/deadline/report.py). CPU is read from
/proc for each service process, nats-server and this client, over the replay only. Exit code 1 when a call failed
or the check did not pass: the figures are printed either way.

    python benchmarks/deadline_day.py [--declarations 200] [--concurrency 20] [--per-session 10]
        [--database postgresql|sqlite] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.deadline.baseline import hello_baseline  # noqa: E402
from benchmarks.deadline.declarations import put_in_place  # noqa: E402
from benchmarks.deadline.flows import fetch_missing_receipts, replay  # noqa: E402
from benchmarks.deadline.platform import platform  # noqa: E402
from benchmarks.deadline.processes import CpuMeter, peak_rss_mb  # noqa: E402
from benchmarks.deadline.report import check, render, transmissions_per_declaration  # noqa: E402

BASELINE_CALLS_PER_DECLARATION = 10  # enough bare calls for a steady figure, few enough to stay a small part of the run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--per-session", type=int, default=10, help="declarations per user session (one login)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("AFAS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace) -> tuple[str, bool]:
    """The report, and whether the run had no error and passed its check."""
    with platform(args.database, args.pg_admin_url) as running:
        started = time.perf_counter()
        declarations = await put_in_place(running.gateway, running.database_urls["declaration"], args.declarations)
        setup_seconds = time.perf_counter() - started
        baseline = await hello_baseline(max(1000, BASELINE_CALLS_PER_DECLARATION * args.declarations), args.concurrency)
        meter = CpuMeter(running.pids)
        meter.start()
        record, seconds = await replay(running.gateway, declarations, args.concurrency, args.per_session)
        cpu = meter.stop()
        rss = {name: peak_rss_mb(pid) for name, pid in running.pids.items()}
        stored = transmissions_per_declaration(running.database_urls["declaration"], declarations)
        transmitted = {d: record.transmitted.get(d, 1) for d, n in stored.items() if n >= 1}
        receipts = {**record.receipts, **await fetch_missing_receipts(running.gateway, record, transmitted)}
        result = check(stored, record, receipts)
        text = render(
            database=args.database,
            flows=args.concurrency,
            per_session=args.per_session,
            record=record,
            seconds=seconds,
            cpu=cpu,
            rss=rss,
            result=result,
            baseline=baseline,
            setup_seconds=setup_seconds,
        )
        return text, result.passed and not record.errors


def main() -> None:
    text, ok = asyncio.run(measure(parse_args()))
    print(text)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
