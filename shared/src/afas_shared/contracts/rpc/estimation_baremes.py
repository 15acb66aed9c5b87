"""estimation's replies on its barèmes: national values, a Caf's local values and territories, and the
re-estimation a change starts. The public API passes them through as is: these are its documented replies too."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from afas_shared.contracts.rpc.base import Timestamp, example
from afas_shared.contracts.rpc.estimation_explanations import Provenance

JOB_ID = "b88536e5-d418-416a-8a24-84dec4ea30f3"


class DatedValue(BaseModel):
    applicable_depuis: dt.date
    valeur: str
    affichage: str
    provenance: str
    provenance_detail: Provenance | None
    source: bool = Field(description="Vrai : la valeur a une source publique")
    origine: str = Field(description="fichier (barème livré) ou parametrage (modifiée sur la plateforme)")
    version: int | None
    modifie_par: str | None
    modifie_le: Timestamp | None


class Parameter(BaseModel):
    nom: str
    libelle: str
    unite: str
    annuel: bool
    valeurs: list[DatedValue] = Field(description="Les plus récentes d'abord")
    valeurs_par_nature: dict[str, list[DatedValue]] = Field(description="Les valeurs propres à une nature, par nature")


class ParameterChange(BaseModel):
    id: uuid.UUID
    parametre: str
    nature: str | None
    applicable_depuis: dt.date
    ancienne_valeur: str | None
    ancienne_valeur_depuis: dt.date | None
    ancienne_provenance: str | None
    nouvelle_valeur: str
    provenance: str
    provenance_detail: Provenance | None
    motif: str | None
    version: int
    modifie_par: str | None
    profil: str | None
    caf: str | None
    modifie_le: Timestamp


class Bareme(BaseModel):
    model_config = example(
        {
            "famille": "alsh",
            "libelle": "ALSH",
            "natures": {"periscolaire": "ALSH périscolaire", "extrascolaire": "ALSH extrascolaire"},
            "version": 0,
            "empreinte": "7c71eb8ad28a297cede11770596d424861590878",
            "parametres": [
                {
                    "nom": "taux_ps",
                    "libelle": "Taux de prise en charge du prix de revient",
                    "unite": "/1",
                    "annuel": False,
                    "valeurs": [
                        {
                            "applicable_depuis": "2014-01-01",
                            "valeur": "0.3",
                            "affichage": "30\u00a0%",
                            "provenance": "Lettre circulaire Cnaf",
                            "provenance_detail": None,
                            "source": True,
                            "origine": "fichier",
                            "version": None,
                            "modifie_par": None,
                            "modifie_le": None,
                        }
                    ],
                    "valeurs_par_nature": {},
                }
            ],
            "historique": [],
        }
    )

    famille: str
    libelle: str
    natures: dict[str, str] = Field(description="Les natures de la famille et leur libellé")
    version: int
    empreinte: str
    parametres: list[Parameter]
    historique: list[ParameterChange] = Field(description="Les modifications, les plus récentes d'abord")


class NationalChange(BaseModel):
    model_config = example(
        {
            "modifie": True,
            "changement": {
                "id": "55bbe6f9-c808-40fb-95bd-61a63bff935c",
                "parametre": "taux_ps",
                "nature": None,
                "applicable_depuis": "2026-01-01",
                "ancienne_valeur": "0.30",
                "ancienne_valeur_depuis": "2025-01-01",
                "ancienne_provenance": "Circulaire Cnaf 2025-002",
                "nouvelle_valeur": "0.31",
                "provenance": "Circulaire Cnaf 2026-001",
                "provenance_detail": None,
                "motif": None,
                "version": 1,
                "modifie_par": None,
                "profil": None,
                "caf": None,
                "modifie_le": "2026-03-01T09:30:00+00:00",
            },
            "reestimation": JOB_ID,
            "famille": "alsh",
            "version": 1,
            "empreinte": "5c51e754fc02892d942a790322ddfc7fdcd9530c",
            "parametre": {
                "nom": "taux_ps",
                "libelle": "Taux",
                "unite": "/1",
                "annuel": False,
                "valeurs": [],
                "valeurs_par_nature": {},
            },
        }
    )

    modifie: bool = Field(description="Faux : la même valeur était déjà en vigueur, rien n'a changé")
    changement: ParameterChange | None = None
    reestimation: uuid.UUID | None = Field(default=None, description="Suivre : GET /api/v1/baremes/reestimations/…")
    famille: str
    version: int
    empreinte: str
    parametre: Parameter


class DatedChange(BaseModel):
    id: uuid.UUID
    ancienne_valeur: str | None
    nouvelle_valeur: str
    applicable_depuis: dt.date
    provenance: str
    motif: str | None
    par: str | None
    le: Timestamp


class LocalValue(BaseModel):
    caf: str
    type_activite: str
    parametre: str
    libelle: str
    valeur: str
    affichage: str
    applicable_depuis: dt.date
    provenance: str
    provenance_structuree: Provenance | None


class LocalChange(BaseModel):
    model_config = example(
        {
            "modifie": True,
            "parametre_local": {
                "caf": "080",
                "type_activite": "eaje_psu",
                "parametre": "bonus_territoire_montant_place_nouvelle",
                "libelle": "Montant du bonus territoire par place nouvelle",
                "valeur": "3000",
                "affichage": "3\u00a0000,00\u00a0€",
                "applicable_depuis": "2026-01-01",
                "provenance": "Délibération du conseil d'administration — Caf de la Somme",
                "provenance_structuree": None,
            },
            "reestimation": JOB_ID,
        }
    )

    modifie: bool
    parametre_local: LocalValue
    changement: DatedChange | None = None
    reestimation: uuid.UUID | None = None


class TerritoryAmount(BaseModel):
    applicable_depuis: dt.date
    valeur: str
    affichage: str
    provenance: str
    provenance_structuree: Provenance


class Territory(BaseModel):
    code: str
    nom: str
    montants: list[TerritoryAmount]
    activites: list[uuid.UUID] = Field(description="Les activités affectées à ce territoire")


class ActivityTerritory(BaseModel):
    activite_id: uuid.UUID
    territoire: str | None


class Territories(BaseModel):
    model_config = example(
        {
            "caf": "080",
            "caf_nom": "Caf de la Somme",
            "territoires": [{"code": "CTG-01", "nom": "Métropole", "montants": [], "activites": []}],
            "activites": [{"activite_id": "eabf8183-fb40-4b98-8b85-a17729150f7b", "territoire": "CTG-01"}],
        }
    )

    caf: str
    caf_nom: str
    territoires: list[Territory]
    activites: list[ActivityTerritory] = Field(description="Les activités EAJE (PSU) de la Caf et leur territoire")


class TerritoryChange(BaseModel):
    model_config = example(
        {
            "modifie": True,
            "territoire": {"code": "CTG-01", "nom": "Métropole", "montants": [], "activites": []},
            "reestimation": JOB_ID,
        }
    )

    modifie: bool
    territoire: Territory
    changement: DatedChange | None = None
    reestimation: uuid.UUID | None = None


class TerritoryAssignment(BaseModel):
    model_config = example(
        {
            "modifie": True,
            "activite_id": "eabf8183-fb40-4b98-8b85-a17729150f7b",
            "territoire": "CTG-01",
            "ancien_territoire": None,
            "reestimation": JOB_ID,
        }
    )

    modifie: bool
    activite_id: uuid.UUID
    territoire: str | None
    ancien_territoire: str | None = None
    reestimation: uuid.UUID | None = None


class Reestimation(BaseModel):
    model_config = example(
        {
            "id": JOB_ID,
            "famille": "alsh",
            "nature": None,
            "applicable_depuis": "2026-01-01",
            "traitees": 12,
            "revisees": 3,
            "terminee": True,
        }
    )

    id: uuid.UUID
    famille: str | None
    nature: str | None
    applicable_depuis: dt.date
    traitees: int
    revisees: int
    terminee: bool
