"""Password policy (CNIL 2022) and argon2id hashing."""

from __future__ import annotations

import pytest

from afas_identity.domain import passwords
from afas_identity.domain.passwords import (
    CONTAINS_IDENTIFIER,
    CONTAINS_NAME,
    TOO_LONG,
    TOO_WEAK,
    hash_password,
    needs_rehash,
    password_problems,
    verify_against_dummy,
    verify_password,
)


def test_the_weak_password_message_is_the_one_shown_to_users():
    assert TOO_WEAK == (
        "Le mot de passe doit comporter au moins 12 caractères dont une majuscule, une minuscule, un chiffre et "
        "un caractère spécial, ou être une phrase de passe d'au moins 20 caractères et 4 mots."
    )


@pytest.mark.parametrize(
    "password",
    [
        "Tournesol-42x",  # 12+ with four kinds
        "Abcdefgh12!x",  # exactly 12, four kinds
        "Tournesol42Bleu",  # 14+ with three kinds, no special character
        "Abcdefghijk123",  # exactly 14, three kinds
        "le petit chat boit du lait",  # passphrase
        "cheval-correct-pile-agrafe",  # passphrase with punctuation
        "Été'Forêt'Château'Noël",  # passphrase, accented words
    ],
)
def test_acceptable_passwords(password):
    assert password_problems(password) == []


@pytest.mark.parametrize(
    "password",
    [
        "",
        "Abcdefg12!x",  # 11 characters, four kinds
        "abcdefgh12!xy",  # no upper case
        "ABCDEFGH12!XY",  # no lower case
        "Abcdefghij!!xy",  # no digit
        "Abcdefghijk12",  # 13 characters, three kinds: needs a special character
        "abcdefghijklmnopqrstuvwxyz",  # long but one word, one kind
        "le petit chat boit",  # 4 words but under 20 characters
        "chevalcorrect pile agrafe",  # 20+ characters but 3 words
        "1234 5678 9012 3456 7890",  # groups of digits are not words
    ],
)
def test_weak_passwords(password):
    assert password_problems(password) == [TOO_WEAK]


def test_longer_than_128_characters_is_refused():
    long_enough = "Ab1!" + "x" * 124
    assert password_problems(long_enough) == []
    assert password_problems(long_enough + "x") == [TOO_LONG]


def test_the_identifier_is_refused():
    assert password_problems("Xx123456789!yy", identifier="123456789") == [CONTAINS_IDENTIFIER]
    assert password_problems("Xx123456789!yy", identifier="987654321") == []
    assert password_problems("Xx123456789!yy", identifier=None) == []


@pytest.mark.parametrize(
    "password",
    [
        "Moreau-2024!xx",
        "MOREAU-2024!xx",
        "xxHelene2024!!",  # accents ignored
        "xxHÉLÈNE2024!!",
    ],
)
def test_the_name_is_refused_whatever_the_case_and_accents(password):
    assert password_problems(password, names=["Moreau", "Hélène"]) == [CONTAINS_NAME]


def test_compound_names_are_checked_part_by_part():
    assert password_problems("Pierre-2024!xx", names=["Jean-Pierre"]) == [CONTAINS_NAME]
    assert password_problems("Gallimard-24!x", names=["Le Gall"]) == [CONTAINS_NAME]


def test_short_names_are_not_checked():
    assert password_problems("Lion-du-Tchad-7", names=["Li", "Tc"]) == []


def test_several_problems_are_all_reported():
    assert password_problems("moreau123456789", identifier="123456789", names=["Moreau"]) == [
        TOO_WEAK,
        CONTAINS_IDENTIFIER,
        CONTAINS_NAME,
    ]


def test_hash_is_argon2id_and_verifies():
    hashed = hash_password("Tournesol-42x")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Tournesol-42x")
    assert not needs_rehash(hashed)


def test_hashes_are_salted():
    assert hash_password("Tournesol-42x") != hash_password("Tournesol-42x")


def test_wrong_password_does_not_verify():
    assert not verify_password(hash_password("Tournesol-42x"), "Tournesol-42X")


@pytest.mark.parametrize("garbage", ["", "garbage", "$argon2id$v=19$m=65536,t=3,p=4$zzz$yyy", "$2b$12$abcdef"])
def test_garbage_hash_returns_false(garbage):
    assert verify_password(garbage, "Tournesol-42x") is False
    assert needs_rehash(garbage)


def test_hash_with_weaker_parameters_needs_rehash():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("Tournesol-42x")
    assert verify_password(old, "Tournesol-42x")
    assert needs_rehash(old)


def test_dummy_hash_is_computed_once_and_never_matches():
    assert passwords.DUMMY_HASH.startswith("$argon2id$")
    assert passwords.DUMMY_HASH == passwords.DUMMY_HASH
    assert verify_against_dummy("Tournesol-42x") is False
    assert verify_against_dummy("") is False
