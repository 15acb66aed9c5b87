"""Password policy and hashing.

The policy follows the CNIL 2022 recommendation on passwords (about 80 bits of entropy), in three accepted
shapes: 12 characters of four kinds, 14 characters of three kinds (no special character), or a passphrase of
20 characters and 4 words. Whatever the shape, a password must not hold the user's identifier or names.

Hashes are argon2id with argon2-cffi's default parameters (RFC 9106 low-memory profile).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_LENGTH = 128

TOO_WEAK = (
    "Le mot de passe doit comporter au moins 12 caractères dont une majuscule, une minuscule, un chiffre et un "
    "caractère spécial, ou être une phrase de passe d'au moins 20 caractères et 4 mots."
)
TOO_LONG = f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."
CONTAINS_IDENTIFIER = "Le mot de passe ne doit pas contenir votre identifiant."
CONTAINS_NAME = "Le mot de passe ne doit pas contenir votre nom ou votre prénom."

# a name shorter than this would forbid too many innocent passwords ("Li", "Ba")
_MIN_NAME_LETTERS = 3
_WORD_SEPARATORS = re.compile(r"[\W_]+")


def _is_special(char: str) -> bool:
    return not char.isalnum()


def _four_kinds(password: str) -> bool:
    return (
        len(password) >= 12
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
        and any(_is_special(c) for c in password)
    )


def _three_kinds(password: str) -> bool:
    return (
        len(password) >= 14
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
    )


def _passphrase(password: str) -> bool:
    words = [word for word in _WORD_SEPARATORS.split(password) if any(c.isalpha() for c in word)]
    return len(password) >= 20 and len(words) >= 4


def _fold(text: str) -> str:
    """Lower-case and without accents, so that "Hélène" is found in "HELENE2024"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _name_parts(names: Sequence[str]) -> list[str]:
    # "Jean-Pierre" and "Le Gall" are checked part by part: "pierre", "gall"
    parts = (part for name in names for part in _WORD_SEPARATORS.split(_fold(name)))
    return [part for part in parts if sum(c.isalpha() for c in part) >= _MIN_NAME_LETTERS]


def password_problems(password: str, *, identifier: str | None = None, names: Sequence[str] = ()) -> list[str]:
    """French messages explaining why the password is refused; empty when it is acceptable."""
    problems = []
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if not (_four_kinds(password) or _three_kinds(password) or _passphrase(password)):
        problems.append(TOO_WEAK)
    if identifier and identifier in password:
        problems.append(CONTAINS_IDENTIFIER)
    folded = _fold(password)
    if any(part in folded for part in _name_parts(names)):
        problems.append(CONTAINS_NAME)
    return problems


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's; an unreadable hash needs replacing too."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(32))


def verify_against_dummy(password: str) -> Literal[False]:
    """Spend the time of a real verification, so that an unknown identifier cannot be told from a known one."""
    verify_password(_dummy_hash(), password)
    return False


def __getattr__(name: str) -> str:
    # DUMMY_HASH is computed on first use: hashing at import would slow every process start
    if name == "DUMMY_HASH":
        return _dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
