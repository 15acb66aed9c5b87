"""Chargé de coopération CTG (funded by the bonus territoire): a share of the post cost within a ceiling per ETP."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.common import per_post_within_ceiling
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule


def compute(c: Computation) -> Fraction:
    return per_post_within_ceiling(c, "etp_charge_cooperation", "ETP de chargé de coopération")


RULE = Rule(
    family="ctg",
    required=("etp_charge_cooperation", "total_charges"),
    positive=("etp_charge_cooperation", "total_charges"),
    compute=compute,
)
