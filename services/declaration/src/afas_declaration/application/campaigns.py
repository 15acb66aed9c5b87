"""Campaigns: a Caf's calendar of declarations. At the opening date every activity of that Caf and
PS family active during the exercice gets its expected declaration, with the forms it needs.

Opening a campaign and registering an activity (``activity_copy``) meet in either order: the start of the opening
job and a registration are ordered by the campaign's row lock, and both then insert each declaration if absent
against the unique (campaign, activity) index (``expected_declarations``), so nothing is missed and nothing created
twice. ``reconcile`` revisits every opened campaign periodically and creates what is still missing (an activity
copied by an older release, a bug): each repair is logged and counted
(``afas_declaration_reconciliation_repairs_total``).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date
from typing import Any, Literal, get_args

import sqlalchemy as sa
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field

from afas_declaration.adapters.tables import ActivityCopy, Campaign, CampaignAction, Declaration
from afas_declaration.application import campaign_opening
from afas_declaration.application.errors import Conflict, Forbidden, Invalid
from afas_declaration.application.expected_declarations import active_during, expect
from afas_declaration.domain.access_policy import Access
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.declaration import CampaignOpenedV1
from afas_shared.contracts.rpc.habilitation import Family
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
# The activity families habilitation knows: one list, the contracts' (a test keeps it equal to habilitation's domain)
FAMILIES: tuple[str, ...] = get_args(Family)
EXERCICE_MIN, EXERCICE_MAX = 2000, 2100


def check_exercice(exercice: int | None) -> None:
    """A filter on the exercice: a year the platform may hold (a huge number would overflow the database)."""
    if exercice is not None and not EXERCICE_MIN <= exercice <= EXERCICE_MAX:
        message = f"Exercice invalide : une année entre {EXERCICE_MIN} et {EXERCICE_MAX}."
        raise Invalid(message, "exercice")


class CampaignInput(BaseModel):
    """A campaign to open, its fields named as the public API names them (``type_activite``, ``date_limite``…), so
    that a refusal naming a field names the API's, with no map between; the attributes keep declaration's names."""

    model_config = ConfigDict(validate_by_alias=True, validate_by_name=True)

    family: Literal[FAMILIES] = Field(alias="type_activite")  # type: ignore[valid-type]
    exercice: int = Field(ge=EXERCICE_MIN, le=EXERCICE_MAX)
    declaration_type: Literal[tuple(DECLARATION_TYPES)] = Field(alias="type_declaration")  # type: ignore[valid-type]
    opening_date: date = Field(alias="date_ouverture")
    deadline: date = Field(alias="date_limite")
    caf_code: str | None = Field(default=None, pattern=r"^\d{3}$", alias="caf", description="For the operator only")


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
        "cloturee_le": c.closed_at.isoformat() if c.closed_at else None,
        **campaign_opening.opening_of(c),
    }


async def create(runtime: ServiceRuntime, caller: ForwardedCaller, data: CampaignInput) -> dict[str, Any]:
    if not Access(caller).on_own_caf().opens_campaigns:
        raise Forbidden("Seuls les agents de paramétrage de la Caf ouvrent les campagnes.")
    caf_code = data.caf_code if caller.kind == "operator" else caller.caf_code  # an agent opens its own Caf's
    if caf_code is None:
        raise Invalid("Indiquez la Caf de la campagne.", "caf")
    if data.deadline <= data.opening_date:
        raise Invalid("La date limite doit être postérieure à la date d'ouverture.", "date_limite")
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
        uow.session.add(action_record(runtime, caller, campaign.id, "open", "created"))
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
    started = await campaign_opening.start_due(runtime)
    if campaign.id in started:  # its date has come: a small campaign answers opened, a large one « en cours »
        wait = runtime.settings.campaign_opening_wait_seconds
        await campaign_opening.opener(runtime).finished_within(started[campaign.id], wait)
    async with runtime.db.sessions() as session:
        return view(await session.get(Campaign, campaign.id))


def action_record(
    runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID, action: str, outcome: str
) -> CampaignAction:
    """One line of a campaign's audit trail: who did what to it, when, and what came of it."""
    return CampaignAction(
        at=runtime.clock.now(),
        campaign_id=campaign_id,
        action=action,
        actor_kind=caller.kind,
        actor_user_id=caller.user_id,
        outcome=outcome,
    )


async def reconcile(runtime: ServiceRuntime, campaign_id: uuid.UUID | None = None) -> int:
    """Create the expected declarations still missing in opened campaigns (or in this one); idempotent, run
    periodically and on demand (``campaign_admin.rerun_reconciliation``). A closed campaign expects no more.

    Returns how many it created; each is logged (warning) and counted: a gap is a defect to look into.
    """
    only = [Campaign.id == campaign_id] if campaign_id is not None else []
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
                    Campaign.closed_at.is_(None),
                    *only,
                    ~sa.exists().where(
                        Declaration.campaign_id == Campaign.id, Declaration.activity_id == ActivityCopy.activity_id
                    ),
                )
            )
        ).all()
    gaps: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for campaign_id, exercice, activity in missing:
        if active_during(activity, exercice):
            gaps[campaign_id].append(activity.activity_id)
    repaired = 0
    for campaign_id, activity_ids in gaps.items():
        async with runtime.unit_of_work() as uow:
            # No lock: a registration creating the same declaration meanwhile wins, and this insert does nothing
            campaign = await uow.session.get(Campaign, campaign_id, populate_existing=True)
            if campaign is None:
                continue
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


async def visible_to(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    query = sa.select(Campaign).order_by(Campaign.exercice.desc(), Campaign.opening_date)
    if not Access(caller).on_own_caf().caf_member:
        raise Forbidden("Le paramétrage des campagnes est réservé aux agents de la Caf.")
    if caller.kind != "operator":  # the operator sees every Caf's
        query = query.where(Campaign.caf_code == caller.caf_code)
    async with runtime.db.sessions() as session:
        return [view(c) for c in (await session.execute(query)).scalars()]
