"""Declaration's copy of the catalogue, from habilitation's events; a new activity joins the campaigns
of its Caf and family already open."""

from __future__ import annotations

import json

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign
from afas_declaration.application.campaigns import expect
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import ActivityClosedV1, ActivityRegisteredV1, ActivityUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork


class ActivityNotYetKnown(LookupError):
    """A closure overtook the registration (each subject has its own consumer): retried later."""


async def on_activity_state(uow: UnitOfWork, envelope: Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]) -> None:
    a = envelope.data
    row = await uow.session.get(ActivityCopy, a.activity_id)
    if row is not None and row.version >= envelope.aggregate_version:
        return
    row = row or ActivityCopy(
        activity_id=a.activity_id,
        partner_id=a.partner_id,
        caf_code=a.caf_code,
        family=a.family,
        nature=a.nature,
        name=a.name,
        site_mode=a.site_mode,
        opening_date=a.opening_date,
        version=envelope.aggregate_version,
    )
    row.caf_code, row.family, row.nature, row.name, row.site_mode = a.caf_code, a.family, a.nature, a.name, a.site_mode
    row.sites = json.dumps([{"site_id": str(s.site_id), "name": s.name} for s in a.sites], ensure_ascii=False)
    row.opening_date, row.closing_date, row.version = a.opening_date, a.closing_date, envelope.aggregate_version
    uow.session.add(row)
    await uow.session.flush()
    open_campaigns = await uow.session.execute(
        sa.select(Campaign).where(Campaign.opened, Campaign.caf_code == row.caf_code, Campaign.family == row.family)
    )
    for campaign in open_campaigns.scalars():
        await expect(uow, campaign, row)


async def on_activity_closed(uow: UnitOfWork, envelope: Envelope[ActivityClosedV1]) -> None:
    row = await uow.session.get(ActivityCopy, envelope.data.activity_id)
    if row is None:
        raise ActivityNotYetKnown(str(envelope.data.activity_id))
    if row.version < envelope.aggregate_version:
        row.closing_date, row.version = envelope.data.closing_date, envelope.aggregate_version
