"""Replies of the review part of the public API: controls and justifications, the estimate, sending a form back,
transmitted versions, and the Caf's instruction.

A transmitted version is the document frozen when it was signed: what it held then is kept as is (its figures,
controls and estimate are given back as they were written), and a field added since may be absent from an older
one, so its model keeps any other field too (``extra="allow"``).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from afas_declaration.gateway.api.estimate_replies import Explanation
from afas_declaration.gateway.api.reply_fields import Timestamp, example

DECLARATION_ID = "7505c8a3-e289-4cfb-9e3c-dcc3614905d8"


class AvailableEstimate(Explanation):
    disponible: Literal[True]
    type_declaration: str | None = None
    caf_code: str | None = None


class UnavailableEstimate(BaseModel):
    model_config = example({"disponible": False, "message": "Estimation indisponible : Données manquantes."})

    disponible: Literal[False]
    message: str = Field(description="Pourquoi il n'y a pas d'estimation, en clair")


Estimate = AvailableEstimate | UnavailableEstimate


class Justification(BaseModel):
    model_config = example(
        {
            "texte": "Ouverture d'une section de 12 places.",
            "montant": "18500",
            "par": "Claire Martin",
            "le": "2027-01-12T08:30:56+01:00",
        }
    )

    texte: str
    montant: str | None
    par: str | None
    le: Timestamp


class ControlResult(BaseModel):
    cle: str = Field(description="Identifie l'anomalie à justifier (PUT …/justifications/{cle})")
    id: str
    severite: str = Field(description="blocking (à corriger) ou flagged (à justifier)")
    statut: str = Field(description="ok ou anomalie")
    formulaire: str | None
    lieu: str | None
    libelle: str
    message: str
    mesure: str | None
    seuil: str | None
    unite: str | None
    champs: list[str]
    a_justifier: bool
    justification: Justification | None


class Controls(BaseModel):
    model_config = example(
        {
            "declaration_id": DECLARATION_ID,
            "etat": "Contrôlée",
            "controles": [],
            "anomalies_bloquantes": 0,
            "anomalies_a_justifier": 0,
            "transmissible": True,
            "obstacles": [],
            "estimation": {"disponible": False, "message": "Lancez les contrôles."},
            "informations_complementaires": None,
            "controle_le": "2027-01-12T08:30:56+01:00",
        }
    )

    declaration_id: uuid.UUID
    etat: str
    controles: list[ControlResult]
    anomalies_bloquantes: int
    anomalies_a_justifier: int
    transmissible: bool
    obstacles: list[str] = Field(description="Ce qui empêche la transmission, en clair")
    estimation: Estimate
    informations_complementaires: str | None
    controle_le: Timestamp | None


class Complement(BaseModel):
    model_config = example({"informations_complementaires": "Extension de 5 places prévue en septembre."})

    informations_complementaires: str | None


class SentBack(BaseModel):
    model_config = example(
        {
            "id": "7964e45b-0a47-4c07-8b97-6333ab9b4fe9",
            "etat": "À corriger",
            "commentaire": "Les heures de mars manquent.",
        }
    )

    id: uuid.UUID
    etat: str
    commentaire: str


class Decision(BaseModel):
    decision: str = Field(description="validee, refusee ou annulee")
    motif: str | None
    par: str | None
    le: Timestamp


class VersionSummary(BaseModel):
    model_config = example(
        {
            "declaration_id": DECLARATION_ID,
            "version": 1,
            "hash": "5c51e754fc02892d942a790322ddfc7fdcd9530c5c51e754fc02892d942a7903",
            "transmise_le": "2027-01-12T08:30:56+01:00",
            "signataire": "Claire Martin",
            "estimation": {"disponible": True, "montant": "12799.73"},
            "decision_caf": None,
            "accuse_reception": f"/api/v1/declarations/{DECLARATION_ID}/versions/1/accuse.pdf",
        }
    )

    declaration_id: uuid.UUID
    version: int
    hash: str = Field(description="Empreinte SHA-256 du contenu transmis")
    transmise_le: Timestamp
    signataire: str | None
    estimation: dict[str, Any] = Field(description="L'estimation telle que montrée à la transmission")
    decision_caf: Decision | None
    accuse_reception: str | None = Field(description="L'adresse de l'accusé de réception (PDF) ; absent : pas permis")


class TransmittedVersion(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "declaration_id": DECLARATION_ID,
                    "version": 1,
                    "exercice": 2027,
                    "type_declaration": "previsionnelle",
                    "formulaires": [],
                    "chiffres": {"heures_realisees": "12500"},
                    "controles": [],
                    "estimation": {"disponible": False, "message": "Estimation non affichée."},
                    "transmise_le": "2027-01-12T08:30:56+01:00",
                    "decision_caf": None,
                }
            ]
        },
    )

    declaration_id: uuid.UUID
    version: int
    hash: str | None = None
    partenaire: dict[str, Any] | None = None
    activite: dict[str, Any] | None = None
    exercice: int
    type_declaration: str
    type_libelle: str | None = None
    version_formulaires: str | None = None
    formulaires: list[dict[str, Any]] = Field(description="Les formulaires transmis, valeurs comprises")
    chiffres: dict[str, Any] | None = Field(default=None, description="Absent pour le fournisseur de quelques lieux")
    controles: list[dict[str, Any]]
    estimation: dict[str, Any]
    informations_complementaires: str | None = None
    signataire: dict[str, Any] | None = None
    transmise_le: Timestamp
    decision_caf: Decision | None


class QueuedDeclaration(BaseModel):
    model_config = example(
        {
            "id": DECLARATION_ID,
            "version": 1,
            "partenaire": "Commune d'Amiens",
            "activite": "ALSH Les Coccinelles",
            "type_activite": "alsh",
            "nature": "periscolaire",
            "exercice": 2027,
            "type_declaration": "Prévisionnelle",
            "etat": "Transmise Caf",
            "transmise_le": "2027-01-12T08:30:56+01:00",
            "signataire": "Claire Martin",
            "estimation": "12799.73",
            "estimation_partielle": False,
        }
    )

    id: uuid.UUID
    version: int
    partenaire: str | None
    activite: str
    type_activite: str
    nature: str
    exercice: int
    type_declaration: str
    etat: str
    transmise_le: Timestamp
    signataire: str | None
    estimation: str | None = Field(description="Le montant estimé à la transmission")
    estimation_partielle: bool = Field(description="Vrai : l'estimation ne couvre qu'une partie de la règle")


class Decided(BaseModel):
    model_config = example({"id": DECLARATION_ID, "etat": "Validée Caf", "version": 1})

    id: uuid.UUID
    etat: str
    version: int
