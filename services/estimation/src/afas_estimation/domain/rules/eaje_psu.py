"""PSU (EAJE): 66 % of the hourly cost within the ceiling × billed hours, minus family fees, × régime-général share.

The ceiling depends on the billing rate (heures facturées ÷ heures réalisées):
- to 2024 (Cnaf circular 2014-009), three brackets — ≤ 107 %, between 107 % and 117 %, ≥ 117 % — each with a
  higher value when the facility supplies both nappies and meals;
- from 2025, one value up to 107 %, a linear decrease to 120 %, and a flat floor beyond.
Bonuses (per place, not prorated by the régime-général share): mixité sociale by the average hourly family fee,
inclusion handicap by the share of AEEH children, territoire when the facility is in a CTG territory.
"""

from __future__ import annotations

from decimal import Decimal

from afas_estimation.domain.rules.computation import HUNDRED, ZERO, Computation
from afas_estimation.domain.rules.rule import Rule, exceeds


def compute(c: Computation) -> Decimal:
    realised = c.number("heures_realisees")
    billed = c.number("heures_facturees")
    billing_rate = c.step(
        "Taux de facturation", billed / realised * HUNDRED, "%", "heures facturées ÷ heures réalisées × 100"
    )
    cost = c.step(
        "Prix de revient horaire", c.number("total_charges") / billed, "€/h", "total des charges ÷ heures facturées"
    )
    ceiling = _declining_ceiling(c, billing_rate) if c.param("bareme_degressif") else _bracket_ceiling(c, billing_rate)
    kept = c.step(
        "Prix de revient horaire retenu",
        min(cost, ceiling),
        "€/h",
        "le plus petit du prix de revient et du prix plafond",
    )
    gross = c.step(
        "Prestation avant participations familiales",
        c.amount("taux_ps") * kept * billed,
        "€",
        "taux × prix retenu × heures facturées",
    )
    fees = c.number("participations_familiales")
    net = c.step(
        "Prestation déduction faite des participations familiales",
        max(gross - fees, ZERO),
        "€",
        "prestation − participations familiales (jamais négative)",
    )
    base = c.step(
        "PSU au titre du régime général", net * c.share("part_regime_general"), "€", "× part du régime général"
    )
    return base + _mixite(c, billed, fees) + _inclusion(c) + _territoire(c)


def _bracket_ceiling(c: Computation, billing_rate: Decimal) -> Decimal:
    nappies, meals = c.flag("couches_fournies"), c.flag("repas_fournis")  # both read: both are shown as inputs
    supplied = nappies and meals
    suffix = "couches_repas" if supplied else "sans_couches_repas"
    if billing_rate <= c.amount("seuil_tranche_1"):
        bracket = "107"
    elif billing_rate < c.amount("seuil_tranche_2"):
        bracket = "117"
    else:
        bracket = "au_dela"
    label = "couches et repas fournis" if supplied else "couches ou repas non fournis"
    return c.step(
        f"Prix plafond horaire ({label})", c.amount(f"prix_plafond_{bracket}_{suffix}"), "€/h", f"tranche {bracket}"
    )


def _declining_ceiling(c: Computation, billing_rate: Decimal) -> Decimal:
    top, floor = c.amount("prix_plafond_maximum"), c.amount("prix_plafond_minimum")
    start, end = c.amount("seuil_degressivite_debut"), c.amount("seuil_degressivite_fin")
    if billing_rate <= start:
        return c.step("Prix plafond horaire", top, "€/h", "taux de facturation jusqu'au seuil : plafond maximum")
    if billing_rate >= end:
        return c.step("Prix plafond horaire", floor, "€/h", "taux de facturation au-delà du seuil : plafond minimum")
    value = top - (top - floor) * (billing_rate - start) / (end - start)
    return c.step(
        "Prix plafond horaire (dégressif)",
        value,
        "€/h",
        "maximum − (maximum − minimum) × (taux − seuil de début) ÷ (seuil de fin − seuil de début)",
    )


def _mixite(c: Computation, billed: Decimal, fees: Decimal) -> Decimal:
    average = c.step(
        "Participation familiale moyenne par heure facturée", fees / billed, "€/h", "participations ÷ heures facturées"
    )
    per_place = ZERO
    for tier in ("1", "2", "3"):
        if average < c.amount(f"bonus_mixite_seuil_{tier}"):
            per_place = c.amount(f"bonus_mixite_montant_{tier}")
            break
    places = c.number("places")
    return c.bonus(
        "Bonus mixité sociale", per_place * places, "montant par place selon la participation moyenne × places"
    )


def _inclusion(c: Computation) -> Decimal:
    if not (c.has("enfants_aeeh") and c.has("enfants_accueillis")) or c.number("enfants_accueillis") == 0:
        c.note(
            "Bonus inclusion handicap",
            "non calculé : enfants accueillis ou enfants bénéficiaires de l'AEEH non renseignés",
        )
        return ZERO
    share = c.step(
        "Part des enfants bénéficiaires de l'AEEH",
        c.number("enfants_aeeh") / c.number("enfants_accueillis"),
        "/1",
        "enfants AEEH ÷ enfants accueillis",
    )
    reach = min(share / c.amount("bonus_inclusion_taux_plein"), Decimal(1))
    per_place = reach * c.amount("bonus_inclusion_montant_maximum")
    return c.bonus(
        "Bonus inclusion handicap",
        per_place * c.number("places"),
        "montant maximum × min(part AEEH ÷ taux ouvrant le montant plein, 1) × places",
    )


def _territoire(c: Computation) -> Decimal:
    if not (c.has("territoire_ctg") and c.flag("territoire_ctg")):
        c.note("Bonus territoire", "non applicable : établissement non signalé en territoire de CTG")
        return ZERO
    return c.bonus(
        "Bonus territoire", c.amount("bonus_territoire_par_place") * c.number("places"), "montant par place × places"
    )


def _check(figures):
    return [], exceeds(figures, "enfants_aeeh", "enfants_accueillis", "ne peut pas dépasser les enfants accueillis.")


RULE = Rule(
    family="eaje_psu",
    required=(
        "places",
        "heures_realisees",
        "heures_facturees",
        "participations_familiales",
        "part_regime_general",
        "couches_fournies",
        "repas_fournis",
        "total_charges",
    ),
    positive=("heures_realisees", "heures_facturees"),
    compute=compute,
    check=_check,
)
