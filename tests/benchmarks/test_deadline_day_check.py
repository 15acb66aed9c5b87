"""The deadline-day benchmark's verdict (``make bench-deadline``; the run itself is not part of the tests): a
declaration passes only when stored exactly once with its receipt, and a transmit answered one way but stored the
other is reported."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the benchmarks are scripts beside the tests, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.deadline.flows import Record  # noqa: E402
from benchmarks.deadline.processes import tree_cpu_seconds  # noqa: E402
from benchmarks.deadline.report import check, percentile  # noqa: E402


def test_every_declaration_stored_once_with_its_receipt_passes():
    record = Record(transmitted={"a": 1, "b": 1})
    result = check(Counter({"a": 1, "b": 1}), record, receipts={"a": 1, "b": 1})
    assert (result.exactly_once, result.with_receipt, result.passed) == (2, 2, True)


def test_missing_doubled_unanswered_and_receiptless_transmits_are_each_counted():
    # a: fine; b: never stored; c: stored twice; d: answered an error although stored; e: stored, no receipt
    record = Record(transmitted={"a": 1, "c": 1, "e": 1})
    stored = Counter({"a": 1, "b": 0, "c": 2, "d": 1, "e": 1})
    result = check(stored, record, receipts={"a": 1, "c": 1, "d": 1})
    assert (result.exactly_once, result.never, result.more_than_once) == (3, 1, 1)
    assert result.answered_but_stored_differently == 1
    assert result.with_receipt == 3
    assert not result.passed


def test_percentiles_are_read_from_the_sorted_values():
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.99) == 99.0
    assert percentile([0.2], 0.99) == 0.2


def test_a_child_process_cpu_is_counted_in_its_parents_tree():
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ninput()",
        ],
        stdin=subprocess.PIPE,
    )
    try:
        while tree_cpu_seconds(busy.pid) < 0.25:  # ticks of 10 ms: below the 0.3 s it burns
            assert busy.poll() is None
        assert tree_cpu_seconds(os.getpid()) >= tree_cpu_seconds(busy.pid)
    finally:
        busy.communicate(b"\n", timeout=60)
