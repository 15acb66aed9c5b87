"""What identity answers on the bus: the gateway forwards each user request here with its caller."""

from __future__ import annotations

from typing import Any

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
from afas_shared.contracts.rpc import contract_for
from afas_shared.contracts.rpc.base import Empty
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_contract, parse_uuid
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    def on(verb: str, handler) -> None:
        answer_contract(runtime.rpc, contract_for("identity", verb), handler)

    def c(p):
        return caller_from(p)

    # sessions and passwords
    on("jwks", lambda r, p: signing_keys.public_jwks(runtime))
    on("rotate_signing_key", lambda r, p: _operator_only(runtime, p, signing_keys.rotate))
    on("login", lambda r, p: sessions.login(runtime, r.identifier, r.password, r.address))
    # The session is the caller's own, from its verified credential: never an id the payload names.
    on("refresh", lambda r, p: sessions.refresh(runtime, own_session(p).session_id))
    on("logout", lambda r, p: sessions.logout(runtime, own_session(p).session_id))
    on("whoami", lambda r, p: sessions.who_am_i(runtime, own_session(p).user_id))
    on("operator_session", lambda r, p: operator.open_session(runtime, r.token))
    on("activate", lambda r, p: passwords.activate(runtime, r.token, r.password, r.password_confirmation))
    on(
        "change_password",
        lambda r, p: passwords.change(
            runtime,
            own_session(p).user_id,
            own_session(p).session_id,
            r.current_password,
            r.password,
            r.password_confirmation,
        ),
    )
    on("request_password_reset", lambda r, p: passwords.request_reset(runtime, r.identifier))
    on("reset_password", lambda r, p: passwords.reset(runtime, r.token, r.password, r.password_confirmation))
    # For the notification service only (NATS permissions): the URL of a one-time link, composed when it mails it
    on("mail_link", lambda r, p: links.mail_link(runtime, parse_uuid(p, "link_id"), r.kind))
    runtime.every(3600, lambda: links.purge_withdrawn(runtime))
    # reference data
    on("list_cafs", lambda r, p: _cafs())
    # partners and conventions
    on("register_partner", lambda r, p: partners.register(runtime, c(p), r))
    on("update_partner", lambda r, p: partners.update(runtime, c(p), r.partner_id, r))
    on("change_delegation", lambda r, p: partners.change_delegation(runtime, c(p), r.partner_id, r.delegated))
    on("list_partners", lambda r, p: partners.visible_to(runtime, c(p)))
    on("get_partner", lambda r, p: partners.get(runtime, c(p), r.partner_id))
    on("audit_trail", lambda r, p: audit.trail_of_partner(runtime, c(p), r.partner_id))
    on("sign_convention", lambda r, p: conventions.sign(runtime, c(p), r.partner_id, r))
    on("close_convention", lambda r, p: conventions.close(runtime, c(p), r.convention_id, r.closing_date))
    on("search_conventions", lambda r, p: conventions.search(runtime, c(p), r))
    # users and groups
    on("create_user", lambda r, p: users.create_partner_user(runtime, c(p), r.partner_id, r))
    on("create_caf_agent", lambda r, p: users.create_caf_agent(runtime, c(p), r.caf_code, r))
    on("update_user", lambda r, p: users.update(runtime, c(p), r.user_id, r))
    on("close_user", lambda r, p: users.close(runtime, c(p), r.user_id, r.closing_date))
    on("suspend_user", lambda r, p: supervision.suspend(runtime, c(p), r.user_id, r.reason))
    on("reactivate_user", lambda r, p: supervision.reactivate(runtime, c(p), r.user_id))
    on("force_password_change", lambda r, p: supervision.force_password_change(runtime, c(p), r.user_id))
    on("list_users", lambda r, p: users.of_partner(runtime, c(p), r.partner_id))
    on("add_to_group", lambda r, p: groups.add(runtime, c(p), r.user_id, r))
    register_demo(runtime)
    on("remove_from_group", lambda r, p: groups.remove(runtime, c(p), r.user_id, r.group, r.end_date))


async def _cafs() -> list[dict[str, str]]:
    return [{"code": caf.code, "nom": caf.name, "departement": caf.departement} for caf in CAFS.values()]


async def _operator_only(runtime: ServiceRuntime, payload: dict[str, Any], action) -> Any:
    caller = caller_from(payload)
    await audit.authorize(runtime, caller, caller.actor.kind == "operator", "signing_key.rotate")
    return await action(runtime)


def register_demo(runtime: ServiceRuntime) -> None:
    from afas_identity.application import demo

    async def seed(request: Empty, payload: dict[str, Any]) -> dict[str, Any]:
        if caller_from(payload).actor.kind != "operator":
            raise RpcFailure("forbidden", "Réservé à l'opérateur.")
        return await demo.seed(runtime)

    answer_contract(runtime.rpc, contract_for("identity", "seed_demo"), seed)
