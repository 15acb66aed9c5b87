"""Password policy and hashing.

The policy follows the CNIL 2022 recommendation on passwords (about 80 bits of entropy), in three accepted
shapes: 12 characters of four kinds, 14 characters of three kinds (no special character), or a passphrase of
20 characters and 4 words. Whatever the shape, a password must not hold the user's identifier or names.

Hashes are argon2id with the parameters the identity service's settings give (default: OWASP's Password Storage
Cheat Sheet minimum, 19 MiB, 2 passes, 1 lane). A hash made with other parameters still verifies, and says so
(``needs_rehash``) so that the next successful login stores it again with today's.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HashParameters:
    """argon2id's cost: memory in KiB, passes over it, lanes (threads inside one hash)."""

    memory_kib: int
    time_cost: int
    parallelism: int


# OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 is the minimum it recommends for argon2id
OWASP_MINIMUM = HashParameters(memory_kib=19 * 1024, time_cost=2, parallelism=1)
# argon2-cffi's own default (RFC 9106 "low memory"), the platform's parameters before issue 16: 1.3-1.8 s on a busy box
RFC_9106_LOW_MEMORY = HashParameters(memory_kib=64 * 1024, time_cost=3, parallelism=4)
DEFAULT_PARAMETERS = OWASP_MINIMUM


@cache
def _hasher(params: HashParameters) -> PasswordHasher:
    return PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib, parallelism=params.parallelism)


def hash_password(password: str, params: HashParameters = DEFAULT_PARAMETERS) -> str:
    return _hasher(params).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whatever parameters the hash was made with: they are read from the hash itself."""
    try:
        return _hasher(DEFAULT_PARAMETERS).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, params: HashParameters = DEFAULT_PARAMETERS) -> bool:
    """True when the hash was made with other parameters than ``params``; an unreadable hash needs replacing too."""
    try:
        return _hasher(params).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(params: HashParameters = DEFAULT_PARAMETERS) -> str:
    return hash_password(secrets.token_urlsafe(32), params)


def verify_against_dummy(password: str, params: HashParameters = DEFAULT_PARAMETERS) -> Literal[False]:
    """Spend the time of a real verification, so that an unknown identifier cannot be told from a known one."""
    verify_password(_dummy_hash(params), password)
    return False


def __getattr__(name: str) -> str:
    # DUMMY_HASH is computed on first use: hashing at import would slow every process start
    if name == "DUMMY_HASH":
        return _dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
