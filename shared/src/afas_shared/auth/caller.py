"""The caller the gateway forwards with each request to a service: verified session claims + address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from afas_shared.refusals import Unauthorized

# ``parametrage_national``: held by the agents of the Cnaf (national code 000), who set the national barèmes.
CAF_ROLES = frozenset({"habilitations", "instruction", "parametrage", "lecture", "parametrage_national"})
GROUPS = frozenset({"AFAS-HABILITER", "AFAS-DECLARER"})


@dataclass(frozen=True)
class ForwardedCaller:
    kind: Literal["partner", "caf", "operator"]
    user_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    caf_code: str | None = None
    groups: frozenset[str] = frozenset()
    caf_roles: frozenset[str] = frozenset()
    address: str | None = None

    def is_caf_agent_of(self, caf_code: str, *roles: str) -> bool:
        """A Caf agent of that Caf holding one of ``roles`` (any back-office role when none given)."""
        return (
            self.kind == "caf"
            and self.caf_code == caf_code
            and bool(self.caf_roles & (set(roles) if roles else CAF_ROLES))
        )

    def manages_habilitations_of(self, caf_code: str | None) -> bool:
        """The Caf's habilitations agents, and the operator: they register its partners, manage their conventions,
        delegation and users, and validate the approbateurs partners name — the rule habilitation and identity
        check those acts with, and the pages offer them by."""
        return self.kind == "operator" or (caf_code is not None and self.is_caf_agent_of(caf_code, "habilitations"))


def forwarded_caller(payload: dict[str, Any]) -> ForwardedCaller:
    claims = payload.get("actor") or {}
    kind = claims.get("kind")
    if kind not in ("partner", "caf", "operator"):
        raise Unauthorized("Authentification requise.")
    return ForwardedCaller(
        kind=kind,
        user_id=uuid.UUID(claims["sub"]) if claims.get("sub") else None,
        partner_id=uuid.UUID(claims["partner_id"]) if claims.get("partner_id") else None,
        caf_code=claims.get("caf_code"),
        groups=frozenset(claims.get("groups") or ()) & GROUPS,
        caf_roles=frozenset(claims.get("caf_roles") or ()) & CAF_ROLES,
        address=payload.get("address"),
    )
