"""The 101 Caf reference data: one fund per département, codes on 3 digits."""

from __future__ import annotations

import re

import pytest

from afas_identity.domain.cafs import CAFS, Caf, UnknownCaf, get_caf


def test_there_are_101_cafs_keyed_by_their_own_code():
    assert len(CAFS) == 101
    assert all(key == caf.code for key, caf in CAFS.items())


def test_codes_are_three_digits():
    assert all(re.fullmatch(r"[0-9]{3}", code) for code in CAFS)


def test_one_caf_per_departement_and_unique_names():
    assert len({caf.departement for caf in CAFS.values()}) == 101
    assert len({caf.name for caf in CAFS.values()}) == 101


def test_corsica_has_two_funds_and_no_020():
    assert "020" not in CAFS
    assert get_caf("201") == Caf("201", "Caf de la Corse-du-Sud", "2A")
    assert get_caf("202") == Caf("202", "Caf de la Haute-Corse", "2B")


def test_metropolitan_and_overseas_codes():
    expected = {f"{n:03d}" for n in range(1, 96) if n != 20} | {"201", "202", "971", "972", "973", "974", "976"}
    assert set(CAFS) == expected


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("001", "Caf de l'Ain"),
        ("002", "Caf de l'Aisne"),
        ("059", "Caf du Nord"),
        ("064", "Caf des Pyrénées-Atlantiques"),
        ("075", "Caf de Paris"),
        ("080", "Caf de la Somme"),
        ("092", "Caf des Hauts-de-Seine"),
        ("974", "Caf de La Réunion"),
    ],
)
def test_known_names(code, name):
    assert get_caf(code).name == name


def test_metropolitan_departement_is_the_code_without_padding():
    assert get_caf("080").departement == "80"
    assert get_caf("001").departement == "01"
    assert get_caf("974").departement == "974"


@pytest.mark.parametrize("code", ["020", "975", "80", "", "0800"])
def test_unknown_code_raises_a_lookup_error_in_french(code):
    with pytest.raises(UnknownCaf) as raised:
        get_caf(code)
    assert isinstance(raised.value, LookupError)
    assert str(raised.value) == f"Caf inconnue : {code}"
    assert raised.value.code == code


def test_caf_is_immutable():
    with pytest.raises(AttributeError):
        get_caf("080").name = "Caf de Picardie"  # type: ignore[misc]
