"""The one place the pages turn codes into the French labels people read: families, natures, form fields.

The labels come from the form definitions of the current campaign (``definitions/<version>/<family>.yaml``: the
family's ``label``, its ``natures`` and every field's ``label``), the same files the forms are drawn from, so a
label changes in one place. Codes stay in the API, in URLs and in form values; what a page, a CSV or a message shows
goes through here. The nature ``general`` (a family without sub-natures) reads as its family's label.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from afas_declaration.application.campaigns import FAMILIES, FORM_VERSION
from afas_declaration.domain.forms import load_definition
from afas_declaration.domain.forms.model import FamilyDefinition
from afas_shared.contracts.declaration_states import label_of

GENERAL_NATURE = "general"
GENERAL_LABEL = "Nature unique (activités sans sous-nature)"
# "(prix_plafond_horaire)": a code in brackets, left by a note written for developers; never shown to a partner
_BRACKETED_CODE = re.compile(r"\s*\((?:[a-z0-9]+_)+[a-z0-9]+\)")


@cache
def definitions() -> dict[str, FamilyDefinition]:
    """The form definitions of the current campaign, by family (those that have one)."""
    found = {}
    for family in FAMILIES:
        try:
            found[family] = load_definition(family, FORM_VERSION)
        except Exception:  # a family without a form definition yet keeps its code
            continue
    return found


def family_labels() -> dict[str, str]:
    """Every family's code and label, in the catalogue's order (the choices of a filter)."""
    known = definitions()
    return {f: known[f].label if f in known else f for f in FAMILIES}


def family_label(code: str | None) -> str:
    if not code:
        return "—"
    return family_labels().get(code, code)


def nature_label(code: str | None, family: str | None = None) -> str:
    """``multi_accueil`` → « Multi-accueil »; ``general`` → its family's label (« Relais petite enfance »)."""
    if not code:
        return "—"
    known = definitions()
    if family in known and code in known[family].natures:
        return known[family].natures[code]
    if code == GENERAL_NATURE:
        return family_label(family) if family else GENERAL_LABEL
    return nature_labels().get(code, code)


@cache
def nature_labels() -> dict[str, str]:
    """Every nature code and its label (``general`` once, with a label of its own): the choices of a filter."""
    labels: dict[str, str] = {}
    for definition in definitions().values():
        for code, label in definition.natures.items():
            labels.setdefault(code, GENERAL_LABEL if code == GENERAL_NATURE else label)
    return labels


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("_", " ").split())


def nature_code(text: str | None) -> str | None:
    """The nature a person typed or chose: a code as it is, else the one nature whose label (or code) contains the
    text, accents and case aside (« périscolaire » → ``periscolaire``); ``None`` when nothing was asked. Text
    matching no nature, or several, is kept as typed: the list then shows that nothing matches it."""
    if not text or not text.strip():
        return None
    text = text.strip()
    labels = nature_labels()
    if text in labels:
        return text
    wanted = _plain(text)
    exact = [code for code, label in labels.items() if wanted in (_plain(label), _plain(code))]
    if len(exact) == 1:
        return exact[0]
    partial = [code for code, label in labels.items() if wanted in _plain(label) or wanted in _plain(code)]
    return partial[0] if len(partial) == 1 else text


def field_label(family: str | None, field: str) -> str:
    definition = definitions().get(family or "")
    if definition is not None and field in definition.declaration_fields:
        return definition.declaration_fields[field].label
    return field


def with_field_labels(message: str | None, family: str | None = None) -> str | None:
    """A message naming form fields by their ids (« Données manquantes pour l'estimation : heures_realisees »)
    with their labels instead, and no bracketed code left."""
    if not message:
        return message
    definition = definitions().get(family or "")
    fields = {k: f.label for k, f in definition.declaration_fields.items()} if definition is not None else _all_fields()
    message = re.sub(
        r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",
        lambda m: f"« {fields[m.group(0)]} »" if m.group(0) in fields else m.group(0),
        message,
    )
    return without_codes(message)


@cache
def _all_fields() -> dict[str, str]:
    """Every field id of every family and its label (the first family's, when the family is not known)."""
    found: dict[str, str] = {}
    for definition in definitions().values():
        for field_id, field in definition.declaration_fields.items():
            found.setdefault(field_id, field.label)
    return found


def without_codes(text: str | None) -> str:
    return _BRACKETED_CODE.sub("", text or "")


# --- States: one label per state on every page -------------------------------------------------------------------
# A control result's status, as the controls page, the Caf's instruction page and the receipt name it
CONTROL_STATUSES = {"ok": "Conforme", "anomalie": "Anomalie", "non_evalue": "Non évalué"}


def state_label(code: str | None) -> str:
    """A declaration's or form's state: « Transmise Caf », « Validée Caf »… (the shared list of states)."""
    return label_of(code) if code else "—"


def decision_label(code: str | None) -> str:
    """The Caf's decision on a version, as the state it leads to reads (« Validée Caf » → « Validée », for « validée
    par … le … »): the decision and the state cannot drift apart."""
    return state_label(code).removesuffix(" Caf")


def control_status_label(code: str | None) -> str:
    return CONTROL_STATUSES.get(code or "", code or "—")
