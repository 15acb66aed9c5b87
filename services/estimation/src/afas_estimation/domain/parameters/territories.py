"""A Caf's territories for the PSU bonus territoire: each with its amount per new place, within the national range.

The Cnaf pays new places « selon la richesse du territoire » (2,600–3,600 € per place from 2025, national parameters
``bonus_territoire_place_nouvelle_minimum|maximum``); a Caf defines its territories (for instance the CTG territories
of its département: a code and a French name), sets each one's dated amount per new place, and assigns each EAJE-PSU
activity to one of them. For an activity with a territory, its territory's amounts replace the Caf's single local
value (``domain.parameters.local``, kept as the default of activities without a territory) in the barème of that
activity's estimates only, as a parameter whose label names the Caf and the territory (``with_territory``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from afas_estimation.domain.explanation import french
from afas_estimation.domain.parameters.local import LOCAL_PARAMETERS, LocalSpec, national_range
from afas_estimation.domain.parameters.model import DatedValue, FamilyParameters, Parameter, Provenance

FAMILY = "eaje_psu"
NEW_PLACE_AMOUNT = "bonus_territoire_montant_place_nouvelle"
SPEC: LocalSpec = LOCAL_PARAMETERS[(FAMILY, NEW_PLACE_AMOUNT)]
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")


class InvalidTerritory(ValueError):
    """A territory or amount refused: French message and the field at fault, as the public API names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class TerritoryAmount:
    """One dated amount per new place a Caf set for one of its territories."""

    start: date
    value: Decimal
    source: Provenance


@dataclass(frozen=True)
class Territory:
    caf_code: str
    code: str
    name: str
    amounts: tuple[TerritoryAmount, ...] = ()  # oldest first


def read_code(raw: object) -> str:
    text = str(raw or "").strip()
    if not CODE.match(text):
        raise InvalidTerritory(
            "Le code du territoire est obligatoire : 1 à 20 lettres sans accent, chiffres, « - » ou « _ ».", "code"
        )
    return text


def read_name(raw: object) -> str:
    text = " ".join(str(raw or "").split())
    if not 2 <= len(text) <= 120:
        raise InvalidTerritory("Le nom du territoire est obligatoire (2 à 120 caractères).", "nom")
    return text


def check_amount(bareme: FamilyParameters, value: Decimal, on: date) -> None:
    """The amount per new place lies in the national range in force on ``on`` (bounds included)."""
    low, high = national_range(bareme, SPEC, on)
    if not low <= value <= high:
        raise InvalidTerritory(
            f"Montant par place nouvelle : {french(value, '€')} est hors de la fourchette nationale, de "
            f"{french(low, '€')} à {french(high, '€')} par place.",
            "valeur",
        )


def label(caf_name: str, territory_name: str) -> str:
    return (
        f"Montant du bonus territoire par place nouvelle (fixé par la {caf_name} pour le territoire "
        f"« {territory_name} »)"
    )


def with_territory(bareme: FamilyParameters, territory: Territory | None, caf_name: str) -> FamilyParameters:
    """``bareme`` for an activity of ``territory``: its amounts per new place replace the Caf's default value.

    Without a territory, or a territory without any amount yet, the barème is unchanged (the Caf's single local
    value, if any, applies)."""
    if bareme.family != FAMILY or territory is None or not territory.amounts:
        return bareme
    series = sorted(territory.amounts, key=lambda a: a.start)
    parameters = dict(bareme.parameters)
    parameters[NEW_PLACE_AMOUNT] = Parameter(
        name=NEW_PLACE_AMOUNT,
        label=label(caf_name, territory.name),
        unit=SPEC.unit,
        annual=False,
        values=tuple(DatedValue(a.start, a.value, a.source.text(), a.source) for a in series),
    )
    return replace(bareme, parameters=parameters)
