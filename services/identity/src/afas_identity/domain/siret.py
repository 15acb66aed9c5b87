"""SIRET numbers: 14 digits whose last one is a Luhn check digit.

La Poste is the known exception: all its establishments share SIREN 356000000 and INSEE numbered them with a
check on the plain sum of the digits, which must be a multiple of 5.
"""

from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"

_FOURTEEN_DIGITS = re.compile(r"[0-9]{14}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _la_poste_ok(digits: str) -> bool:
    return sum(int(char) for char in digits) % 5 == 0


def is_valid_siret(value: str) -> bool:
    # [0-9] rather than \d or str.isdigit(): those accept non-ASCII digits
    if not _FOURTEEN_DIGITS.fullmatch(value):
        return False
    if value.startswith(LA_POSTE_SIREN):
        # the head office (35600000000048) passes Luhn, the other establishments only the sum rule
        return _luhn_ok(value) or _la_poste_ok(value)
    return _luhn_ok(value)


def siret_error(value: str) -> str | None:
    if not _FOURTEEN_DIGITS.fullmatch(value):
        return "Le SIRET doit comporter 14 chiffres."
    if not is_valid_siret(value):
        return f"Le SIRET {value} n'est pas valide (clé de contrôle incorrecte)."
    return None
