"""Logins before and after issue 16's argon2id parameters, in the same run: ``make bench-logins``.

Three measurements, each for argon2-cffi's defaults (RFC 9106 low memory: 64 MiB, 3 passes, 4 lanes, the platform's
parameters before) and for the settings' default (OWASP's minimum: 19 MiB, 2 passes, 1 lane):

* the raw hash and verification time, in this process (median of ``--hashes``);
* whether a hash on a worker thread leaves the event loop free (argon2-cffi goes through cffi, which releases the
  GIL for the C call): the loop's worst lag while ``--clients`` hashes run on threads, and the speed-up of two
  threads over two hashes in a row (about 2 on two idle cores when the GIL is released, 1 when it is not);
* logins through the gateway: ``make run``'s platform started once per parameter set (identity's
  ``AFAS_IDENTITY_PASSWORD_*``, the demo accounts hashed with them), ``--clients`` concurrent clients logging in
  for ``--seconds``: logins/s, p50 and p99, errors. Each platform runs in a child process of its own.

    python benchmarks/logins.py [--clients 10] [--seconds 20] [--hashes 10] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from afas_identity.application.demo import DECLARANTS, DEMO_PASSWORD  # noqa: E402
from afas_identity.domain.passwords import (  # noqa: E402
    OWASP_MINIMUM,
    RFC_9106_LOW_MEMORY,
    HashParameters,
    hash_password,
    verify_password,
)

PARAMETER_SETS = {"before (RFC 9106 low memory)": RFC_9106_LOW_MEMORY, "after (OWASP minimum)": OWASP_MINIMUM}
ACCOUNTS = [person["identifier"] for person in DECLARANTS]
LOOP_TICK_SECONDS = 0.005


@dataclass
class RawFigures:
    hash_ms: float
    verify_ms: float
    loop_lag_ms: float  # the event loop's worst lag while hashes ran on threads
    two_threads_speedup: float


@dataclass
class GatewayFigures:
    logins: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.logins / self.seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _timed_ms(call, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def _worst_loop_lag_ms(params: HashParameters, hashes: int) -> float:
    """Hashes on worker threads while the loop ticks: a GIL held by the hash would show as a lag of a hash's time."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(LOOP_TICK_SECONDS)
            worst = max(worst, time.perf_counter() - started - LOOP_TICK_SECONDS)

    ticking = asyncio.create_task(ticker())
    await asyncio.gather(*(asyncio.to_thread(hash_password, DEMO_PASSWORD, params) for _ in range(hashes)))
    done.set()
    await ticking
    return worst * 1000


def _two_threads_speedup(params: HashParameters) -> float:
    one = lambda: hash_password(DEMO_PASSWORD, params)  # noqa: E731
    started = time.perf_counter()
    one()
    one()
    in_a_row = time.perf_counter() - started
    threads = [threading.Thread(target=one) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return in_a_row / (time.perf_counter() - started)


def raw(params: HashParameters, hashes: int, clients: int) -> RawFigures:
    digest = hash_password(DEMO_PASSWORD, params)
    return RawFigures(
        hash_ms=_timed_ms(lambda: hash_password(DEMO_PASSWORD, params), hashes),
        verify_ms=_timed_ms(lambda: verify_password(digest, DEMO_PASSWORD), hashes),
        loop_lag_ms=asyncio.run(_worst_loop_lag_ms(params, clients)),
        two_threads_speedup=statistics.median(_two_threads_speedup(params) for _ in range(3)),
    )


async def _hammer(gateway: str, clients: int, seconds: float) -> GatewayFigures:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        identifier = ACCOUNTS[number % len(ACCOUNTS)]
        async with httpx.AsyncClient(base_url=gateway, timeout=60) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await http.post(
                    "/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": DEMO_PASSWORD}
                )
                if answer.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return GatewayFigures(len(latencies), errors, elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))


def through_gateway(params: HashParameters, database: str, clients: int, seconds: float) -> GatewayFigures:
    """One platform with identity set to ``params`` (the demo accounts hashed with them), in its own process."""
    env = {
        **os.environ,
        "AFAS_IDENTITY_PASSWORD_MEMORY_KIB": str(params.memory_kib),
        "AFAS_IDENTITY_PASSWORD_TIME_COST": str(params.time_cost),
        "AFAS_IDENTITY_PASSWORD_PARALLELISM": str(params.parallelism),
    }
    command = [sys.executable, __file__, "--phase", database, "--clients", str(clients), "--seconds", str(seconds)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the platform's run failed:\n{done.stderr[-3000:]}")
    return GatewayFigures(**json.loads(done.stdout.strip().splitlines()[-1]))


def phase(database: str, clients: int, seconds: float) -> None:
    """The child: start the platform with the parameters the environment gives, hammer its logins, print JSON."""
    from benchmarks.deadline.platform import platform

    pg_admin_url = os.environ.get("AFAS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with platform(database, pg_admin_url) as running:
        asyncio.run(_hammer(running.gateway, clients, 2.0))  # warm-up: connections, caches, the first rehash
        figures = asyncio.run(_hammer(running.gateway, clients, seconds))
    print(json.dumps(asdict(figures)))


def render(raws: dict[str, RawFigures], gateways: dict[str, GatewayFigures], clients: int) -> str:
    lines = [
        f"Logins, {os.cpu_count()} CPU(s), same run; {clients} concurrent clients through the gateway",
        "",
        f"{'parameters':<30} {'hash ms':>8} {'verify ms':>9} {'loop lag ms':>11} {'2-thread x':>10}"
        f" {'logins/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}",
    ]
    for name, r in raws.items():
        g = gateways[name]
        lines.append(
            f"{name:<30} {r.hash_ms:>8.0f} {r.verify_ms:>9.0f} {r.loop_lag_ms:>11.1f} {r.two_threads_speedup:>10.2f}"
            f" {g.per_second:>9.1f} {g.p50_ms:>8.0f} {g.p99_ms:>8.0f} {g.errors:>6}"
        )
    before, after = (gateways[name] for name in PARAMETER_SETS)
    raw_before, raw_after = (raws[name] for name in PARAMETER_SETS)
    lines += [
        "",
        f"after / before: hash time x{raw_after.hash_ms / raw_before.hash_ms:.2f}, "
        f"logins/s x{after.per_second / max(before.per_second, 1e-9):.2f}, "
        f"p99 x{after.p99_ms / before.p99_ms:.2f}",
        "loop lag: the event loop's worst delay while hashes ran on threads (a GIL held by argon2 would make it a "
        "hash's time); 2-thread x: two hashes on two threads against two in a row",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--hashes", type=int, default=10)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--phase", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        phase(args.phase, args.clients, args.seconds)
        return 0
    raws = {name: raw(params, args.hashes, args.clients) for name, params in PARAMETER_SETS.items()}
    gateways = {
        name: through_gateway(params, args.database, args.clients, args.seconds)
        for name, params in PARAMETER_SETS.items()
    }
    print(render(raws, gateways, args.clients))
    return 1 if any(g.errors for g in gateways.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
