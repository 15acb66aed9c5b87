"""The catalogue of activités: families, natures, site modes and the rules an activity must respect."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from afas_habilitation.domain.catalogue import (
    NATURES,
    SITE_SCOPED_FAMILIES,
    ActivityFacts,
    Family,
    SiteMode,
    activity_problems,
    site_scoped,
)

CRECHE = ActivityFacts(
    family=Family.eaje_psu,
    nature="multi_accueil",
    name="Multi-accueil Les Lucioles",
    site_mode=SiteMode.mono_lieu,
    sites=("12 rue des Lilas, Amiens",),
    opening=date(2020, 9, 1),
    closing=None,
    capacity=40,
    equipment_id="EQ80001",
    afc_file="123456",
)
CENTRE_LOISIRS = ActivityFacts(
    family=Family.alsh,
    nature="periscolaire",
    name="ALSH Les Explorateurs",
    site_mode=SiteMode.multi_lieux_antennes,
    sites=("École Jules Ferry", "École Pasteur"),
    opening=date(2021, 1, 4),
    closing=date(2026, 7, 31),
    capacity=None,
    equipment_id=None,
    afc_file=None,
)


def test_families_carry_a_stable_id_and_a_french_label():
    assert Family("eaje_psu") is Family.eaje_psu
    assert Family.eaje_psu.label == "EAJE - PSU"
    assert Family.rpe.label == "Relais petite enfance"
    assert Family.centre_social_acf.label == "Centre social - animation collective familles (ACF)"
    assert Family.ctg.label == "Chargé de coopération CTG"
    assert len(Family) == 11


def test_every_family_has_natures_and_the_plain_ones_a_single_general_nature():
    assert set(NATURES) == set(Family)
    assert NATURES[Family.eaje_psu]["micro_creche_psu"] == "Micro-crèche PSU"
    assert len(NATURES[Family.eaje_psu]) == 6
    assert NATURES[Family.alsh] == {
        "periscolaire": "ALSH périscolaire",
        "extrascolaire": "ALSH extrascolaire",
        "adolescents": "Accueil adolescents",
    }
    assert NATURES[Family.laep] == {"general": "LAEP"}
    assert NATURES[Family.mediation_familiale] == {"general": "Médiation familiale"}


def test_site_modes_have_french_labels():
    assert [m.label for m in SiteMode] == ["Mono-lieu", "Multi-lieux itinérant", "Multi-lieux antennes"]


@pytest.mark.parametrize("family", sorted(SITE_SCOPED_FAMILIES))
def test_activity_data_role_may_target_sites_of_multi_site_alsh_laep_and_espace_rencontre(family):
    assert site_scoped(family, SiteMode.multi_lieux_antennes)
    assert site_scoped(family, SiteMode.multi_lieux_itinerant)
    assert not site_scoped(family, SiteMode.mono_lieu)


def test_other_families_never_have_site_scoped_roles():
    assert SITE_SCOPED_FAMILIES == {Family.alsh, Family.laep, Family.espace_rencontre}
    assert not site_scoped(Family.eaje_psu, SiteMode.multi_lieux_antennes)
    assert not site_scoped(Family.centre_social_agc, SiteMode.multi_lieux_itinerant)


def test_valid_activities_have_no_problems():
    assert activity_problems(CRECHE) == []
    assert activity_problems(CENTRE_LOISIRS) == []


def _fields(facts: ActivityFacts) -> list[str]:
    return [field for field, _ in activity_problems(facts)]


def test_nature_must_belong_to_the_family():
    assert activity_problems(replace(CENTRE_LOISIRS, nature="multi_accueil")) == [
        ("nature", "La nature « multi_accueil » n'existe pas pour la famille ALSH.")
    ]
    assert _fields(replace(CRECHE, family=Family.laep, nature="general", capacity=None)) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_name_has_1_to_200_characters(name):
    assert _fields(replace(CRECHE, name=name)) == ["name"]


def test_name_of_200_characters_is_accepted():
    assert activity_problems(replace(CRECHE, name="x" * 200)) == []


def test_closing_may_not_precede_opening():
    assert activity_problems(replace(CRECHE, closing=date(2020, 8, 31))) == [
        ("closing", "La date de fermeture doit être postérieure ou égale à la date d'ouverture.")
    ]
    assert activity_problems(replace(CRECHE, closing=CRECHE.opening)) == []


def test_an_eaje_needs_1_to_500_places():
    assert activity_problems(replace(CRECHE, capacity=None)) == [
        ("capacity", "Le nombre de places est obligatoire pour un EAJE.")
    ]
    assert _fields(replace(CRECHE, capacity=0)) == ["capacity"]
    assert _fields(replace(CRECHE, capacity=501)) == ["capacity"]
    assert _fields(replace(CRECHE, capacity=500)) == []


def test_other_families_may_give_places_but_only_positive():
    assert activity_problems(replace(CENTRE_LOISIRS, capacity=80)) == []
    assert _fields(replace(CENTRE_LOISIRS, capacity=0)) == ["capacity"]


def test_mono_lieu_has_exactly_one_site():
    assert activity_problems(replace(CRECHE, sites=())) == [
        ("sites", "Une activité mono-lieu doit avoir exactement un lieu d'implantation.")
    ]
    assert _fields(replace(CRECHE, sites=("A", "B"))) == ["sites"]


def test_multi_lieux_has_at_least_two_sites():
    assert activity_problems(replace(CENTRE_LOISIRS, sites=("École Pasteur",))) == [
        ("sites", "Une activité multi-lieux doit avoir au moins deux lieux d'implantation.")
    ]
    assert _fields(replace(CENTRE_LOISIRS, site_mode=SiteMode.multi_lieux_itinerant, sites=())) == ["sites"]


def test_site_names_are_unique_whatever_the_case():
    assert activity_problems(replace(CENTRE_LOISIRS, sites=("École Pasteur", "école pasteur"))) == [
        ("sites", "Le lieu d'implantation « école pasteur » est présent plusieurs fois.")
    ]


@pytest.mark.parametrize("site", ["", " ", "x" * 201])
def test_site_names_have_1_to_200_characters(site):
    assert _fields(replace(CENTRE_LOISIRS, sites=("École Pasteur", site))) == ["sites"]


@pytest.mark.parametrize("equipment_id", ["ABC12", "abc123", "ABC-123", "A" * 13, "ABC１23"])
def test_equipment_id_is_6_to_12_capitals_or_digits(equipment_id):
    assert _fields(replace(CRECHE, equipment_id=equipment_id)) == ["equipment_id"]


@pytest.mark.parametrize("afc_file", ["123", "12345678901", "12a45", "１２３４", "1234\n"])
def test_afc_file_is_4_to_10_ascii_digits(afc_file):
    assert _fields(replace(CRECHE, afc_file=afc_file)) == ["afc_file"]


def test_every_problem_is_reported_at_once():
    broken = replace(CRECHE, nature="periscolaire", name="", capacity=None, equipment_id="x", afc_file="1")
    assert _fields(broken) == ["nature", "name", "capacity", "equipment_id", "afc_file"]
