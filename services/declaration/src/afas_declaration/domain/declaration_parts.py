"""What a declaration holds besides its own state: its forms, its transmitted version, what blocks a transmission
(used by the aggregate in ``declaration.py``)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from afas_declaration.domain.controls.model import DERIVED_CONTROLS as FORM_CHECKS
from afas_shared.clock import PARIS
from afas_shared.contracts.declaration_states import DeclarationState as State
from afas_shared.french_plural import counted


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
        blocking_count = counted(len(blocking), "anomalie bloquante", "anomalies bloquantes")
        found.append(f"{blocking_count} à corriger : " + _listed(blocking))
    unjustified = [r for r in results if r["a_justifier"] and not r["justification"]]
    if unjustified:
        unjustified_count = counted(len(unjustified), "anomalie signalée", "anomalies signalées")
        found.append(f"{unjustified_count} à justifier : " + _listed(unjustified))
    return found


def form_name(form: FormLike) -> str:
    kind = "données d'activité" if form.kind == "activite" else "données financières"
    return kind + (f" ({form.site_name})" if form.site_name else "")


def _listed(results: Sequence[dict[str, Any]]) -> str:
    """Each control named once, with how many times it failed: « Champs obligatoires » (données d'activité, Les
    Lutins, 19 fois), not the same name nineteen times (the form checks report one result per field)."""
    counted = Counter((r["libelle"], _form_of(r), r["lieu"]) for r in results)
    return ", ".join(_named(label, form, site, n) for (label, form, site), n in counted.items())


def _form_of(result: dict[str, Any]) -> str | None:
    # The form checks (required fields, valid values) exist once per form: the form tells them apart
    if result.get("id") not in FORM_CHECKS or not result.get("formulaire"):
        return None
    return "données d'activité" if result["formulaire"] == "activite" else "données financières"


def _named(label: str, form: str | None, site: str | None, times: int) -> str:
    details = [part for part in (form, site, f"{times} fois" if times > 1 else None) if part]
    return f"« {label} »" + (f" ({', '.join(details)})" if details else "")


def _blocking(result: dict[str, Any]) -> bool:
    return result["statut"] == "anomalie" and result["severite"] == "blocking"


def justified_keys(results: Iterable[dict[str, Any]]) -> list[str]:
    return [r["cle"] for r in results if r["a_justifier"] and r["justification"]]


def stale_version(form: Form, expected_version: int) -> str:
    """Why a save naming another version than the form's is refused (the partner is told to reload)."""
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
