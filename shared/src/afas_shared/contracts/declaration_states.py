"""The states of a declaration and of its forms: their codes (stored, and given to API callers as ``etat_code``)
and their French labels. One list for every service: declaration's domain decides the transitions between them
(``afas_declaration.domain.declaration``); notification and estimation only name the outcomes its events announce.

The order of the members is the order the screens list them in (the campaign follow-up counts each state).
"""

from __future__ import annotations

from enum import StrEnum


class DeclarationState(StrEnum):
    a_saisir = "a_saisir"
    en_cours = "en_cours"
    a_corriger = "a_corriger"  # a form's state only: sent back to its provider by the approbateur
    controlee = "controlee"
    transmise = "transmise"
    validee = "validee"
    refusee = "refusee"
    en_revision = "en_revision"
    annulee = "annulee"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DeclarationState.a_saisir: "À saisir",
    DeclarationState.en_cours: "En cours de saisie",
    DeclarationState.a_corriger: "À corriger",
    DeclarationState.controlee: "Contrôlée",
    DeclarationState.transmise: "Transmise Caf",
    DeclarationState.validee: "Validée Caf",
    DeclarationState.refusee: "Refusée Caf",
    DeclarationState.en_revision: "En révision",
    DeclarationState.annulee: "Annulée Caf",
}

STATE_CODES = frozenset(state.value for state in DeclarationState)


def label_of(code: str) -> str:
    """The French label of a stored state code; an unknown code is shown as it is."""
    try:
        return DeclarationState(code).label
    except ValueError:
        return code
