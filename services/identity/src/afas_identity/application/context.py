"""Who is calling and from where: the gateway forwards the verified session claims and the address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from afas_identity.domain.policy import Actor
from afas_shared.auth.caller import forwarded_caller
from afas_shared.messaging.rpc import RpcFailure


@dataclass(frozen=True)
class Caller:
    actor: Actor
    address: str | None = None


def caller_from(payload: dict[str, Any]) -> Caller:
    forwarded = forwarded_caller(payload)
    return Caller(
        actor=Actor(
            user_id=forwarded.user_id,
            kind=forwarded.kind,
            partner_id=forwarded.partner_id,
            caf_code=forwarded.caf_code,
            groups=forwarded.groups,
            caf_roles=forwarded.caf_roles,
        ),
        address=forwarded.address,
    )


@dataclass(frozen=True)
class OwnSession:
    user_id: uuid.UUID
    session_id: uuid.UUID


def own_session(payload: dict[str, Any]) -> OwnSession:
    """The caller's own user and session, from the credential its request carried (verified on receipt)."""
    actor = payload.get("actor") or {}
    if not actor.get("sub") or not actor.get("sid"):
        raise RpcFailure("unauthorized", "Authentification requise.")
    return OwnSession(user_id=uuid.UUID(actor["sub"]), session_id=uuid.UUID(actor["sid"]))
