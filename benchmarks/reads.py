"""Reads under load, against the same run's baselines: ``make bench-reads``.

Starts the five services on PostgreSQL (``make run``'s machinery, benchmarks/deadline/platform.py), puts a realistic
volume in place (benchmarks/read_load/volume.py: 20,000 declarations for the Somme's Caf, an approbateur of 50), then
measures with a lean keep-alive client spread over several processes (benchmarks/read_load/http_load.py):

- at CONNECTIONS (50) connections, closed loop: « Mes déclarations » (first page) and one declaration, as the
  approbateur and as a Caf agent; a bare FastAPI hello and FastAPI + one SQL query, started by the benchmark with
  the gateway's worker count (benchmarks/read_load/baseline_app.py). Throughput, p50, p99, and each read's
  throughput as a share of the bare hello's (target ≥ 30 %), and the CPU each server spent per call (from /proc: what
  the server itself did, much less sensitive to a loaded box than the throughput);
- USERS (200) users with THINK (2 s) of think time between calls: each read's p99 (target < 50 ms).

Before the platform starts, what each of the gateway's middlewares costs per request, in process
(benchmarks/read_load/middleware_costs.py); the gateway's pid is printed for a profiler (py-spy) to attach to.

The box is shared: read the ratios, measured in the same run, rather than the absolute figures. Exit code 1 when a
call failed.

    python benchmarks/reads.py [--caf-declarations 20000] [--connections 50] [--seconds 10] [--users 200]
        [--think 2] [--think-seconds 20] [--processes 2] [--workers N] [--pg-admin-url …]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.read_load import http_load, process_cpu  # noqa: E402
from benchmarks.read_load.servers import baseline_server  # noqa: E402
from benchmarks.read_load.volume import AGENT, APPROBATEUR, login, put_in_place  # noqa: E402

RATIO_TARGET = 0.30
P99_TARGET_MS = 50.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caf-declarations", type=int, default=20000)
    parser.add_argument("--approbateur-declarations", type=int, default=50)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="closed-loop duration of each measure")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", type=float, default=2.0, help="think time between a user's calls (s)")
    parser.add_argument("--think-seconds", type=float, default=20.0, help="duration of each think-time measure")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("AFAS_DECLARATION_WORKERS", "1")),
        help="the gateway's worker processes (AFAS_DECLARATION_WORKERS): the baselines run as many",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("AFAS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    return parser.parse_args(argv)


def _line(name: str, result: http_load.Result, hello: float | None = None, cpu_ms: float | None = None) -> str:
    ratio = f"{result.per_second / hello:7.1%}" if hello else "       "
    cpu = f"  CPU serveur {cpu_ms:6.2f} ms/appel" if cpu_ms is not None else ""
    return (
        f"{name:<44} {result.per_second:9.1f} appels/s  p50 {result.p50:7.1f} ms  p99 {result.percentile(99):8.1f} ms"
        f"  {ratio}{cpu}  erreurs {result.errors}"
        + (f" ({result.error_kinds()})" if result.errors else "")
        + (f"  reconnexions {result.reconnections}" if result.reconnections else "")
    )


async def _reads(gateway: str, args: argparse.Namespace, volume) -> list[tuple[str, str, str]]:
    """(name, URL, who) of each read measured."""
    return [
        ("Mes déclarations, 1re page — approbateur", f"{gateway}/api/v1/declarations", APPROBATEUR),
        (
            "Une déclaration — approbateur",
            f"{gateway}/api/v1/declarations/{volume.approbateur_declaration}",
            APPROBATEUR,
        ),
        ("Mes déclarations, 1re page — agent de Caf", f"{gateway}/api/v1/declarations", AGENT),
        ("Une déclaration — agent de Caf", f"{gateway}/api/v1/declarations/{volume.caf_declaration}", AGENT),
    ]


async def measure(args: argparse.Namespace) -> bool:
    from benchmarks.deadline.platform import platform

    os.environ["AFAS_DECLARATION_WORKERS"] = str(args.workers)  # the platform's gateway, as many as the baselines
    ok = True
    # imported here, not at the top: the client processes (spawned) import this module, never the gateway's code
    from benchmarks.read_load import middleware_costs

    print("Coût par requête de l'application et de chaque middleware de la passerelle (en processus, sans réseau) :")
    for name, micros in await asyncio.to_thread(middleware_costs.measure):  # its own event loops, apart from ours
        print(f"  {name:<52} {micros:8.1f} µs")
    with platform("postgresql", args.pg_admin_url) as running:
        database = running.database_urls["declaration"]
        print(
            f"Volume : {args.caf_declarations} déclarations pour la Caf, "
            f"{args.approbateur_declarations} pour l'approbateur…"
        )
        volume = await put_in_place(running.gateway, database, args.caf_declarations, args.approbateur_declarations)
        reads = await _reads(running.gateway, args, volume)
        print(f"Passerelle : pid {running.pids['declaration']} (py-spy record -p … pour la profiler pendant la mesure)")
        print(f"Charge de la machine (uptime) : {_load_average()}")
        print(
            f"\nBoucle fermée, {args.connections} connexions, {args.seconds:.0f} s chacune, {args.workers} worker(s) :"
        )
        closed = http_load.Load("", {}, args.connections, args.seconds)
        with baseline_server(args.workers, database, volume.caf_declaration) as (base, base_pid):
            hello, cpu = await _measured(_at(closed, f"{base}/hello", {}), args.processes, base_pid)
            print(_line("FastAPI nu (hello)", hello, None, cpu))
            one, cpu = await _measured(_at(closed, f"{base}/one-query", {}), args.processes, base_pid)
            print(_line("FastAPI + une requête SQL", one, hello.per_second, cpu))
        ratios = []
        for name, url, who in reads:
            headers = {"Authorization": f"Bearer {await login(running.gateway, who)}"}  # fresh: never refreshed
            result, cpu = await _measured(_at(closed, url, headers), args.processes, running.pids["declaration"])
            ok &= result.errors == 0
            ratios.append(result.per_second / hello.per_second)
            print(_line(name, result, hello.per_second, cpu))
        print(
            f"\n{args.users} utilisateurs, {args.think:.0f} s de réflexion entre deux appels, "
            f"{args.think_seconds:.0f} s :"
        )
        p99s = []
        for name, url, who in reads:
            headers = {"Authorization": f"Bearer {await login(running.gateway, who)}"}
            think = http_load.Load(url, headers, args.users, args.think_seconds, args.think)
            result = await asyncio.to_thread(http_load.run, think, args.processes)
            ok &= result.errors == 0
            p99s.append(result.percentile(99))
            print(_line(name, result))
    print(f"\nCharge de la machine (uptime) : {_load_average()}")
    print(
        f"Cible : ≥ {RATIO_TARGET:.0%} du hello nu — mesuré {min(ratios):.1%} à {max(ratios):.1%} ; "
        f"p99 < {P99_TARGET_MS:.0f} ms à {args.users} utilisateurs — mesuré {min(p99s):.1f} à {max(p99s):.1f} ms"
    )
    return ok


async def _measured(load: http_load.Load, processes: int, server_pid: int) -> tuple[http_load.Result, float | None]:
    """The load's result and the CPU the server spent per call meanwhile (ms; None without a call)."""
    before = process_cpu.cpu_seconds(server_pid)
    result = await asyncio.to_thread(http_load.run, load, processes)
    spent = process_cpu.cpu_seconds(server_pid) - before
    return result, (spent * 1000 / result.calls if result.calls else None)


def _load_average() -> str:
    """The box's load average over 1, 5 and 15 minutes: on a shared box, the figures are read beside it."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def _at(load: http_load.Load, url: str, headers: dict[str, str]) -> http_load.Load:
    return http_load.Load(url, headers, load.connections, load.seconds, load.think_seconds)


def main(argv: list[str] | None = None) -> int:
    return 0 if asyncio.run(measure(parse_args(argv))) else 1


if __name__ == "__main__":
    raise SystemExit(main())
