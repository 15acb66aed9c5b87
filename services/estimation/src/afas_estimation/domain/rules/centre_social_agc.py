"""Centre social, animation globale (AGC): a rate (40 %, then 42.4 %) of the steering costs within a ceiling."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import eligible_missing, eligible_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    return eligible_within_ceiling(c, "charges_pilotage", "charges de pilotage")


RULE = Rule(
    family="centre_social_agc",
    required=(),
    compute=compute,
    check=lambda figures: (eligible_missing(figures, "charges_pilotage"), []),
)
