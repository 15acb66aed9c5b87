"""Runs the consumers benchmark's code path on a tiny backlog (``make bench-consumers`` runs it at size, on
PostgreSQL): the bare baseline acks every message; on PostgreSQL (the service's start and stop cost seconds, kept
out of the default run), the service records each event once and dead-letters none."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nats
import pytest

from afas_shared.messaging.naming import BusNames

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 40


def _benchmark():
    spec = importlib.util.spec_from_file_location("consumers_bench", ROOT / "benchmarks" / "consumers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_backlog_is_published_and_the_bare_baseline_acks_it_all(backends, common_settings):
    bench = _benchmark()
    names = BusNames(common_settings.bus_prefix)
    backlog = bench.backlog("notification", EVENTS)
    assert len(backlog) == EVENTS and {e.type for e in backlog} == {k.subject() for k in bench.KINDS["notification"]}
    nc = await nats.connect(backends.nats_url)
    try:
        js = nc.jetstream()
        await bench.publish(js, names, backlog)
        subjects = [kind.subject() for kind in bench.KINDS["notification"]]
        await bench.bare(js, names, subjects, EVENTS)
        durables = [(s.split(".")[0], BusNames.durable("bench_bare", s)) for s in subjects]
        assert await bench.drained(js, names, durables)  # every message acked, none pending
    finally:
        await nc.close()


@pytest.mark.skipif(
    not os.environ.get("AFAS_TEST_DATABASE_URL"), reason="the service's part runs on PostgreSQL, as the benchmark"
)
async def test_the_service_drains_a_small_backlog_exactly_once(backends, common_settings, report_measurement):
    bench = _benchmark()
    nc = await nats.connect(backends.nats_url)
    try:
        await bench.publish(nc.jetstream(), BusNames(common_settings.bus_prefix), bench.backlog("notification", EVENTS))
    finally:
        await nc.close()
    url = backends.migrated_database_url("notification")
    # consume() checks every event is recorded once in the inbox and none is dead-lettered
    seconds, _cpu = await bench.consume("notification", url, common_settings, 10, EVENTS)
    report_measurement(f"consumers benchmark: notification drained {EVENTS} events in batches of 10 in {seconds:.2f} s")
