"""PS Jeunes: 50 % of the youth-worker posts' costs within a ceiling per full-time post."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import per_post_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    return per_post_within_ceiling(c, "etp_animateurs", "ETP d'animateur jeunesse")


RULE = Rule(
    family="ps_jeunes",
    required=("etp_animateurs", "total_charges"),
    positive=("etp_animateurs", "total_charges"),
    compute=compute,
)
