"""What identity answers on the bus: the gateway forwards each user request here with its caller."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from afas_identity.application import (
    audit,
    conventions,
    groups,
    links,
    operator,
    partners,
    passwords,
    sessions,
    signing_keys,
    supervision,
    users,
)
from afas_identity.application.context import caller_from, own_session
from afas_identity.domain.cafs import CAFS
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_with_result, parse_model, parse_uuid
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    def on(verb: str, handler) -> None:
        answer_with_result(runtime.rpc, verb, handler)

    def c(p):
        return caller_from(p)

    # sessions and passwords
    on("jwks", lambda p: signing_keys.public_jwks(runtime))
    on("rotate_signing_key", lambda p: _operator_only(runtime, p, signing_keys.rotate))
    on(
        "login",
        lambda p: sessions.login(runtime, str(p.get("identifier", "")), str(p.get("password", "")), p.get("address")),
    )
    # The session is the caller's own, from its verified credential: never an id the payload names.
    on("refresh", lambda p: sessions.refresh(runtime, own_session(p).session_id))
    on("logout", lambda p: sessions.logout(runtime, own_session(p).session_id))
    on("whoami", lambda p: sessions.who_am_i(runtime, own_session(p).user_id))
    on("operator_session", lambda p: operator.open_session(runtime, str(p.get("token", ""))))
    on(
        "activate",
        lambda p: passwords.activate(
            runtime, str(p.get("token", "")), str(p.get("password", "")), str(p.get("password_confirmation", ""))
        ),
    )
    on(
        "change_password",
        lambda p: passwords.change(
            runtime,
            own_session(p).user_id,
            own_session(p).session_id,
            str(p.get("current_password", "")),
            str(p.get("password", "")),
            str(p.get("password_confirmation", "")),
        ),
    )
    on("request_password_reset", lambda p: passwords.request_reset(runtime, str(p.get("identifier", ""))))
    on(
        "reset_password",
        lambda p: passwords.reset(
            runtime, str(p.get("token", "")), str(p.get("password", "")), str(p.get("password_confirmation", ""))
        ),
    )
    # For the notification service only (NATS permissions): the URL of a one-time link, composed when it mails it
    on(
        "mail_link",
        lambda p: links.mail_link(runtime, parse_uuid(p, "link_id"), str(p.get("kind", ""))),
    )
    runtime.every(3600, lambda: links.purge_withdrawn(runtime))
    # reference data
    on("list_cafs", lambda p: _cafs())
    # partners and conventions
    on(
        "register_partner",
        lambda p: partners.register(runtime, c(p), parse_model(partners.PartnerInput, p.get("partner"))),
    )
    on(
        "update_partner",
        lambda p: partners.update(
            runtime, c(p), parse_uuid(p, "partner_id"), parse_model(partners.PartnerInput, p.get("partner"))
        ),
    )
    on(
        "change_delegation",
        lambda p: partners.change_delegation(runtime, c(p), parse_uuid(p, "partner_id"), bool(p.get("delegated"))),
    )
    on("list_partners", lambda p: partners.visible_to(runtime, c(p)))
    on("get_partner", lambda p: partners.get(runtime, c(p), parse_uuid(p, "partner_id")))
    on("audit_trail", lambda p: audit.trail_of_partner(runtime, c(p), parse_uuid(p, "partner_id")))
    on(
        "sign_convention",
        lambda p: conventions.sign(
            runtime, c(p), parse_uuid(p, "partner_id"), parse_model(conventions.ConventionInput, p.get("convention"))
        ),
    )
    on(
        "close_convention",
        lambda p: conventions.close(
            runtime, c(p), parse_uuid(p, "convention_id"), parse_model(_Closing, p).closing_date
        ),
    )
    on(
        "search_conventions",
        lambda p: conventions.search(runtime, c(p), parse_model(conventions.ConventionFilters, p.get("filters"))),
    )
    # users and groups
    on(
        "create_user",
        lambda p: users.create_partner_user(
            runtime, c(p), parse_uuid(p, "partner_id"), parse_model(users.UserInput, p.get("user"))
        ),
    )
    on(
        "create_caf_agent",
        lambda p: users.create_caf_agent(
            runtime, c(p), str(p.get("caf_code", "")), parse_model(users.CafAgentInput, p.get("user"))
        ),
    )
    on(
        "update_user",
        lambda p: users.update(runtime, c(p), parse_uuid(p, "user_id"), parse_model(users.UserInput, p.get("user"))),
    )
    on(
        "close_user",
        lambda p: users.close(runtime, c(p), parse_uuid(p, "user_id"), parse_model(_Closing, p).closing_date),
    )
    on("suspend_user", lambda p: supervision.suspend(runtime, c(p), parse_uuid(p, "user_id"), str(p.get("reason", ""))))
    on("reactivate_user", lambda p: supervision.reactivate(runtime, c(p), parse_uuid(p, "user_id")))
    on("force_password_change", lambda p: supervision.force_password_change(runtime, c(p), parse_uuid(p, "user_id")))
    on("list_users", lambda p: users.of_partner(runtime, c(p), parse_uuid(p, "partner_id")))
    on(
        "add_to_group",
        lambda p: groups.add(
            runtime, c(p), parse_uuid(p, "user_id"), parse_model(groups.MembershipInput, p.get("membership"))
        ),
    )
    register_demo(runtime)
    on(
        "remove_from_group",
        lambda p: groups.remove(
            runtime, c(p), parse_uuid(p, "user_id"), str(p.get("group", "")), parse_model(_Closing, p).closing_date
        ),
    )


class _Closing(BaseModel):
    closing_date: date | None = None  # ISO text on the bus, parsed here (a str compared to a date was a 502)

    model_config = {"extra": "ignore"}


async def _cafs() -> list[dict[str, str]]:
    return [{"code": caf.code, "nom": caf.name, "departement": caf.departement} for caf in CAFS.values()]


async def _operator_only(runtime: ServiceRuntime, payload: dict[str, Any], action) -> Any:
    caller = caller_from(payload)
    await audit.authorize(runtime, caller, caller.actor.kind == "operator", "signing_key.rotate")
    return await action(runtime)


def register_demo(runtime: ServiceRuntime) -> None:
    from afas_identity.application import demo

    async def seed(payload: dict[str, Any]) -> dict[str, Any]:
        if caller_from(payload).actor.kind != "operator":
            raise RpcFailure("forbidden", "Réservé à l'opérateur.")
        return await demo.seed(runtime)

    answer_with_result(runtime.rpc, "seed_demo", seed)
