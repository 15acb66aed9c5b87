"""The user guides: a short French guide per role, served in the site's layout and linked from the home page (as
the partners' current portal shows « Voir le guide utilisateur »). Each guide describes this platform's own pages,
by the names of their menus and buttons, so a change of a page's wording is a change of its guide too.

The guides hold no personal data and explain how to log in: they are public, linked from every page's footer
(the login and « Mot de passe oublié » pages too), and a signed-in reader still gets the guides of their role."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from afas_declaration.gateway.web.pages import PageRedirect, PageUnavailable, Viewer, render


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    audience: str  # who it is for, as the index says it


GUIDES = (
    Guide("fournisseur", "Guide du fournisseur de données", "vous saisissez les données d'activité ou financières"),
    Guide("approbateur", "Guide de l'approbateur", "vous contrôlez, signez et transmettez les déclarations"),
    Guide(
        "administrateur", "Guide de l'administrateur", "vous gérez les utilisateurs et les habilitations du partenaire"
    ),
    Guide("agent-caf", "Guide de l'agent de la Caf", "vous instruisez les déclarations et suivez les campagnes"),
)
BY_SLUG = {g.slug: g for g in GUIDES}


def guides_for(me: Viewer | None) -> list[Guide]:
    """The guides the home page offers first: the Caf's to its agents, the partner's to a partner's users."""
    if me is None:
        return []
    if me.is_caf:
        return [BY_SLUG["agent-caf"]]
    shown = [BY_SLUG["fournisseur"], BY_SLUG["approbateur"]]
    return [*shown, BY_SLUG["administrateur"]] if me.is_admin else shown


def _reader(viewer):
    """The signed-in reader, or None: a guide never sends anyone to the login page, which links to it."""

    async def reader(request: Request) -> Viewer | None:
        try:
            return await viewer(request)
        except (PageRedirect, PageUnavailable):
            return None

    return reader


def _page(reader, guide: Guide):
    async def show(request: Request, me: Viewer | None = Depends(reader)) -> HTMLResponse:
        context = {"titre": guide.title, "rubrique": "aide", "guide": guide, "guides": GUIDES}
        return render(request, f"aide_{guide.slug.replace('-', '_')}.html", context, viewer=me)

    return show


def router(viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    reader = _reader(viewer)

    @web.get("/aide", response_class=HTMLResponse)
    async def index(request: Request, me: Viewer | None = Depends(reader)) -> HTMLResponse:
        context = {"titre": "Aide", "rubrique": "aide", "guides": GUIDES, "pour_vous": guides_for(me)}
        return render(request, "aide.html", context, viewer=me)

    # One route per guide, no path parameter: every guide is a page of its own (and swept as such)
    for guide in GUIDES:
        web.add_api_route(f"/aide/{guide.slug}", _page(reader, guide), methods=["GET"], response_class=HTMLResponse)

    return web
