"""What habilitation consumes and answers on the bus."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pydantic import ValidationError

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
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.read_models import user_directory
from afas_shared.runtime import ServiceRuntime


def _activity(data: Any) -> catalogue.ActivityInput:
    return _parsed(catalogue.ActivityInput, data)


def _parsed(model, data: Any):
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error.get("loc", ())) or "body"
        raise RpcFailure("invalid", f"Valeur invalide pour {field} : {error['msg']}", field) from None


def _uuid(payload: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload[key]))
    except (KeyError, ValueError):
        raise RpcFailure("invalid", f"Identifiant {key} manquant ou invalide.", key) from None


def _date(payload: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(str(payload[key]))
    except (KeyError, ValueError):
        raise RpcFailure("invalid", "Date invalide : utilisez le format AAAA-MM-JJ.", key) from None


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
    runtime.consume(PartnerRegisteredV1, partner_directory.on_partner_registered)
    runtime.consume(PartnerUpdatedV1, partner_directory.on_partner_updated)
    runtime.consume(DelegationChangedV1, partner_directory.on_delegation_changed)
    for contract, handler in account_events.handlers(runtime).items():
        runtime.consume(contract, handler)

    def on(verb: str, handler: Callable[[dict[str, Any]], Awaitable[Any]]) -> None:
        async def answer(payload: dict[str, Any]) -> dict[str, Any]:
            return {"result": await handler(payload)}

        runtime.rpc(verb, answer)

    def c(p: dict[str, Any]):
        return forwarded_caller(p)

    on("register_activity", lambda p: catalogue.register(runtime, c(p), _activity(p.get("activity"))))
    on(
        "update_activity",
        lambda p: catalogue.update(runtime, c(p), _uuid(p, "activity_id"), _activity(p.get("activity"))),
    )
    on("close_activity", lambda p: catalogue.close(runtime, c(p), _uuid(p, "activity_id"), _date(p, "closing_date")))
    on("get_activity", lambda p: catalogue.get(runtime, c(p), _uuid(p, "activity_id")))
    on(
        "search_activities",
        lambda p: catalogue.search(
            runtime, c(p), uuid.UUID(p["partner_id"]) if p.get("partner_id") else None, p.get("family"), p.get("nature")
        ),
    )
    on("import_activities", lambda p: catalogue_import.import_csv(runtime, c(p), str(p.get("csv", ""))))

    on("grant", lambda p: grants.grant(runtime, c(p), _parsed(grants.GrantInput, p.get("grant"))))
    on(
        "decide_grant",
        lambda p: grants.decide(runtime, c(p), _uuid(p, "grant_id"), bool(p.get("accept")), p.get("reason")),
    )
    on("end_grant", lambda p: grants.end(runtime, c(p), _uuid(p, "grant_id")))
    on("grants_of_partner", lambda p: grant_search.of_partner(runtime, c(p), _uuid(p, "partner_id"), p.get("state")))
    on("pending_approbateurs", lambda p: grants.pending_queue(runtime, c(p)))
    on(
        "search_grants",
        lambda p: grant_search.search(runtime, c(p), _parsed(grant_search.GrantFilters, p.get("filters"))),
    )
