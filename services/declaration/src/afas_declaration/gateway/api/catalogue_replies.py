"""Replies of the habilitation part of the public API: activities, their sites, the catalogue import, grants."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from afas_declaration.gateway.api.reply_fields import example

ACTIVITY_ID = "1fab0cb7-4b54-46c3-88e2-6ffef986f50d"
PARTNER_ID = "885402b1-c350-46ef-a585-bf73aabbceb3"


class Site(BaseModel):
    id: uuid.UUID
    nom: str


class Activity(BaseModel):
    model_config = example(
        {
            "id": ACTIVITY_ID,
            "partenaire_id": PARTNER_ID,
            "partenaire": "Commune d'Amiens",
            "caf": "080",
            "type": "alsh",
            "type_libelle": "ALSH",
            "nature": "periscolaire",
            "nature_libelle": "ALSH périscolaire",
            "nom": "ALSH Les Coccinelles",
            "mode_lieux": "multi_lieux_antennes",
            "mode_lieux_libelle": "Multi-lieux antennes",
            "lieux": [{"id": "54f0c1aa-fdab-431c-b299-3512230a61e4", "nom": "École Jules Ferry"}],
            "date_ouverture": "2020-09-01",
            "date_fermeture": None,
            "places": 40,
            "ideq": "ALSH0801",
            "dossier_afc": "800101",
        }
    )

    id: uuid.UUID
    partenaire_id: uuid.UUID
    partenaire: str | None
    caf: str
    type: str = Field(description="Famille de prestation de service")
    type_libelle: str
    nature: str
    nature_libelle: str
    nom: str
    mode_lieux: str
    mode_lieux_libelle: str
    lieux: list[Site] = Field(description="Les lieux d'implantation")
    date_ouverture: date
    date_fermeture: date | None
    places: int | None
    ideq: str | None
    dossier_afc: str | None


class RejectedLine(BaseModel):
    ligne: int
    motif: str


class CatalogueImport(BaseModel):
    model_config = example(
        {
            "lignes_lues": 3,
            "creees": 1,
            "modifiees": 1,
            "inchangees": 0,
            "rejets": [{"ligne": 3, "motif": "Ligne 3 : date d'ouverture invalide."}],
        }
    )

    lignes_lues: int
    creees: int
    modifiees: int
    inchangees: int
    rejets: list[RejectedLine] = Field(description="Les lignes rejetées, avec le motif de chacune")


class GrantLine(BaseModel):
    """A grant, or (``etat`` « Non attribué ») a role no one holds on an activity or a site."""

    model_config = example(
        {
            "id": "30d6f83f-0c8f-4d02-b29c-9bf1c37a525b",
            "habilitation": "12eec701-e0b3-495a-b902-55c07a069fbf",
            "utilisateur_id": "eb5b9c50-a1e2-409c-809d-4e7ada4ebe0e",
            "utilisateur": "Claire Martin",
            "role": "approbateur",
            "role_libelle": "Approbateur",
            "activite_id": ACTIVITY_ID,
            "activite": "ALSH Les Coccinelles",
            "lieu_id": None,
            "date_debut": "2026-01-01",
            "date_fin": None,
            "validation": "Validé",
            "etat": "Actif",
        }
    )

    id: uuid.UUID | None = Field(default=None, description="Absent d'un rôle non attribué")
    habilitation: uuid.UUID | None = Field(default=None, description="Les lignes d'une même habilitation")
    utilisateur_id: uuid.UUID | None = None
    utilisateur: str | None = None
    partenaire: str | None = Field(default=None, description="Rôle non attribué seulement")
    role: str = Field(description="fda, fdf ou approbateur")
    role_libelle: str
    activite_id: uuid.UUID
    activite: str | None
    lieu_id: uuid.UUID | None
    lieu: str | None = Field(default=None, description="Rôle non attribué seulement : le nom du lieu")
    date_debut: date | None = None
    date_fin: date | None = None
    validation: str | None = None
    etat: str = Field(description="Actif, Historique, Inactif ou Non attribué")
