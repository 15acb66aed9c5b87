"""The pages' error answers: French HTML in the site's layout for a page address, JSON for /api/, and the address a
form posted to redirected to its page on a GET (a reload after a validation error), never a bare 405."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse

from afas_declaration.gateway.hardening.rate_limit import RateLimit, RateLimitMiddleware
from afas_declaration.gateway.web import error_pages


def make_app() -> FastAPI:
    app = FastAPI()
    error_pages.install(app.exception_handlers)

    @app.get("/caf/baremes", response_class=HTMLResponse)
    async def scales() -> HTMLResponse:
        return HTMLResponse("<h1>Barèmes</h1>")

    @app.post("/caf/baremes/{famille}", response_class=HTMLResponse)
    async def save(famille: str, valeur: str = Form(...)) -> HTMLResponse:
        return HTMLResponse(famille)

    @app.get("/declarations/{ident}", response_class=HTMLResponse)
    async def page(ident: str) -> HTMLResponse:
        if ident == "refusee":
            raise HTTPException(403, "Vous n'êtes pas habilité sur cette activité.")
        raise RuntimeError("a bug")

    @app.get("/api/v1/declarations/{ident}")
    async def api(ident: str) -> dict[str, str]:
        raise RuntimeError("a bug")

    return app


def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


async def test_a_page_address_gets_french_html_the_api_json():
    async with client() as http:
        missing = await http.get("/nexiste-pas")
        api_missing = await http.get("/api/v1/nexiste-pas")
        refused = await http.get("/declarations/refusee")
        broken = await http.get("/declarations/x")
        api_broken = await http.get("/api/v1/declarations/x")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in missing.text and "Page introuvable" in missing.text and "Not Found" not in missing.text
    assert 'href="/accueil">Retour à l\'accueil' in missing.text  # a way back, in the site's layout
    assert api_missing.status_code == 404 and api_missing.json() == {"detail": "Not Found"}
    assert refused.status_code == 403 and "Vous n&#39;êtes pas habilité sur cette activité." in refused.text
    assert broken.status_code == 500 and "Erreur du service" in broken.text and "a bug" not in broken.text
    assert api_broken.status_code == 500 and api_broken.json() == {"detail": "Erreur interne du service."}


async def test_reopening_the_address_a_form_posted_to_leads_back_to_its_page():
    async with client() as http:
        invalid = await http.post("/caf/baremes/eaje_psu", data={})
        reopened = await http.get("/caf/baremes/eaje_psu")
        api = await http.post("/api/v1/declarations/x")
    assert invalid.status_code == 422 and "Adresse ou saisie invalide" in invalid.text
    assert reopened.status_code == 303 and reopened.headers["location"] == "/caf/baremes"
    assert api.status_code == 405 and api.json() == {"detail": "Method Not Allowed"}


def limited_client(app: FastAPI, clock: list[float]) -> httpx.AsyncClient:
    limited = RateLimitMiddleware(
        app, default=RateLimit(rate=0.25, burst=1), clock=lambda: clock[0], refusal=error_pages.too_many_requests_page
    )
    transport = httpx.ASGITransport(app=limited, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


async def test_the_rate_limiter_answers_a_page_with_a_french_page_and_the_api_with_json():
    clock = [1000.0]
    app = make_app()
    async with limited_client(app, clock) as http:
        assert (await http.get("/caf/baremes")).status_code == 200
        page = await http.get("/caf/baremes")
        clock[0] += 3.5  # a quarter of a token a second: half a second left
        again = await http.get("/caf/baremes")
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "4" and "patientez 4 secondes puis réessayez" in page.text
    assert '<html lang="fr">' in page.text and "Trop de demandes" in page.text and "Retour à l'accueil" in page.text
    assert again.status_code == 429 and "patientez 1 seconde puis" in again.text  # one second, singular
    async with limited_client(make_app(), [1000.0]) as http:
        await http.get("/api/v1/declarations/x")
        api = await http.get("/api/v1/declarations/x")
    assert api.status_code == 429 and api.json() == {"detail": "Trop de requêtes : réessayez dans 4 secondes."}


def unavailable_app() -> FastAPI:
    app = make_app()

    @app.get("/messages", response_class=HTMLResponse)
    async def messages() -> HTMLResponse:
        raise HTTPException(503, "Le service des notifications ne répond pas, réessayez plus tard.")

    @app.get("/api/v1/messages")
    async def api_messages() -> dict[str, str]:
        raise HTTPException(503, "Le service des notifications ne répond pas, réessayez plus tard.")

    return app


async def test_a_service_that_does_not_answer_gives_a_french_503_page_saying_which():
    transport = httpx.ASGITransport(app=unavailable_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        page = await http.get("/messages")
        api = await http.get("/api/v1/messages")
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Service indisponible" in page.text and "Le service des notifications ne répond pas" in page.text
    assert page.headers["retry-after"] == str(error_pages.RETRY_UNAVAILABLE_SECONDS)
    assert "Retour à l'accueil" in page.text
    assert api.status_code == 503 and api.json() == {
        "detail": "Le service des notifications ne répond pas, réessayez plus tard."
    }


async def test_a_method_a_page_does_not_take_gets_a_french_405_page():
    async with client() as http:
        deleted = await http.delete("/caf/baremes")
        api = await http.delete("/api/v1/declarations/x")
    assert deleted.status_code == 405 and deleted.headers["content-type"].startswith("text/html")
    assert "Action impossible à cette adresse" in deleted.text and "Method Not Allowed" not in deleted.text
    assert deleted.headers["allow"] == "GET" and "Retour à l'accueil" in deleted.text
    assert api.status_code == 405 and api.json() == {"detail": "Method Not Allowed"}
