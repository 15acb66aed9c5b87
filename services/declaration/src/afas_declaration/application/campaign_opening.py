"""Opening a campaign: a background job that gives each activity of the Caf and family its expected declaration,
one batch of ``campaign_opening_batch_size`` activities per transaction (keyset order on the activity id).

A batch is set-based and takes no lock but its job's: it reads the next activities after the job's cursor (one
query), inserts their declarations if absent (one executemany, ``ON CONFLICT DO NOTHING`` against the unique
(campaign, activity) index), then the forms and the outbox rows of those it inserted (one executemany each), and
advances the cursor (``afas_shared.jobs.runner.advance``), all in one short transaction. A registration during the
opening inserts its own declaration if absent (``activity_copy``): whichever of the two comes second does nothing,
so nothing is created twice and neither waits for the campaign's row. A crash rolls the batch back whole and the
job resumes after its last committed batch. The campaign is ``opened`` when the last batch commits; ``reconcile``
looks at opened campaigns only.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.application.expected_declarations import ACTIVITY_COLUMNS, lock_campaigns, prepare, store
from afas_declaration.domain.access_policy import Access
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.jobs.runner import JobRunner, advance, fresh_job
from afas_shared.jobs.tables import BackgroundJob, progress
from afas_shared.runtime import ServiceRuntime

KIND = "campaign_opening"
JOBS_PATH = "/api/v1/jobs"


def opener(runtime: ServiceRuntime) -> JobRunner:
    """The service's runner of opening jobs (one per runtime: its lock keeps one opening batch at a time here)."""
    runner = runtime.state.get(KIND)
    if runner is None:
        batch_size = runtime.settings.campaign_opening_batch_size
        runner = runtime.state[KIND] = JobRunner(runtime.db, KIND, partial(open_batch, runtime), batch_size)
    return runner


async def start_due(runtime: ServiceRuntime) -> dict[uuid.UUID, uuid.UUID]:
    """A job for each campaign whose opening date has come and that has none yet: {campaign id: job id}."""
    today = paris_today(runtime.clock.now())
    async with runtime.db.sessions() as session:
        due = list(
            (
                await session.execute(
                    sa.select(Campaign.id).where(
                        sa.not_(Campaign.opened),
                        Campaign.opening_job_id.is_(None),
                        Campaign.opening_date <= today,
                        Campaign.closed_at.is_(None),  # closed before its date: it never opens
                    )
                )
            ).scalars()
        )
    started: dict[uuid.UUID, uuid.UUID] = {}
    for campaign_id in due:
        async with runtime.unit_of_work() as uow:
            # The one moment the campaign is locked: a registration reading it (``joined_campaigns``) either
            # committed before, and the batches read its activity, or reads the job after, and joins it itself
            [campaign] = await lock_campaigns(uow.session, Campaign.id == campaign_id)
            if campaign.opening_job_id is not None:  # another replica was quicker
                continue
            total = await uow.session.scalar(
                sa.select(sa.func.count()).where(
                    ActivityCopy.caf_code == campaign.caf_code, ActivityCopy.family == campaign.family
                )
            )
            job = BackgroundJob(
                id=uuid.uuid4(),
                kind=KIND,
                subject=str(campaign.id),
                requested_by=campaign.created_by,
                total=total,
                created_at=runtime.clock.now(),
            )
            uow.session.add(job)
            campaign.opening_job_id = job.id
            started[campaign.id] = job.id
    return started


async def open_due(runtime: ServiceRuntime) -> int:
    """Start the opening of every campaign whose date has come and run the openings to their end (at start,
    periodically): how many openings it started."""
    started = await start_due(runtime)
    await opener(runtime).run_pending()
    return len(started)


async def open_batch(runtime: ServiceRuntime, job_id: uuid.UUID, batch_size: int) -> bool:
    """One batch of an opening job, one transaction; True while there are activities left."""
    async with runtime.unit_of_work() as uow:
        job = await fresh_job(uow.session, job_id)
        if job is None or job.finished_at is not None:
            return False
        campaign = await uow.session.get(Campaign, uuid.UUID(job.subject), populate_existing=True)
        if campaign is None:  # deleted under its job: nothing left to open
            await advance(uow.session, job, cursor=job.cursor, handled=0, created=0, now=runtime.clock.now(), done=True)
            return False
        query = (
            sa.select(*ACTIVITY_COLUMNS)
            .where(ActivityCopy.caf_code == campaign.caf_code, ActivityCopy.family == campaign.family)
            .order_by(ActivityCopy.activity_id)
            .limit(batch_size)
        )
        if job.cursor is not None:
            query = query.where(ActivityCopy.activity_id > uuid.UUID(job.cursor))
        activities = (await uow.session.execute(query)).all()
        created = await store(uow, prepare(campaign, activities))
        done = len(activities) < batch_size
        if done:  # an UPDATE's row lock does not conflict with the registrations' FOR KEY SHARE
            campaign.opened = True
        cursor = str(activities[-1].activity_id) if activities else job.cursor
        now = runtime.clock.now()
        await advance(uow.session, job, cursor=cursor, handled=len(activities), created=created, now=now, done=done)
    return not done


def opening_of(campaign: Campaign) -> dict[str, Any]:
    """Where the campaign's opening stands, for its view: the job to follow while it runs."""
    job_id = campaign.opening_job_id
    state = "terminee" if campaign.opened else "en_cours" if job_id is not None else "en_attente"
    return {
        "job_id": str(job_id) if job_id is not None else None,
        "etat": state,
        "suivi": f"{JOBS_PATH}/{job_id}" if job_id is not None else None,
    }


async def job_view(runtime: ServiceRuntime, caller: ForwardedCaller, job_id: uuid.UUID) -> dict[str, Any]:
    """An opening job's progress, for the Caf of its campaign (or the operator)."""
    if not Access(caller).on_own_caf().caf_member:
        raise Forbidden("Le suivi des traitements est réservé aux agents de la Caf.")
    async with runtime.db.sessions() as session:
        job = await session.get(BackgroundJob, job_id)
        campaign = await session.get(Campaign, uuid.UUID(job.subject)) if job is not None else None
    if job is None or campaign is None:
        raise NotFound("Traitement introuvable.")
    if not Access(caller).on_caf(campaign.caf_code).caf_member:
        raise Forbidden("Ce traitement concerne une autre Caf.")
    return {**progress(job), "libelle": "Ouverture de la campagne", "campagne_id": str(campaign.id)}
