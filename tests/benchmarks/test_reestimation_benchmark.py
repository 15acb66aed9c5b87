"""Runs the re-estimation benchmark on a few hundred declarations (70,000 under `make bench`): both paths must
announce every moved amount; the figures, estimate latency included, are reported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _benchmark():
    spec = importlib.util.spec_from_file_location("reestimation_bench", ROOT / "benchmarks" / "reestimation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_batched_and_one_by_one_re_estimation_revise_every_declaration(
    backends, bus_prefix, report_measurement, tmp_path
):
    bench = _benchmark()
    result = await bench.measure(
        backends.database_url("estimation"),
        300,
        nats_url=backends.nats_url,
        prefix=bus_prefix,
        rpc_calls=100,
        tmp=tmp_path,
    )
    assert result["declarations"] == 300  # measure() itself checks both paths revised all 300
    assert result["rpc_p99_ms"] > 0
    backend = "SQLite" if backends.pg_admin_url is None else "PostgreSQL"
    report_measurement(bench.report(result, backend))
