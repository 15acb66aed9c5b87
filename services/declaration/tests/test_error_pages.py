"""The pages' error answers: French HTML in the site's layout for a page address, JSON for /api/, and the address a
form posted to redirected to its page on a GET (a reload after a validation error), never a bare 405."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse

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
