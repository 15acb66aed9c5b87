"""The declaration aggregate: a declaration, its forms and its current transmitted version, the transitions of its
lifecycle, who may make each of them, and the order of the events they record.

The lifecycle (state codes and French labels in ``afas_shared.contracts.declaration_states``)::

    À saisir ─save─▶ En cours de saisie ─control (ready)─▶ Contrôlée ─transmit─▶ Transmise Caf ─validate─▶ Validée Caf
         (while open: save, send back, justify, complement, control, transmit)            │
                                                                                         refuse
    Refusée Caf (version + 1) ─save (revise)─▶ En révision ─control─▶ Contrôlée ─transmit─▶ …
    cancel: from any state but Validée / Annulée ─▶ Annulée Caf

A transition is a method: it checks who may make it (``authorize``: the role rule of ``WHO``), from which state
(``require_state``: ``FROM``), then changes the aggregate and records the domain events it publishes, each with
its ``aggregate_version``: ``order`` (version × 10 + step) for the lifecycle events and for a form's save and
send-back, the declaration's count of saves (``saves``) for the figures announced with each save. Consumers
compare these numbers, event kind with event kind, and never rebuild them. The application loads the aggregate,
calls one method, and saves it through the unit of work, which publishes what was recorded. No I/O here: the
aggregate is built from the tables' rows by ``adapters/declaration_store``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from afas_declaration.domain.errors import Forbidden
from afas_shared.contracts.declaration_states import DeclarationState as State
from afas_shared.contracts.envelope import EventData

# Still with the partner: its forms are filled, sent back, controlled, justified, and it may be transmitted.
OPEN = frozenset({State.a_saisir, State.en_cours, State.controlee, State.refusee, State.en_revision})
# Open and not controlled yet: the partner's input is awaited.
AWAITING_INPUT = OPEN - {State.controlee}
# Refused by the Caf and not transmitted again: the refusal's reason is shown, the partner revises.
REVISING = frozenset({State.refusee, State.en_revision})
# The Caf has it: the activity has declared.
DECLARED = frozenset({State.transmise, State.validee})
# Nothing more happens to it.
FINAL = frozenset({State.validee, State.annulee})
# Its last control run found nothing blocking, and nothing was saved since: it may be transmitted (the final control
# run at transmission, and the flags to justify, may still stand in the way).
READY = frozenset({State.controlee})

REASON_MIN_LENGTH = 10
COMMENT_MIN_LENGTH = 5


# --- the order of events -------------------------------------------------------------------------------------------


class Step(IntEnum):
    """Where a declaration's event falls within its version (1, then 2 after a refusal…): its controls, its
    transmission, the Caf's decision on it."""

    controlled = 0
    transmitted = 1
    decided = 2


class FormStep(IntEnum):
    """Where a form's event falls within its version (1 after its first save…): the save, then a send-back of
    what was saved (the next save makes the next version)."""

    saved = 0
    sent_back = 1


STEPS_PER_VERSION = 10


def order(version: int, step: Step | FormStep) -> int:
    """The ``aggregate_version`` of an event: every event of a later version, or of a later step of the same
    version, has a greater one. Consumers compare it, never rebuild it."""
    return version * STEPS_PER_VERSION + step


@dataclass(frozen=True)
class Recorded:
    """A domain event the aggregate recorded, to be published with the change that made it."""

    data: EventData
    subject: str
    aggregate_version: int


# --- who acts --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who makes a transition, as the application found them (grant lines, Caf back-office roles)."""

    user_id: uuid.UUID | None = None
    name: str | None = None
    member: bool = False  # holds a partner role on the declaration's activity
    approbateur: bool = False  # the activity's approbateur
    instructor: bool = False  # an instruction agent of the declaration's Caf, or the operator
    fills: frozenset[uuid.UUID] = frozenset()  # the forms it has a role to fill

    def acting_user(self) -> uuid.UUID:
        """The user a transition is recorded against (an actor without one makes none)."""
        if self.user_id is None:
            raise Forbidden("Utilisateur inconnu.")
        return self.user_id


class Transition(StrEnum):
    save = "save"
    send_back = "send_back"
    justify = "justify"
    complement = "complement"
    control = "control"
    transmit = "transmit"
    validate = "validate"
    refuse = "refuse"
    cancel = "cancel"


@dataclass(frozen=True)
class _Who:
    may: Callable[[Actor, uuid.UUID | None], bool]
    refused: str


_APPROBATEUR = "Seul l'approbateur"
_DECIDES = _Who(lambda a, _: a.instructor, "Seuls les agents d'instruction de la Caf de cette déclaration décident.")
WHO: dict[Transition, _Who] = {
    Transition.save: _Who(lambda a, form: form in a.fills, "Vous n'avez pas de rôle de saisie sur ce formulaire."),
    Transition.send_back: _Who(lambda a, _: a.approbateur, f"{_APPROBATEUR} renvoie un formulaire à son fournisseur."),
    Transition.justify: _Who(lambda a, _: a.approbateur, f"{_APPROBATEUR} justifie les anomalies signalées."),
    Transition.complement: _Who(lambda a, _: a.approbateur, f"{_APPROBATEUR} ajoute des informations complémentaires."),
    Transition.control: _Who(
        lambda a, _: a.member, "Seuls les utilisateurs habilités sur cette activité contrôlent ses données."
    ),
    Transition.transmit: _Who(
        lambda a, _: a.approbateur, f"{_APPROBATEUR} de l'activité signe et transmet la déclaration."
    ),
    Transition.validate: _DECIDES,
    Transition.refuse: _DECIDES,
    Transition.cancel: _DECIDES,
}

_FROZEN = "Cette déclaration a été transmise : elle ne se modifie plus."
NOT_REQUESTED = "Ce formulaire n'est pas demandé pour cette déclaration."
TO_CONTROL = "Lancez les contrôles : une déclaration se transmet une fois contrôlée sans anomalie bloquante."
_TRANSMITTED = frozenset({State.transmise})
_ONLY_TRANSMITTED = "Seule une déclaration transmise à la Caf se valide ou se refuse."
# From which states each transition is made, and what is answered otherwise (validate, refuse and cancel name the
# final state they meet: see ``require_state``).
FROM: dict[Transition, tuple[frozenset[State], str]] = {
    Transition.save: (OPEN, _FROZEN),
    Transition.send_back: (OPEN, "Ce formulaire ne peut plus être renvoyé."),
    Transition.justify: (OPEN, _FROZEN),
    Transition.complement: (OPEN, _FROZEN),
    Transition.control: (OPEN, "Cette déclaration a été transmise : ses contrôles sont figés."),
    Transition.transmit: (READY, "Cette déclaration a déjà été transmise à la Caf."),
    Transition.validate: (_TRANSMITTED, _ONLY_TRANSMITTED),
    Transition.refuse: (_TRANSMITTED, _ONLY_TRANSMITTED),
    Transition.cancel: (frozenset(State) - FINAL, ""),
}


def state_refusal(transition: Transition, state: State) -> str | None:
    """What ``transition`` is answered from ``state`` when it is not made from there (None when it is)."""
    states, refused = FROM[transition]
    if state in states:
        return None
    if transition is Transition.transmit and state in OPEN:
        return TO_CONTROL
    if transition in (Transition.validate, Transition.refuse, Transition.cancel) and state in FINAL:
        return f"Cette déclaration est déjà {state.label.lower()}."
    return refused


def refusal(actor: Actor, transition: Transition, state: State, form_id: uuid.UUID | None = None) -> str | None:
    """What ``actor`` is answered if it makes ``transition`` on a declaration in ``state`` (None: it may): the
    aggregate's ``authorize`` then ``require_state``, asked beforehand — the pages offer an action only on None."""
    who = WHO[transition]
    if not who.may(actor, form_id):
        return who.refused
    return state_refusal(transition, state)


def allows(actor: Actor, transition: Transition, state: State, form_id: uuid.UUID | None = None) -> bool:
    return refusal(actor, transition, state, form_id) is None


COMMENT_MISSING = f"Expliquez au fournisseur ce qu'il doit corriger ({COMMENT_MIN_LENGTH} caractères au moins)."
NOTHING_TO_SEND_BACK = "Ce formulaire n'a pas encore été saisi : il n'y a rien à renvoyer."


def send_back_refusal(actor: Actor, state: State, form_id: uuid.UUID, requested: bool, saved: bool) -> str | None:
    """What ``actor`` is answered if it sends this form back to its provider (None: it may): the aggregate's
    ``send_back`` checks, asked beforehand — the declaration's page offers « Renvoyer au fournisseur » only on None.
    A form never saved has nothing to correct (and no form version for the event)."""
    if why := refusal(actor, Transition.send_back, state, form_id):
        return why
    if not requested:
        return FROM[Transition.send_back][1]
    return None if saved else NOTHING_TO_SEND_BACK
