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
    personal_data,
    sessions,
    signing_keys,
    supervision,
    users,
)
from afas_identity.application.context import Caller, caller_from, own_session
from afas_identity.domain.cafs import CAFS
from afas_shared.contracts.rpc import contract_for
from afas_shared.contracts.rpc.base import Empty
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_contract, parse_uuid, the_payload
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    def on(verb: str, handler, who=caller_from) -> None:
        answer_contract(runtime.rpc, contract_for("identity", verb), handler, who)

    # sessions and passwords
    on("jwks", lambda r, _: signing_keys.public_jwks(runtime), the_payload)
    on("rotate_signing_key", lambda r, c: _operator_only(runtime, c, signing_keys.rotate))
    on("login", lambda r, _: sessions.login(runtime, r.identifier, r.password, r.address), the_payload)
    # The session is the caller's own, from its verified credential: never an id the payload names.
    on("refresh", lambda r, own: sessions.refresh(runtime, own.session_id), own_session)
    on("logout", lambda r, own: sessions.logout(runtime, own.session_id), own_session)
    on("whoami", lambda r, own: sessions.who_am_i(runtime, own.user_id), own_session)
    on("operator_session", lambda r, _: operator.open_session(runtime, r.token), the_payload)
    on("activate", lambda r, _: passwords.activate(runtime, r.token, r.password, r.password_confirmation), the_payload)
    on(
        "change_password",
        lambda r, own: passwords.change(
            runtime, own.user_id, own.session_id, r.current_password, r.password, r.password_confirmation
        ),
        own_session,
    )
    on("request_password_reset", lambda r, _: passwords.request_reset(runtime, r.identifier), the_payload)
    on(
        "reset_password",
        lambda r, _: passwords.reset(runtime, r.token, r.password, r.password_confirmation),
        the_payload,
    )
    # For the notification service only (NATS permissions): the URL of a one-time link, composed when it mails it
    on("mail_link", lambda r, p: links.mail_link(runtime, parse_uuid(p, "link_id"), r.kind), the_payload)
    runtime.every(3600, lambda: links.purge_withdrawn(runtime))
    runtime.every(signing_keys.SAMPLE_SECONDS, lambda: signing_keys.sample_key_age(runtime))
    # reference data
    on("list_cafs", lambda r, _: _cafs(), the_payload)
    # partners and conventions
    on("register_partner", lambda r, c: partners.register(runtime, c, r))
    on("update_partner", lambda r, c: partners.update(runtime, c, r.partner_id, r))
    on("change_delegation", lambda r, c: partners.change_delegation(runtime, c, r.partner_id, r.delegated))
    on("list_partners", lambda r, c: partners.visible_to(runtime, c))
    on("get_partner", lambda r, c: partners.get(runtime, c, r.partner_id))
    on("audit_trail", lambda r, c: audit.trail_of_partner(runtime, c, r.partner_id))
    on("sign_convention", lambda r, c: conventions.sign(runtime, c, r.partner_id, r))
    on("close_convention", lambda r, c: conventions.close(runtime, c, r.convention_id, r.closing_date))
    on("search_conventions", lambda r, c: conventions.search(runtime, c, r))
    # users and groups
    on("create_user", lambda r, c: users.create_partner_user(runtime, c, r.partner_id, r))
    on("create_caf_agent", lambda r, c: users.create_caf_agent(runtime, c, r.caf_code, r))
    on("update_user", lambda r, c: users.update(runtime, c, r.user_id, r))
    on("close_user", lambda r, c: users.close(runtime, c, r.user_id, r.closing_date))
    on("erase_personal_data", lambda r, c: personal_data.erase(runtime, c, r.user_id))
    on("record_partner_export", lambda r, c: personal_data.record_export(runtime, c, r.partner_id))
    on("suspend_user", lambda r, c: supervision.suspend(runtime, c, r.user_id, r.reason))
    on("reactivate_user", lambda r, c: supervision.reactivate(runtime, c, r.user_id))
    on("force_password_change", lambda r, c: supervision.force_password_change(runtime, c, r.user_id))
    on("list_users", lambda r, c: users.of_partner(runtime, c, r.partner_id))
    on("add_to_group", lambda r, c: groups.add(runtime, c, r.user_id, r))
    register_demo(runtime)
    on("remove_from_group", lambda r, c: groups.remove(runtime, c, r.user_id, r.group, r.end_date))


async def _cafs() -> list[dict[str, str]]:
    return [{"code": caf.code, "nom": caf.name, "departement": caf.departement} for caf in CAFS.values()]


async def _operator_only(runtime: ServiceRuntime, caller: Caller, action) -> Any:
    await audit.authorize(runtime, caller, caller.actor.kind == "operator", "signing_key.rotate")
    return await action(runtime, caller)


def register_demo(runtime: ServiceRuntime) -> None:
    from afas_identity.application import demo

    async def seed(request: Empty, caller: Caller) -> dict[str, Any]:
        if caller.actor.kind != "operator":
            raise RpcFailure("forbidden", "Réservé à l'opérateur.")
        return await demo.seed(runtime)

    answer_contract(runtime.rpc, contract_for("identity", "seed_demo"), seed, caller_from)
