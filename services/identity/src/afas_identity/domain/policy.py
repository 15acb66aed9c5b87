"""Who may do what. Pure: the application builds the Actor from the session and the PartnerRef from storage.

Operators may do everything. A Caf agent acts only on the partners of their own Caf, and only with the back-office
role the action needs. A partner administrator (group AFAS-HABILITER) manages the users of their own partner, and
only while the Caf has delegated that management to the partner; supervising users (suspend, reactivate, force a
password change) stays with the Caf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

# parametrage_national: the Cnaf's agents (national code 000), who set the national barèmes in estimation.
CAF_ROLES = frozenset({"habilitations", "instruction", "parametrage", "lecture", "parametrage_national"})
PARTNER_GROUPS = frozenset({"AFAS-HABILITER", "AFAS-DECLARER"})

DEFAULT_FORBIDDEN = "Vous n'avez pas les droits nécessaires pour effectuer cette action."


@dataclass(frozen=True)
class Actor:
    user_id: UUID | None
    kind: Literal["partner", "caf", "operator"]
    partner_id: UUID | None = None
    caf_code: str | None = None
    groups: frozenset[str] = frozenset()
    caf_roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if unknown := self.caf_roles - CAF_ROLES:
            raise ValueError(f"unknown Caf roles: {sorted(unknown)}")
        if unknown := self.groups - PARTNER_GROUPS:
            raise ValueError(f"unknown partner groups: {sorted(unknown)}")


@dataclass(frozen=True)
class PartnerRef:
    partner_id: UUID
    caf_code: str
    delegated: bool


class Forbidden(Exception):
    def __init__(self, message: str = DEFAULT_FORBIDDEN) -> None:
        super().__init__(message)
        self.message = message


def require(allowed: bool, message: str = DEFAULT_FORBIDDEN) -> None:
    if not allowed:
        raise Forbidden(message)


def _is_operator(actor: Actor) -> bool:
    return actor.kind == "operator"


def _is_agent_of(actor: Actor, caf_code: str) -> bool:
    return actor.kind == "caf" and actor.caf_code is not None and actor.caf_code == caf_code


def _has_habilitations_of(actor: Actor, caf_code: str) -> bool:
    return _is_agent_of(actor, caf_code) and "habilitations" in actor.caf_roles


def _is_administrator_of(actor: Actor, partner: PartnerRef) -> bool:
    return actor.kind == "partner" and actor.partner_id == partner.partner_id and "AFAS-HABILITER" in actor.groups


def can_register_partner(actor: Actor, caf_code: str) -> bool:
    return _is_operator(actor) or _has_habilitations_of(actor, caf_code)


def can_manage_partner(actor: Actor, partner: PartnerRef) -> bool:
    return _is_operator(actor) or _has_habilitations_of(actor, partner.caf_code)


def can_change_delegation(actor: Actor, partner: PartnerRef) -> bool:
    return _is_operator(actor) or _has_habilitations_of(actor, partner.caf_code)


def can_manage_users_of(actor: Actor, partner: PartnerRef) -> bool:
    return can_manage_partner(actor, partner) or (partner.delegated and _is_administrator_of(actor, partner))


def can_supervise_users_of(actor: Actor, partner: PartnerRef) -> bool:
    """Suspend, reactivate, force a password change: never delegated to the partner."""
    return _is_operator(actor) or _has_habilitations_of(actor, partner.caf_code)


def can_read_audit_of(actor: Actor, partner: PartnerRef) -> bool:
    return _is_operator(actor) or (_is_agent_of(actor, partner.caf_code) and bool(actor.caf_roles))


def can_manage_caf_agents(actor: Actor, caf_code: str) -> bool:
    return _is_operator(actor) or _has_habilitations_of(actor, caf_code)
