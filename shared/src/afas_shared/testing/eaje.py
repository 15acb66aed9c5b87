"""The figures of an EAJE (PSU) that the tests of several services and of the platform share, in one place.

``PSU_FIGURES`` are the figures estimation reads (strings, as on the bus): 20 places, 10 000 h realised and billed
(100 %), 100 000 € of charges, 20 000 € of family participations, nappies and meals provided — a PSU of
40 852,00 €. ``BONUS_TERRITOIRE_FIGURES`` add the bonus territoire: 10 existing places at the smoothed CEJ amount of
1 500,50 €, 4 new places. ``EAJE_ACTIVITY`` and ``EAJE_BUDGET`` are the activity and financial forms a provider fills
through the gateway."""

from __future__ import annotations

import uuid

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1

PSU_FIGURES = {
    "places": "20",
    "heures_realisees": "10000",
    "heures_facturees": "10000",
    "total_charges": "100000",
    "participations_familiales": "20000",
    "part_regime_general": "100",
    "couches_fournies": "true",
    "repas_fournis": "true",
}
BONUS_TERRITOIRE_FIGURES = {
    **PSU_FIGURES,
    "bonus_territoire_places_existantes": "10",
    "bonus_territoire_montant_lisse_par_place": "1500.50",
    "bonus_territoire_places_nouvelles": "4",
}
# 40 places × 220 days × 11 h = 96,800 h offered; 60,000 h réalisées (62 %), 66,000 h facturées (110 %: flagged)
EAJE_ACTIVITY = {
    "places": 40,
    "jours_ouverture": 220,
    "heures_ouverture_jour": "11",
    "heures_realisees": "60000",
    "heures_facturees": "66000",
    "enfants_accueillis": 70,
    "enfants_aeeh": 2,
    "participations_familiales": "90000",
    "part_regime_general": "95",
    "couches_fournies": True,
    "repas_fournis": True,
}
EAJE_BUDGET = {
    "charges_60": "40000",
    "charges_61": "30000",
    "charges_62": "20000",
    "charges_63": "10000",
    "charges_64": "500000",
    "charges_65": "5000",
    "produits_70_participations_familiales": "90000",
    "produits_70_autres": "0",
    "produits_74_caf": "250000",
    "produits_74_commune": "260000",
    "produits_74_departement": "0",
    "produits_74_autres": "0",
    "produits_75": "5000",
}


def figures_updated(
    figures: dict,
    caf_code: str = "092",
    *,
    family: str = "eaje_psu",
    nature: str = "multi_accueil",
    exercice: int = 2026,
    version: int = 1,
    declaration_id: uuid.UUID | None = None,
    activity_id: uuid.UUID | None = None,
) -> Envelope:
    """The event of a forecast's figures saved, as declaration announces it (a new declaration and activity of a
    new partner unless named)."""
    data = DeclarationFiguresUpdatedV1(
        declaration_id=declaration_id or uuid.uuid4(),
        declaration_version=1,
        activity_id=activity_id or uuid.uuid4(),
        partner_id=uuid.uuid4(),
        caf_code=caf_code,
        family=family,
        nature=nature,
        exercice=exercice,
        declaration_type="previsionnelle",
        figures=figures,
    )
    return Envelope.wrap(data, subject=str(data.declaration_id), aggregate_version=version, correlation_id="t")
