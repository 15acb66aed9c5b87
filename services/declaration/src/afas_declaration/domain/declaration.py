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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from afas_declaration.domain.controls.justification import check_justification
from afas_declaration.domain.errors import Conflict, Forbidden, Invalid, NotFound
from afas_shared.clock import PARIS
from afas_shared.contracts.declaration_states import DeclarationState as State
from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationControlledV1,
    DeclarationFiguresUpdatedV1,
    DeclarationRefusedV1,
    DeclarationTransmittedV1,
    DeclarationValidatedV1,
    FormSavedV1,
    FormSentBackV1,
)

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
    Transition.transmit: (OPEN, "Cette déclaration a déjà été transmise à la Caf."),
    Transition.validate: (_TRANSMITTED, _ONLY_TRANSMITTED),
    Transition.refuse: (_TRANSMITTED, _ONLY_TRANSMITTED),
    Transition.cancel: (frozenset(State) - FINAL, ""),
}


# --- the aggregate ---------------------------------------------------------------------------------------------------


@dataclass
class Form:
    """One form of the declaration (activity data, per site or not; financial data), as last saved."""

    id: uuid.UUID
    kind: str  # activite | financier
    site_id: uuid.UUID | None = None
    site_name: str | None = None
    requested: bool = True
    state: State = State.a_saisir
    values: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    saved_by: uuid.UUID | None = None
    saved_by_name: str | None = None
    saved_at: datetime | None = None
    # Set when the approbateur sends the form back to its provider; cleared by the next save
    sent_back_comment: str | None = None
    sent_back_by_name: str | None = None


@dataclass
class Transmission:
    """A transmitted version: what was sealed (hash, figures), who signed, and the Caf's decision on it."""

    version: int
    snapshot_hash: str
    figures: dict[str, Any]
    signer_id: uuid.UUID | None
    signer_name: str
    transmitted_at: datetime
    decision: State | None = None
    decision_reason: str | None = None
    decided_by: uuid.UUID | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    id: uuid.UUID | None = None  # once stored
    # Only for a transmission made now, for the store to keep: the canonical JSON snapshot and its PDF receipt
    snapshot: str | None = None
    receipt: bytes | None = None
    new: bool = False


@dataclass(frozen=True)
class Sealed:
    """The frozen snapshot of the declaration at transmission (canonical JSON, its SHA-256) and its PDF receipt
    (empty while a worker process renders it from the snapshot: ``application.receipts``)."""

    snapshot: str
    hash: str
    receipt: bytes
    signer_name: str


class FormLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def site_name(self) -> str | None: ...
    @property
    def requested(self) -> bool: ...
    @property
    def version(self) -> int: ...


def obstacles(forms: Iterable[FormLike], results: Sequence[dict[str, Any]]) -> list[str]:
    """What prevents transmission, in French and by name, given the forms and the control results (with their
    justifications); empty when the declaration may be transmitted."""
    found = []
    unsaved = [f for f in forms if f.requested and f.version == 0]
    if unsaved:
        found.append("formulaires jamais enregistrés : " + ", ".join(form_name(f) for f in unsaved))
    blocking = [r for r in results if _blocking(r)]
    if blocking:
        found.append(f"{len(blocking)} anomalie(s) bloquante(s) à corriger : " + ", ".join(map(_named, blocking)))
    unjustified = [r for r in results if r["a_justifier"] and not r["justification"]]
    if unjustified:
        found.append(f"{len(unjustified)} anomalie(s) signalée(s) à justifier : " + ", ".join(map(_named, unjustified)))
    return found


def form_name(form: FormLike) -> str:
    kind = "données d'activité" if form.kind == "activite" else "données financières"
    return kind + (f" ({form.site_name})" if form.site_name else "")


def _named(result: dict[str, Any]) -> str:
    return f"« {result['libelle']} »" + (f" ({result['lieu']})" if result["lieu"] else "")


def _blocking(result: dict[str, Any]) -> bool:
    return result["statut"] == "anomalie" and result["severite"] == "blocking"


def justified_keys(results: Iterable[dict[str, Any]]) -> list[str]:
    return [r["cle"] for r in results if r["a_justifier"] and r["justification"]]


@dataclass
class Declaration:
    """One activity's declaration for a campaign (exercice and type), with its forms."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str
    exercice: int
    declaration_type: str
    # The activity's, carried by the events
    family: str
    nature: str
    activity_opening_date: date | None = None
    state: State = State.a_saisir
    version: int = 1  # 1, then 2 after a refusal…
    forms: list[Form] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)  # the latest control run
    controlled_at: datetime | None = None
    justifications: dict[str, Any] = field(default_factory=dict)  # the approbateur's, by control key
    complement: str | None = None
    refusal_reason: str | None = None  # why the Caf refused the latest version
    transmission: Transmission | None = None  # of the current version, once transmitted
    events: list[Recorded] = field(default_factory=list)

    # --- reading ---

    def form(self, form_id: uuid.UUID) -> Form:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise NotFound("Formulaire inconnu.")

    @property
    def saves(self) -> int:
        """How many saves the declaration's forms have had, all versions together: orders its figures."""
        return sum(f.version for f in self.forms)

    @property
    def shown_refusal(self) -> str | None:
        """The Caf's reason, while the partner revises what it refused."""
        return self.refusal_reason if self.state in REVISING else None

    def pull_events(self) -> list[Recorded]:
        recorded, self.events = self.events, []
        return recorded

    # --- the rules ---

    def authorize(self, actor: Actor, transition: Transition, form_id: uuid.UUID | None = None) -> None:
        """Who may make ``transition`` (Forbidden otherwise)."""
        who = WHO[transition]
        if not who.may(actor, form_id):
            raise Forbidden(who.refused)

    def require_state(self, transition: Transition) -> None:
        """From which states ``transition`` is made (Conflict otherwise)."""
        states, refused = FROM[transition]
        if self.state in states:
            return
        if transition in (Transition.validate, Transition.refuse, Transition.cancel) and self.state in FINAL:
            raise Conflict(f"Cette déclaration est déjà {self.state.label.lower()}.")
        raise Conflict(refused)

    def check_transmit(self, actor: Actor, signed: bool) -> None:
        """What is checked before the declaration is controlled one last time and sealed."""
        self.authorize(actor, Transition.transmit)
        if not signed:
            raise Invalid("Cochez la case de signature : elle vaut signature et engage le gestionnaire.", "signature")
        self.require_state(Transition.transmit)

    def check_obstacles(self, results: Sequence[dict[str, Any]]) -> None:
        """Nothing stands in the way of transmission: every requested form saved, nothing blocking in the last
        control run (``results``), every flag justified (Conflict naming them otherwise)."""
        problems = obstacles(self.forms, results)
        if problems:
            raise Conflict("Transmission impossible : " + " ; ".join(problems))

    def require_requested(self, form_id: uuid.UUID) -> Form:
        form = self.form(form_id)
        if not form.requested:
            raise Conflict("Ce formulaire n'est pas demandé pour cette déclaration.")
        return form

    def flagged(self, key: str) -> dict[str, Any]:
        """The flagged control result to justify under ``key``, from the latest control run."""
        for result in self.controls:
            if result["a_justifier"] and result["cle"] == key:
                return result
        raise NotFound("Aucune anomalie signalée sous cette clé : relancez les contrôles.")

    def _working_state(self) -> State:
        """Open and not controlled: being revised after a refusal (version 2 and later), else being filled."""
        return State.en_revision if self.version > 1 else State.en_cours

    def _facts(self) -> dict[str, Any]:
        """The fields every declaration lifecycle event carries."""
        return {
            "declaration_id": self.id,
            "declaration_version": self.version,
            "activity_id": self.activity_id,
            "partner_id": self.partner_id,
            "caf_code": self.caf_code,
            "family": self.family,
            "nature": self.nature,
            "exercice": self.exercice,
            "declaration_type": self.declaration_type,
        }

    def _record(self, data: EventData, subject: uuid.UUID, aggregate_version: int) -> None:
        self.events.append(Recorded(data, str(subject), aggregate_version))

    @staticmethod
    def _acting(actor: Actor) -> uuid.UUID:
        if actor.user_id is None:
            raise Forbidden("Utilisateur inconnu.")
        return actor.user_id

    # --- the partner's transitions ---

    def save_form(
        self,
        actor: Actor,
        form_id: uuid.UUID,
        *,
        expected_version: int,
        values: dict[str, Any],
        now: datetime,
        figures: Callable[[Sequence[Form]], dict[str, str]],
    ) -> Form:
        """A provider (or the approbateur) saves a form's checked values as a draft, on the version it read; the
        first save after a refusal revises the declaration. ``figures`` gives the declaration's aggregate figures
        from its forms, announced with the save."""
        self.authorize(actor, Transition.save, form_id)
        form = self.require_requested(form_id)
        self.require_state(Transition.save)
        if form.version != expected_version:
            raise Conflict(self._stale_version(form, expected_version), "version")
        form.values, form.version = values, form.version + 1
        form.saved_by, form.saved_by_name, form.saved_at = actor.user_id, actor.name, now
        form.state, form.sent_back_comment, form.sent_back_by_name = State.en_cours, None, None
        # A change after the controls calls for controlling again; a refused declaration is being revised.
        self.state = self._working_state()
        self._record(
            FormSavedV1(
                form_id=form.id,
                declaration_id=self.id,
                activity_id=self.activity_id,
                kind=form.kind,
                site_id=form.site_id,
                form_version=form.version,
                saved_by=self._acting(actor),
            ),
            form.id,
            order(form.version, FormStep.saved),
        )
        self._record(
            DeclarationFiguresUpdatedV1(
                **self._facts(), figures=figures(self.forms), activity_opening_date=self.activity_opening_date
            ),
            self.id,
            self.saves,
        )
        return form

    @staticmethod
    def _stale_version(form: Form, expected_version: int) -> str:
        if expected_version < form.version:
            moment = form.saved_at.astimezone(PARIS) if form.saved_at else None
            when = f" le {moment:%d/%m/%Y} à {moment:%H:%M}" if moment else ""
            by = f" par {form.saved_by_name}" if form.saved_by_name else ""
            return (
                f"Ce formulaire a été enregistré entre-temps{by}{when} : rechargez-le, "
                "votre saisie n'a pas été enregistrée."
            )
        return (
            f"La version {expected_version} de ce formulaire n'existe pas (version actuelle : "
            f"{form.version}) : rechargez-le, votre saisie n'a pas été enregistrée."
        )

    def send_back(self, actor: Actor, form_id: uuid.UUID, comment: str) -> Form:
        """The approbateur returns a saved form to its provider with a comment; the provider's next save clears it."""
        self.authorize(actor, Transition.send_back, form_id)
        comment = comment.strip()
        if len(comment) < COMMENT_MIN_LENGTH:
            raise Invalid("Expliquez au fournisseur ce qu'il doit corriger.", "commentaire")
        form = self.form(form_id)
        if not form.requested:
            raise Conflict(FROM[Transition.send_back][1])
        self.require_state(Transition.send_back)
        if form.version == 0:  # never saved: nothing to correct (and no form version for the event)
            raise Conflict("Ce formulaire n'a pas encore été saisi : il n'y a rien à renvoyer.")
        form.state, form.sent_back_comment, form.sent_back_by_name = State.a_corriger, comment, actor.name
        if self.state == State.controlee:
            self.state = self._working_state()
        self._record(
            FormSentBackV1(
                form_id=form.id,
                declaration_id=self.id,
                activity_id=self.activity_id,
                kind=form.kind,
                site_id=form.site_id,
                comment=comment,
                sent_back_by=self._acting(actor),
            ),
            form.id,
            order(form.version, FormStep.sent_back),
        )
        return form

    def justify(self, actor: Actor, key: str, text: str, figure: Decimal | None, now: datetime) -> dict[str, Any]:
        """The approbateur justifies a flagged control result « with text and figures »."""
        self.authorize(actor, Transition.justify)
        self.require_state(Transition.justify)
        self.flagged(key)
        problem = check_justification(text, figure)
        if problem:
            raise Invalid(problem, "texte" if figure is not None else "montant")
        self.justifications[key] = {
            "texte": text.strip(),
            "montant": format(figure, "f"),
            "par": actor.name,
            "le": now.astimezone(PARIS).isoformat(timespec="seconds"),
        }
        return self.justifications[key]

    def set_complement(self, actor: Actor, text: str | None) -> str | None:
        self.authorize(actor, Transition.complement)
        self.require_state(Transition.complement)
        self.complement = (text or "").strip() or None
        return self.complement

    def control(self, actor: Actor, results: list[dict[str, Any]], now: datetime) -> bool:
        """Record a control run; a complete declaration with nothing blocking becomes « Contrôlée » (flags are
        justified afterwards). Returns whether it is."""
        self.authorize(actor, Transition.control)
        self.require_state(Transition.control)
        blocking = sum(1 for r in results if _blocking(r))
        flagged = sum(1 for r in results if r["a_justifier"])
        ready = blocking == 0 and all(f.version > 0 for f in self.forms if f.requested)
        self.controls, self.controlled_at = results, now
        if ready:
            self.state = State.controlee
        elif self.state == State.controlee:
            self.state = self._working_state()
        self._record(
            DeclarationControlledV1(
                declaration_id=self.id,
                activity_id=self.activity_id,
                declaration_version=self.version,
                blocking=blocking,
                flagged=flagged,
                ready=ready,
            ),
            self.id,
            order(self.version, Step.controlled),
        )
        return ready

    def transmit(
        self,
        actor: Actor,
        *,
        signed: bool,
        expected_version: int,
        complement: str | None,
        results: list[dict[str, Any]],
        figures: dict[str, str],
        estimate: str | None,
        sealed: Sealed,
        now: datetime,
    ) -> Transmission:
        """The approbateur signs and transmits the version it had controlled one last time (``results``, with the
        justifications) and sealed: frozen, it goes to the Caf."""
        self.check_transmit(actor, signed)
        if self.version != expected_version:
            raise Conflict(FROM[Transition.transmit][1])
        self.check_obstacles(results)
        self.state, self.complement = State.transmise, complement
        self.controls, self.controlled_at = results, now
        for form in self.forms:
            if form.requested:
                form.state = State.transmise
        self.transmission = Transmission(
            version=self.version,
            snapshot_hash=sealed.hash,
            figures=figures,
            signer_id=actor.user_id,
            signer_name=sealed.signer_name,
            transmitted_at=now,
            snapshot=sealed.snapshot,
            receipt=sealed.receipt,
            new=True,
        )
        self._record(
            DeclarationTransmittedV1(
                **self._facts(),
                transmitted_by=self._acting(actor),
                transmitted_at=now,
                snapshot_hash=sealed.hash,
                figures=figures,
                flagged_justified=sorted(justified_keys(results)),
                estimate=estimate,
                revision=self.version > 1,
            ),
            self.id,
            order(self.version, Step.transmitted),
        )
        return self.transmission

    # --- the Caf's transitions ---

    def _decide(self, actor: Actor, transition: Transition, reason: str | None, now: datetime) -> None:
        self.authorize(actor, transition)
        if transition is not Transition.validate and (reason is None or len(reason) < REASON_MIN_LENGTH):
            raise Invalid(f"Indiquez le motif ({REASON_MIN_LENGTH} caractères au moins).", "motif")
        self.require_state(transition)
        decision = {Transition.validate: State.validee, Transition.refuse: State.refusee}.get(transition, State.annulee)
        t = self.transmission
        if t is not None and t.version == self.version:
            t.decision, t.decision_reason = decision, reason
            t.decided_by, t.decided_by_name, t.decided_at = actor.user_id, actor.name or "Caf", now

    def validate(self, actor: Actor, now: datetime, gap_justification_accepted: bool = False) -> None:
        """An instruction agent validates the transmitted version: its figures are final. It may accept the partner's
        justification of a forecast/actual gap above 10 % (whether there is one is estimation's to compute)."""
        self._decide(actor, Transition.validate, None, now)
        sealed = self.transmission
        if sealed is None:  # transmitted without a transmission: never written so
            raise Conflict(FROM[Transition.validate][1])
        self.state = State.validee
        self._record(
            DeclarationValidatedV1(
                **self._facts(),
                validated_by=actor.user_id,
                validated_at=now,
                snapshot_hash=sealed.snapshot_hash,
                figures=sealed.figures,
                forecast_gap_justified=gap_justification_accepted,
                activity_opening_date=self.activity_opening_date,
            ),
            self.id,
            order(self.version, Step.decided),
        )

    def refuse(self, actor: Actor, reason: str | None, now: datetime) -> None:
        """An instruction agent refuses the transmitted version with a reason: it comes back to the partner as the
        next version, to revise (its forms open again, its controls are to run again)."""
        self._decide(actor, Transition.refuse, reason, now)
        assert reason is not None  # checked by _decide
        self.state, self.refusal_reason = State.refusee, reason
        self._record(
            DeclarationRefusedV1(**self._facts(), refused_by=actor.user_id, refused_at=now, reason=reason),
            self.id,
            order(self.version, Step.decided),
        )
        self.version += 1
        self.controls, self.controlled_at = [], None
        for form in self.forms:
            if form.requested:
                form.state = State.en_cours

    def cancel(self, actor: Actor, reason: str | None, now: datetime) -> None:
        """An instruction agent cancels the declaration, with a reason: nothing more is expected of it."""
        self._decide(actor, Transition.cancel, reason, now)
        assert reason is not None  # checked by _decide
        self.state = State.annulee
        self._record(
            DeclarationCancelledV1(**self._facts(), cancelled_by=actor.user_id, cancelled_at=now, reason=reason),
            self.id,
            order(self.version, Step.decided),
        )
