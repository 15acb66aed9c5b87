"""Connexion, déconnexion, mot de passe oublié, activation and password change pages."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from afas_declaration.gateway.clients.typed_calls import ask
from afas_declaration.gateway.session.caller import client_address
from afas_declaration.gateway.web.pages import COOKIE, Viewer, check_csrf, render, set_session_cookie
from afas_shared.runtime import ServiceRuntime

RESET_SENT = (
    "Si cet identifiant correspond à un compte actif, un lien de réinitialisation vient d'être envoyé à son adresse "
    "de messagerie."
)


# The login form's CSRF token (no session yet): a random value in an HttpOnly, SameSite=Strict cookie and in the
# form; a submission whose two copies differ, or lack, is refused (double-submit), so no other site can log a
# browser in under an account of its choosing.
LOGIN_CSRF_COOKIE = "afas_connexion"
LOGIN_CSRF_REFUSED = "Jeton de sécurité manquant ou invalide : rechargez la page de connexion et réessayez."
MISSING = {"identifiant": "Saisissez votre identifiant.", "mot_de_passe": "Saisissez votre mot de passe."}


def login_form(request: Request, context: dict, status_code: int = 200):
    """The login page with its CSRF token (kept if the browser has one, else a new one)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"titre": "Connexion", "suite": "/accueil", **context, "csrf_connexion": token}
    response = render(request, "connexion.html", context, status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/connexion",
    )
    return response


def _login_csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(submitted and expected) and hmac.compare_digest(submitted.encode(), expected.encode())


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
        return login_form(request, {"suite": _safe_next(suite), "message": message})

    @web.post("/connexion", response_class=HTMLResponse)
    async def login(
        request: Request,
        identifiant: str = Form(""),
        mot_de_passe: str = Form(""),
        suite: str = Form("/accueil"),
        csrf: str = Form(""),
    ):
        context = {"suite": _safe_next(suite), "identifiant": identifiant}
        if not _login_csrf_ok(request, csrf):
            return login_form(request, {**context, "erreurs": [{"champ": None, "message": LOGIN_CSRF_REFUSED}]}, 403)
        # An empty form is answered here: it never reaches identity (nor counts as a failed login there)
        missing = [
            name for name, value in (("identifiant", identifiant), ("mot_de_passe", mot_de_passe)) if not value.strip()
        ]
        if missing:
            errors = [{"champ": name, "message": MISSING[name]} for name in missing]
            return login_form(request, {**context, "erreurs": errors}, 422)
        try:
            answer = await ask(
                runtime,
                "identity",
                "login",
                None,
                identifiant=identifiant,
                mot_de_passe=mot_de_passe,
                address=client_address(request),
            )
        except HTTPException as refusal:
            return login_form(request, {**context, "erreurs": _errors(refusal)}, refusal.status_code)
        target = "/mot-de-passe?obligatoire=1" if answer["changement_mot_de_passe_requis"] else _safe_next(suite)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, answer["jeton"])
        return response

    @web.post("/deconnexion")
    async def logout(request: Request, csrf: str = Form(""), me: Viewer = Depends(viewer)) -> RedirectResponse:
        check_csrf(me, csrf)
        if me.caller.session_id:
            try:
                await ask(runtime, "identity", "logout", None)
            except HTTPException as refused:
                if refused.status_code != 401:
                    raise
                # Identity says the session had already ended: logged out all the same, the page says so
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @web.get("/mot-de-passe-oublie", response_class=HTMLResponse)
    async def forgotten(request: Request) -> HTMLResponse:
        return render(request, "mot_de_passe_oublie.html", {"titre": "Mot de passe oublié"})

    @web.post("/mot-de-passe-oublie", response_class=HTMLResponse)
    async def send_reset(request: Request, identifiant: str = Form("")) -> HTMLResponse:
        await ask(runtime, "identity", "request_password_reset", None, identifiant=identifiant)
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
            chosen = {"jeton": jeton, "mot_de_passe": mot_de_passe, "confirmation": confirmation}
            answer = await ask(runtime, "identity", verb, None, **chosen)
        except HTTPException as refusal:
            context = {"titre": "Choisir votre mot de passe", "jeton": jeton, "erreurs": _errors(refusal)}
            return render(request, "choisir_mot_de_passe.html", context, refusal.status_code)
        # The identifier is told and pre-filled: it is what the login form asks, and the new user may not know it
        identifier = answer.get("identifiant") if isinstance(answer, dict) else None
        message = "Votre mot de passe est enregistré : vous pouvez vous connecter."
        if identifier:
            message = (
                f"Votre mot de passe est enregistré. Votre identifiant de connexion est {identifier} : "
                "notez-le, il vous sera demandé à chaque connexion."
            )
        return login_form(request, {"message": message, "identifiant": identifier})

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
            await ask(
                runtime,
                "identity",
                "change_password",
                None,
                mot_de_passe_actuel=mot_de_passe_actuel,
                mot_de_passe=mot_de_passe,
                confirmation=confirmation,
            )
        except HTTPException as refusal:
            context = {"titre": "Changer votre mot de passe", "erreurs": _errors(refusal)}
            return render(request, "changer_mot_de_passe.html", context, refusal.status_code, viewer=me)
        # The change ends every session: sign in again with the new password
        response = login_form(request, {"message": "Mot de passe changé : reconnectez-vous."})
        response.delete_cookie(COOKIE, path="/")
        return response

    return web
