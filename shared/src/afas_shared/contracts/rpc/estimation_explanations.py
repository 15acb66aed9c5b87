"""An estimate as estimation explains it: the amount, the steps, the barème values used and their sources.

Shown with a declaration's estimate and kept with a validated declaration's entitlement. The entitlement keeps the
explanation written when it was computed: a field added since may be absent from an older one, so every field is
declared and extra ones are kept (``extra="allow"``) rather than dropped from an explanation already given.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Provenance(BaseModel):
    """The document a barème value comes from."""

    titre: str
    emetteur: str
    date: dt.date
    reference: str
    note: str


class Step(BaseModel):
    libelle: str
    valeur: str
    unite: str
    affichage: str
    formule: str
    bonus: bool


class ParameterUsed(BaseModel):
    nom: str
    libelle: str
    valeur: str
    unite: str
    affichage: str
    applicable_depuis: dt.date
    provenance: str
    provenance_detail: Provenance | None
    source: bool = Field(description="Vrai : la valeur a une source publique")
    provisoire: bool


class Explanation(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "famille": "alsh",
                    "nature": "periscolaire",
                    "exercice": 2027,
                    "montant": "12799.73",
                    "montant_affiche": "12\u00a0799,73\u00a0€",
                    "arrondi": "Montant arrondi au centime le plus proche",
                    "provisoire": False,
                    "partielle": False,
                    "parties_non_calculees": [],
                    "parametres_manquants": [],
                    "parametres_manquants_libelles": [],
                    "parametres_non_sources": [],
                    "parametres_non_sources_libelles": [],
                    "avertissements": [],
                    "etapes": [
                        {
                            "libelle": "Prix de revient horaire",
                            "valeur": "3.8049",
                            "unite": "€/h",
                            "affichage": "3,80\u00a0€/h",
                            "formule": "total des charges ÷ heures réalisées",
                            "bonus": False,
                        }
                    ],
                    "parametres": [],
                    "entrees": {"heures_realisees": "20500", "total_charges": "78000"},
                }
            ]
        },
    )

    famille: str
    nature: str
    exercice: int
    montant: str
    montant_affiche: str
    arrondi: str
    provisoire: bool
    partielle: bool
    parties_non_calculees: list[str]
    parametres_manquants: list[str]
    parametres_manquants_libelles: list[str]
    parametres_non_sources: list[str]
    parametres_non_sources_libelles: list[str]
    avertissements: list[str] = Field(description="Ce que le partenaire doit savoir du barème, en clair")
    etapes: list[Step]
    parametres: list[ParameterUsed]
    entrees: dict[str, str] = Field(description="Les données de la déclaration prises en compte, par nom")
    version_bareme: int | None = None
    empreinte_bareme: str | None = None


class EstimateV1(Explanation):
    """``estimation.rpc.estimate.v1``'s reply: the explanation, with the request's type and Caf echoed back."""

    type_declaration: str | None = None
    caf_code: str | None = None
