"""Campaigns: a Caf's calendar of declarations. At the opening date every activity of that Caf and
PS family active during the exercice gets its expected declaration, with the forms it needs."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.declaration import CampaignOpenedV1, DeclarationExpectedV1, ExpectedFormV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

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
        raise RpcFailure("invalid", message, "exercice")


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
            raise RpcFailure("invalid", "Indiquez la Caf de la campagne.", "caf_code")
    elif caller.kind == "caf" and "parametrage" in caller.caf_roles:
        caf_code = caller.caf_code
    else:
        raise RpcFailure("forbidden", "Seuls les agents de paramétrage de la Caf ouvrent les campagnes.")
    if data.deadline <= data.opening_date:
        raise RpcFailure("invalid", "La date limite doit être postérieure à la date d'ouverture.", "deadline")
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
            raise RpcFailure(
                "conflict",
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
            campaign = await uow.session.get(Campaign, campaign_id)
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


def _active_during(activity: ActivityCopy, exercice: int) -> bool:
    return activity.opening_date <= date(exercice, 12, 31) and (
        activity.closing_date is None or activity.closing_date >= date(exercice, 1, 1)
    )


async def expect(uow: UnitOfWork, campaign: Campaign, activity: ActivityCopy) -> None:
    """The activity's declaration for this campaign, once: activity data per site where multi-site."""
    if not _active_during(activity, campaign.exercice):
        return
    exists = await uow.session.execute(
        sa.select(Declaration.id).where(
            Declaration.campaign_id == campaign.id, Declaration.activity_id == activity.activity_id
        )
    )
    if exists.first():
        return
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


async def visible_to(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    query = sa.select(Campaign).order_by(Campaign.exercice.desc(), Campaign.opening_date)
    if caller.kind == "caf":
        query = query.where(Campaign.caf_code == caller.caf_code)
    elif caller.kind != "operator":
        raise RpcFailure("forbidden", "Le paramétrage des campagnes est réservé aux agents de la Caf.")
    async with runtime.db.sessions() as session:
        return [view(c) for c in (await session.execute(query)).scalars()]
