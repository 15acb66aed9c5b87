"""``/api/v1/auth``: login, session, logout, activation, password change and reset, public keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from afas_declaration.gateway.api.identity_schemas import Login, NewPassword, PasswordChange, ResetRequest
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import Message, example
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import call_typed, carry
from afas_declaration.gateway.session.caller import Caller, client_address
from afas_shared.contracts.rpc import identity as c
from afas_shared.contracts.rpc import identity_replies as r
from afas_shared.contracts.rpc.base import Empty
from afas_shared.runtime import ServiceRuntime

RESET_ACCEPTED = (
    "Si cet identifiant correspond à un compte actif, un lien de réinitialisation vient d'être "
    "envoyé à son adresse de messagerie."
)


class Operator(BaseModel):
    """The gateway's own answer, not identity's: the operator's token is no user for identity to describe."""

    model_config = example({"type": "operator"})

    type: str = Field(description="operator : le jeton d'exploitation, qui n'est pas un utilisateur")


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1/auth", tags=["connexion"], route_class=ReplyRoute)

    @api.post(
        "/login",
        summary="Se connecter (identifiant et mot de passe)",
        response_model=r.SessionTokenV1,
        responses=refusals(401, 422, 429, 503),
    )
    async def login(body: Login, request: Request) -> dict[str, Any]:
        login = carry(c.LoginRequestV1, body, address=client_address(request))
        return await call_typed(runtime, "identity", "login", login)

    @api.get(
        "/session",
        summary="Utilisateur connecté et date de sa dernière connexion",
        response_model=r.WhoAmIV1 | Operator,
        responses=refusals(*SESSION, 503),
    )
    async def session(caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        if caller.user_id is None:
            return {"type": "operator"}
        return await call_typed(runtime, "identity", "whoami", Empty())

    @api.post(
        "/refresh",
        summary="Prolonger la session (activité)",
        response_model=r.SessionTokenV1,
        responses=refusals(*SESSION, 503),
    )
    async def refresh(caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        return await call_typed(runtime, "identity", "refresh", Empty())

    @api.post(
        "/logout",
        status_code=204,
        summary="Se déconnecter",
        response_class=Response,
        responses=refusals(*SESSION, 503),
    )
    async def logout(caller: Caller = Depends(current_caller)) -> Response:
        if caller.session_id:
            await call_typed(runtime, "identity", "logout", Empty())
        return Response(status_code=204)

    @api.post(
        "/activation",
        summary="Activer son compte : choisir son mot de passe (lien reçu par mail)",
        response_model=r.IdentifierV1,
        responses=refusals(401, 422, 429, 503),
    )
    async def activation(body: NewPassword) -> dict[str, Any]:
        return await call_typed(runtime, "identity", "activate", carry(c.NewPasswordRequestV1, body))

    @api.post(
        "/password",
        summary="Changer son mot de passe",
        response_model=r.SessionTokenV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def change_password(body: PasswordChange, caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        return await call_typed(runtime, "identity", "change_password", carry(c.PasswordChangeRequestV1, body))

    @api.post(
        "/password-reset",
        status_code=202,
        summary="Mot de passe oublié : recevoir un lien par mail",
        response_model=Message,
        responses=refusals(422, 429, 503),
    )
    async def request_reset(body: ResetRequest) -> dict[str, str]:
        await call_typed(runtime, "identity", "request_password_reset", carry(c.ResetRequestV1, body))
        return {"message": RESET_ACCEPTED}

    @api.post(
        "/password-reset/confirm",
        summary="Choisir un nouveau mot de passe avec le lien reçu",
        response_model=r.IdentifierV1,
        responses=refusals(401, 422, 429, 503),
    )
    async def reset(body: NewPassword) -> dict[str, Any]:
        return await call_typed(runtime, "identity", "reset_password", carry(c.NewPasswordRequestV1, body))

    @api.get(
        "/jwks",
        summary="Clés publiques de vérification des jetons de session",
        response_model=r.JwksV1,
        responses=refusals(429, 503),
    )
    async def public_keys() -> dict[str, Any]:
        return await call_typed(runtime, "identity", "jwks", Empty())

    return api
