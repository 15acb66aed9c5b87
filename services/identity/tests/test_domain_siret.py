"""SIRET validation: 14 digits, Luhn key, La Poste's sum-of-digits exception."""

from __future__ import annotations

import pytest

from afas_identity.domain.siret import is_valid_siret, siret_error


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # IBM France
        "35600000000048",  # La Poste, head office (passes Luhn too)
        "35600000049837",  # La Poste establishment: sum of digits 45, fails Luhn
        "44306184100047",  # Google France
    ],
)
def test_valid_sirets(siret):
    assert is_valid_siret(siret)
    assert siret_error(siret) is None


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000075",  # last digit changed
        "73282932000047",  # two digits swapped
        "35600000049838",  # La Poste, sum 46
        "00000000000001",
    ],
)
def test_wrong_check_digit(siret):
    assert not is_valid_siret(siret)
    assert siret_error(siret) == f"Le SIRET {siret} n'est pas valide (clé de contrôle incorrecte)."


def test_the_la_poste_rule_applies_only_to_la_poste():
    # same digit sum as 35600000049837 (a multiple of 5) but another SIREN, and not Luhn-valid
    assert not is_valid_siret("35700000049827")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "7328293200007",  # 13 digits
        "732829320000740",  # 15 digits
        "732 829 320 00074",  # spaces are not stripped here
        "7328293200007A",
        "73282932000074\n",
        "７３２８２９３２０００７４",  # full-width digits
    ],
)
def test_not_fourteen_digits(value):
    assert not is_valid_siret(value)
    assert siret_error(value) == "Le SIRET doit comporter 14 chiffres."
