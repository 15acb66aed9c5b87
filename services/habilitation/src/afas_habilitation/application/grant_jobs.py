"""Bulk grants as a background job (issue 16): a role over thousands of activities answered at once (202), given in
batches that each commit, with its progress and final report to follow.

Up to ``grant_job_threshold`` activities a grant stays what it was: answered with its lines, all or none. Beyond,
who may grant whom is checked at once (a refusal is immediate), then the job gives the lines a batch at a time, in
the scope's order (its cursor: the position reached, or the last activity id when « toutes les activités »); a line
that breaks a rule is refused in the report (its position and why) and the others are given. A crash rolls the batch
back and the job resumes after the last committed one, so no line is given twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.job_tables import BackgroundJob
from afas_habilitation.adapters.tables import Activity, RoleGrant, Site
from afas_habilitation.application import grants, jobs
from afas_habilitation.application.grants import (
    declarer_on,
    facts,
    granted,
    grantee,
    line_facts,
    new_line,
    open_grants,
)
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.rpc.habilitation import GrantRequestV1
from afas_shared.jobs.runner import JobRunner, advance, fresh_job
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime


def granter(runtime: ServiceRuntime) -> JobRunner:
    return jobs.runner(runtime, jobs.BULK_GRANT, grant_batch, runtime.settings.grant_batch_size)  # type: ignore[attr-defined]


# what a line is checked against, read as plain rows (no ORM object per activity)
_CHECKED = (Activity.id, Activity.partner_id, Activity.family, Activity.site_mode, Activity.name)


def _open_on(day: date) -> sa.ColumnElement[bool]:
    return sa.or_(Activity.closing_date.is_(None), Activity.closing_date >= day)


async def grant_or_start(runtime: ServiceRuntime, caller: ForwardedCaller, data: GrantRequestV1) -> dict[str, Any]:
    """The grant's lines when it is small, else the job giving them (« en cours », or done within a short wait)."""
    now = runtime.clock.now()
    start = data.start_date or paris_today(now)
    async with runtime.db.sessions() as session:
        _, partner = await grantee(session, caller, data)
        size = (
            int(
                await session.scalar(
                    sa.select(sa.func.count()).where(Activity.partner_id == partner.partner_id, _open_on(start))
                )
                or 0
            )
            if data.all_activities
            else len(data.scope)
        )
    if size <= runtime.settings.grant_job_threshold:  # type: ignore[attr-defined]
        return {"lignes": await grants.grant(runtime, caller, data)}
    job_id = data.job_id or uuid.uuid4()
    async with runtime.db.sessions() as session:
        if await session.get(BackgroundJob, job_id) is not None:  # the same request again: the job it started
            return {"traitement": await jobs.view(runtime, caller, job_id)}
    async with runtime.unit_of_work() as uow:
        payload = {
            "caller": jobs.claims_of(caller),
            "request": data.model_dump(mode="json", by_alias=True, exclude={"job_id"}),
            "group_id": str(uuid.uuid4()),
            "start": start.isoformat(),
        }
        job = BackgroundJob(
            id=job_id,
            kind=jobs.BULK_GRANT,
            subject=partner.caf_code,
            requested_by=caller.user_id,
            total=size,
            payload=json.dumps(payload),
            created_at=now,
        )
        uow.session.add(job)
    await jobs.started(runtime, granter(runtime), job.id)
    return {"traitement": await jobs.view(runtime, caller, job.id)}


async def grant_batch(runtime: ServiceRuntime, job_id: uuid.UUID, batch_size: int) -> bool:
    """One batch of a bulk grant, one transaction; True while there are activities left."""
    async with runtime.unit_of_work() as uow:
        job = await fresh_job(uow.session, job_id)
        if job is None or job.finished_at is not None:
            return False
        payload = jobs.payload_of(job)
        data = GrantRequestV1.model_validate(payload["request"])
        start, group_id = date.fromisoformat(payload["start"]), uuid.UUID(payload["group_id"])
        now = runtime.clock.now()
        try:  # the account may have been suspended since the job started: nothing more is given then
            user, partner = await grantee(uow.session, jobs.caller_of(payload["caller"]), data)
        except RpcFailure as refusal:
            stop = [{"ligne": job.processed + 1, "motif": f"Traitement arrêté : {refusal.detail}"}]
            await advance(uow.session, job, cursor=job.cursor, handled=0, created=0, now=now, done=True, refused=stop)
            return False
        if data.all_activities:
            query = sa.select(*_CHECKED).where(Activity.partner_id == partner.partner_id, _open_on(start))
            if job.cursor is not None:
                query = query.where(Activity.id > uuid.UUID(job.cursor))
            found = (await uow.session.execute(query.order_by(Activity.id).limit(batch_size))).all()
            items: list[tuple[uuid.UUID, uuid.UUID | None]] = [(a.id, None) for a in found]
            cursor, done = (str(found[-1].id) if found else job.cursor), len(found) < batch_size
        else:
            offset = int(job.cursor or 0)
            items = [(s.activity_id, s.site_id) for s in data.scope[offset : offset + batch_size]]
            cursor, done = str(offset + len(items)), offset + len(items) >= len(data.scope)
        activity_ids = [activity_id for activity_id, _ in items]
        activities = {
            a.id: a for a in (await uow.session.execute(sa.select(*_CHECKED).where(Activity.id.in_(activity_ids))))
        }
        site_ids = [site_id for _, site_id in items if site_id is not None]
        sites = {s.id: s for s in (await uow.session.execute(sa.select(Site).where(Site.id.in_(site_ids)))).scalars()}
        in_declarer = await declarer_on(uow.session, user.user_id, start)
        # the open grants of each activity: a line is checked against its own activity's only (not the batch's)
        existing: dict[uuid.UUID, list] = {}
        for grant in await open_grants(uow.session, activity_ids, start):
            existing.setdefault(grant.activity_id, []).append(facts(grant))
        lines: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        for position, (activity_id, site_id) in enumerate(items, start=job.processed + 1):
            activity = activities.get(activity_id)
            if activity is None:
                refused.append({"ligne": position, "motif": f"Ligne {position} : activité inconnue."})
                continue
            site = sites.get(site_id) if site_id is not None else None
            held = existing.setdefault(activity.id, [])
            line, problems = new_line(data, user, partner, activity, site_id, site, group_id, start, held, in_declarer)
            if problems:
                refused.append({"ligne": position, "motif": f"Ligne {position} ({activity.name}) : {problems[0]}"})
                continue
            held.append(line_facts(line))  # the next lines on this activity are checked against it
            lines.append(line)
        if lines:  # one multi-row INSERT and one for their events: no ORM object per line
            await uow.session.execute(sa.insert(RoleGrant.__table__), lines)
            await uow.publish_all(granted(line) for line in lines)
        await advance(
            uow.session, job, cursor=cursor, handled=len(items), created=len(lines), now=now, done=done, refused=refused
        )
    return not done
