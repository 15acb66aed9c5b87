"""Runs notification's per-unit benchmark (benchmarks/notification_events.py): the planner, the sender and the
deadline flow's events on a real service, with the same run's baselines. Reports the figures; asserts what each
step did, never how fast."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

from afas_shared.clock import ManualClock
from afas_shared.testing.fixtures import running

ROOT = Path(__file__).resolve().parents[2]
QUIET = 3600.0  # the service's own planner and sender stay out of the measure: the benchmark calls them


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "notification_events_bench", ROOT / "benchmarks" / "notification_events.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def test_planner_sender_and_deadline_events_per_unit(backends, make_settings, report_measurement):
    bench = _benchmark()
    settings = make_settings("notification", schedule_check_seconds=QUIET, mail_poll_seconds=QUIET)
    async with running(settings) as runtime:
        runtime.clock = ManualClock(datetime(2026, 3, 2, 4, 0, tzinfo=UTC))  # before the reminder hour
        result = await bench.measure(runtime, declarations=100, batch=50)
    backend = "SQLite" if backends.pg_admin_url is None else "PostgreSQL"
    report_measurement(bench.report(result, backend))
