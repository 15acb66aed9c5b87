"""Role grants (habilitations) of partner users on activities, and the rules a new grant must respect.

A grant gives one user one role on one activity, or on one site of it, for a period. The approbateur role needs the
Caf's validation before it takes effect. Only effective grants let a user act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    fda = "fda"
    fdf = "fdf"
    approbateur = "approbateur"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


class Validation(StrEnum):
    not_required = "not_required"
    pending = "pending"
    validated = "validated"
    rejected = "rejected"

    @property
    def label(self) -> str:
        return _VALIDATION_LABELS[self]


class State(StrEnum):
    actif = "actif"
    historique = "historique"
    inactif = "inactif"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_ROLE_LABELS = {
    Role.fda: "Fournisseur de données d'activité",
    Role.fdf: "Fournisseur de données financières",
    Role.approbateur: "Approbateur",
}
_VALIDATION_LABELS = {
    Validation.not_required: "Sans validation",
    Validation.pending: "En attente de validation par votre Caf",
    Validation.validated: "Validé",
    Validation.rejected: "Refusé",
}
_STATE_LABELS = {State.actif: "Actif", State.historique: "Historique", State.inactif: "Inactif"}

DATA_PROVIDER_ROLES = frozenset({Role.fda, Role.fdf})
MAX_PROVIDERS_PER_SCOPE = 2

END_BEFORE_START = "La date de fin doit être postérieure ou égale à la date de début."
NOT_A_DECLARER = "Seul un membre du groupe AFAS-DECLARER peut recevoir un rôle de déclaration."
OTHER_PARTNER = "Cette activité n'appartient pas au partenaire de l'utilisateur."
SITE_NOT_ALLOWED = (
    "Le rôle ne peut viser un lieu d'implantation que pour le fournisseur de données d'activité "
    "d'une activité multi-lieux ALSH, LAEP ou Espace de rencontre."
)
UNKNOWN_SITE = "Ce lieu d'implantation n'appartient pas à l'activité."
ALREADY_HELD = "Cet utilisateur a déjà ce rôle sur ce périmètre."


@dataclass(frozen=True)
class GrantFacts:
    grant_id: str
    user_id: str
    role: Role
    activity_id: str
    site: str | None
    start: date
    end: date | None
    validation: Validation


def state_of(grant: GrantFacts, today: date) -> State:
    if (grant.end is not None and grant.end < today) or grant.validation is Validation.rejected:
        return State.historique
    if grant.start > today or grant.validation is Validation.pending:
        return State.inactif
    return State.actif


def is_effective(grant: GrantFacts, today: date) -> bool:
    return state_of(grant, today) is State.actif


def initial_validation(role: Role) -> Validation:
    # the approbateur signs declarations on the partner's behalf, so the Caf vets who holds it
    return Validation.pending if role is Role.approbateur else Validation.not_required


def _overlap(a: GrantFacts, b: GrantFacts) -> bool:
    return (b.end is None or a.start <= b.end) and (a.end is None or b.start <= a.end)


def _covers(grant: GrantFacts, day: date) -> bool:
    return grant.start <= day and (grant.end is None or day <= grant.end)


def _most_at_once(new: GrantFacts, others: Sequence[GrantFacts]) -> int:
    """How many of `others` hold the role at the same time at some day of the new grant's period.

    A successor who takes over after a provider left is not a third person: only simultaneous holders count. The
    count can only peak on a day some grant begins, so those days (clamped to the new period) are enough to test.
    """
    days = {max(new.start, other.start) for other in others}
    return max((sum(_covers(other, day) for other in others) for day in days), default=0)


def _site_problem(new: GrantFacts, *, site_allowed: bool, site_known: bool) -> str | None:
    if new.site is None:
        return None
    if not site_known:
        return UNKNOWN_SITE
    if not site_allowed or new.role is not Role.fda:
        return SITE_NOT_ALLOWED
    return None


def grant_problems(
    new: GrantFacts,
    existing: Iterable[GrantFacts],
    *,
    user_in_declarer_group: bool,
    activity_partner_matches: bool,
    site_allowed: bool,
    site_known: bool = True,
    activity_name: str | None = None,
) -> list[str]:
    """Every rule the new grant breaks, in French; empty when it may be recorded.

    `existing` may include the grant itself (when it is being changed): it is never compared with itself. Rejected
    grants never took effect, so they block nothing. `activity_name` names the activity in messages (default: its id).
    """
    problems: list[str] = []
    if new.end is not None and new.end < new.start:
        problems.append(END_BEFORE_START)
    if not user_in_declarer_group:
        problems.append(NOT_A_DECLARER)
    if not activity_partner_matches:
        problems.append(OTHER_PARTNER)
    if message := _site_problem(new, site_allowed=site_allowed, site_known=site_known):
        problems.append(message)

    live = [
        g
        for g in existing
        if g.grant_id != new.grant_id
        and g.validation is not Validation.rejected
        and g.role is new.role
        and g.activity_id == new.activity_id
        and _overlap(g, new)
    ]
    # the approbateur answers for the whole activity, whatever site a grant names
    same_scope = live if new.role is Role.approbateur else [g for g in live if g.site == new.site]
    # the user's own grants fall under ALREADY_HELD; counting them again would report one fault twice
    others = [g for g in same_scope if g.user_id != new.user_id]
    if new.role is Role.approbateur and others:
        problems.append(
            "Une activité ne peut avoir qu'un seul approbateur à la fois : "
            f"{activity_name or new.activity_id} en a déjà un."
        )
    if new.role in DATA_PROVIDER_ROLES and _most_at_once(new, others) >= MAX_PROVIDERS_PER_SCOPE:
        problems.append(f"Au plus deux personnes peuvent tenir le rôle {new.role.label} sur ce périmètre.")
    if any(g.user_id == new.user_id for g in same_scope):
        problems.append(ALREADY_HELD)
    return problems


def _holds_today(grant: GrantFacts, today: date) -> bool:
    # a grant awaiting the Caf's validation is already assigned: searching for it as unassigned would invite a duplicate
    return is_effective(grant, today) or (grant.validation is Validation.pending and _covers(grant, today))


def unassigned(
    activity_ids_with_sites: Mapping[str, Sequence[str | None]],
    grants: Iterable[GrantFacts],
    today: date,
) -> list[tuple[str, str | None, Role]]:
    """Every (activity, site or None, role) that nobody holds today, effective or awaiting validation.

    The mapping gives each activity the sites its activity-data role is granted on: its site names when it is
    site-scoped, else [None]. An activity-wide fda grant covers every site of the activity.
    """
    held: set[tuple[str, str | None, Role]] = set()
    for grant in grants:
        if _holds_today(grant, today):
            site = grant.site if grant.role is Role.fda else None
            held.add((grant.activity_id, site, grant.role))
    missing: list[tuple[str, str | None, Role]] = []
    for activity_id, sites in activity_ids_with_sites.items():
        activity_wide_fda = (activity_id, None, Role.fda) in held
        for site in sites:
            if not activity_wide_fda and (activity_id, site, Role.fda) not in held:
                missing.append((activity_id, site, Role.fda))
        for role in (Role.fdf, Role.approbateur):
            if (activity_id, None, role) not in held:
                missing.append((activity_id, None, role))
    return missing
