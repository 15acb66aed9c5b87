"""Runs the outbox relay benchmark on a small batch: correctness is asserted, the figures reported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _benchmark():
    spec = importlib.util.spec_from_file_location("outbox_relay_bench", ROOT / "benchmarks" / "outbox_relay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_relay_drains_the_outbox_into_the_stream_and_reports_its_throughput(
    backends, bus_prefix, report_measurement
):
    bench = _benchmark()
    result = await bench.measure(backends.nats_url, backends.database_url("bench"), 2000, bus_prefix)
    assert result["events"] == 2000  # measure() itself checks the stream holds exactly that many
    backend = "SQLite" if backends.pg_admin_url is None else "PostgreSQL"
    report_measurement(bench.report(result, backend))
