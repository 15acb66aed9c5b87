"""PS Médiation familiale: 75 % of costs within a ceiling per full-time mediator, minus family fees."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import per_post_within_ceiling
from afas_estimation.domain.rules.computation import ZERO, Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    gross = per_post_within_ceiling(c, "etp_mediateurs", "ETP de médiateur")
    return c.step(
        "Prestation déduction faite des participations familiales",
        max(gross - c.number("participations_familiales"), ZERO),
        "€",
        "prestation − participations familiales (jamais négative)",
    )


RULE = Rule(
    family="mediation_familiale",
    required=("etp_mediateurs", "participations_familiales", "total_charges"),
    positive=("etp_mediateurs", "total_charges"),
    compute=compute,
)
