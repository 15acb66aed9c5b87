"""Declaration's copy of the catalogue, from habilitation's events; a new activity joins the campaigns
of its Caf and family already open."""

from __future__ import annotations

import json

from afas_declaration.adapters.tables import ActivityCopy, Campaign
from afas_declaration.application.campaigns import expect, lock_campaigns
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import ActivityClosedV1, ActivityRegisteredV1, ActivityUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import stale


class ActivityNotYetKnown(LookupError):
    """A closure overtook the registration (each subject has its own consumer): retried later."""


async def on_activity_state(uow: UnitOfWork, envelope: Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]) -> None:
    a = envelope.data
    row = await uow.session.get(ActivityCopy, a.activity_id)
    if row is not None and row.version >= envelope.aggregate_version:
        stale()
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
    # The campaigns' lock, then their state: a campaign being opened now either committed first (it is opened
    # here) or waits for this commit and then reads this copy (campaigns.open_due). Nothing falls in between.
    for campaign in await lock_campaigns(uow.session, Campaign.caf_code == row.caf_code, Campaign.family == row.family):
        if campaign.opened:
            await expect(uow, campaign, row)


async def on_activity_closed(uow: UnitOfWork, envelope: Envelope[ActivityClosedV1]) -> None:
    row = await uow.session.get(ActivityCopy, envelope.data.activity_id)
    if row is None:
        raise ActivityNotYetKnown(str(envelope.data.activity_id))
    if row.version < envelope.aggregate_version:
        row.closing_date, row.version = envelope.data.closing_date, envelope.aggregate_version
    else:
        stale()
