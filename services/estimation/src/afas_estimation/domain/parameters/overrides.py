"""Barème changes made by Caf paramétrage agents, layered over the packaged files.

The effective barème of a family is its file with every override applied: an override on a date the file (or
an earlier override) already has replaces that value, an override on a new date adds a value from that date.
An override for one nature starts that nature's own series from the default series (overrides of the default
applied first), so the nature keeps every other dated value.

Values arrive as text from the API (``"0,67"``, ``"9.40"``, ``"oui"``): ``read_value`` checks them against the
parameter (a ratio is at most 1, a flag is oui/non, nothing is negative, an amount in euros — a ceiling, an
amount per place or per hour, a threshold in €/h — is above zero) with a French message. ``check_overlap``
keeps one value per year for every parameter, ``check_order`` keeps ordered chains (thresholds, a range's
minimum and maximum) strictly increasing once the change is applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import cast

from afas_estimation.domain.errors import EstimationError
from afas_estimation.domain.explanation import french
from afas_estimation.domain.parameters.model import DatedValue, FamilyParameters, Parameter, Provenance, Value

FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)
MAX_VALUE = Decimal("1000000000")
_TRUE = {"true", "oui", "vrai", "1"}
_FALSE = {"false", "non", "faux", "0"}


class InvalidParameter(EstimationError):
    """A barème change that cannot be applied as asked (French message, field at fault as the public API names it)."""


@dataclass(frozen=True)
class Override:
    parameter: str
    nature: str | None
    start: date
    value: Value
    reference: str
    source: Provenance | None = None


def is_flag(parameter: Parameter) -> bool:
    """A yes/no parameter (e.g. the 2025 PSU degressive ceiling switch) rather than a number."""
    series = [parameter.values, *parameter.by_nature.values()]
    return any(isinstance(v.value, bool) for s in series for v in s)


def check_target(bareme: FamilyParameters, parameter: str | None, nature: str | None) -> Parameter:
    """The parameter a change targets; ``InvalidParameter`` naming the field when it or its nature is unknown."""
    found = bareme.parameters.get(parameter) if isinstance(parameter, str) else None
    if found is None:
        raise InvalidParameter(
            f"Paramètre inconnu pour le type d'activité {bareme.family} : {parameter!r}. Paramètres : "
            + ", ".join(sorted(bareme.parameters))
            + ".",
            "parametre",
        )
    if nature is not None and nature not in bareme.natures:
        raise InvalidParameter(
            f"Nature inconnue pour ce type d'activité : {nature!r}. Natures possibles : "
            + ", ".join(sorted(bareme.natures))
            + " (ou aucune, pour toutes les natures).",
            "nature",
        )
    return found


def check_overlap(parameter: Parameter, nature: str | None, start: date) -> None:
    """One value per exercice year, for every parameter: a new date inside a year that already has another value
    overlaps it (the values in force at the start of an exercice apply to all of it, so one of the two would
    never apply as dated)."""
    check_dates(parameter.label, [v.start for v in parameter.series(nature)], start, annual=parameter.annual)


def check_dates(label: str, starts: Iterable[date], start: date, *, annual: bool = False) -> None:
    """``check_overlap`` on the dates a parameter already has (a Caf's local series included)."""
    for other in starts:
        if other != start and other.year == start.year:
            why = (
                "est revalorisé chaque année et n'a qu'une valeur par exercice"
                if annual
                else "n'a qu'une valeur par exercice (celle en vigueur au début de l'exercice vaut pour tout "
                "l'exercice)"
            )
            raise InvalidParameter(
                f"Cette date chevauche la valeur applicable depuis le {other.strftime('%d/%m/%Y')} : « {label} » "
                f"{why}. Modifiez la valeur du {other.strftime('%d/%m/%Y')} ou choisissez une autre année.",
                "applicable_depuis",
            )


def check_order(bareme: FamilyParameters, name: str, nature: str | None) -> None:
    """``bareme`` with the change applied keeps each ordered chain holding ``name`` strictly increasing."""
    for chain in bareme.ordered:
        if name not in chain:
            continue
        for wrong in bareme.disorders(chain, nature):
            if name not in (wrong.low.name, wrong.high.name):
                continue  # an older disorder the change does not touch
            mine, other = (wrong.low, wrong.high) if wrong.low.name == name else (wrong.high, wrong.low)
            side = "inférieur" if mine is wrong.low else "supérieur"
            labels = " < ".join(f"« {bareme.parameters[p].label} »" for p in chain)
            where = f" pour la nature {bareme.natures.get(wrong.nature, wrong.nature)}" if wrong.nature else ""
            raise InvalidParameter(
                f"« {mine.label} » ({french(mine.value, mine.unit)}) doit rester strictement {side} à "
                f"« {other.label} » ({french(other.value, other.unit)}, en vigueur le "
                f"{wrong.on.strftime('%d/%m/%Y')}{where}) : ces valeurs restent dans l'ordre {labels}.",
                "valeur",
            )


def check_start(start: date) -> date:
    if not FIRST_DATE <= start <= LAST_DATE:
        raise InvalidParameter(
            f"Date d'application hors des périodes connues : {start.strftime('%d/%m/%Y')} "
            f"(entre le {FIRST_DATE.strftime('%d/%m/%Y')} et le {LAST_DATE.strftime('%d/%m/%Y')}).",
            "applicable_depuis",
        )
    return start


def read_value(parameter: Parameter, raw: object) -> Value:
    """The typed value of ``raw`` for ``parameter``, or ``InvalidParameter`` on the ``value`` field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidParameter("Indiquez la nouvelle valeur du paramètre.", "valeur")
    if is_flag(parameter):
        text = str(raw).strip().lower() if not isinstance(raw, bool) else ("true" if raw else "false")
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise InvalidParameter(f"« {raw} » : valeur attendue oui ou non pour « {parameter.label} ».", "valeur")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise InvalidParameter(f"« {raw} » n'est pas un nombre.", "valeur")
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidParameter(f"« {raw} » n'est pas un nombre.", "valeur") from None
    if not number.is_finite():
        raise InvalidParameter(f"« {raw} » n'est pas un nombre.", "valeur")
    if number < 0:
        raise InvalidParameter("Un paramètre de barème ne peut pas être négatif.", "valeur")
    if number >= MAX_VALUE:
        raise InvalidParameter(f"Valeur hors limites : {raw}.", "valeur")
    if parameter.unit == "/1" and number > 1:
        raise InvalidParameter(
            f"« {parameter.label} » est un taux : indiquez-le en fraction (0,66 pour 66 %), au plus 1.", "valeur"
        )
    if parameter.name.startswith("prix_plafond") and number <= 0:
        raise InvalidParameter(f"« {parameter.label} » est un prix plafond : il doit être supérieur à zéro.", "valeur")
    if parameter.unit.startswith("€") and number <= 0:
        raise InvalidParameter(
            f"« {parameter.label} » est un montant en {parameter.unit} : il doit être supérieur à zéro.", "valeur"
        )
    if cast(int, number.as_tuple().exponent) < -6:  # a finite number (checked above): an int exponent
        raise InvalidParameter("Six décimales au plus.", "valeur")
    return number.normalize() if number == number.to_integral_value() else number


def _put(series: tuple[DatedValue, ...], override: Override) -> tuple[DatedValue, ...]:
    kept = [v for v in series if v.start != override.start]
    kept.append(DatedValue(override.start, override.value, override.reference, override.source))
    return tuple(sorted(kept, key=lambda v: v.start))


def apply_overrides(base: FamilyParameters, overrides: Iterable[Override]) -> FamilyParameters:
    """``base`` with ``overrides`` applied in the given order (later ones win on the same key)."""
    overrides = list(overrides)
    if not overrides:
        return base
    parameters = dict(base.parameters)
    # Default series first, so that a nature-specific override starts from the overridden default series.
    for override in [o for o in overrides if o.nature is None] + [o for o in overrides if o.nature is not None]:
        current = parameters.get(override.parameter)
        if current is None:  # a parameter removed from the file since: the override no longer applies
            continue
        if override.nature is None:
            parameters[override.parameter] = replace(current, values=_put(current.values, override))
        else:
            own = current.by_nature.get(override.nature) or current.values
            by_nature = {**current.by_nature, override.nature: _put(own, override)}
            parameters[override.parameter] = replace(current, by_nature=by_nature)
    return replace(base, parameters=parameters)


def _plain(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value.normalize(), "f")


def fingerprint(bareme: FamilyParameters) -> str:
    """SHA-256 of the effective barème's values (dates, values, natures): equal fingerprints, equal estimates."""

    def series(values: tuple[DatedValue, ...]) -> list[list[str]]:
        return [[v.start.isoformat(), _plain(v.value)] for v in values]

    canonical = {
        name: {
            "annual": p.annual,
            "values": series(p.values),
            "natures": {n: series(s) for n, s in sorted(p.by_nature.items())},
        }
        for name, p in sorted(bareme.parameters.items())
    }
    text = json.dumps([bareme.family, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def value_text(value: Value) -> str:
    """How a value is stored and travels: ``"true"``/``"false"`` or a plain decimal."""
    return _plain(value)


def parse_stored(text: str) -> Value:
    if text in ("true", "false"):
        return text == "true"
    return Decimal(text)
