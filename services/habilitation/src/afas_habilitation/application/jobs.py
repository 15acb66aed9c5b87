"""What habilitation's background jobs share (issue 16): their runners, whom they act for, who may follow them and
how they answer.

A job runs after the request that started it has been answered, so it acts for the person who started it with the
rights that person had then: the caller's claims are kept in the job's payload. Following a job is for that person,
the agents of the Caf it concerns (``subject``: a Caf code) and the operator.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.job_tables import BackgroundJob, ImportRecord
from afas_habilitation.application.catalogue_import import _within_reply
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.habilitation_jobs import JOBS_PATH
from afas_shared.jobs.runner import JobRunner
from afas_shared.jobs.tables import progress
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime

IMPORT, BULK_GRANT = "activity_import", "bulk_grant"
LABELS = {IMPORT: "Import du catalogue d'activités", BULK_GRANT: "Habilitation sur de nombreuses activités"}
ANY_CAF = "*"  # the subject of a job an operator started: no Caf of its own
NOT_FOUND = "Traitement introuvable."

Batch = Callable[[ServiceRuntime, uuid.UUID, int], Awaitable[bool]]


def runner(runtime: ServiceRuntime, kind: str, batch: Batch, batch_size: int) -> JobRunner:
    """The service's runner of ``kind`` jobs (one per runtime: its lock keeps one batch of that kind at a time)."""
    found = runtime.state.get(kind)
    if found is None:
        found = runtime.state[kind] = JobRunner(runtime.db, kind, partial(batch, runtime), batch_size)
    return found


async def started(runtime: ServiceRuntime, runner: JobRunner, job_id: uuid.UUID) -> None:
    """A job just created: run at once and waited for ``job_wait_seconds`` (a small one answers done); with no wait
    it is left to the background loop, woken now."""
    wait = runtime.settings.job_wait_seconds  # type: ignore[attr-defined]
    if wait > 0:
        await runner.finished_within(job_id, wait)
    else:
        runner.kick()


def claims_of(caller: ForwardedCaller) -> dict[str, Any]:
    """The caller's rights as the job keeps them (never its credential: a job acts on its own)."""
    return {
        "kind": caller.kind,
        "user_id": str(caller.user_id) if caller.user_id else None,
        "partner_id": str(caller.partner_id) if caller.partner_id else None,
        "caf_code": caller.caf_code,
        "groups": sorted(caller.groups),
        "caf_roles": sorted(caller.caf_roles),
    }


def caller_of(claims: dict[str, Any]) -> ForwardedCaller:
    return ForwardedCaller(
        kind=claims["kind"],
        user_id=uuid.UUID(claims["user_id"]) if claims.get("user_id") else None,
        partner_id=uuid.UUID(claims["partner_id"]) if claims.get("partner_id") else None,
        caf_code=claims.get("caf_code"),
        groups=frozenset(claims.get("groups") or ()),
        caf_roles=frozenset(claims.get("caf_roles") or ()),
    )


def may_follow(caller: ForwardedCaller, job: BackgroundJob) -> bool:
    return (
        caller.kind == "operator"
        or (caller.user_id is not None and caller.user_id == job.requested_by)
        or (caller.kind == "caf" and caller.caf_code is not None and caller.caf_code == job.subject)
    )


async def view(runtime: ServiceRuntime, caller: ForwardedCaller, job_id: uuid.UUID) -> dict[str, Any]:
    """A job's progress and report, for whoever may follow it (anyone else learns nothing of it)."""
    async with runtime.db.sessions() as session:
        job = await session.get(BackgroundJob, job_id)
        if job is None or job.kind not in LABELS:
            raise RpcFailure("not_found", NOT_FOUND)
        if not may_follow(caller, job):
            raise RpcFailure("forbidden", "Ce traitement a été lancé par une autre personne ou une autre Caf.")
        outcomes: dict[str, int] = payload_of(job).get("outcomes") or {}  # kept there once the import is done
        if job.kind == IMPORT and job.finished_at is None:
            counted = await session.execute(
                sa.select(ImportRecord.outcome, sa.func.count())
                .where(ImportRecord.job_id == job.id, ImportRecord.outcome.is_not(None))
                .group_by(ImportRecord.outcome)
            )
            outcomes = {str(outcome): int(n) for outcome, n in counted.all()}
    return reply(job, outcomes)


def reply(job: BackgroundJob, outcomes: dict[str, int] | None = None) -> dict[str, Any]:
    shown = progress(job)
    shown["refusees"] = _within_reply(sorted(shown["refusees"], key=lambda r: r["ligne"]))
    answer = {**shown, "libelle": LABELS[job.kind], "suivi": f"{JOBS_PATH}/{job.id}"}
    if outcomes is not None and job.kind == IMPORT:
        answer["modifiees"] = outcomes.get("modifiee", 0)
        answer["inchangees"] = outcomes.get("inchangee", 0)
    return answer


def payload_of(job: BackgroundJob) -> dict[str, Any]:
    return json.loads(job.payload)
