"""Running a service's background jobs of one kind, batch after batch, each batch one transaction.

A step function does one batch of a job: it reads from the job's ``cursor``, writes its items (and queues their
events in the outbox) and calls ``advance`` in the same transaction. ``advance`` moves the cursor only from the
value the batch started with, so a second replica (or a request that started the same job) working on it loses
the race and rolls its batch back instead of writing it twice; a crash mid-batch rolls back with the batch, and the
next run resumes after the last committed one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afas_shared.db.engine import Database
from afas_shared.jobs.tables import BackgroundJob
from afas_shared.jobs.wakeable import Wakeable

log = logging.getLogger(__name__)


# One batch of a job: (job id, batch size) -> whether there is more to do
Step = Callable[[uuid.UUID, int], Awaitable[bool]]


class Overtaken(Exception):
    """Another worker advanced the job first: this batch is rolled back."""


async def advance(
    session: AsyncSession,
    job: BackgroundJob,
    *,
    cursor: str | None,
    handled: int,
    created: int,
    now: datetime,
    done: bool,
    refused: Iterable[dict[str, Any]] = (),
) -> None:
    """Move ``job`` past this batch, in the batch's transaction; ``Overtaken`` when another worker moved it first."""
    values: dict[str, Any] = {
        "cursor": cursor,
        "processed": job.processed + handled,
        "created": job.created + created,
        "finished_at": now if done else None,
    }
    more_refused = list(refused)
    if more_refused:
        values["refused"] = json.dumps(json.loads(job.refused) + more_refused, ensure_ascii=False)
    moved = await session.execute(
        sa.update(BackgroundJob)
        .where(
            col(BackgroundJob.id) == job.id,
            col(BackgroundJob.processed) == job.processed,
            col(BackgroundJob.finished_at).is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast("sa.CursorResult", moved).rowcount != 1:  # an UPDATE gives a CursorResult
        raise Overtaken(str(job.id))


async def fresh_job(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob | None:
    """The job as committed now (never a copy the session held from an earlier batch)."""
    return await session.get(BackgroundJob, job_id, populate_existing=True)


class JobRunner(Wakeable):
    """Runs the unfinished jobs of one kind: started by whoever creates a job (``spawn``), woken by the runtime's
    periodic ``work`` anyway (a job a crash interrupted resumes within ``Wakeable.poll_seconds``)."""

    def __init__(self, db: Database, kind: str, step: Step, batch_size: int) -> None:
        super().__init__()
        self.db = db
        self.kind = kind
        self.step = step
        self.batch_size = batch_size
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    def spawn(self) -> asyncio.Task:
        """Run the pending jobs in a task of their own, which outlives the request that created one."""
        task = asyncio.create_task(self.run_pending(), name=f"jobs-{self.kind}")
        self._tasks.add(task)  # held: an unreferenced task may be collected mid-way
        task.add_done_callback(self._tasks.discard)
        return task

    async def finished_within(self, job_id: uuid.UUID, seconds: float) -> bool:
        """Start the job and wait for it at most ``seconds`` (a small job answers as done); whether it finished."""
        await asyncio.wait({self.spawn()}, timeout=seconds)
        async with self.db.sessions() as session:
            job = await session.get(BackgroundJob, job_id)
        return job is not None and job.finished_at is not None

    async def run_pending(self) -> int:
        """Run every unfinished job of this kind to its end (or until another worker overtakes it); batches run."""
        batches = 0
        tried: set[uuid.UUID] = set()
        async with self._lock:
            while True:
                async with self.db.sessions() as session:
                    pending = (
                        await session.execute(
                            sa.select(col(BackgroundJob.id))
                            .where(col(BackgroundJob.kind) == self.kind, col(BackgroundJob.finished_at).is_(None))
                            .order_by(col(BackgroundJob.created_at))
                        )
                    ).scalars()
                    todo = [job_id for job_id in pending if job_id not in tried]
                if not todo:
                    return batches
                for job_id in todo:
                    tried.add(job_id)
                    batches += await self._run(job_id)

    async def _run(self, job_id: uuid.UUID) -> int:
        batches, more = 0, True
        while more:
            try:
                more = await self.step(job_id, self.batch_size)
            except Overtaken:
                log.info("job %s (%s) advanced by another worker", job_id, self.kind)
                return batches
            batches += 1
            await asyncio.sleep(0)  # requests go through between batches
        return batches
