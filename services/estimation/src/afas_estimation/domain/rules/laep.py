"""PS LAEP: 30 % of a capped hourly cost × hours of opening and organisation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from afas_estimation.domain.rules.common import hourly_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def opening_and_organisation_hours(c: Computation) -> Fraction:
    return c.step(
        "Heures d'ouverture et d'organisation",
        c.number("heures_ouverture") + c.number("heures_organisation"),
        "h",
        "heures d'ouverture + heures d'organisation",
    )


def compute(c: Computation) -> Fraction:
    return hourly_within_ceiling(c, opening_and_organisation_hours(c), "heures d'ouverture et d'organisation")


def check_hours(figures):
    total = sum((figures.get(f, 0) for f in ("heures_ouverture", "heures_organisation")), Decimal(0))
    if {"heures_ouverture", "heures_organisation"} <= figures.keys() and total == 0:
        return [], [("heures_ouverture", "les heures d'ouverture et d'organisation ne peuvent pas être toutes nulles.")]
    return [], []


RULE = Rule(
    family="laep",
    required=("heures_ouverture", "heures_organisation", "total_charges"),
    positive=("total_charges",),
    compute=compute,
    check=check_hours,
)
