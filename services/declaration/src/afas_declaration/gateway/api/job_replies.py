"""Replies about long work run as background jobs: where a job stands, and what it turned down."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from afas_declaration.gateway.api.reply_fields import Timestamp, example

JOB_ID = "9b7e3f5a-2d4c-4e8b-9a1f-6c2d8e4b7a10"


class RefusedLine(BaseModel):
    ligne: int = Field(description="Numéro de la ligne refusée (1 pour la première ligne de données)")
    motif: str


class Job(BaseModel):
    model_config = example(
        {
            "job_id": JOB_ID,
            "type": "campaign_opening",
            "libelle": "Ouverture de la campagne",
            "etat": "en_cours",
            "total": 70000,
            "traitees": 21000,
            "creees": 21000,
            "refusees": [],
            "debut": "2026-12-07T08:00:00+00:00",
            "fin": None,
            "campagne_id": "cef601fe-efb2-4b85-a288-33afc258d170",
        }
    )

    job_id: uuid.UUID
    type: str
    libelle: str
    etat: str = Field(description="en_cours, puis terminee")
    # type: campaign_opening (declaration), activity_import or bulk_grant (habilitation)
    total: int | None = Field(description="Éléments à traiter, quand on les connaît au départ")
    traitees: int
    creees: int
    refusees: list[RefusedLine]
    debut: Timestamp
    fin: Timestamp | None
    campagne_id: uuid.UUID | None = None
    suivi: str | None = Field(default=None, description="Cette route, pour suivre le traitement")
    modifiees: int | None = Field(default=None, description="Import du catalogue : activités existantes modifiées")
    inchangees: int | None = Field(default=None, description="Import du catalogue : activités déjà à jour")
