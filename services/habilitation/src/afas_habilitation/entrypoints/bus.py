"""What habilitation consumes and answers on the bus."""

from __future__ import annotations

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
from afas_shared.contracts.rpc import contract_for
from afas_shared.messaging.rpc_payload import answer_contract
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
        answer_contract(runtime.rpc, contract_for("habilitation", verb), handler, forwarded_caller)

    on("register_activity", lambda r, c: catalogue.register(runtime, c, r))
    on("update_activity", lambda r, c: catalogue.update(runtime, c, r.activity_id, r))
    on("close_activity", lambda r, c: catalogue.close(runtime, c, r.activity_id, r.closing_date))
    on("get_activity", lambda r, c: catalogue.get(runtime, c, r.activity_id))
    on("search_activities", lambda r, c: catalogue.search(runtime, c, r.partner_id, r.family, r.nature))
    on("import_activities", lambda r, c: catalogue_import.import_csv(runtime, c, catalogue_import.csv_text(r)))

    on("grant", lambda r, c: grants.grant(runtime, c, r))
    on("decide_grant", lambda r, c: grants.decide(runtime, c, r.grant_id, r.accept, r.reason))
    on("end_grant", lambda r, c: grants.end(runtime, c, r.grant_id))
    on("grants_of_partner", lambda r, c: grant_search.of_partner(runtime, c, r.partner_id, r.state))
    on("pending_approbateurs", lambda r, c: grants.pending_queue(runtime, c))
    on("search_grants", lambda r, c: grant_search.search(runtime, c, r))
