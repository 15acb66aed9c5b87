"""Barèmes (Caf paramétrage), entitlements of validated declarations and payments, answered by estimation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field, model_validator

from afas_declaration.application.permissions import require_whole_view
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.clients.typed_calls import call_typed, carry, from_form
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.rpc import contract_for
from afas_shared.contracts.rpc import estimation_baremes as b
from afas_shared.contracts.rpc import estimation_payments as p
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel

FAMILY = Path(pattern=r"^[a-z][a-z0-9_]{1,29}$", examples=["eaje_psu"], description="Type d'activité")
CAF = Path(pattern=r"^[0-9]{3}$", examples=["080"], description="Code de la Caf (trois chiffres)")


class ProvenanceBody(InputModel):
    """Where a barème value comes from: shown with every estimate that uses it and printed on the receipt."""

    titre: str = Field(
        min_length=5,
        max_length=500,
        examples=["Lettre circulaire relative à la prestation de service unique"],
        description="Titre du document",
    )
    emetteur: str = Field(min_length=1, max_length=500, examples=["Cnaf"], description="Qui l'a publié")
    date: dt.date = Field(examples=["2026-01-05"], description="Date du document (AAAA-MM-JJ)")
    reference: str | None = Field(
        default=None,
        max_length=500,
        examples=["Lettre circulaire n° 2026-001"],
        description="Sa référence (ou, à défaut, son adresse)",
    )
    adresse: str | None = Field(
        default=None, max_length=500, examples=[None], description="Son adresse (URL), à défaut de référence"
    )
    note: str | None = Field(
        default=None, max_length=500, examples=[None], description="Précision (par exemple : valeur déduite de…)"
    )

    @model_validator(mode="after")
    def _reference_or_address(self) -> ProvenanceBody:
        if not (self.reference or "").strip() and not (self.adresse or "").strip():
            raise ValueError("Indiquez la référence du document ou son adresse.")
        return self


class ParameterChangeBody(InputModel):
    valeur: str = Field(
        min_length=1,
        max_length=40,
        examples=["0,67"],
        description="Nombre (virgule ou point ; un taux en fraction : 0,66 pour 66 %), ou oui/non",
    )
    applicable_depuis: dt.date = Field(examples=["2026-01-01"], description="Date à partir de laquelle elle s'applique")
    provenance: ProvenanceBody = Field(description="Document d'où vient la valeur : montré avec chaque estimation")
    nature: str | None = Field(
        default=None, max_length=40, examples=[None], description="Une nature seulement (sinon : toutes)"
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Revalorisation annuelle 2026"])


class LocalParameterBody(InputModel):
    valeur: str = Field(
        min_length=1, max_length=40, examples=["3000"], description="Montant en euros (dans la fourchette nationale)"
    )
    applicable_depuis: dt.date = Field(examples=["2026-01-01"], description="Date à partir de laquelle elle s'applique")
    provenance: ProvenanceBody = Field(
        description="Décision de la Caf (délibération…) : montrée avec chaque estimation"
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Territoire de richesse moyenne"])


class TerritoryBody(InputModel):
    nom: str = Field(
        min_length=2, max_length=120, examples=["Métropole lilloise"], description="Nom du territoire (en français)"
    )
    valeur: str = Field(
        min_length=1,
        max_length=40,
        examples=["2700"],
        description="Montant du bonus territoire par place nouvelle, en euros (dans la fourchette nationale)",
    )
    applicable_depuis: dt.date = Field(examples=["2026-01-01"], description="Date à partir de laquelle il s'applique")
    provenance: ProvenanceBody = Field(
        description="Décision de la Caf (délibération…) : montrée avec chaque estimation"
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Territoire de richesse moyenne"])


class ActivityTerritoryBody(InputModel):
    territoire: str | None = Field(
        default=None,
        max_length=20,
        examples=["CTG-01"],
        description="Code du territoire de la Caf (vide : montant par défaut de la Caf)",
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Commune de la CTG de la métropole"])


class PaymentPolicyBody(InputModel):
    politique: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,59}$",
        examples=["acomptes_35_35"],
        description="Identifiant de la politique de versement (voir GET /api/v1/cafs/{caf}/politique-paiement)",
    )
    motif: str | None = Field(default=None, max_length=500, examples=["Délibération du conseil d'administration"])


class PriorPaymentsBody(InputModel):
    exercice: int = Field(ge=2000, le=2100, examples=[2025])
    acomptes: str = Field(
        min_length=1,
        max_length=20,
        examples=["28000,00"],
        description="Total des acomptes versés avant la plateforme pour cet exercice, en euros au centime",
    )
    solde: str | None = Field(
        default=None, max_length=20, examples=["0"], description="Solde déjà versé, en euros (0 si aucun)"
    )


class PriorActualBody(InputModel):
    exercice: int = Field(ge=2000, le=2100, examples=[2024])
    droit_reel: str = Field(
        min_length=1,
        max_length=20,
        examples=["40852,00"],
        description="Droit réel de l'exercice, validé avant la plateforme, en euros au centime",
    )
    droit_previsionnel: str | None = Field(
        default=None,
        max_length=20,
        examples=[None],
        description="Droit prévisionnel du même exercice, en euros, s'il est connu (vide : non connu)",
    )


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["estimation"], route_class=ReplyRoute)
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, body: InputModel | None = None, **ids: Any) -> Any:
        """``verb``'s request: the body as is (its names are the contract's) with the path's and query's values."""
        model = contract_for("estimation", verb).request
        request = carry(model, body, **ids) if body is not None else from_form(model, **ids)
        return await call_typed(runtime, "estimation", verb, request, caller)

    @api.get(
        "/baremes/{famille}",
        summary="Barème en vigueur d'un type d'activité, avec provenance et historique",
        response_model=b.Bareme,
        responses=refusals(*SESSION, 422, 503),
    )
    async def bareme(famille: str = FAMILY, caller: Caller = who) -> dict[str, Any]:
        return await ask("parameters", caller, famille=famille)

    @api.put(
        "/baremes/{famille}/parametres/{parametre}",
        summary="Modifier une valeur du barème national (Cnaf, paramétrage national) : versionnée, tracée, "
        "ré-estimation des déclarations ouvertes de toutes les Caf",
        response_model=b.NationalChange,
        responses=refusals(*SESSION, 409, 422, 503),
    )
    async def set_parameter(
        body: ParameterChangeBody,
        famille: str = FAMILY,
        parametre: str = Path(pattern=r"^[a-z][a-z0-9_]{1,59}$", examples=["taux_ps"]),
        caller: Caller = who,
    ) -> dict[str, Any]:
        return await ask("set_parameter", caller, body, famille=famille, parametre=parametre)

    @api.put(
        "/cafs/{caf}/parametres-locaux/{famille}/{parametre}",
        summary="Fixer un paramètre local de la Caf (paramétrage de cette Caf), par exemple le montant du bonus "
        "territoire par place nouvelle, dans la fourchette nationale : tracé, ré-estimation des déclarations "
        "ouvertes de cette Caf seulement",
        response_model=b.LocalChange,
        responses=refusals(*SESSION, 409, 422, 503),
    )
    async def set_local_parameter(
        body: LocalParameterBody,
        caf: str = CAF,
        famille: str = FAMILY,
        parametre: str = Path(pattern=r"^[a-z][a-z0-9_]{1,59}$", examples=["bonus_territoire_montant_place_nouvelle"]),
        caller: Caller = who,
    ) -> dict[str, Any]:
        return await ask("set_parameter", caller, body, caf=caf, famille=famille, parametre=parametre)

    @api.get(
        "/cafs/{caf}/territoires",
        summary="Territoires de la Caf pour le bonus territoire (montant par place nouvelle, activités affectées)",
        response_model=b.Territories,
        responses=refusals(*SESSION, 422, 503),
    )
    async def territories(caf: str = CAF, caller: Caller = who) -> dict[str, Any]:
        return await ask("territories", caller, caf=caf)

    @api.put(
        "/cafs/{caf}/territoires/{code}",
        summary="Définir un territoire de la Caf et son montant du bonus territoire par place nouvelle, daté, dans "
        "la fourchette nationale (paramétrage de cette Caf) : tracé, ré-estimation des déclarations ouvertes de "
        "cette Caf seulement",
        response_model=b.TerritoryChange,
        responses=refusals(*SESSION, 409, 422, 503),
    )
    async def set_territory(
        body: TerritoryBody,
        caf: str = CAF,
        code: str = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$", examples=["CTG-01"]),
        caller: Caller = who,
    ) -> dict[str, Any]:
        return await ask("set_territory", caller, body, caf=caf, code=code)

    @api.put(
        "/activities/{activity_id}/territoire",
        summary="Affecter une activité EAJE (PSU) de la Caf à l'un de ses territoires (paramétrage de la Caf de "
        "l'activité) : ses déclarations ouvertes sont ré-estimées",
        response_model=b.TerritoryAssignment,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def assign_territory(
        activity_id: uuid.UUID, body: ActivityTerritoryBody, caller: Caller = who
    ) -> dict[str, Any]:
        return await ask("assign_territory", caller, body, activity_id=activity_id)

    @api.get(
        "/baremes/reestimations/{job_id}",
        summary="Avancement de la ré-estimation après une modification",
        response_model=b.Reestimation,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def reestimation(job_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("reestimation", caller, job_id=job_id)

    @api.get(
        "/activities/{activity_id}/payments",
        summary="Paiements d'une activité pour un exercice : déjà versés, à venir, totaux",
        response_model=p.Payments,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def payments(
        activity_id: uuid.UUID, caller: Caller = who, exercice: int = Query(ge=2000, le=2100, examples=[2026])
    ) -> dict[str, Any]:
        await call_local(require_whole_view(runtime, forwarded_caller(caller.rpc()), activity_id=activity_id))
        return await ask("payments", caller, activity_id=activity_id, exercice=exercice)

    @api.get(
        "/declarations/{declaration_id}/entitlement",
        summary="Droit calculé d'une déclaration validée, expliqué",
        response_model=p.Entitlement,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def entitlement(declaration_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        await call_local(require_whole_view(runtime, forwarded_caller(caller.rpc()), declaration_id=declaration_id))
        return await ask("entitlement", caller, declaration_id=declaration_id)

    @api.get(
        "/cafs/{caf}/politique-paiement",
        summary="Politique de paiement d'une Caf (acomptes, compléments, plafond)",
        response_model=p.PaymentPolicy,
        responses=refusals(*SESSION, 422, 503),
    )
    async def payment_policy(caf: str, caller: Caller = who) -> dict[str, Any]:
        return await ask("payment_policy", caller, caf=caf)

    @api.put(
        "/cafs/{caf}/politique-paiement",
        summary="Choisir la politique de versement de la Caf (paramétrage de cette Caf) : les échéanciers de ses "
        "activités sont recalculés",
        response_model=p.PaymentPolicy,
        responses=refusals(*SESSION, 409, 422, 503),
    )
    async def set_payment_policy(body: PaymentPolicyBody, caf: str = CAF, caller: Caller = who) -> dict[str, Any]:
        return await ask("set_payment_policy", caller, body, caf=caf)

    @api.post(
        "/activities/{activity_id}/versements-anterieurs",
        status_code=201,
        summary="Enregistrer les versements faits avant la plateforme pour un exercice (Caf de l'activité, "
        "instruction ou paramétrage)",
        response_model=p.PriorPayments,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def record_prior_payments(
        activity_id: uuid.UUID, body: PriorPaymentsBody, caller: Caller = who
    ) -> dict[str, Any]:
        return await ask("record_prior_payments", caller, body, activity_id=activity_id)

    @api.post(
        "/activities/{activity_id}/reels-anterieurs",
        status_code=201,
        summary="Enregistrer le droit réel d'un exercice validé avant la plateforme (Caf de l'activité, instruction "
        "ou paramétrage) : base du 1er acompte N+2 et du plafonnement N+1",
        response_model=p.PriorActualRecorded,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def record_prior_actual(
        activity_id: uuid.UUID, body: PriorActualBody, caller: Caller = who
    ) -> dict[str, Any]:
        return await ask("record_prior_actual", caller, body, activity_id=activity_id)

    return api
