"""French plural agreement, in one place for every text a person reads: « 1 place », « 0,5 heure », « 2 places ».

The rule of French typography: a count below two takes the singular (« 0 place », « 1,5 jour »), two and above the
plural. Units are written in the plural where they are defined (a form's ``unit: places``, a control's
``unit: journées``), so a figure of one reads its unit in the singular: ``unit_for(1, "places")`` → ``place``,
``unit_for(1, "enfants par groupe")`` → ``enfant par groupe``, ``unit_for(1, "demi-journées")`` → ``demi-journée``.
Symbols and abbreviations (``€``, ``%``, ``h``, ``ETP``, ``€/h``) never change, nor the invariable words (« mois »).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Words ending in s in the singular too
INVARIABLE = frozenset({"mois", "fois", "prix", "taux", "temps", "cours", "poids", "repas", "accès", "jus"})
_WORD = re.compile(r"^[a-zàâçéèêëîïôûùüÿœ]+$")


def takes_plural(count: object) -> bool:
    """True when ``count`` (a number, or a number written as text) is two or more, in absolute value."""
    try:
        number = Decimal(str(count).replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        return True  # not a number: the plural, as the unit is written
    return number.is_finite() and abs(number) >= 2


def plural(count: object, singular: str, plural_form: str | None = None) -> str:
    """The word agreeing with ``count``: ``plural(3, "déclaration")`` → ``déclarations``."""
    return (plural_form or singular + "s") if takes_plural(count) else singular


def counted(count: object, singular: str, plural_form: str | None = None) -> str:
    """``count`` followed by its word in agreement: ``counted(1, "seconde")`` → ``1 seconde``."""
    return f"{count} {plural(count, singular, plural_form)}"


def singular_of(word: str) -> str:
    """A plural word (or compound, « demi-journées ») in the singular; symbols and invariable words as they are."""
    if word in INVARIABLE or not _WORD.match(word.replace("-", "")):
        return word
    parts = word.split("-")
    return "-".join(p[:-1] if len(p) > 2 and p.endswith("s") and p not in INVARIABLE else p for p in parts)


def unit_for(count: object, unit: str | None) -> str:
    """``unit`` (written in the plural) agreeing with ``count``: its first word in the singular below two."""
    if not unit or takes_plural(count):
        return unit or ""
    first, space, rest = unit.partition(" ")
    return singular_of(first) + space + rest
