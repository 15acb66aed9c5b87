"""Barèmes (Caf paramétrage), entitlements of validated declarations and payments, answered by estimation."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from afas_declaration.application.declaration_scope import require_whole_view
from afas_declaration.entrypoints.caller import Caller
from afas_declaration.entrypoints.service_calls import call_local, call_service
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel

FAMILY = Path(pattern=r"^[a-z][a-z0-9_]{1,29}$", examples=["eaje_psu"], description="Type d'activité")


class ParameterChangeBody(InputModel):
    valeur: str = Field(
        min_length=1,
        max_length=40,
        examples=["0,67"],
        description="Nombre (virgule ou point ; un taux en fraction : 0,66 pour 66 %), ou oui/non",
    )
    applicable_depuis: date = Field(examples=["2026-01-01"], description="Date à partir de laquelle elle s'applique")
    provenance: str = Field(
        min_length=1,
        max_length=500,
        examples=["Circulaire Cnaf n° 2026-001 du 5 janvier 2026"],
        description="Texte de référence et date : montré avec chaque estimation",
    )
    nature: str | None = Field(
        default=None, max_length=40, examples=[None], description="Une nature seulement (sinon : toutes)"
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Revalorisation annuelle 2026"])


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["estimation"])
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, **payload: Any) -> Any:
        return await call_service(runtime, "estimation", verb, caller.rpc(**payload))

    @api.get("/baremes/{famille}", summary="Barème en vigueur d'un type d'activité, avec provenance et historique")
    async def bareme(famille: str = FAMILY, caller: Caller = who) -> dict[str, Any]:
        return await ask("parameters", caller, family=famille)

    @api.put(
        "/baremes/{famille}/parametres/{parametre}",
        summary="Modifier une valeur du barème (Caf, paramétrage) : versionnée, tracée, ré-estimation des "
        "déclarations ouvertes",
    )
    async def set_parameter(
        body: ParameterChangeBody,
        famille: str = FAMILY,
        parametre: str = Path(pattern=r"^[a-z][a-z0-9_]{1,59}$", examples=["taux_ps"]),
        caller: Caller = who,
    ) -> dict[str, Any]:
        return await ask(
            "set_parameter",
            caller,
            family=famille,
            parameter=parametre,
            nature=body.nature,
            applies_from=body.applicable_depuis,
            value=body.valeur,
            provenance=body.provenance,
            reason=body.motif,
        )

    @api.get("/baremes/reestimations/{job_id}", summary="Avancement de la ré-estimation après une modification")
    async def reestimation(job_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("reestimation", caller, job_id=job_id)

    @api.get(
        "/activities/{activity_id}/payments",
        summary="Paiements d'une activité pour un exercice : déjà versés, à venir, totaux",
    )
    async def payments(
        activity_id: uuid.UUID, caller: Caller = who, exercice: int = Query(ge=2000, le=2100, examples=[2026])
    ) -> dict[str, Any]:
        await call_local(require_whole_view(runtime, forwarded_caller(caller.rpc()), activity_id=activity_id))
        return await ask("payments", caller, activity_id=activity_id, exercice=exercice)

    @api.get("/declarations/{declaration_id}/entitlement", summary="Droit calculé d'une déclaration validée, expliqué")
    async def entitlement(declaration_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        await call_local(require_whole_view(runtime, forwarded_caller(caller.rpc()), declaration_id=declaration_id))
        return await ask("entitlement", caller, declaration_id=declaration_id)

    @api.get(
        "/cafs/{caf}/politique-paiement", summary="Politique de paiement d'une Caf (acomptes, compléments, plafond)"
    )
    async def payment_policy(caf: str, caller: Caller = who) -> dict[str, Any]:
        return await ask("payment_policy", caller, caf=caf)

    return api
