"""Who is calling and from where: the gateway forwards the verified session claims and the address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from afas_identity.domain.policy import Actor
from afas_shared.messaging.rpc import RpcFailure

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Caller:
    actor: Actor
    address: str | None = None


def caller_from(payload: dict[str, Any]) -> Caller:
    claims = payload.get("actor") or {}
    kind = claims.get("kind")
    if kind not in ("partner", "caf", "operator"):
        raise RpcFailure("unauthorized", "Authentification requise.")
    return Caller(
        actor=Actor(
            user_id=uuid.UUID(claims["sub"]) if claims.get("sub") else None,
            kind=kind,
            partner_id=uuid.UUID(claims["partner_id"]) if claims.get("partner_id") else None,
            caf_code=claims.get("caf_code"),
            groups=frozenset(claims.get("groups") or ()),
            caf_roles=frozenset(claims.get("caf_roles") or ()),
        ),
        address=payload.get("address"),
    )


def paris_today(now: datetime) -> date:
    """Dates of accounts and conventions are French calendar days."""
    return now.astimezone(PARIS).date()
