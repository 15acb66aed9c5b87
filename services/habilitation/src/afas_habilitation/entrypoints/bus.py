"""What habilitation consumes and answers on the bus."""

from __future__ import annotations

import uuid
from typing import Any

from afas_habilitation.application import (
    account_events,
    catalogue,
    catalogue_import,
    grant_search,
    grants,
    partner_directory,
)
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.events.identity import DelegationChangedV1, PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.messaging.rpc_payload import answer_with_result, parse_date, parse_model, parse_uuid
from afas_shared.read_models import user_directory
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
    runtime.consume(PartnerRegisteredV1, partner_directory.on_partner_registered)
    runtime.consume(PartnerUpdatedV1, partner_directory.on_partner_updated)
    runtime.consume(DelegationChangedV1, partner_directory.on_delegation_changed)
    for contract, handler in account_events.handlers(runtime).items():
        runtime.consume(contract, handler)

    def on(verb: str, handler) -> None:
        answer_with_result(runtime.rpc, verb, handler)

    def c(p: dict[str, Any]):
        return forwarded_caller(p)

    on(
        "register_activity",
        lambda p: catalogue.register(runtime, c(p), parse_model(catalogue.ActivityInput, p.get("activity"))),
    )
    on(
        "update_activity",
        lambda p: catalogue.update(
            runtime, c(p), parse_uuid(p, "activity_id"), parse_model(catalogue.ActivityInput, p.get("activity"))
        ),
    )
    on(
        "close_activity",
        lambda p: catalogue.close(runtime, c(p), parse_uuid(p, "activity_id"), parse_date(p, "closing_date")),
    )
    on("get_activity", lambda p: catalogue.get(runtime, c(p), parse_uuid(p, "activity_id")))
    on(
        "search_activities",
        lambda p: catalogue.search(
            runtime, c(p), uuid.UUID(p["partner_id"]) if p.get("partner_id") else None, p.get("family"), p.get("nature")
        ),
    )
    on("import_activities", lambda p: catalogue_import.import_csv(runtime, c(p), catalogue_import.csv_text(p)))

    on("grant", lambda p: grants.grant(runtime, c(p), parse_model(grants.GrantInput, p.get("grant"))))
    on(
        "decide_grant",
        lambda p: grants.decide(runtime, c(p), parse_uuid(p, "grant_id"), bool(p.get("accept")), p.get("reason")),
    )
    on("end_grant", lambda p: grants.end(runtime, c(p), parse_uuid(p, "grant_id")))
    on(
        "grants_of_partner",
        lambda p: grant_search.of_partner(runtime, c(p), parse_uuid(p, "partner_id"), p.get("state")),
    )
    on("pending_approbateurs", lambda p: grants.pending_queue(runtime, c(p)))
    on(
        "search_grants",
        lambda p: grant_search.search(runtime, c(p), parse_model(grant_search.GrantFilters, p.get("filters"))),
    )
