"""PSU (EAJE): 66 % of the charges within the ceiling × billed hours, minus family fees, × régime-général share.

``taux × min(total des charges, prix plafond × heures facturées)``: the hourly cost is shown, never divided then
multiplied back. The ceiling depends on the billing rate (heures facturées ÷ heures réalisées):
- to 2024 (Cnaf circular 2014-009), three brackets — ≤ 107 %, between 107 % and 117 %, ≥ 117 % — each with a
  higher value when the facility supplies both nappies and meals;
- from 2025, one value up to 107 %, a linear decrease to 120 %, and a flat floor beyond.
Bonuses from 2019 (LC Cnaf 2018-002; per place, not prorated by the régime-général share):
- mixité sociale by the average hourly family fee: ≤ 0.75 / ]0.75 ; 1.00] / ]1.00 ; 1.25] €/h, nothing above;
- inclusion handicap: share of children with a disability × a financing rate rising with that share (15 % below
  5 %, 30 % from 5 to 7.5 %, 45 % above) × the cost price per place (charges ÷ places), at most 1,300 € per place
  — computed as ``min(part × taux × charges, plafond × places)``;
- territoire (CTG, from 2020): existing places at the smoothed amount of the former contract (CEJ), both declared
  in the financial form, new places (declared there too) at the amount per place the Caf set for the activity's
  territory (``domain.parameters.territories``), or its single local value for an activity without a territory —
  within the national range (2,600–3,600 € from 2025).
"""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.errors import EstimationError, InvalidInputs
from afas_estimation.domain.explanation import french
from afas_estimation.domain.rules.computation import HUNDRED, ZERO, Computation, display
from afas_estimation.domain.rules.rule import Rule, exceeds


def compute(c: Computation) -> Fraction:
    realised = c.number("heures_realisees")
    billed = c.number("heures_facturees")
    billing_rate = c.step(
        "Taux de facturation", billed / realised * HUNDRED, "%", "heures facturées ÷ heures réalisées × 100"
    )
    charges = c.number("total_charges")
    c.step(
        "Prix de revient horaire (pour information)", charges / billed, "€/h", "total des charges ÷ heures facturées"
    )
    ceiling = _declining_ceiling(c, billing_rate) if c.param("bareme_degressif") else _bracket_ceiling(c, billing_rate)
    cap = c.step("Plafond des charges retenues", ceiling * billed, "€", "prix plafond horaire × heures facturées")
    kept = c.step("Charges retenues", min(charges, cap), "€", "le plus petit du total des charges et du plafond")
    gross = c.step(
        "Prestation avant participations familiales", c.amount("taux_ps") * kept, "€", "taux × charges retenues"
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
    return base + _mixite(c, billed, fees) + _inclusion(c, charges) + _territoire(c)


def _bracket_ceiling(c: Computation, billing_rate: Fraction) -> Fraction:
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


def _declining_ceiling(c: Computation, billing_rate: Fraction) -> Fraction:
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


def _mixite(c: Computation, billed: Fraction, fees: Fraction) -> Fraction:
    if not c.available("bonus_mixite_seuil_1"):
        c.note("Bonus mixité sociale", "non applicable : le bonus mixité sociale existe depuis le 1er janvier 2019")
        return ZERO
    average = c.step(
        "Participation familiale moyenne par heure facturée", fees / billed, "€/h", "participations ÷ heures facturées"
    )
    per_place, tier_text = ZERO, "participation moyenne au-delà du dernier seuil : pas de bonus"
    lower = None
    for tier in ("1", "2", "3"):
        threshold = c.amount(f"bonus_mixite_seuil_{tier}")
        if average <= threshold:  # boundaries included (« inférieures ou égales »)
            per_place = c.amount(f"bonus_mixite_montant_{tier}")
            tier_text = (
                f"participation moyenne ≤ {_plain(threshold)} €/h"
                if lower is None
                else f"participation moyenne dans ]{_plain(lower)} ; {_plain(threshold)}] €/h"
            )
            break
        lower = threshold
    c.step("Bonus mixité sociale par place", per_place, "€/place", tier_text)
    places = c.number("places")
    return c.bonus("Bonus mixité sociale", per_place * places, "montant par place × places")


def _inclusion(c: Computation, charges: Fraction) -> Fraction:
    if not c.available("bonus_inclusion_montant_maximum"):
        c.note(
            "Bonus inclusion handicap", "non applicable : le bonus inclusion handicap existe depuis le 1er janvier 2019"
        )
        return ZERO
    if not (c.has("enfants_aeeh") and c.has("enfants_accueillis")) or c.number("enfants_accueillis") == 0:
        c.note(
            "Bonus inclusion handicap",
            "non calculé : enfants accueillis ou enfants en situation de handicap non renseignés",
        )
        return ZERO
    disabled = c.number("enfants_aeeh")
    if disabled == 0:
        c.note("Bonus inclusion handicap", "non applicable : aucun enfant en situation de handicap accueilli")
        return ZERO
    share = c.step(
        "Part des enfants en situation de handicap",
        disabled / c.number("enfants_accueillis"),
        "/1",
        "enfants en situation de handicap ÷ enfants accueillis",
    )
    first, second = c.amount("bonus_inclusion_seuil_1"), c.amount("bonus_inclusion_seuil_2")
    tier, bracket = (
        ("1", f"part inférieure à {french(display(first), '/1')}")
        if share < first
        else ("2", f"part de {french(display(first), '/1')} à {french(display(second), '/1')}")
        if share <= second
        else ("3", f"part supérieure à {french(display(second), '/1')}")
    )
    rate = c.step("Taux de financement", c.amount(f"bonus_inclusion_taux_{tier}"), "/1", bracket)
    places = c.number("places")
    c.step(
        "Prix de revient par place",
        charges / places,
        "€/place",
        "total des charges ÷ places (plafond de coût par place non publié : non appliqué)",
    )
    ceiling = c.amount("bonus_inclusion_montant_maximum")
    c.step(
        "Bonus inclusion handicap par place",
        min(share * rate * charges / places, ceiling),
        "€/place",
        "part × taux de financement × prix de revient par place, au plus le plafond par place",
    )
    return c.bonus(
        "Bonus inclusion handicap",
        min(share * rate * charges, ceiling * places),
        "montant par place × places",
    )


NEW_PLACE_AMOUNT = "bonus_territoire_montant_place_nouvelle"


def _territoire(c: Computation) -> Fraction:
    existing = c.optional("bonus_territoire_places_existantes") or ZERO
    new = c.optional("bonus_territoire_places_nouvelles") or ZERO
    if existing == 0 and new == 0:
        c.note("Bonus territoire", "non applicable : aucune place financée par le bonus territoire déclarée")
        return ZERO
    if not (c.available("bonus_territoire_en_vigueur") and c.param("bonus_territoire_en_vigueur")):
        c.note("Bonus territoire", "non applicable : le bonus territoire existe depuis le 1er janvier 2020")
        return ZERO
    total = ZERO
    if existing:
        total += c.step(
            "Bonus territoire, places existantes",
            existing * c.number("bonus_territoire_montant_lisse_par_place"),
            "€",
            "places existantes × montant lissé par place de l'ancien contrat",
        )
    if new:
        # The amount per new place is the Caf's local parameter (domain.parameters.local), not a partner's figure.
        if not c.available(NEW_PLACE_AMOUNT):
            raise EstimationError(
                "Bonus territoire : la Caf n'a pas encore fixé son montant par place nouvelle pour cette période ; "
                "l'estimation sera possible dès qu'elle l'aura fixé.",
                "bonus_territoire_places_nouvelles",
            )
        per_place = c.amount(NEW_PLACE_AMOUNT)
        _within_range(c, per_place)
        # the label names the Caf and the activity's territory when the Caf assigned one (domain.parameters.territories)
        source = c.bareme.parameters[NEW_PLACE_AMOUNT].label
        total += c.step(
            "Bonus territoire, places nouvelles",
            new * per_place,
            "€",
            f"places nouvelles × {source[0].lower()}{source[1:]}",
        )
    return c.bonus("Bonus territoire", total, "places existantes + places nouvelles")


def _within_range(c: Computation, amount: Fraction) -> None:
    """The Caf's amount per new place lies in the national range, where one is published (from 2025)."""
    if not c.available("bonus_territoire_place_nouvelle_minimum"):
        return
    low = c.amount("bonus_territoire_place_nouvelle_minimum")
    high = c.amount("bonus_territoire_place_nouvelle_maximum")
    if not low <= amount <= high:
        raise InvalidInputs(
            [],
            [
                (
                    "bonus_territoire_places_nouvelles",
                    f"le montant par place nouvelle fixé par la Caf doit être compris entre "
                    f"{french(display(low), '€')} et "
                    f"{french(display(high), '€')} (fourchette nationale).",
                )
            ],
        )


def _plain(value: Fraction) -> str:
    return french(display(value))


def _needs(figures):
    missing = []
    if figures.get("bonus_territoire_places_existantes") and "bonus_territoire_montant_lisse_par_place" not in figures:
        missing.append("bonus_territoire_montant_lisse_par_place")
    return missing


def _check(figures):
    problems = exceeds(figures, "enfants_aeeh", "enfants_accueillis", "ne peut pas dépasser les enfants accueillis.")
    return _needs(figures), problems


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
    positive=("heures_realisees", "heures_facturees", "places", "total_charges"),
    compute=compute,
    check=_check,
)
