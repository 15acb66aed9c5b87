"""Connexion, déconnexion, mot de passe oublié, activation and password change pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from afas_declaration.entrypoints.caller import client_address
from afas_declaration.entrypoints.service_calls import call_identity
from afas_declaration.entrypoints.web.pages import COOKIE, Viewer, check_csrf, render, set_session_cookie
from afas_shared.runtime import ServiceRuntime

RESET_SENT = (
    "Si cet identifiant correspond à un compte actif, un lien de réinitialisation vient d'être envoyé à son adresse "
    "de messagerie."
)


def _safe_next(url: str | None) -> str:
    # Only our own paths: an open redirect would make the login page a phishing relay
    return url if url and url.startswith("/") and not url.startswith("//") else "/accueil"


def _errors(refusal: HTTPException) -> list[dict]:
    detail = refusal.detail
    if isinstance(detail, list):
        return [{"champ": str(d["loc"][-1]), "message": d["msg"]} for d in detail]
    return [{"champ": None, "message": str(detail)}]


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/", response_class=HTMLResponse)
    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse("/accueil" if request.cookies.get(COOKIE) else "/connexion", status_code=303)

    @web.get("/connexion", response_class=HTMLResponse)
    async def login_page(request: Request, suite: str | None = None, expiree: int = 0) -> HTMLResponse:
        message = "Votre session a expiré après 30 minutes sans activité : reconnectez-vous." if expiree else None
        return render(request, "connexion.html", {"titre": "Connexion", "suite": _safe_next(suite), "message": message})

    @web.post("/connexion", response_class=HTMLResponse)
    async def login(
        request: Request, identifiant: str = Form(""), mot_de_passe: str = Form(""), suite: str = Form("/accueil")
    ):
        try:
            answer = await call_identity(
                runtime,
                "login",
                {"identifier": identifiant, "password": mot_de_passe, "address": client_address(request)},
            )
        except HTTPException as refusal:
            context = {"titre": "Connexion", "suite": _safe_next(suite), "identifiant": identifiant}
            return render(request, "connexion.html", {**context, "erreurs": _errors(refusal)}, refusal.status_code)
        target = "/mot-de-passe?obligatoire=1" if answer["changement_mot_de_passe_requis"] else _safe_next(suite)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, answer["jeton"])
        return response

    @web.post("/deconnexion")
    async def logout(request: Request, csrf: str = Form(""), me: Viewer = Depends(viewer)) -> RedirectResponse:
        check_csrf(me, csrf)
        if me.caller.session_id:
            await call_identity(runtime, "logout", {"session_id": me.caller.session_id})
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @web.get("/mot-de-passe-oublie", response_class=HTMLResponse)
    async def forgotten(request: Request) -> HTMLResponse:
        return render(request, "mot_de_passe_oublie.html", {"titre": "Mot de passe oublié"})

    @web.post("/mot-de-passe-oublie", response_class=HTMLResponse)
    async def send_reset(request: Request, identifiant: str = Form("")) -> HTMLResponse:
        await call_identity(runtime, "request_password_reset", {"identifier": identifiant})
        return render(request, "mot_de_passe_oublie.html", {"titre": "Mot de passe oublié", "message": RESET_SENT})

    @web.get("/activation", response_class=HTMLResponse)
    @web.get("/mot-de-passe/nouveau", response_class=HTMLResponse)
    async def choose_page(request: Request, jeton: str = "") -> HTMLResponse:
        return render(request, "choisir_mot_de_passe.html", {"titre": "Choisir votre mot de passe", "jeton": jeton})

    @web.post("/activation", response_class=HTMLResponse)
    @web.post("/mot-de-passe/nouveau", response_class=HTMLResponse)
    async def choose(
        request: Request, jeton: str = Form(""), mot_de_passe: str = Form(""), confirmation: str = Form("")
    ):
        verb = "activate" if request.url.path == "/activation" else "reset_password"
        try:
            await call_identity(
                runtime, verb, {"token": jeton, "password": mot_de_passe, "password_confirmation": confirmation}
            )
        except HTTPException as refusal:
            context = {"titre": "Choisir votre mot de passe", "jeton": jeton, "erreurs": _errors(refusal)}
            return render(request, "choisir_mot_de_passe.html", context, refusal.status_code)
        message = "Votre mot de passe est enregistré : vous pouvez vous connecter."
        return render(request, "connexion.html", {"titre": "Connexion", "suite": "/accueil", "message": message})

    @web.get("/mot-de-passe", response_class=HTMLResponse)
    async def change_page(request: Request, obligatoire: int = 0, me: Viewer = Depends(viewer)) -> HTMLResponse:
        context = {"titre": "Changer votre mot de passe", "obligatoire": obligatoire}
        return render(request, "changer_mot_de_passe.html", context, viewer=me)

    @web.post("/mot-de-passe", response_class=HTMLResponse)
    async def change(
        request: Request,
        mot_de_passe_actuel: str = Form(""),
        mot_de_passe: str = Form(""),
        confirmation: str = Form(""),
        csrf: str = Form(""),
        me: Viewer = Depends(viewer),
    ):
        check_csrf(me, csrf)
        try:
            await call_identity(
                runtime,
                "change_password",
                {
                    "user_id": me.caller.user_id,
                    "session_id": me.caller.session_id,
                    "current_password": mot_de_passe_actuel,
                    "password": mot_de_passe,
                    "password_confirmation": confirmation,
                },
            )
        except HTTPException as refusal:
            context = {"titre": "Changer votre mot de passe", "erreurs": _errors(refusal)}
            return render(request, "changer_mot_de_passe.html", context, refusal.status_code, viewer=me)
        # The change ends every session: sign in again with the new password
        response = render(
            request,
            "connexion.html",
            {"titre": "Connexion", "suite": "/accueil", "message": "Mot de passe changé : reconnectez-vous."},
        )
        response.delete_cookie(COOKIE, path="/")
        return response

    return web
