"""The expected declarations of a campaign: which activities get one, created once each with their forms and their
``declaration.declaration_expected.v1``, under the campaign's lock (opening, a late activity, the reconciliation).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_shared.contracts.events.declaration import DeclarationExpectedV1, ExpectedFormV1
from afas_shared.messaging.unit_of_work import UnitOfWork


async def lock_campaigns(session: AsyncSession, *where: sa.ColumnElement[bool]) -> list[Campaign]:
    """The campaigns matching ``where``, locked until the transaction ends, read after the lock (fresh).

    PostgreSQL: their rows, ``FOR UPDATE``. SQLite has no row locks: a no-op write takes the database's
    write lock, which serialises the writers the same way.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = sa.select(Campaign).where(*where).order_by(Campaign.id).with_for_update()
    else:
        await session.execute(
            sa.update(Campaign)
            .where(*where)
            .values(opened=Campaign.opened)
            .execution_options(synchronize_session=False)
        )
        query = sa.select(Campaign).where(*where).order_by(Campaign.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


def active_during(activity: ActivityCopy, exercice: int) -> bool:
    return activity.opening_date <= date(exercice, 12, 31) and (
        activity.closing_date is None or activity.closing_date >= date(exercice, 1, 1)
    )


async def expect(uow: UnitOfWork, campaign: Campaign, activity: ActivityCopy) -> bool:
    """The activity's declaration for this campaign, once; True when it created it (see ``expect_many``)."""
    return await expect_many(uow, campaign, [activity]) == 1


@dataclass(frozen=True)
class Expected:
    """One activity's declaration, its forms and its event, built before anything is locked."""

    activity_id: uuid.UUID
    declaration: dict[str, Any]
    forms: list[dict[str, Any]]
    event: tuple[DeclarationExpectedV1, str, int]


async def expect_many(uow: UnitOfWork, campaign: Campaign, activities: list[ActivityCopy]) -> int:
    """Each activity's declaration for this campaign, once (``prepare`` then ``store``); how many it created.

    The caller holds the campaign's lock (``lock_campaigns``), so two callers never both create one.
    """
    return await store(uow, campaign, prepare(campaign, activities))


def prepare(campaign: Campaign, activities: list[ActivityCopy]) -> list[Expected]:
    """The declarations the activities active during the exercice expect, with their forms (activity data per site
    where multi-site) and events: pure work, done before the campaign is locked so the lock lasts the writes only."""
    prepared = []
    for activity in activities:
        if not active_during(activity, campaign.exercice):
            continue
        declaration_id = uuid.uuid4()
        forms = _forms_of(declaration_id, activity)
        event = DeclarationExpectedV1(
            declaration_id=declaration_id,
            campaign_id=campaign.id,
            activity_id=activity.activity_id,
            partner_id=activity.partner_id,
            caf_code=campaign.caf_code,
            exercice=campaign.exercice,
            declaration_type=campaign.declaration_type,
            deadline=campaign.deadline,
            forms=[
                ExpectedFormV1(form_id=f["id"], kind=f["kind"], site_id=f["site_id"], requested=True) for f in forms
            ],
        )
        declaration = {
            "id": declaration_id,
            "campaign_id": campaign.id,
            "activity_id": activity.activity_id,
            "partner_id": activity.partner_id,
            "caf_code": campaign.caf_code,
            "exercice": campaign.exercice,
            "declaration_type": campaign.declaration_type,
        }
        prepared.append(Expected(activity.activity_id, declaration, forms, (event, str(declaration_id), 1)))
    return prepared


async def store(uow: UnitOfWork, campaign: Campaign, prepared: list[Expected]) -> int:
    """Write the prepared declarations that do not exist yet: one query for those that exist, one executemany per
    table and one for the events. The caller holds the campaign's lock. How many it created."""
    if not prepared:
        return 0
    existing = set(
        (
            await uow.session.execute(
                sa.select(Declaration.activity_id).where(
                    Declaration.campaign_id == campaign.id,
                    Declaration.activity_id.in_([e.activity_id for e in prepared]),
                )
            )
        ).scalars()
    )
    new = [e for e in prepared if e.activity_id not in existing]
    if new:
        # Core inserts of the tables: the ORM's bulk path costs more than the rows
        await uow.session.execute(sa.insert(Declaration.__table__), [e.declaration for e in new])
        await uow.session.execute(sa.insert(DeclarationForm.__table__), [f for e in new for f in e.forms])
        await uow.publish_all(e.event for e in new)
    return len(new)


def _forms_of(declaration_id: uuid.UUID, activity: ActivityCopy) -> list[dict[str, Any]]:
    """The declaration's forms: one activity form per site of a multi-site activity (else one), one financial."""
    sites = json.loads(activity.sites)
    per_site = activity.site_mode != "mono_lieu" and len(sites) > 1
    where = [(uuid.UUID(s["site_id"]), s["name"]) for s in sites] if per_site else [(None, None)]
    forms = [
        {"id": uuid.uuid4(), "declaration_id": declaration_id, "kind": "activite", "site_id": site, "site_name": name}
        for site, name in where
    ]
    forms.append(
        {"id": uuid.uuid4(), "declaration_id": declaration_id, "kind": "financier", "site_id": None, "site_name": None}
    )
    return forms
