"""Declaration's copy of the catalogue, from habilitation's events; a new activity joins the campaigns
of its Caf and family already open.

Each event type has its own consumer, so an activity's events arrive in any order. Its data (registration, update)
and its closing date (registration, update, closure) each keep their own version, so a closure handled before an
older update keeps its date and the update still brings its name and sites; a closure that overtakes the
registration is kept until it arrives (``afas_shared.read_models.early_events``), never retried into a dead letter.

A declaration carries its activity's name (« Mes déclarations » is ordered by it, migration 0013): a rename applied
here renames the activity's declarations in the same transaction (``rename_declarations``). A campaign opening's
batch that read the former name before the rename committed inserts rows the rename's UPDATE did not see;
``reconcile_names``, run with the campaigns' reconciliation, brings those in step.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration
from afas_declaration.application.expected_declarations import expect, joined_campaigns, prepare, store
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import ActivityClosedV1, ActivityRegisteredV1, ActivityUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models import early_events
from afas_shared.read_models.early_events import EarlyEvent
from afas_shared.read_models.versioned import apply_groups, apply_groups_batch, apply_versioned
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


def _groups(a: ActivityRegisteredV1 | ActivityUpdatedV1) -> dict[str, dict[str, Any]]:
    data = {
        "partner_id": a.partner_id,
        "caf_code": a.caf_code,
        "family": a.family,
        "nature": a.nature,
        "name": a.name,
        "site_mode": a.site_mode,
        "sites": json.dumps([{"site_id": str(s.site_id), "name": s.name} for s in a.sites], ensure_ascii=False),
        "opening_date": a.opening_date,
    }
    return {"version": data, "closing_version": {"closing_date": a.closing_date}}


async def on_activity_state(uow: UnitOfWork, envelope: Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]) -> None:
    a = envelope.data
    groups = _groups(a)
    if not await apply_groups(uow.session, ActivityCopy, a.activity_id, envelope.aggregate_version, groups):
        return  # both groups hold newer versions: a counted no-op
    await early_events.release(uow, _waiting_for(a.activity_id), {ActivityClosedV1.subject(): on_activity_closed})
    await rename_declarations(uow.session, [a.activity_id])
    row = await uow.session.get(ActivityCopy, a.activity_id)
    # The campaigns whose opening started (a batch of it committed or not) are joined here, the declaration inserted
    # if absent: a batch that read this copy too inserts nothing the second time, whichever commits first
    # (``expected_declarations``). The read waits for a job's start only, never for a batch.
    for campaign in await joined_campaigns(
        uow.session, Campaign.caf_code == row.caf_code, Campaign.family == row.family, Campaign.closed_at.is_(None)
    ):
        if campaign.opened or campaign.opening_job_id is not None:
            await expect(uow, campaign, row)


async def on_activity_closed(uow: UnitOfWork, envelope: Envelope[ActivityClosedV1]) -> None:
    activity_id = envelope.data.activity_id
    if await uow.session.get(ActivityCopy, activity_id) is None:
        await early_events.keep(uow, envelope, _waiting_for(activity_id))  # applied when the registration comes
        return
    values = {"closing_date": envelope.data.closing_date}
    await apply_versioned(
        uow.session, ActivityCopy, activity_id, envelope.aggregate_version, values, version_column="closing_version"
    )


def _waiting_for(activity_id: uuid.UUID) -> str:
    return f"activity_copy:{activity_id}"


async def on_activity_states(
    uow: UnitOfWork, envelopes: Sequence[Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]]
) -> list[bool]:
    """``on_activity_state`` for a consumer's batch (issue 16): the copies read and written by two statements
    (``apply_groups_batch``), the kept closures looked for by one read, the campaigns read once per Caf and family;
    for each event whether it applied (False: stale, counted). The result is the one of the events one by one."""
    changes = [(e.data.activity_id, e.aggregate_version, _groups(e.data)) for e in envelopes]
    applied = await apply_groups_batch(uow.session, ActivityCopy, changes)
    activity_ids = list(dict.fromkeys(key for (key, _, _), done in zip(changes, applied, strict=True) if done))
    if not activity_ids:
        return [False] * len(envelopes)
    await rename_declarations(uow.session, activity_ids)
    waiting = [_waiting_for(activity_id) for activity_id in activity_ids]
    kept = await uow.session.execute(sa.select(EarlyEvent.waiting_for).where(col(EarlyEvent.waiting_for).in_(waiting)))
    for waiting_for in sorted(set(kept.scalars())):
        await early_events.release(uow, waiting_for, {ActivityClosedV1.subject(): on_activity_closed})
    rows = await uow.session.execute(sa.select(ActivityCopy).where(col(ActivityCopy.activity_id).in_(activity_ids)))
    by_family: dict[tuple[str, str], list[ActivityCopy]] = {}
    for row in rows.scalars():
        by_family.setdefault((row.caf_code, row.family), []).append(row)
    for (caf_code, family), members in sorted(by_family.items()):
        open_here = (Campaign.caf_code == caf_code, Campaign.family == family, Campaign.closed_at.is_(None))
        for campaign in await joined_campaigns(uow.session, *open_here):
            if campaign.opened or campaign.opening_job_id is not None:  # one insert-if-absent for the batch
                await store(uow, prepare(campaign, members))
    return [bool(done) for done in applied]


def _renaming(*where: sa.ColumnElement[bool]) -> sa.Update:
    """The declarations whose copied activity name differs from their activity's copy, given that name: one
    UPDATE … FROM (PostgreSQL and SQLite alike), writing only the rows that change."""
    return (
        sa.update(Declaration)
        .where(
            Declaration.activity_id == ActivityCopy.activity_id, Declaration.activity_name != ActivityCopy.name, *where
        )
        .values(activity_name=ActivityCopy.name)
        .execution_options(synchronize_session=False)
    )


async def rename_declarations(session: Any, activity_ids: Sequence[uuid.UUID]) -> None:
    """The activities' declarations given their copy's current name (after a registration or an update applied)."""
    await session.execute(_renaming(col(Declaration.activity_id).in_(activity_ids)))


async def reconcile_names(runtime: ServiceRuntime) -> int:
    """Every declaration whose activity name lags its copy's, brought in step; how many (logged when any)."""
    async with runtime.db.transaction() as session:
        renamed = (await session.execute(_renaming())).rowcount
    if renamed:
        log.info("reconciliation: %d declaration(s) given their activity's current name", renamed)
    return renamed
