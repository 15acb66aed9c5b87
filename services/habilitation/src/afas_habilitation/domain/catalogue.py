"""The catalogue of activités: facilities funded by a prestation de service (PS) family, and their sites.

An activity belongs to one PS family and one nature within it. It runs on one site (mono-lieu) or several
(multi-lieux: either one team travelling between sites, or antennes). For a few families the Caf collects activity
data site by site, so the activity-data role may then be granted per site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Family(StrEnum):
    eaje_psu = "eaje_psu"
    alsh = "alsh"
    rpe = "rpe"
    laep = "laep"
    espace_rencontre = "espace_rencontre"
    mediation_familiale = "mediation_familiale"
    ps_jeunes = "ps_jeunes"
    centre_social_agc = "centre_social_agc"
    centre_social_acf = "centre_social_acf"
    clas = "clas"
    ctg = "ctg"

    @property
    def label(self) -> str:
        return _FAMILY_LABELS[self]


class SiteMode(StrEnum):
    mono_lieu = "mono_lieu"
    multi_lieux_itinerant = "multi_lieux_itinerant"
    multi_lieux_antennes = "multi_lieux_antennes"

    @property
    def label(self) -> str:
        return _SITE_MODE_LABELS[self]


_FAMILY_LABELS = {
    Family.eaje_psu: "EAJE - PSU",
    Family.alsh: "ALSH",
    Family.rpe: "Relais petite enfance",
    Family.laep: "LAEP",
    Family.espace_rencontre: "Espace de rencontre",
    Family.mediation_familiale: "Médiation familiale",
    Family.ps_jeunes: "PS Jeunes",
    Family.centre_social_agc: "Centre social - animation globale (AGC)",
    Family.centre_social_acf: "Centre social - animation collective familles (ACF)",
    Family.clas: "CLAS",
    Family.ctg: "Chargé de coopération CTG",
}
_SITE_MODE_LABELS = {
    SiteMode.mono_lieu: "Mono-lieu",
    SiteMode.multi_lieux_itinerant: "Multi-lieux itinérant",
    SiteMode.multi_lieux_antennes: "Multi-lieux antennes",
}

GENERAL_NATURE = "general"

_SPECIFIC_NATURES: dict[Family, dict[str, str]] = {
    Family.eaje_psu: {
        "multi_accueil": "Multi-accueil",
        "creche_collective": "Crèche collective",
        "halte_garderie": "Halte-garderie",
        "micro_creche_psu": "Micro-crèche PSU",
        "creche_familiale": "Crèche familiale",
        "creche_parentale": "Crèche parentale",
    },
    Family.alsh: {
        "periscolaire": "ALSH périscolaire",
        "extrascolaire": "ALSH extrascolaire",
        "adolescents": "Accueil adolescents",
    },
}

NATURES: dict[Family, dict[str, str]] = {
    family: _SPECIFIC_NATURES.get(family, {GENERAL_NATURE: family.label}) for family in Family
}

SITE_SCOPED_FAMILIES: frozenset[Family] = frozenset({Family.alsh, Family.laep, Family.espace_rencontre})

NAME_MAX = 200
EAJE_CAPACITY_MAX = 500

# [0-9] rather than \d: \d accepts non-ASCII digits
_EQUIPMENT_ID = re.compile(r"[A-Z0-9]{6,12}")
_AFC_FILE = re.compile(r"[0-9]{4,10}")


@dataclass(frozen=True)
class ActivityFacts:
    family: Family
    nature: str
    name: str
    site_mode: SiteMode
    sites: tuple[str, ...]
    opening: date
    closing: date | None
    capacity: int | None
    equipment_id: str | None
    afc_file: str | None


def site_scoped(family: Family, site_mode: SiteMode) -> bool:
    """Whether the activity-data role of such an activity may target one of its sites rather than the whole."""
    return family in SITE_SCOPED_FAMILIES and site_mode is not SiteMode.mono_lieu


def _name_ok(value: str) -> bool:
    return 1 <= len(value.strip()) and len(value) <= NAME_MAX


def _capacity_problem(family: Family, capacity: int | None) -> str | None:
    if family is Family.eaje_psu:
        if capacity is None:
            return "Le nombre de places est obligatoire pour un EAJE."
        if not 1 <= capacity <= EAJE_CAPACITY_MAX:
            return f"Le nombre de places d'un EAJE doit être compris entre 1 et {EAJE_CAPACITY_MAX}."
        return None
    if capacity is not None and capacity < 1:
        return "Le nombre de places, s'il est renseigné, doit être un entier positif."
    return None


def _sites_problems(site_mode: SiteMode, sites: tuple[str, ...]) -> list[str]:
    problems = []
    if site_mode is SiteMode.mono_lieu and len(sites) != 1:
        problems.append("Une activité mono-lieu doit avoir exactement un lieu d'implantation.")
    elif site_mode is not SiteMode.mono_lieu and len(sites) < 2:
        problems.append("Une activité multi-lieux doit avoir au moins deux lieux d'implantation.")
    if any(not _name_ok(site) for site in sites):
        problems.append(f"Le nom d'un lieu d'implantation doit comporter entre 1 et {NAME_MAX} caractères.")
    seen: set[str] = set()
    for site in sites:
        # the same site typed twice with different case is still the same place
        key = site.strip().casefold()
        if key and key in seen:
            problems.append(f"Le lieu d'implantation « {site.strip()} » est présent plusieurs fois.")
        seen.add(key)
    return problems


def activity_problems(facts: ActivityFacts) -> list[tuple[str, str]]:
    """Every rule the activity breaks, as (field, French message); empty when the activity is valid."""
    problems: list[tuple[str, str]] = []
    if facts.nature not in NATURES[facts.family]:
        problems.append(("nature", f"La nature « {facts.nature} » n'existe pas pour la famille {facts.family.label}."))
    if not _name_ok(facts.name):
        problems.append(("name", f"Le nom de l'activité doit comporter entre 1 et {NAME_MAX} caractères."))
    if facts.closing is not None and facts.closing < facts.opening:
        problems.append(("closing", "La date de fermeture doit être postérieure ou égale à la date d'ouverture."))
    if message := _capacity_problem(facts.family, facts.capacity):
        problems.append(("capacity", message))
    problems.extend(("sites", message) for message in _sites_problems(facts.site_mode, facts.sites))
    if facts.equipment_id is not None and not _EQUIPMENT_ID.fullmatch(facts.equipment_id):
        problems.append(
            (
                "equipment_id",
                "L'identifiant d'équipement (IDEQU) doit comporter de 6 à 12 lettres majuscules ou chiffres.",
            )
        )
    if facts.afc_file is not None and not _AFC_FILE.fullmatch(facts.afc_file):
        problems.append(("afc_file", "Le numéro de dossier AFC doit comporter de 4 à 10 chiffres."))
    return problems
