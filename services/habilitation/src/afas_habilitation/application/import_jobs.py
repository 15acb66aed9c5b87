"""The CSV import of activities as a background job (issue 16): a file of 70,000 rows is answered at once and
imported in batches, each its own transaction, with its progress and final report to follow.

The gateway sends the file in parts (``import_part``, one request on the bus each); the last part creates the job.
The job's first step cuts the file into records (the csv module's C reader: cheap) and stores them by line; each
batch then checks the next records after the job's cursor (the last line handled), stores their activities and
events (outbox, same transaction), records each line's outcome and moves the cursor (``advance``). A crash rolls
the batch back and the job resumes after the last committed one; the IDEQU being the natural key, a line is never
imported twice, even by a second replica (it loses ``advance``'s race and rolls back).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from afas_habilitation.adapters.job_tables import BackgroundJob, ImportPart, ImportRecord
from afas_habilitation.application import jobs
from afas_habilitation.application.catalogue_import import CREATED, REJECTED, apply_rows
from afas_habilitation.domain.csv_rows import ActivityRow, check_record, split_records
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.limits import CATALOGUE_IMPORT_MAX_BYTES, CATALOGUE_IMPORT_TOO_LARGE
from afas_shared.contracts.rpc.habilitation_jobs import ImportPartRequestV1
from afas_shared.jobs.runner import JobRunner, Overtaken, advance, fresh_job
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

NOT_CAF = "L'import du catalogue est réservé aux agents de la Caf."
NOT_UTF8 = "Le fichier doit être encodé en UTF-8."
SPLIT = "0"  # the cursor once the file is cut into records: no line handled yet

log = logging.getLogger(__name__)


def importer(runtime: ServiceRuntime) -> JobRunner:
    return jobs.runner(runtime, jobs.IMPORT, import_batch, runtime.settings.import_batch_size)  # type: ignore[attr-defined]


async def receive_part(runtime: ServiceRuntime, caller: ForwardedCaller, part: ImportPartRequestV1) -> dict[str, Any]:
    """Keep one part of the file; the last one starts the job, and the answer says where it stands."""
    if caller.kind not in ("caf", "operator"):
        raise RpcFailure("forbidden", NOT_CAF)
    data = part.csv_base64  # decoded when the request was read
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        job = await uow.session.get(BackgroundJob, part.upload_id)
        if job is None:  # a part sent again (a retry) is kept once
            kept = await uow.session.get(ImportPart, (part.upload_id, part.position))
            if kept is None:
                uow.session.add(
                    ImportPart(
                        upload_id=part.upload_id,
                        position=part.position,
                        requested_by=caller.user_id,
                        data=data,
                        received_at=now,
                    )
                )
            elif kept.requested_by != caller.user_id:
                raise RpcFailure("forbidden", "Cet envoi de fichier est celui d'une autre personne.")
            if not part.last:
                return _receiving(part.upload_id, now)
            job = await _complete(uow, caller, part.upload_id, now)
        elif not jobs.may_follow(caller, job):
            raise RpcFailure("forbidden", "Cet envoi de fichier est celui d'une autre personne.")
    await jobs.started(runtime, importer(runtime), job.id)
    return await jobs.view(runtime, caller, job.id)


def _receiving(upload_id: uuid.UUID, now) -> dict[str, Any]:
    return {
        "job_id": str(upload_id),
        "type": jobs.IMPORT,
        "libelle": jobs.LABELS[jobs.IMPORT],
        "etat": "reception",
        "suivi": f"/api/v1/jobs/{upload_id}",
        "total": None,
        "traitees": 0,
        "creees": 0,
        "refusees": [],
        "debut": now.isoformat(),
        "fin": None,
    }


async def _complete(uow: UnitOfWork, caller: ForwardedCaller, upload_id: uuid.UUID, now) -> BackgroundJob:
    """The file is all there: the job that imports it (its parts are read by the job's first step)."""
    parts = (
        await uow.session.execute(
            sa.select(ImportPart.position, ImportPart.requested_by, sa.func.length(ImportPart.data)).where(
                ImportPart.upload_id == upload_id
            )
        )
    ).all()
    if sorted(p for p, _, _ in parts) != list(range(len(parts))):
        raise RpcFailure("invalid", "Des parties du fichier manquent : envoyez-le de nouveau.", "csv")
    if any(who != caller.user_id for _, who, _ in parts):
        raise RpcFailure("forbidden", "Cet envoi de fichier est celui d'une autre personne.")
    if sum(size for _, _, size in parts) > CATALOGUE_IMPORT_MAX_BYTES:
        raise RpcFailure("too_large", CATALOGUE_IMPORT_TOO_LARGE, "csv")
    job = BackgroundJob(
        id=upload_id,
        kind=jobs.IMPORT,
        subject=caller.caf_code if caller.kind == "caf" and caller.caf_code else jobs.ANY_CAF,
        requested_by=caller.user_id,
        payload=json.dumps({"caller": jobs.claims_of(caller)}),
        created_at=now,
    )
    uow.session.add(job)
    return job


async def import_batch(runtime: ServiceRuntime, job_id: uuid.UUID, batch_size: int) -> bool:
    """One step of an import job, one transaction; True while there are lines left."""
    async with runtime.unit_of_work() as uow:
        job = await fresh_job(uow.session, job_id)
        if job is None or job.finished_at is not None:
            return False
        if job.cursor is None:
            return await _split(runtime, uow, job)
        payload = jobs.payload_of(job)
        records = (
            await uow.session.execute(
                sa.select(ImportRecord.line, ImportRecord.cells, ImportRecord.earlier)
                .where(ImportRecord.job_id == job.id, ImportRecord.line > int(job.cursor))
                .order_by(ImportRecord.line)
                .limit(batch_size)
            )
        ).all()
        checked = [check_record(r.line, payload["columns"], json.loads(r.cells), r.earlier) for r in records]
        rows = [c for c in checked if isinstance(c, ActivityRow)]
        refused = [{"ligne": c.line, "motif": c.reason} for c in checked if not isinstance(c, ActivityRow)]
        outcomes, refused_rows = await apply_rows(uow, jobs.caller_of(payload["caller"]), rows)
        by_outcome: dict[str, list[int]] = {}
        for record in records:
            by_outcome.setdefault(outcomes.get(record.line, REJECTED), []).append(record.line)
        for outcome, lines in by_outcome.items():  # one UPDATE per outcome, not one per line
            await uow.session.execute(
                sa.update(ImportRecord)
                .where(ImportRecord.job_id == job.id, ImportRecord.line.in_(lines))
                .values(outcome=outcome)
                .execution_options(synchronize_session=False)
            )
        done = len(records) < batch_size
        if done:  # the records have served: their outcomes are counted into the job, the rows go
            await _keep_outcomes(uow, job, payload)
        await advance(
            uow.session,
            job,
            cursor=str(records[-1].line) if records else job.cursor,
            handled=len(records),
            created=Counter(outcomes.values())[CREATED],
            now=runtime.clock.now(),
            done=done,
            refused=sorted(refused + refused_rows, key=lambda r: r["ligne"]),
        )
    return not done


async def _split(runtime: ServiceRuntime, uow: UnitOfWork, job: BackgroundJob) -> bool:
    """The job's first step: the file's parts joined, cut into records stored by line, the parts dropped."""
    data = b"".join(
        (
            await uow.session.execute(
                sa.select(ImportPart.data).where(ImportPart.upload_id == job.id).order_by(ImportPart.position)
            )
        ).scalars()
    )
    try:
        split = split_records(data.decode("utf-8-sig"))
        refused = [{"ligne": r.line, "motif": r.reason} for r in split.rejections]
    except UnicodeDecodeError:
        split, refused = None, [{"ligne": 1, "motif": f"Ligne 1 : {NOT_UTF8}"}]
    records = split.records if split is not None and split.columns is not None else []
    payload = {**jobs.payload_of(job), "columns": split.columns if split is not None else None}
    done = not records
    claimed = await uow.session.execute(
        sa.update(BackgroundJob)
        .where(BackgroundJob.id == job.id, BackgroundJob.cursor.is_(None), BackgroundJob.finished_at.is_(None))
        .values(
            cursor=SPLIT,
            total=len(records) + len(refused),
            processed=len(refused),
            refused=json.dumps(refused, ensure_ascii=False),
            payload=json.dumps(payload, ensure_ascii=False),
            finished_at=runtime.clock.now() if done else None,
        )
        .execution_options(synchronize_session=False)
    )
    if cast("sa.CursorResult", claimed).rowcount != 1:  # another replica cut it first: this one rolls back
        raise Overtaken(str(job.id))
    if records:
        await uow.session.execute(
            sa.insert(ImportRecord),
            [
                {"job_id": job.id, "line": line, "cells": json.dumps(cells, ensure_ascii=False), "earlier": earlier}
                for line, cells, earlier in records
            ],
        )
    await uow.session.execute(sa.delete(ImportPart).where(ImportPart.upload_id == job.id))
    return not done


async def _keep_outcomes(uow: UnitOfWork, job: BackgroundJob, payload: dict[str, Any]) -> None:
    """At the job's last batch (same transaction): how many lines became what, kept in its payload for the report,
    and the file's records deleted (a 70,000-row file leaves no 70,000 rows behind)."""
    counted = await uow.session.execute(
        sa.select(ImportRecord.outcome, sa.func.count())
        .where(ImportRecord.job_id == job.id, ImportRecord.outcome.is_not(None))
        .group_by(ImportRecord.outcome)
    )
    outcomes = {str(outcome): int(n) for outcome, n in counted.all()}
    await uow.session.execute(
        sa.update(BackgroundJob)
        .where(BackgroundJob.id == job.id)
        .values(payload=json.dumps({**payload, "outcomes": outcomes}, ensure_ascii=False))
        .execution_options(synchronize_session=False)
    )
    await uow.session.execute(sa.delete(ImportRecord).where(ImportRecord.job_id == job.id))


# --- the sweep of uploads never completed -----------------------------------------------------------------------------


async def sweep_abandoned_parts(runtime: ServiceRuntime) -> int:
    """Removes the pieces of uploads whose last piece never came, once the newest of them is older than the delay;
    returns how many pieces went. Pieces of a completed upload are the job's until its first step drops them, so an
    upload that has a job is never touched. Safe on every replica at once: each statement is idempotent."""
    now = runtime.clock.now()
    limit = now - timedelta(seconds=runtime.settings.import_part_ttl_seconds)  # type: ignore[attr-defined]
    async with runtime.unit_of_work() as uow:
        # pieces from before migration 0008 (or from a replica still on 0007) are dated the first time they are seen
        await uow.session.execute(
            sa.update(ImportPart)
            .where(ImportPart.received_at.is_(None))  # type: ignore[union-attr]
            .values(received_at=now)
            .execution_options(synchronize_session=False)
        )
        stale = (
            sa.select(ImportPart.upload_id)
            .where(ImportPart.upload_id.not_in(sa.select(BackgroundJob.id)))  # type: ignore[attr-defined]
            .group_by(ImportPart.upload_id)
            .having(sa.func.max(ImportPart.received_at) < limit)
        )
        removed = await uow.session.execute(
            sa.delete(ImportPart)
            .where(ImportPart.upload_id.in_(stale))  # type: ignore[attr-defined]
            .execution_options(synchronize_session=False)
        )
    return int(cast("sa.CursorResult", removed).rowcount or 0)


def part_sweeper(runtime: ServiceRuntime):
    """The periodic job: ``sweep_abandoned_parts``, logging what it removed (counts only: a piece is file content)."""

    async def sweep_import_parts() -> None:
        removed = await sweep_abandoned_parts(runtime)
        if removed:
            log.info("import sweep: %d piece(s) of uploads never completed removed", removed)

    return sweep_import_parts
