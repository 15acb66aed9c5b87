"""What habilitation consumes and answers on the bus."""

from __future__ import annotations

from afas_habilitation.application import (
    account_events,
    activity_page,
    catalogue,
    catalogue_import,
    grant_jobs,
    grant_search,
    grants,
    import_jobs,
    jobs,
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
    on("activity_page", lambda r, c: activity_page.page(runtime, c, r))
    # long work (issue 16): a CSV import sent in parts and a grant over many activities run as background jobs
    on("import_part", lambda r, c: import_jobs.receive_part(runtime, c, r))
    on("grant_or_start", lambda r, c: grant_jobs.grant_or_start(runtime, c, r))
    on("job", lambda r, c: jobs.view(runtime, c, r.job_id))
    # started by the request creating a job; woken periodically too, so a job a crash interrupted resumes
    runtime.every(0.1, import_jobs.importer(runtime).work)
    runtime.every(0.1, grant_jobs.granter(runtime).work)
    runtime.every(runtime.settings.import_part_sweep_seconds, import_jobs.part_sweeper(runtime))  # type: ignore[attr-defined]

    on("grant", lambda r, c: grants.grant(runtime, c, r))
    on("decide_grant", lambda r, c: grants.decide(runtime, c, r.grant_id, r.accept, r.reason))
    on("end_grant", lambda r, c: grants.end(runtime, c, r.grant_id))
    on("grants_of_partner", lambda r, c: grant_search.of_partner(runtime, c, r.partner_id, r.state))
    on("pending_approbateurs", lambda r, c: grants.pending_queue(runtime, c))
    on("search_grants", lambda r, c: grant_search.search(runtime, c, r))
