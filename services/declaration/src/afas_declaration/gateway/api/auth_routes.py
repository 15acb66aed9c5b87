"""``/api/v1/auth``: login, session, logout, activation, password change and reset, public keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from afas_declaration.gateway.session.caller import Caller, client_address
from afas_declaration.gateway.api.identity_schemas import Login, NewPassword, PasswordChange, ResetRequest
from afas_declaration.gateway.clients.service_calls import call_identity
from afas_shared.runtime import ServiceRuntime

RESET_ACCEPTED = (
    "Si cet identifiant correspond à un compte actif, un lien de réinitialisation vient d'être "
    "envoyé à son adresse de messagerie."
)


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1/auth", tags=["connexion"])

    @api.post("/login", summary="Se connecter (identifiant et mot de passe)")
    async def login(body: Login, request: Request) -> dict[str, Any]:
        return await call_identity(
            runtime,
            "login",
            {"identifier": body.identifiant, "password": body.mot_de_passe, "address": client_address(request)},
        )

    @api.get("/session", summary="Utilisateur connecté et date de sa dernière connexion")
    async def session(caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        if caller.user_id is None:
            return {"type": "operator"}
        return await call_identity(runtime, "whoami", {"user_id": caller.user_id})

    @api.post("/refresh", summary="Prolonger la session (activité)")
    async def refresh(caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        return await call_identity(runtime, "refresh", {"session_id": caller.session_id})

    @api.post("/logout", status_code=204, summary="Se déconnecter", response_class=Response)
    async def logout(caller: Caller = Depends(current_caller)) -> Response:
        if caller.session_id:
            await call_identity(runtime, "logout", {"session_id": caller.session_id})
        return Response(status_code=204)

    @api.post("/activation", summary="Activer son compte : choisir son mot de passe (lien reçu par mail)")
    async def activation(body: NewPassword) -> dict[str, Any]:
        return await call_identity(
            runtime,
            "activate",
            {"token": body.jeton, "password": body.mot_de_passe, "password_confirmation": body.confirmation},
        )

    @api.post("/password", summary="Changer son mot de passe")
    async def change_password(body: PasswordChange, caller: Caller = Depends(current_caller)) -> dict[str, Any]:
        return await call_identity(
            runtime,
            "change_password",
            {
                "user_id": caller.user_id,
                "session_id": caller.session_id,
                "current_password": body.mot_de_passe_actuel,
                "password": body.mot_de_passe,
                "password_confirmation": body.confirmation,
            },
        )

    @api.post("/password-reset", status_code=202, summary="Mot de passe oublié : recevoir un lien par mail")
    async def request_reset(body: ResetRequest) -> dict[str, str]:
        await call_identity(runtime, "request_password_reset", {"identifier": body.identifiant})
        return {"message": RESET_ACCEPTED}

    @api.post("/password-reset/confirm", summary="Choisir un nouveau mot de passe avec le lien reçu")
    async def reset(body: NewPassword) -> dict[str, Any]:
        return await call_identity(
            runtime,
            "reset_password",
            {"token": body.jeton, "password": body.mot_de_passe, "password_confirmation": body.confirmation},
        )

    @api.get("/jwks", summary="Clés publiques de vérification des jetons de session")
    async def public_keys() -> dict[str, Any]:
        return await call_identity(runtime, "jwks", {})

    return api
