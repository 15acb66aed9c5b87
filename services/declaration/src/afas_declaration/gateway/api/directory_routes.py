"""Cafs, partners, conventions, users and groups: the identity part of the public API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from afas_declaration.gateway.api import identity_schemas as s
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import call_typed, carry, typed
from afas_declaration.gateway.session.caller import Caller
from afas_shared.contracts.rpc import RpcRequest
from afas_shared.contracts.rpc import identity as c
from afas_shared.contracts.rpc import identity_replies as r
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", route_class=ReplyRoute)
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, request: RpcRequest | None = None) -> Any:
        return await call_typed(runtime, "identity", verb, request or c.Empty(), caller)

    @api.get(
        "/cafs",
        tags=["référentiel"],
        summary="Les 101 Caf",
        response_model=list[r.CafV1],
        responses=refusals(*SESSION, 503),
    )
    async def cafs(caller: Caller = who) -> list[dict[str, str]]:
        return await ask("list_cafs", caller)

    @api.post(
        "/cafs/{caf}/agents",
        status_code=201,
        tags=["Caf"],
        summary="Créer un agent de la Caf",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def create_agent(caf: str, body: s.CafAgentBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("create_caf_agent", caller, carry(c.CreateCafAgentRequestV1, body, caf=caf))

    @api.get(
        "/partners",
        tags=["partenaires"],
        summary="Partenaires visibles par l'utilisateur",
        response_model=list[r.PartnerV1],
        responses=refusals(*SESSION, 503),
    )
    async def list_partners(caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("list_partners", caller)

    @api.post(
        "/partners",
        status_code=201,
        tags=["partenaires"],
        summary="Enregistrer un partenaire (Caf)",
        response_model=r.PartnerV1,
        responses=refusals(*SESSION, 409, 422, 503),
    )
    async def register_partner(body: s.PartnerBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("register_partner", caller, carry(c.PartnerFieldsV1, body))

    @api.get(
        "/partners/{partner_id}",
        tags=["partenaires"],
        summary="Un partenaire",
        response_model=r.PartnerV1,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def get_partner(partner_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("get_partner", caller, typed(c.PartnerIdRequestV1, partner_id=partner_id))

    @api.put(
        "/partners/{partner_id}",
        tags=["partenaires"],
        summary="Modifier un partenaire (Caf)",
        response_model=r.PartnerV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def update_partner(partner_id: uuid.UUID, body: s.PartnerBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("update_partner", caller, carry(c.UpdatePartnerRequestV1, body, partner_id=partner_id))

    @api.put(
        "/partners/{partner_id}/delegation",
        tags=["partenaires"],
        summary="Retirer ou rétablir la gestion déléguée des utilisateurs (Caf)",
        response_model=r.PartnerV1,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def delegation(partner_id: uuid.UUID, body: s.Delegation, caller: Caller = who) -> dict[str, Any]:
        return await ask("change_delegation", caller, carry(c.DelegationRequestV1, body, partner_id=partner_id))

    @api.get(
        "/partners/{partner_id}/audit",
        tags=["partenaires"],
        summary="Journal des actions (Caf)",
        response_model=list[r.AuditEntryV1],
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def audit_trail(partner_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("audit_trail", caller, typed(c.PartnerIdRequestV1, partner_id=partner_id))

    @api.post(
        "/partners/{partner_id}/exports",
        status_code=201,
        tags=["partenaires"],
        summary="Consigner l'export des données d'un partenaire au journal (opérateur, demande d'accès RGPD)",
        response_model=r.AuditEntryV1,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def record_export(partner_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("record_partner_export", caller, typed(c.PartnerIdRequestV1, partner_id=partner_id))

    @api.post(
        "/partners/{partner_id}/conventions",
        status_code=201,
        tags=["conventions"],
        summary="Enregistrer une convention signée",
        response_model=r.ConventionV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def sign(partner_id: uuid.UUID, body: s.ConventionBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("sign_convention", caller, carry(c.SignConventionRequestV1, body, partner_id=partner_id))

    @api.get(
        "/conventions",
        tags=["conventions"],
        summary="Consulter les conventions",
        response_model=list[r.ConventionV1],
        responses=refusals(*SESSION, 422, 503),
    )
    async def conventions(
        caller: Caller = who,
        libelle: str | None = Query(default=None, max_length=200),
        type: str | None = Query(default=None, pattern="^(convention_acces|contrat_service|bulletin_adhesion)$"),
        statut: str | None = Query(default=None, pattern="^(Ouvert|Fermé)$"),
        partenaire: uuid.UUID | None = None,
        etat: str | None = Query(default=None, pattern="^(Valable|Non valable)$"),
    ) -> list[dict[str, Any]]:
        filters = typed(
            c.ConventionFiltersV1,
            libelle=libelle or None,
            type=type or None,
            partenaire=partenaire,
            statut={"Ouvert": "ouvert", "Fermé": "ferme"}.get(statut or ""),
            etat={"Valable": "valable", "Non valable": "non_valable"}.get(etat or ""),
        )
        return await ask("search_conventions", caller, filters)

    @api.post(
        "/conventions/{convention_id}/close",
        tags=["conventions"],
        summary="Fermer une convention",
        response_model=r.ConventionV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def close_convention(convention_id: uuid.UUID, body: s.Closing, caller: Caller = who) -> dict[str, Any]:
        return await ask(
            "close_convention", caller, carry(c.CloseConventionRequestV1, body, convention_id=convention_id)
        )

    @api.get(
        "/partners/{partner_id}/users",
        tags=["utilisateurs"],
        summary="Utilisateurs du partenaire",
        response_model=list[r.UserV1],
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def partner_users(partner_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("list_users", caller, typed(c.PartnerIdRequestV1, partner_id=partner_id))

    @api.post(
        "/partners/{partner_id}/users",
        status_code=201,
        tags=["utilisateurs"],
        summary="Créer un utilisateur partenaire",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def create_user(partner_id: uuid.UUID, body: s.UserBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("create_user", caller, carry(c.CreateUserRequestV1, body, partner_id=partner_id))

    @api.put(
        "/users/{user_id}",
        tags=["utilisateurs"],
        summary="Modifier un utilisateur",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def update_user(user_id: uuid.UUID, body: s.UserBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("update_user", caller, carry(c.UpdateUserRequestV1, body, user_id=user_id))

    @api.post(
        "/users/{user_id}/close",
        tags=["utilisateurs"],
        summary="Fermer un compte",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def close_user(user_id: uuid.UUID, body: s.Closing, caller: Caller = who) -> dict[str, Any]:
        return await ask("close_user", caller, carry(c.CloseUserRequestV1, body, user_id=user_id))

    @api.post(
        "/users/{user_id}/suspend",
        tags=["utilisateurs"],
        summary="Suspendre un compte (Caf)",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def suspend(user_id: uuid.UUID, body: s.Suspension, caller: Caller = who) -> dict[str, Any]:
        return await ask("suspend_user", caller, carry(c.SuspendUserRequestV1, body, user_id=user_id))

    @api.post(
        "/users/{user_id}/erase",
        tags=["utilisateurs"],
        summary="Effacer les données personnelles d'un compte fermé (opérateur ; ce que la loi impose de garder reste)",
        response_model=r.ErasedUserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def erase_user(user_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("erase_personal_data", caller, typed(c.UserIdRequestV1, user_id=user_id))

    @api.post(
        "/users/{user_id}/reactivate",
        tags=["utilisateurs"],
        summary="Réactiver un compte suspendu (Caf)",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def reactivate(user_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("reactivate_user", caller, typed(c.UserIdRequestV1, user_id=user_id))

    @api.post(
        "/users/{user_id}/force-password-change",
        tags=["utilisateurs"],
        summary="Imposer un changement de mot de passe (Caf)",
        response_model=r.UserV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def force_password_change(user_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("force_password_change", caller, typed(c.UserIdRequestV1, user_id=user_id))

    @api.post(
        "/users/{user_id}/groups",
        status_code=201,
        tags=["utilisateurs"],
        summary="Ajouter au groupe",
        response_model=r.MembershipV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def add_group(user_id: uuid.UUID, body: s.MembershipBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("add_to_group", caller, carry(c.AddToGroupRequestV1, body, user_id=user_id))

    @api.delete(
        "/users/{user_id}/groups/{group}",
        tags=["utilisateurs"],
        summary="Retirer du groupe",
        response_model=r.MembershipV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def remove_group(user_id: uuid.UUID, group: str, caller: Caller = who) -> dict[str, Any]:
        return await ask("remove_from_group", caller, typed(c.RemoveFromGroupRequestV1, user_id=user_id, groupe=group))

    return api
