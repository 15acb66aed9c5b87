"""What declaration consumes and answers on the bus."""

from __future__ import annotations

from typing import Any

from afas_declaration.application import (
    activity_copy,
    campaign_opening,
    campaigns,
    grant_copy,
    partner_copy,
    permissions,
    receipts,
)
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import (
    ActivityClosedV1,
    ActivityRegisteredV1,
    ActivityUpdatedV1,
    GrantEndedV1,
    GrantRejectedV1,
    GrantValidatedV1,
    RoleGrantedV1,
)
from afas_shared.contracts.events.identity import PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.contracts.rpc import contract_for
from afas_shared.contracts.rpc.declaration import MayRequestV1
from afas_shared.messaging.consumer import with_batch
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_contract
from afas_shared.read_models import user_directory
from afas_shared.runtime import ServiceRuntime

CAMPAIGN_CHECK_SECONDS = 60  # a campaign opens within a minute of its date, even with nobody acting


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
    # A batch of these is applied set-based (issue 16); one event alone, or a failing batch, one by one
    runtime.consume(RoleGrantedV1, with_batch(permissions.on_role_granted, grant_copy.on_roles_granted))
    runtime.consume(GrantValidatedV1, with_batch(permissions.on_grant_validated, grant_copy.on_grants_decided))
    runtime.consume(GrantRejectedV1, with_batch(permissions.on_grant_rejected, grant_copy.on_grants_decided))
    runtime.consume(GrantEndedV1, with_batch(permissions.on_grant_ended, grant_copy.on_grants_ended))
    activity_state = with_batch(activity_copy.on_activity_state, activity_copy.on_activity_states)
    runtime.consume(ActivityRegisteredV1, activity_state)
    runtime.consume(ActivityUpdatedV1, activity_state)
    runtime.consume(ActivityClosedV1, activity_copy.on_activity_closed)
    runtime.consume(PartnerRegisteredV1, partner_copy.on_partner_state)
    runtime.consume(PartnerUpdatedV1, partner_copy.on_partner_state)
    runtime.every(CAMPAIGN_CHECK_SECONDS, lambda: campaign_opening.open_due(runtime))
    runtime.every(0.1, campaign_opening.opener(runtime).work)  # an interrupted opening resumes (POLL_SECONDS)
    runtime.every(runtime.settings.reconcile_seconds, lambda: campaigns.reconcile(runtime))
    # at the same pace: declarations an opening batch created with a name renamed meanwhile (activity_copy)
    runtime.every(runtime.settings.reconcile_seconds, lambda: activity_copy.reconcile_names(runtime))
    # The receipt workers for the runtime's life, and the reconciliation of receipts still to render (its own pace)
    runtime.every(runtime.settings.receipt_reconcile_seconds, receipts.of(runtime).serve)

    async def may(request: MayRequestV1, _payload: dict[str, Any]) -> dict[str, Any]:
        """declaration.rpc.may.v1 (for estimation; no caller: the user is the one asked about)."""
        try:
            allowed = await permissions.may(
                runtime.db,
                request.user_id,
                request.action,
                request.activity_id,
                request.site_id,
                paris_today(runtime.clock.now()),
            )
        except ValueError:  # an action declaration does not know
            raise RpcFailure("invalid", "Demande de vérification des droits invalide.", "action") from None
        return {"allowed": allowed}

    answer_contract(runtime.rpc, contract_for("declaration", "may"), may)
