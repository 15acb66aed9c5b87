"""Opening a campaign: a background job that gives each activity of the Caf and family its expected declaration,
one batch of ``campaign_opening_batch_size`` activities per transaction (keyset order on the activity id).

Each batch locks the campaign's row (as a registration does, ``activity_copy``), reads the next activities after the
job's cursor, creates their declarations, forms and events (outbox, same transaction) and advances the cursor
(``afas_shared.jobs.runner.advance``). Once the job has started, a registration joins the campaign itself: an
activity before the cursor is the registration's to create, one after it the job's, and both check under the
lock that the declaration does not exist yet — nothing is created twice, whatever crashes and resumes. The
campaign is ``opened`` when the last batch commits; ``reconcile`` looks at opened campaigns only.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.application.expected_declarations import lock_campaigns, prepare, store
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
                        sa.not_(Campaign.opened), Campaign.opening_job_id.is_(None), Campaign.opening_date <= today
                    )
                )
            ).scalars()
        )
    started: dict[uuid.UUID, uuid.UUID] = {}
    for campaign_id in due:
        async with runtime.unit_of_work() as uow:
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
        # PostgreSQL reads what is committed at each statement: the campaign is locked for the writes only (below).
        # SQLite reads one snapshot per transaction: locked before the first read, or the writes would not see a
        # registration committed in between.
        lock_late = uow.session.get_bind().dialect.name == "postgresql"
        campaign_id = uuid.UUID(job.subject)
        if lock_late:
            campaign = await uow.session.get(Campaign, campaign_id)
        else:
            [campaign] = await lock_campaigns(uow.session, Campaign.id == campaign_id)
        query = (
            sa.select(ActivityCopy)
            .where(ActivityCopy.caf_code == campaign.caf_code, ActivityCopy.family == campaign.family)
            .order_by(ActivityCopy.activity_id)
            .limit(batch_size)
        )
        if job.cursor is not None:
            query = query.where(ActivityCopy.activity_id > uuid.UUID(job.cursor))
        activities = list((await uow.session.execute(query)).scalars())
        prepared = prepare(campaign, activities)
        if lock_late:  # a registration committed meanwhile read this job started and joined the campaign itself
            [campaign] = await lock_campaigns(uow.session, Campaign.id == campaign_id)
        created = await store(uow, campaign, prepared)
        done = len(activities) < batch_size
        if done:
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
