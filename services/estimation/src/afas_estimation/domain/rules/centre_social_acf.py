"""Centre social, animation collective familles (ACF): a rate (60 %, then 63.6 %) of the family project's costs
within a ceiling per structure."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import eligible_missing, eligible_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    return eligible_within_ceiling(c, "charges_projet_familles", "charges du projet familles")


RULE = Rule(
    family="centre_social_acf",
    required=(),
    compute=compute,
    check=lambda figures: (eligible_missing(figures, "charges_projet_familles"), []),
)
