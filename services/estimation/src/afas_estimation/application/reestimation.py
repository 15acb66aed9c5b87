"""Re-estimating the open declarations a barème change may affect, in batches.

A change leaves a ``ReestimationJob`` (same transaction as the change). The job runs in the background in batches
of ``batch_size`` declarations (keyset order on the declaration id): per batch one transaction, one barème
resolution, one query for the figures and stored estimates, one bulk update of the estimates, and one
``estimation.estimate_revised.v1`` per declaration whose amount moved. The job's cursor advances in the batch's
transaction, guarded by its previous value: a restart resumes where it stopped, and a second replica working
on the same job loses the race and rolls back instead of publishing twice.

Affected declarations: the open ones of the family (and nature, for a nature's own value) whose exercice may
start on or after the change's date (``exercice ≥ year − 1``, school years included) — and every earlier one
when the change is to the earliest value of a yearly parameter, since the exercices before its first value are
backfilled from it; the amount decides whether anything is published.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import DeclarationEstimate, DeclarationFigures, ParameterChange, ReestimationJob
from afas_estimation.application.baremes import Effective, resolve
from afas_estimation.application.estimates import outcome
from afas_estimation.application.local_parameters import localise, localised, values_of
from afas_estimation.application.territories import name_of, territories_for
from afas_estimation.domain.parameters.territories import FAMILY as TERRITORY_FAMILY
from afas_shared.clock import Clock
from afas_shared.contracts.events.estimation import EstimateRevisedV1
from afas_shared.db.engine import Database
from afas_shared.jobs.wakeable import Wakeable
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500

COLUMNS = (
    DeclarationFigures.declaration_id,
    DeclarationFigures.activity_id,
    DeclarationFigures.partner_id,
    DeclarationFigures.caf_code,
    DeclarationFigures.family,
    DeclarationFigures.nature,
    DeclarationFigures.exercice,
    DeclarationFigures.declaration_type,
    DeclarationFigures.figures,
    DeclarationEstimate.declaration_id.label("estimated"),
    DeclarationEstimate.amount,
    DeclarationEstimate.revision,
)


class Overtaken(Exception):
    """Another worker advanced the job first: this batch is rolled back."""


def affected(
    family: str, nature: str | None, applies_from: date, caf_code: str | None = None, *, backfilled: bool = False
) -> list[Any]:
    """The open declarations a change may affect: a national change every Caf's, a local one its Caf's only.

    ``backfilled``: the change is to the earliest value of a yearly parameter, which the exercices before it
    apply too — every exercice may move, not only those from the change's date."""
    conditions = [DeclarationFigures.family == family, DeclarationFigures.open.is_(True)]
    if not backfilled:
        conditions.append(DeclarationFigures.exercice >= applies_from.year - 1)
    if nature is not None:
        conditions.append(DeclarationFigures.nature == nature)
    if caf_code is not None:
        conditions.append(DeclarationFigures.caf_code == caf_code)
    return conditions


async def reaches_backfilled(session: AsyncSession, job: ReestimationJob, effective: Effective) -> bool:
    """Whether the job's change set the earliest value of a yearly national parameter (exercices before it are
    backfilled from it). A local change (audited apart, no ``ParameterChange``) sets no yearly value: False."""
    change = await session.get(ParameterChange, job.change_id)
    if change is None:
        return False
    parameter = effective.bareme.parameters.get(change.parameter)
    return parameter is not None and parameter.backfills_before(job.applies_from, job.nature)


def candidates_query(conditions: list[Any]) -> sa.Select:
    return (
        sa.select(*COLUMNS)
        .outerjoin(DeclarationEstimate, DeclarationEstimate.declaration_id == DeclarationFigures.declaration_id)
        .where(*conditions)
        .order_by(DeclarationFigures.declaration_id)
    )


async def by_territory(session: AsyncSession, effective: Effective, rows: list[Any]) -> dict[uuid.UUID, Effective]:
    """The barème of each row's activity the Caf assigned to a territory (its amount per new place), by activity."""
    if effective.family != TERRITORY_FAMILY:
        return {}
    found: dict[uuid.UUID, Effective] = {}
    for caf in {r.caf_code for r in rows}:
        territories = await territories_for(session, caf, [r.activity_id for r in rows if r.caf_code == caf])
        if territories:
            values = await values_of(session, caf, effective.family)
            for activity, territory in territories.items():
                found[activity] = localise(effective, values, territory, name_of(caf))
    return found


def revise(
    effective: Effective,
    rows: list[Any],
    now: datetime,
    by_caf: dict[str, Effective] | None = None,
    by_activity: dict[uuid.UUID, Effective] | None = None,
) -> tuple[list[dict], list[dict], list[tuple]]:
    """Re-estimate ``rows`` with ``effective`` (or, for a row of a Caf in ``by_caf``, that Caf's localised barème;
    for an activity in ``by_activity``, its territory's): the estimate rows to update and to insert, the events."""
    national = effective
    updates: list[dict] = []
    inserts: list[dict] = []
    events: list[tuple] = []
    for r in rows:
        effective = (by_activity or {}).get(r.activity_id) or (by_caf or {}).get(r.caf_code, national)
        found = outcome(effective, r.nature, r.exercice, json.loads(r.figures))
        revision = r.revision or 0
        old = r.amount if r.estimated is not None else None
        if found.amount != old:
            revision += 1
            events.append(
                (
                    EstimateRevisedV1(
                        declaration_id=r.declaration_id,
                        activity_id=r.activity_id,
                        partner_id=r.partner_id,
                        caf_code=r.caf_code,
                        family=r.family,
                        exercice=r.exercice,
                        declaration_type=r.declaration_type,
                        old_amount=old,
                        new_amount=found.amount,
                        provisional=found.provisional,
                        bareme_version=effective.version,
                    ),
                    str(r.declaration_id),
                    revision,
                )
            )
        values = {
            "declaration_id": r.declaration_id,
            "amount": found.amount,
            "provisional": found.provisional,
            "error": found.error,
            "bareme_version": effective.version,
            "bareme_fingerprint": effective.fingerprint,
            "revision": max(revision, 1),
            "computed_at": now,
        }
        (updates if r.estimated is not None else inserts).append(values)
    return updates, inserts, events


async def write(uow: UnitOfWork, updates: list[dict], inserts: list[dict], events: list[tuple]) -> int:
    """Store the re-estimated rows and queue their events; how many declarations were revised."""
    session = uow.session
    if updates:
        await session.execute(sa.update(DeclarationEstimate), updates)  # bulk UPDATE by primary key
    if inserts:
        await session.execute(sa.insert(DeclarationEstimate), inserts)
    return await uow.publish_all(events)


async def run_batch(db: Database, job_id: uuid.UUID, batch_size: int, now: datetime, after_commit=None) -> bool:
    """One batch of the job; True while there is more to do."""
    try:
        async with unit_of_work(db, after_commit) as uow:
            job = await uow.session.get(ReestimationJob, job_id)
            if job is None or job.finished_at is not None:
                return False
            effective = await resolve(uow.session, job.family)  # one resolution for the whole batch
            backfilled = await reaches_backfilled(uow.session, job, effective)
            conditions = affected(job.family, job.nature, job.applies_from, job.caf_code, backfilled=backfilled)
            query = candidates_query(conditions).limit(batch_size)
            if job.cursor is not None:
                query = query.where(DeclarationFigures.declaration_id > job.cursor)
            rows = list(await uow.session.execute(query))
            by_caf = {caf: await localised(uow.session, effective, caf) for caf in {r.caf_code for r in rows}}
            by_activity = await by_territory(uow.session, effective, rows)
            revised = await write(uow, *revise(effective, rows, now, by_caf, by_activity))
            done = len(rows) < batch_size
            moved = await uow.session.execute(
                sa.update(ReestimationJob)
                .where(ReestimationJob.id == job_id, ReestimationJob.processed == job.processed)
                .values(
                    cursor=rows[-1].declaration_id if rows else job.cursor,
                    processed=job.processed + len(rows),
                    revised=job.revised + revised,
                    finished_at=now if done else None,
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:
                raise Overtaken(str(job_id))
    except Overtaken:
        log.info("re-estimation job %s advanced by another worker", job_id)
        return False
    return not done


class Reestimator(Wakeable):
    """Runs the pending jobs in the background: woken after each change, and every ``Wakeable.poll_seconds`` anyway."""

    def __init__(
        self, db: Database, clock: Callable[[], Clock], after_commit=None, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> None:
        super().__init__()
        self.db = db
        self.clock = clock
        self.after_commit = after_commit
        self.batch_size = batch_size
        self._lock = asyncio.Lock()

    async def run_pending(self) -> int:
        """Run every unfinished job to its end; the number of batches run."""
        batches = 0
        async with self._lock:
            async with self.db.sessions() as session:
                jobs = list(
                    (
                        await session.execute(
                            sa.select(ReestimationJob.id)
                            .where(ReestimationJob.finished_at.is_(None))
                            .order_by(ReestimationJob.created_at)
                        )
                    ).scalars()
                )
            for job_id in jobs:
                more = True
                while more:
                    more = await run_batch(self.db, job_id, self.batch_size, self.clock().now(), self.after_commit)
                    batches += 1
                    await asyncio.sleep(0)  # let requests through between batches
        return batches


async def job_view(db: Database, job_id: uuid.UUID) -> dict[str, Any] | None:
    async with db.sessions() as session:
        job = await session.get(ReestimationJob, job_id)
    if job is None:
        return None
    return {
        "id": str(job.id),
        "famille": job.family,
        "nature": job.nature,
        "applicable_depuis": job.applies_from.isoformat(),
        "traitees": job.processed,
        "revisees": job.revised,
        "terminee": job.finished_at is not None,
    }
