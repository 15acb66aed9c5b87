"""PS RPE: 43 % of operating costs within a ceiling per full-time animator post, plus the missions bonus per post."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import per_post_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    base = per_post_within_ceiling(c, "etp_animateurs", "ETP d'animateur")
    if not c.flag("missions_renforcees"):
        c.note("Bonification missions renforcées", "non applicable : aucune mission renforcée")
        return base
    if not c.available("bonus_missions_par_etp"):
        c.note("Bonification missions renforcées", "non applicable : la bonification existe depuis le 1er janvier 2022")
        return base
    bonus = c.bonus(
        "Bonification missions renforcées",
        c.amount("bonus_missions_par_etp") * c.number("etp_animateurs"),
        "montant par ETP × ETP d'animateur",
    )
    return base + bonus


RULE = Rule(
    family="rpe",
    required=("etp_animateurs", "missions_renforcees", "total_charges"),
    positive=("etp_animateurs", "total_charges"),
    compute=compute,
)
