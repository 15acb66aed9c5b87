"""Conventions: labels, validity, and when a partner may have AFAS users."""

from __future__ import annotations

from datetime import date

import pytest

from afas_identity.domain.conventions import (
    ConventionFacts,
    ConventionKind,
    State,
    Status,
    date_problem,
    partner_may_have_afas_users,
    state_of,
)

TODAY = date(2025, 3, 10)
ACCES = ConventionKind.convention_acces
ADHESION = ConventionKind.bulletin_adhesion
CONTRAT = ConventionKind.contrat_service


def test_kinds_are_snake_ids_with_french_labels():
    assert [k.value for k in ConventionKind] == ["convention_acces", "contrat_service", "bulletin_adhesion"]
    assert ConventionKind("convention_acces").label == "Convention d'accès Mon Compte Partenaire"
    assert CONTRAT.label == "Contrat de service AFAS"
    assert ADHESION.label == "Bulletin d'adhésion AFAS"
    assert ACCES == "convention_acces"


def test_status_and_state_labels():
    assert Status.ouvert.label == "Ouvert"
    assert Status.ferme.label == "Fermé"
    assert State.valable.label == "Valable"
    assert State.non_valable.label == "Non valable"


def _state(**overrides):
    facts = {"status": Status.ouvert, "signed": True, "opening": date(2025, 1, 1), "closing": None, "today": TODAY}
    return state_of(**(facts | overrides))


def test_signed_open_and_in_force_is_valable():
    assert _state() is State.valable
    assert _state(opening=TODAY) is State.valable
    assert _state(closing=TODAY) is State.valable


@pytest.mark.parametrize(
    "overrides",
    [
        {"signed": False},
        {"status": Status.ferme},
        {"opening": date(2025, 3, 11)},
        {"closing": date(2025, 3, 9)},
    ],
)
def test_otherwise_non_valable(overrides):
    assert _state(**overrides) is State.non_valable


def _facts(kind, **overrides):
    values = {"status": Status.ouvert, "signed": True, "opening": date(2025, 1, 1), "closing": None} | overrides
    return ConventionFacts(kind=kind, **values)


def test_afas_users_need_a_valid_access_convention_and_a_valid_membership_form():
    assert partner_may_have_afas_users([_facts(ACCES), _facts(ADHESION)], TODAY)
    assert partner_may_have_afas_users(iter([_facts(CONTRAT), _facts(ADHESION), _facts(ACCES)]), TODAY)


@pytest.mark.parametrize(
    "conventions",
    [
        [],
        [_facts(ACCES)],
        [_facts(ADHESION)],
        [_facts(ACCES), _facts(CONTRAT)],
        [_facts(ACCES), _facts(ADHESION, signed=False)],
        [_facts(ACCES, status=Status.ferme), _facts(ADHESION)],
        [_facts(ACCES), _facts(ADHESION, closing=date(2025, 2, 28))],
    ],
)
def test_no_afas_users_otherwise(conventions):
    assert not partner_may_have_afas_users(conventions, TODAY)


def test_an_invalid_convention_does_not_hide_a_valid_one_of_the_same_kind():
    assert partner_may_have_afas_users([_facts(ACCES, signed=False), _facts(ACCES), _facts(ADHESION)], TODAY)


def test_date_problem():
    message = "La date de fermeture doit être postérieure ou égale à la date d'ouverture."
    assert date_problem(date(2025, 1, 1), None) is None
    assert date_problem(date(2025, 1, 1), date(2025, 1, 1)) is None
    assert date_problem(date(2025, 1, 1), date(2025, 12, 31)) is None
    assert date_problem(date(2025, 1, 1), date(2024, 12, 31)) == message
