"""The pages' lists read a page at a time: the count « 1–50 sur 20 006 » and the links to the pages around, which
keep the filters and change the cursor only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request

from afas_declaration.gateway.web.page_links import around, asked
from afas_declaration.gateway.web.pages import environment


def _request(query: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/declarations", "query_string": query.encode(), "headers": []}
    )


def _page(total: int, start: int, shown: int, previous: str | None, following: str | None) -> dict:
    return {
        "elements": [{}] * shown,
        "total": total,
        "debut": start,
        "fin": start + shown - 1 if shown else 0,
        "curseur_precedent": previous,
        "curseur_suivant": following,
    }


def _text(html: str) -> str:
    return " ".join(html.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_the_links_keep_the_filters_and_carry_the_cursor_of_the_page_around():
    request = _request("exercice=2026&etat=a_saisir&curseur=ancien")
    assert asked(request).curseur == "ancien" and asked(_request("curseur=")).curseur is None
    links = around(request, _page(20006, 51, 50, "avant", "apres"))
    for link, cursor in ((links["precedente"], "avant"), (links["suivante"], "apres")):
        address = urlsplit(link)
        assert address.path == "/declarations"
        assert parse_qs(address.query) == {"exercice": ["2026"], "etat": ["a_saisir"], "curseur": [cursor]}
    assert around(request, _page(3, 1, 3, None, None)) == {"precedente": None, "suivante": None}


def test_the_page_counts_its_rows_and_links_only_to_pages_that_exist():
    count = environment.get_template("pagination_compte.html")
    many = _page(20006, 51, 50, "avant", "apres")
    assert (
        _text(count.render(page=many, precision=" à instruire"))
        == '<p role="status">51–100 sur 20 006 déclarations à instruire</p>'
    )
    assert _text(count.render(page=_page(1, 1, 1, None, None), precision="")) == '<p role="status">1 déclaration</p>'
    navigation = environment.get_template("pagination.html")
    both = _text(
        navigation.render(
            liens={"precedente": "/declarations?curseur=a", "suivante": "/declarations?curseur=b"}, nom_pages="Pages"
        )
    )
    assert "Page précédente" in both and "Page suivante" in both and 'rel="next"' in both
    last = _text(
        navigation.render(liens={"precedente": "/declarations?curseur=a", "suivante": None}, nom_pages="Pages")
    )
    assert "Page précédente" in last and "Page suivante" not in last
    assert _text(navigation.render(liens={"precedente": None, "suivante": None}, nom_pages="Pages")) == ""


def test_a_recently_counted_total_reads_environ():
    count = environment.get_template("pagination_compte.html")
    first = _page(20006, 1, 50, None, "apres") | {"total_approche": True}
    assert _text(count.render(page=first, precision="")) == '<p role="status">1–50 sur environ 20 006 déclarations</p>'
