"""Conventions between a Caf and a partner, and what they allow.

A partner may have AFAS users only while it holds both a valid access convention (Mon Compte Partenaire) and a
valid AFAS membership form (bulletin d'adhésion).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ConventionKind(StrEnum):
    convention_acces = "convention_acces"
    contrat_service = "contrat_service"
    bulletin_adhesion = "bulletin_adhesion"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


class Status(StrEnum):
    ouvert = "ouvert"
    ferme = "ferme"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


class State(StrEnum):
    valable = "valable"
    non_valable = "non_valable"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_KIND_LABELS = {
    ConventionKind.convention_acces: "Convention d'accès Mon Compte Partenaire",
    ConventionKind.contrat_service: "Contrat de service AFAS",
    ConventionKind.bulletin_adhesion: "Bulletin d'adhésion AFAS",
}
_STATUS_LABELS = {Status.ouvert: "Ouvert", Status.ferme: "Fermé"}
_STATE_LABELS = {State.valable: "Valable", State.non_valable: "Non valable"}


def state_of(*, status: Status, signed: bool, opening: date, closing: date | None, today: date) -> State:
    in_force = opening <= today and (closing is None or today <= closing)
    return State.valable if signed and status is Status.ouvert and in_force else State.non_valable


@dataclass(frozen=True)
class ConventionFacts:
    kind: ConventionKind
    status: Status
    signed: bool
    opening: date
    closing: date | None = None

    def state_on(self, today: date) -> State:
        return state_of(status=self.status, signed=self.signed, opening=self.opening, closing=self.closing, today=today)


def partner_may_have_afas_users(conventions: Iterable[ConventionFacts], today: date) -> bool:
    valid_kinds = {c.kind for c in conventions if c.state_on(today) is State.valable}
    return {ConventionKind.convention_acces, ConventionKind.bulletin_adhesion} <= valid_kinds


def date_problem(opening: date, closing: date | None) -> str | None:
    if closing is not None and closing < opening:
        return "La date de fermeture doit être postérieure ou égale à la date d'ouverture."
    return None
