"""habilitation's long work (issue 16): a CSV import sent in parts then run as a job, a bulk grant run as a job,
following either, and the catalogue read a page at a time.

An import travels in parts of at most ``CATALOGUE_IMPORT_PART_BYTES`` (one request on the bus each); the request
carrying the last part starts the job and answers where it stands (``JobV1``: « en cours » with its ``suivi`` route,
or « terminee » with its report when it finished within the service's short wait). The job then runs in
habilitation's background, in batches that each commit, whatever becomes of the request.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Base64Bytes, Field

from afas_shared.contracts.limits import CATALOGUE_IMPORT_PART_BYTES, CATALOGUE_IMPORT_PARTS_MAX
from afas_shared.contracts.rpc.base import RpcContract, RpcReply, RpcRequest, Timestamp, example
from afas_shared.contracts.rpc.habilitation import ActivityV1, GrantRequestV1, GrantV1, RejectedLineV1

JOB_ID = "6f1c2a4e-8b3d-4c5e-9f7a-1b2c3d4e5f60"
JOBS_PATH = "/api/v1/jobs"


class ImportPartRequestV1(RpcRequest):
    """One part of the file, base64 (its size on the bus is 4/3 of the part's, see ``afas_shared.contracts.limits``).

    Read as bytes (``Base64Bytes``, decoded by pydantic-core): a part is not a text a person typed, and checking its
    700,000 base64 characters one by one for control characters cost more than storing it.
    """

    upload_id: uuid.UUID  # chosen by the sender, the same for every part; the job's id once the file is complete
    position: int = Field(ge=0, lt=CATALOGUE_IMPORT_PARTS_MAX)
    last: bool = False
    # the limit on the decoded part (``Field`` as the annotation's: on the field, pydantic would apply it to the text)
    csv_base64: Annotated[Base64Bytes, Field(max_length=CATALOGUE_IMPORT_PART_BYTES)]


class JobIdRequestV1(RpcRequest):
    job_id: uuid.UUID


class JobV1(RpcReply):
    """Where a job stands; once ``terminee``, its report (what it created, and each line refused with why)."""

    model_config = example(
        {
            "job_id": JOB_ID,
            "type": "activity_import",
            "libelle": "Import du catalogue d'activités",
            "etat": "en_cours",
            "suivi": f"{JOBS_PATH}/{JOB_ID}",
            "total": 70000,
            "traitees": 21000,
            "creees": 20990,
            "modifiees": 8,
            "inchangees": 1,
            "refusees": [{"ligne": 12, "motif": "Ligne 12 : colonne date_ouverture obligatoire."}],
            "debut": "2026-12-07T08:00:00+00:00",
            "fin": None,
        }
    )

    job_id: uuid.UUID
    type: str = Field(description="activity_import ou bulk_grant")
    libelle: str
    etat: str = Field(description="reception (parties du fichier en cours d'envoi), en_cours, puis terminee")
    suivi: str = Field(description="La route qui suit le traitement")
    total: int | None = Field(description="Éléments à traiter, quand on les connaît")
    traitees: int
    creees: int
    modifiees: int | None = Field(default=None, description="Import : activités existantes modifiées")
    inchangees: int | None = Field(default=None, description="Import : activités déjà à jour")
    refusees: list[RejectedLineV1] = Field(description="Chaque ligne refusée, avec son numéro et le motif")
    debut: Timestamp
    fin: Timestamp | None


class ActivityPageRequestV1(RpcRequest):
    partner_id: uuid.UUID | None = Field(default=None, alias="partenaire")
    family: str | None = Field(default=None, alias="type", max_length=30)
    nature: str | None = Field(default=None, max_length=40)
    limit: int | None = Field(default=None, alias="limite", ge=1)
    cursor: str | None = Field(default=None, alias="curseur", max_length=2000)


class ActivityPageV1(RpcReply):
    model_config = example(
        {
            "elements": [ActivityV1.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
            "total": 70000,
            "debut": 1,
            "fin": 1,
            "curseur_suivant": "WyJhY3Rpdml0ZXMiLCJhcHJlcyIsWyJBTFNIIiwiMWZhYiJdXQ",
            "curseur_precedent": None,
        }
    )

    elements: list[ActivityV1]
    total: int = Field(description="Le nombre d'activités de toute la liste, filtres appliqués")
    debut: int = Field(description="Le rang (à partir de 1) de la première ligne de la page ; 0 si elle est vide")
    fin: int = Field(description="Le rang de la dernière ligne de la page ; 0 si elle est vide")
    curseur_suivant: str | None = Field(description="À passer en `curseur` pour la page suivante ; null à la fin")
    curseur_precedent: str | None = Field(description="À passer en `curseur` pour la page précédente ; null au début")


class GrantOutcomeV1(RpcReply):
    """A grant's answer: its lines when it was small enough to be given at once, else the job giving it."""

    lignes: list[GrantV1] | None = None
    traitement: JobV1 | None = None


def _contracts() -> tuple[RpcContract, ...]:
    def c(verb: str, request: type[RpcRequest], reply: Any) -> RpcContract:
        return RpcContract("habilitation", verb, request, reply)

    return (
        c("import_part", ImportPartRequestV1, JobV1),
        c("job", JobIdRequestV1, JobV1),
        c("activity_page", ActivityPageRequestV1, ActivityPageV1),
        c("grant_or_start", GrantRequestV1, GrantOutcomeV1),
    )


CONTRACTS = _contracts()
