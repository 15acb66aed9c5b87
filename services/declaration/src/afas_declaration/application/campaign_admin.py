"""What a Caf's paramétrage agent or the operator does to a campaign outside its calendar: close it, re-run its
reconciliation, read its audit trail. Each act is recorded in ``campaign_action`` (who, what, when, the outcome)
in the transaction that does it.

Closing a campaign means no declaration is expected in it any more: it does not open if its date has not come, a
late activity gets no declaration in it, the reconciliation passes it by. The declarations it already holds keep
their course (a closed campaign's declaration can still be completed, sent back, validated). Both acts are
idempotent: closing a closed campaign answers its first closing, a second reconciliation finds nothing to create.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import Campaign, CampaignAction
from afas_declaration.application import campaigns
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.domain.access_policy import Access
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.runtime import ServiceRuntime


async def _campaign_of(runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID) -> Campaign:
    """The campaign, if the caller sets up its Caf's campaigns (the operator: every Caf's)."""
    if not Access(caller).on_own_caf().opens_campaigns:
        raise Forbidden("Seuls les agents de paramétrage de la Caf gèrent les campagnes.")
    async with runtime.db.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
    if campaign is None or not manages(caller, campaign.caf_code):
        raise NotFound("Campagne introuvable.")
    return campaign


def manages(caller: ForwardedCaller, campaign_caf: str) -> bool:
    """Whether the caller closes and reconciles this Caf's campaigns: its paramétrage agents, the operator — what
    ``_campaign_of`` lets through, and what the campaign's page offers « Clôturer la campagne » by."""
    own = caller.kind == "operator" or campaign_caf == caller.caf_code
    return own and Access(caller).on_own_caf().opens_campaigns


async def close(runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID) -> dict[str, Any]:
    await _campaign_of(runtime, caller, campaign_id)
    async with runtime.unit_of_work() as uow:
        campaign = await uow.session.get(Campaign, campaign_id, populate_existing=True, with_for_update=True)
        if campaign.closed_at is None:
            campaign.closed_at = runtime.clock.now()
            outcome = "closed"
        else:
            outcome = "already closed"
        uow.session.add(campaigns.action_record(runtime, caller, campaign_id, "close", outcome))
    async with runtime.db.sessions() as session:
        return campaigns.view(await session.get(Campaign, campaign_id))


async def rerun_reconciliation(
    runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID
) -> dict[str, Any]:
    campaign = await _campaign_of(runtime, caller, campaign_id)
    created = await campaigns.reconcile(runtime, campaign_id)
    if campaign.closed_at is not None:
        outcome = "campaign closed: nothing expected"
    elif not campaign.opened:
        outcome = "campaign not opened yet: nothing to reconcile"
    else:
        outcome = f"{created} declaration(s) created"
    async with runtime.unit_of_work() as uow:
        uow.session.add(campaigns.action_record(runtime, caller, campaign_id, "reconcile", outcome))
    return {"campagne": str(campaign_id), "declarations_creees": created, "resultat": outcome}


async def trail(runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID) -> list[dict[str, Any]]:
    """Who did what to the campaign, oldest first."""
    await _campaign_of(runtime, caller, campaign_id)
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(CampaignAction).where(CampaignAction.campaign_id == campaign_id).order_by(CampaignAction.id)
        )
        return [
            {
                "le": a.at.isoformat(),
                "action": a.action,
                "par": a.actor_kind,
                "utilisateur": str(a.actor_user_id) if a.actor_user_id else None,
                "resultat": a.outcome,
            }
            for a in rows.scalars()
        ]
