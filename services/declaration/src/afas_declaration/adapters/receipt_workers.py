"""The processes that render the PDF receipts, so that fpdf2 (pure Python, it holds the GIL for the whole PDF)
never runs on the service's event loop nor slows its threads.

One pool per service process, started on first need (the service starts it as it comes up, see
``application.receipts``), its size from ``AFAS_DECLARATION_RECEIPT_WORKERS``. Workers are spawned, not forked:
the service process has threads (database drivers, the bus), and a fork copies their locks in whatever state they
were. Each worker parses the fonts once as it starts (``receipt_fonts.preload``).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from afas_declaration.adapters import receipt_fonts
from afas_declaration.adapters.receipt_pdf import render_receipt

__all__ = ["BrokenProcessPool", "pool", "render_receipt", "shut_down", "start_worker"]

_pool: ProcessPoolExecutor | None = None


def start_worker() -> None:
    """A worker's start: the fonts parsed now, once, and never again in this process."""
    receipt_fonts.preload()


def pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of ``workers`` rendering processes (a broken one, after a killed worker, is replaced)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker)
    return _pool


def discard(broken: ProcessPoolExecutor) -> None:
    """Forget ``broken`` (a worker died): the next render starts a new pool."""
    global _pool
    if _pool is broken:
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shut_down() -> None:
    """The service stops: its workers end (a render in progress is abandoned; reconciliation redoes it)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def warm(workers: int) -> list[Any]:
    """Futures that complete once each worker is up with its fonts: the first receipts do not pay for the start."""
    executor = pool(workers)
    return [executor.submit(receipt_fonts.preload) for _ in range(workers)]


def render(snapshot: Mapping[str, Any]) -> bytes:
    """What a worker runs: the receipt of ``snapshot`` (module-level, so that the worker can import it)."""
    return render_receipt(snapshot)
