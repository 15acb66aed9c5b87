"""Runs the bulk-jobs benchmark on a few dozen rows (70,000 under `make bench-imports`): the CSV import and the bulk
grant, each as its background job in several batches, must create every row exactly once with its event."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _benchmark():
    spec = importlib.util.spec_from_file_location("bulk_jobs_bench", ROOT / "benchmarks" / "bulk_jobs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_import_and_the_bulk_grant_jobs_create_every_row_once(backends, report_measurement):
    bench = _benchmark()
    result = await bench.measure(backends.database_url("habilitation"), 60, batch_size=25, grant_batch=25)
    # measure() itself checks every row imported and granted once, each with its event
    assert (result["import"]["created"], result["grant"]["created"]) == (60, 60)
    assert result["import"]["batches"] == 1 + 3 and result["grant"]["batches"] == 3
    assert result["pages"]["total"] == 60
    backend = "SQLite" if backends.pg_admin_url is None else "PostgreSQL"
    report_measurement(bench.report(result, backend))
