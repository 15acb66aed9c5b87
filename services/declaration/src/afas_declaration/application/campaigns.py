"""Campaigns: a Caf's calendar of declarations. At the opening date every activity of that Caf and
PS family active during the exercice gets its expected declaration, with the forms it needs.

Opening a campaign and registering an activity (``activity_copy``) meet in either order: both take the lock of
the campaigns concerned (``lock_campaigns``) before reading what the other writes, so the later of the two
sees the other's work and creates the expected declaration. ``reconcile`` revisits every opened campaign
periodically and creates what is still missing (an activity copied by an older release, a lock defeated by a
bug): each repair is logged and counted (``afas_declaration_reconciliation_repairs_total``).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from prometheus_client import Counter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application.errors import Conflict, Forbidden, Invalid
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.declaration import CampaignOpenedV1, DeclarationExpectedV1, ExpectedFormV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

REPAIRS = Counter(
    "afas_declaration_reconciliation_repairs_total",
    "Gaps the periodic reconciliation found and repaired (an opened campaign without an activity's declaration)",
    ["kind"],
)

FORM_VERSION = "2026.1"
DECLARATION_TYPES = {
    "previsionnelle": "Prévisionnelle",
    "actualisee_juin": "Actualisée janvier à juin",
    "actualisee_septembre": "Actualisée janvier à septembre",
    "reelle": "Réelle",
}
FAMILIES = (
    "eaje_psu",
    "alsh",
    "rpe",
    "laep",
    "espace_rencontre",
    "mediation_familiale",
    "ps_jeunes",
    "centre_social_agc",
    "centre_social_acf",
    "clas",
    "ctg",
)
EXERCICE_MIN, EXERCICE_MAX = 2000, 2100


def check_exercice(exercice: int | None) -> None:
    """A filter on the exercice: a year the platform may hold (a huge number would overflow the database)."""
    if exercice is not None and not EXERCICE_MIN <= exercice <= EXERCICE_MAX:
        message = f"Exercice invalide : une année entre {EXERCICE_MIN} et {EXERCICE_MAX}."
        raise Invalid(message, "exercice")


class CampaignInput(BaseModel):
    family: Literal[FAMILIES]  # type: ignore[valid-type]
    exercice: int = Field(ge=EXERCICE_MIN, le=EXERCICE_MAX)
    declaration_type: Literal[tuple(DECLARATION_TYPES)]  # type: ignore[valid-type]
    opening_date: date
    deadline: date
    caf_code: str | None = Field(default=None, pattern=r"^\d{3}$", description="For the operator only")


def view(c: Campaign) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "caf": c.caf_code,
        "type_activite": c.family,
        "exercice": c.exercice,
        "type_declaration": c.declaration_type,
        "type_declaration_libelle": DECLARATION_TYPES[c.declaration_type],
        "date_ouverture": c.opening_date.isoformat(),
        "date_limite": c.deadline.isoformat(),
        "ouverte": c.opened,
        "version_formulaires": c.form_version,
    }


async def create(runtime: ServiceRuntime, caller: ForwardedCaller, data: CampaignInput) -> dict[str, Any]:
    if caller.kind == "operator":
        caf_code = data.caf_code
        if caf_code is None:
            raise Invalid("Indiquez la Caf de la campagne.", "caf_code")
    elif caller.kind == "caf" and "parametrage" in caller.caf_roles:
        caf_code = caller.caf_code
    else:
        raise Forbidden("Seuls les agents de paramétrage de la Caf ouvrent les campagnes.")
    if data.deadline <= data.opening_date:
        raise Invalid("La date limite doit être postérieure à la date d'ouverture.", "deadline")
    campaign = Campaign(
        id=uuid.uuid4(),
        caf_code=caf_code,
        family=data.family,
        exercice=data.exercice,
        declaration_type=data.declaration_type,
        form_version=FORM_VERSION,
        opening_date=data.opening_date,
        deadline=data.deadline,
        created_by=caller.user_id,
    )
    async with runtime.unit_of_work() as uow:
        same = await uow.session.execute(
            sa.select(Campaign.id).where(
                Campaign.caf_code == caf_code,
                Campaign.family == data.family,
                Campaign.exercice == data.exercice,
                Campaign.declaration_type == data.declaration_type,
            )
        )
        if same.first():
            raise Conflict(
                "Cette campagne existe déjà pour cette Caf, ce type d'activité, cet "
                "exercice et ce type de déclaration.",
            )
        uow.session.add(campaign)
        uow.publish(
            CampaignOpenedV1(
                campaign_id=campaign.id,
                caf_code=caf_code,
                family=campaign.family,
                exercice=campaign.exercice,
                declaration_type=campaign.declaration_type,
                opening_date=campaign.opening_date,
                deadline=campaign.deadline,
                form_version=campaign.form_version,
            ),
            subject=str(campaign.id),
            aggregate_version=1,
        )
    await open_due(runtime)
    async with runtime.db.sessions() as session:
        return view(await session.get(Campaign, campaign.id))


async def open_due(runtime: ServiceRuntime) -> int:
    """Open every campaign whose date has come (run at start, periodically, and after each creation)."""
    today = paris_today(runtime.clock.now())
    opened = 0
    async with runtime.db.sessions() as session:
        due = list(
            (
                await session.execute(
                    sa.select(Campaign.id).where(sa.not_(Campaign.opened), Campaign.opening_date <= today)
                )
            ).scalars()
        )
    for campaign_id in due:
        async with runtime.unit_of_work() as uow:
            # Locked before the activities are read: a registration being handled now either committed before
            # (it is read below) or waits for this commit and then finds the campaign opened (activity_copy).
            [campaign] = await lock_campaigns(uow.session, Campaign.id == campaign_id)
            if campaign.opened:  # another replica was quicker
                continue
            activities = (
                await uow.session.execute(
                    sa.select(ActivityCopy).where(
                        ActivityCopy.caf_code == campaign.caf_code, ActivityCopy.family == campaign.family
                    )
                )
            ).scalars()
            for activity in activities:
                await expect(uow, campaign, activity)
            campaign.opened = True
            opened += 1
    return opened


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


async def reconcile(runtime: ServiceRuntime) -> int:
    """Create the expected declarations still missing in opened campaigns; idempotent, run periodically.

    Returns how many it created; each is logged (warning) and counted: a gap is a defect to look into.
    """
    async with runtime.db.sessions() as session:
        missing = (
            await session.execute(
                sa.select(Campaign.id, Campaign.exercice, ActivityCopy)
                .join(
                    ActivityCopy,
                    sa.and_(ActivityCopy.caf_code == Campaign.caf_code, ActivityCopy.family == Campaign.family),
                )
                .where(
                    Campaign.opened,
                    ~sa.exists().where(
                        Declaration.campaign_id == Campaign.id, Declaration.activity_id == ActivityCopy.activity_id
                    ),
                )
            )
        ).all()
    gaps: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for campaign_id, exercice, activity in missing:
        if _active_during(activity, exercice):
            gaps[campaign_id].append(activity.activity_id)
    repaired = 0
    for campaign_id, activity_ids in gaps.items():
        async with runtime.unit_of_work() as uow:
            [campaign] = await lock_campaigns(uow.session, Campaign.id == campaign_id)
            for activity_id in activity_ids:
                activity = await uow.session.get(ActivityCopy, activity_id, populate_existing=True)
                if activity is not None and await expect(uow, campaign, activity):
                    repaired += 1
                    log.warning(
                        "reconciliation: campaign %s had no declaration for activity %s: created",
                        campaign_id,
                        activity_id,
                        extra={"campaign_id": str(campaign_id), "activity_id": str(activity_id)},
                    )
    if repaired:
        REPAIRS.labels("expected_declaration").inc(repaired)
        log.warning("reconciliation: %d missing expected declaration(s) created", repaired)
    return repaired


def _active_during(activity: ActivityCopy, exercice: int) -> bool:
    return activity.opening_date <= date(exercice, 12, 31) and (
        activity.closing_date is None or activity.closing_date >= date(exercice, 1, 1)
    )


async def expect(uow: UnitOfWork, campaign: Campaign, activity: ActivityCopy) -> bool:
    """The activity's declaration for this campaign, once: activity data per site where multi-site.

    True when it created it; the caller holds the campaign's lock (``lock_campaigns``), so two callers never both do.
    """
    if not _active_during(activity, campaign.exercice):
        return False
    exists = await uow.session.execute(
        sa.select(Declaration.id).where(
            Declaration.campaign_id == campaign.id, Declaration.activity_id == activity.activity_id
        )
    )
    if exists.first():
        return False
    declaration = Declaration(
        id=uuid.uuid4(),
        campaign_id=campaign.id,
        activity_id=activity.activity_id,
        partner_id=activity.partner_id,
        caf_code=campaign.caf_code,
        exercice=campaign.exercice,
        declaration_type=campaign.declaration_type,
    )
    sites = json.loads(activity.sites)
    per_site = activity.site_mode != "mono_lieu" and len(sites) > 1
    forms = (
        [
            DeclarationForm(
                id=uuid.uuid4(),
                declaration_id=declaration.id,
                kind="activite",
                site_id=uuid.UUID(s["site_id"]),
                site_name=s["name"],
            )
            for s in sites
        ]
        if per_site
        else [DeclarationForm(id=uuid.uuid4(), declaration_id=declaration.id, kind="activite")]
    )
    forms.append(DeclarationForm(id=uuid.uuid4(), declaration_id=declaration.id, kind="financier"))
    uow.session.add(declaration)
    uow.session.add_all(forms)
    uow.publish(
        DeclarationExpectedV1(
            declaration_id=declaration.id,
            campaign_id=campaign.id,
            activity_id=activity.activity_id,
            partner_id=activity.partner_id,
            caf_code=campaign.caf_code,
            exercice=campaign.exercice,
            declaration_type=campaign.declaration_type,
            deadline=campaign.deadline,
            forms=[ExpectedFormV1(form_id=f.id, kind=f.kind, site_id=f.site_id, requested=f.requested) for f in forms],
        ),
        subject=str(declaration.id),
        aggregate_version=1,
    )
    return True


async def visible_to(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    query = sa.select(Campaign).order_by(Campaign.exercice.desc(), Campaign.opening_date)
    if caller.kind == "caf":
        query = query.where(Campaign.caf_code == caller.caf_code)
    elif caller.kind != "operator":
        raise Forbidden("Le paramétrage des campagnes est réservé aux agents de la Caf.")
    async with runtime.db.sessions() as session:
        return [view(c) for c in (await session.execute(query)).scalars()]
