"""The declaration aggregate: a declaration, its forms and its current transmitted version, and the transitions of
its lifecycle as methods (the rules they follow, the diagram and the order of events: ``lifecycle.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from afas_declaration.domain.controls.justification import check_justification
from afas_declaration.domain.declaration_parts import (
    Form,
    Sealed,
    Transmission,
    _blocking,
    justified_keys,
    obstacles,
    stale_version,
)
from afas_declaration.domain.errors import Conflict, Forbidden, Invalid, NotFound
from afas_declaration.domain.gap_justification import acceptance_refusal
from afas_declaration.domain.lifecycle import (
    COMMENT_MIN_LENGTH,
    COMMENT_MISSING,
    FROM,
    NOT_REQUESTED,
    REASON_MIN_LENGTH,
    REVISING,
    WHO,
    Actor,
    FormStep,
    Recorded,
    Step,
    Transition,
    order,
    send_back_refusal,
    state_refusal,
)
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

    def authorize(self, actor: Actor, transition: Transition, form_id: uuid.UUID | None = None) -> None:
        """Who may make ``transition`` (Forbidden otherwise)."""
        who = WHO[transition]
        if not who.may(actor, form_id):
            raise Forbidden(who.refused)

    def require_state(self, transition: Transition) -> None:
        """From which states ``transition`` is made (Conflict otherwise)."""
        refused = state_refusal(transition, self.state)
        if refused is not None:
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
            raise Conflict(NOT_REQUESTED)
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
            raise Conflict(stale_version(form, expected_version), "version")
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
                saved_by=actor.acting_user(),
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

    def send_back(self, actor: Actor, form_id: uuid.UUID, comment: str) -> Form:
        """The approbateur returns a saved form to its provider with a comment; the provider's next save clears it."""
        self.authorize(actor, Transition.send_back, form_id)
        comment = comment.strip()
        if len(comment) < COMMENT_MIN_LENGTH:
            raise Invalid(COMMENT_MISSING, "commentaire")
        form = self.form(form_id)
        if why := send_back_refusal(actor, self.state, form_id, form.requested, form.version > 0):
            raise Conflict(why)
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
                sent_back_by=actor.acting_user(),
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
                transmitted_by=actor.acting_user(),
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
        if gap_justification_accepted and (why := acceptance_refusal(self.declaration_type)):
            raise Invalid(why, "justification_ecart_acceptee")
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
