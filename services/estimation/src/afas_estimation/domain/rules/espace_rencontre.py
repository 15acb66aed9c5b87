"""PS Espace de rencontre: 60 % (since 2019) of the hourly cost within the ceiling × opening + organisation hours."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import hourly_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.laep import check_hours, opening_and_organisation_hours
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    return hourly_within_ceiling(c, opening_and_organisation_hours(c), "heures d'ouverture et d'organisation")


RULE = Rule(
    family="espace_rencontre",
    required=("heures_ouverture", "heures_organisation", "total_charges"),
    positive=("total_charges",),
    compute=compute,
    check=check_hours,
)
