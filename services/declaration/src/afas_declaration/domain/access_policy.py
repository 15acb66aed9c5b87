"""Who may do what on an activity, one of its sites, one of its forms: the one rule declaration answers with.

Partners act through their grant lines (declaration's copy of habilitation's, read by the application once per
request); Caf agents through their back-office roles, on their own Caf only; the platform operator reads everything
a Caf reads. A partner never reaches another partner's declaration: its lines only name its own activities. Pure:
the application loads the lines and asks here, for the API, the pages and the bus alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from afas_shared.auth.caller import ForwardedCaller
from afas_shared.cafs import NATIONAL_CODE
from afas_shared.read_models.grant_terms import GrantTerms, acts


class Action(StrEnum):
    # French: these are API values
    saisir_activite = "saisir_activite"
    saisir_financier = "saisir_financier"
    transmettre = "transmettre"
    # Amounts of the whole activity (entitlement, payments): every role, but only on the whole activity.
    consulter_montants = "consulter_montants"


ROLES_FOR = {
    Action.saisir_activite: frozenset({"fda", "approbateur"}),
    Action.saisir_financier: frozenset({"fdf", "approbateur"}),
    Action.transmettre: frozenset({"approbateur"}),
    Action.consulter_montants: frozenset({"fda", "fdf", "approbateur"}),
}
# Entering a form is entering its kind of data
ACTION_FOR_KIND = {"activite": Action.saisir_activite, "financier": Action.saisir_financier}


def actions_of(role: str) -> list[str]:
    """What a grant line lets its holder do (reading the amounts is a right, not an action offered)."""
    return [
        action.value for action, roles in ROLES_FOR.items() if role in roles and action is not Action.consulter_montants
    ]


class ActivityTarget(Protocol):
    """An activity, or a declaration of it: which activity, and the Caf it answers to."""

    @property
    def activity_id(self) -> uuid.UUID: ...

    @property
    def caf_code(self) -> str: ...


class FormTarget(Protocol):
    """A form: its kind of data, and its site (None for a form of the whole activity)."""

    @property
    def kind(self) -> str: ...

    @property
    def site_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True)
class Standing:
    """What the caller is to one activity: its partner roles (with sites), or its Caf roles there."""

    roles: frozenset[tuple[str, uuid.UUID | None]] = frozenset()
    caf_roles: frozenset[str] = frozenset()
    operator: bool = False
    # An agent of the activity's own Caf, whatever its back-office roles
    caf_agent: bool = False
    # The Caf is the Cnaf's national one: its agents set the national barèmes, no Caf's local rules
    national: bool = False

    def may(self, action: Action | str, site_id: uuid.UUID | None = None) -> bool:
        """Whether a role of the caller allows ``action`` on the activity, or on its site ``site_id``."""
        allowed = ROLES_FOR[Action(action)]
        # Only the fda may be given one site; a site-less line answers for the whole activity, every site included.
        return any(role in allowed and (site is None or site == site_id) for role, site in self.roles)

    def offers(self, action: Action | str) -> bool:
        """Whether a role of the caller allows ``action`` on some part of the activity (an action to list)."""
        return any(role in ROLES_FOR[Action(action)] for role, _ in self.roles)

    def may_edit(self, form: FormTarget) -> bool:
        return self.may(ACTION_FOR_KIND[form.kind], form.site_id)

    @property
    def approbateur(self) -> bool:
        return any(role == "approbateur" for role, _ in self.roles)

    @property
    def full_view(self) -> bool:
        """Sees the whole declaration (every site, the budget, the estimate, the receipt): Caf readers of its Caf,
        the approbateur, and providers granted the whole activity. A provider granted some sites only sees its own
        forms: the receipt and the estimate, which hold the whole budget, are not for it."""
        return self.caf_reader or self.approbateur or any(site is None for _, site in self.roles)

    def sees(self, form: FormTarget) -> bool:
        """Whether this form's content is shown to the caller (its own forms, or all of them with the full view)."""
        return self.full_view or self.may_edit(form)

    @property
    def partner_member(self) -> bool:
        return bool(self.roles)

    @property
    def caf_reader(self) -> bool:
        return self.operator or bool(self.caf_roles)

    @property
    def instructor(self) -> bool:
        return self.operator or "instruction" in self.caf_roles

    @property
    def caf_member(self) -> bool:
        """An agent of the Caf whatever its roles, or the operator: the Caf's space, its campaigns as set up."""
        return self.operator or self.caf_agent

    @property
    def opens_campaigns(self) -> bool:
        return self.operator or "parametrage" in self.caf_roles

    @property
    def sets_national_baremes(self) -> bool:
        """The Cnaf's national paramétrage agents (estimation refuses anyone else a national value)."""
        return self.national and "parametrage_national" in self.caf_roles

    @property
    def sets_local_rules(self) -> bool:
        """A Caf's own paramétrage agents: its payment policy, its territories (estimation's local rules)."""
        return not self.national and "parametrage" in self.caf_roles

    @property
    def records_prior_payments(self) -> bool:
        """What a Caf paid before the platform: its instruction or paramétrage agents (estimation records them)."""
        return not self.national and bool({"instruction", "parametrage"} & self.caf_roles)

    @property
    def sees_anything(self) -> bool:
        return self.partner_member or self.caf_reader

    @property
    def partial_provider(self) -> bool:
        """A provider granted some sites only: what covers the whole budget is not for it."""
        return self.partner_member and not self.full_view


@dataclass(frozen=True)
class Access:
    """What one caller may do today: who it is and, for a partner's user, its grant lines acting today."""

    caller: ForwardedCaller
    lines: tuple[GrantTerms, ...] = ()
    # The lines' roles (and sites) per activity, built once: a list asks it for every row it shows.
    _by_activity: dict[uuid.UUID, frozenset[tuple[str, uuid.UUID | None]]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if self.caller.kind != "partner":
            return
        grouped: dict[uuid.UUID, set[tuple[str, uuid.UUID | None]]] = {}
        for line in self.lines:
            grouped.setdefault(line.activity_id, set()).add((line.role, line.site_id))
        self._by_activity.update({activity: frozenset(roles) for activity, roles in grouped.items()})

    @classmethod
    def of(cls, caller: ForwardedCaller, lines: Iterable[GrantTerms], today: date) -> Access:
        """From the caller's grant lines, whatever their state: those acting ``today`` are kept, in their order."""
        return cls(caller, tuple(line for line in lines if acts(line, today)))

    def on(self, target: ActivityTarget) -> Standing:
        """What the caller is to one activity (or declaration): its roles there, or its Caf roles on its Caf."""
        if self.caller.kind == "partner":
            return Standing(roles=self._roles_on(target.activity_id))
        return self.on_caf(target.caf_code)

    def on_caf(self, caf_code: str | None) -> Standing:
        """What the caller is to one Caf (its campaigns, its declarations): an agent's roles there, or the operator."""
        caller = self.caller
        if caller.kind == "operator":
            return Standing(operator=True, national=caf_code == NATIONAL_CODE)
        if caller.kind == "caf":
            own = bool(caf_code) and caller.caf_code == caf_code
            return Standing(
                caf_roles=frozenset(caller.caf_roles) if own else frozenset(),
                caf_agent=own,
                national=caf_code == NATIONAL_CODE,
            )
        return Standing()

    def on_own_caf(self) -> Standing:
        """What a Caf agent is to the Caf it works for (nothing without one); the operator, to every Caf."""
        return self.on_caf(self.caller.caf_code)

    def may(self, action: Action | str, activity_id: uuid.UUID, site_id: uuid.UUID | None = None) -> bool:
        """What a grant line allows, whoever the caller (a Caf agent or the operator holds none)."""
        return Standing(roles=self._roles_on(activity_id)).may(action, site_id)

    def roles_by_activity(self) -> dict[uuid.UUID, frozenset[tuple[str, uuid.UUID | None]]]:
        """The activities the caller's lines name, with its roles (and sites) on each."""
        return dict(self._by_activity)

    def _roles_on(self, activity_id: uuid.UUID) -> frozenset[tuple[str, uuid.UUID | None]]:
        return self._by_activity.get(activity_id, frozenset())
