"""The rule of each PS family, by the family ids of the declaration forms."""

from __future__ import annotations

from afas_estimation.domain.errors import UnknownFamily
from afas_estimation.domain.rules import (
    alsh,
    centre_social_acf,
    centre_social_agc,
    clas,
    ctg,
    eaje_psu,
    espace_rencontre,
    laep,
    mediation_familiale,
    ps_jeunes,
    rpe,
)
from afas_estimation.domain.rules.rule import Rule

RULES: dict[str, Rule] = {
    module.RULE.family: module.RULE
    for module in (
        eaje_psu,
        alsh,
        rpe,
        laep,
        espace_rencontre,
        mediation_familiale,
        ps_jeunes,
        centre_social_agc,
        centre_social_acf,
        clas,
        ctg,
    )
}


def rule_for(family: str) -> Rule:
    try:
        return RULES[family]
    except (KeyError, TypeError):
        raise UnknownFamily(
            f"Type d'activité inconnu pour l'estimation : {family!r}. Types connus : {', '.join(sorted(RULES))}.",
            "family",
        ) from None
