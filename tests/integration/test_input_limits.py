"""No server error on valid or oversized input, through the gateway: closing with a date, CSV imports at and
over their limit, oversized and control-character fields, and no caching of what a signed-in user sees."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
import pytest_asyncio

from afas_shared.contracts.limits import (
    BUS_MAX_PAYLOAD,
    CATALOGUE_IMPORT_LIMIT,
    CATALOGUE_IMPORT_MAX_BYTES,
    CATALOGUE_IMPORT_PART_BYTES,
)
from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import eventually, settings_factory
from tests.integration.conftest import Platform, started_platform

AGENT, ADMIN, SOPHIE = "100000001", "200000001", "200000003"
AMIENS_SIRET = "21800021900004"
HEADER = (
    "partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc"
)


async def _user_id(platform, admin, identifier: str) -> str:
    amiens = await platform.amiens(admin)
    users = (await platform.client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json()
    return next(u["id"] for u in users if u["identifiant"] == identifier)


async def _amiens_known_to_habilitation(platform, headers) -> None:
    from afas_habilitation.adapters.tables import KnownPartner

    amiens = uuid.UUID(await platform.amiens(headers))

    async def known() -> bool:
        async with platform.habilitation.db.sessions() as session:
            return await session.get(KnownPartner, amiens) is not None

    await eventually(known, timeout=10)


# --- closing with a date ---------------------------------------------------------------------------


async def test_closing_a_user_with_a_date_is_not_a_server_error(platform):
    admin = await platform.login(ADMIN)
    sophie = await _user_id(platform, admin, SOPHIE)
    later = await platform.client.post(
        f"/api/v1/users/{sophie}/close", headers=admin, json={"date_fermeture": "2026-06-30"}
    )
    assert later.status_code == 200, later.text
    assert later.json()["date_fermeture"] == "2026-06-30"
    today = await platform.client.post(
        f"/api/v1/users/{sophie}/close", headers=admin, json={"date_fermeture": "2026-03-02"}
    )
    assert today.status_code == 200, today.text
    assert today.json()["statut"] == "clos" and today.json()["date_fermeture"] == "2026-03-02"
    bad = await platform.client.post(f"/api/v1/users/{sophie}/close", headers=admin, json={"date_fermeture": "30/06"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "date_fermeture"]


async def test_closing_a_convention_with_a_date_is_not_a_server_error(platform):
    agent = await platform.login(AGENT)
    [convention] = (
        await platform.client.get("/api/v1/conventions", headers=agent, params={"type": "bulletin_adhesion"})
    ).json()
    closed = await platform.client.post(
        f"/api/v1/conventions/{convention['id']}/close", headers=agent, json={"date_fermeture": "2026-12-31"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["date_fermeture"] == "2026-12-31"


# --- CSV import at and over its limit --------------------------------------------------------------


def _laep(i: int, siret: str = AMIENS_SIRET) -> str:
    # accents everywhere: escaped in JSON they would take 6 bytes each on the bus
    return (
        f"{siret};080;laep;general;LAEP « Éveil » n° {i} {'é' * 60};mono_lieu;"
        f"Maison des familles, salle « Été » n° {i} {'è' * 40};2022-01-01;;;LAEP{i:06d};{800000 + i}"
    )


async def test_an_import_over_the_limit_is_a_413_in_french_giving_the_limit(platform):
    agent = await platform.login(AGENT)
    headers = {**agent, "Content-Type": "text/csv"}
    row = _laep(1).encode() + b"\n"
    body = HEADER.encode() + b"\n" + row * (CATALOGUE_IMPORT_MAX_BYTES // len(row) + 1)
    assert len(body) > CATALOGUE_IMPORT_MAX_BYTES
    response = await platform.client.post("/api/v1/activities/import", headers=headers, content=body)
    assert response.status_code == 413, response.text
    assert f"Fichier trop volumineux : {CATALOGUE_IMPORT_LIMIT} au plus" in response.json()["detail"]

    async def chunks():  # no Content-Length: the limit holds on what is received
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    streamed = await platform.client.post("/api/v1/activities/import", headers=headers, content=chunks())
    assert streamed.status_code == 413 and CATALOGUE_IMPORT_LIMIT in streamed.json()["detail"]


async def test_a_file_larger_than_one_bus_request_goes_in_parts_as_a_job(platform):
    agent = await platform.login(AGENT)
    await _amiens_known_to_habilitation(platform, agent)
    headers = {**agent, "Content-Type": "text/csv"}
    # 30 activities of Amiens, the rest for an unknown partner (rejected, each named in the report)
    lines = [_laep(i) for i in range(30)]
    size = len(HEADER) + 1 + sum(len(line.encode()) + 1 for line in lines)
    i = 30
    while size <= 2 * CATALOGUE_IMPORT_PART_BYTES + 1000:  # three parts, the accents cut anywhere between them
        line = _laep(i, siret="21800021900012")
        lines.append(line)
        size += len(line.encode()) + 1
        i += 1
    body = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    assert len(json.dumps({"csv": body.decode()})) > BUS_MAX_PAYLOAD  # as JSON text it would not fit in a request
    response = await platform.client.post("/api/v1/activities/import", headers=headers, content=body, timeout=60)
    assert response.status_code == 202, response.text[:500]
    report = await _imported(platform, agent, response.json())
    assert (report["total"], report["traitees"], report["creees"]) == (len(lines), len(lines), 30)
    assert sum(1 for r in report["refusees"] if "inconnu" in r["motif"]) == len(lines) - 30


async def _imported(platform, headers, job: dict) -> dict:
    """The import job's final report, followed on its ``suivi`` route."""

    async def finished() -> dict | None:
        response = await platform.client.get(job["suivi"], headers=headers)
        assert response.status_code == 200, response.text
        return response.json() if response.json()["etat"] == "terminee" else None

    return job if job["etat"] == "terminee" else await eventually(finished, timeout=60, interval=0.2)


async def test_an_oversized_or_control_character_csv_field_is_a_rejection_naming_the_column(platform):
    agent = await platform.login(AGENT)
    await _amiens_known_to_habilitation(platform, agent)
    headers = {**agent, "Content-Type": "text/csv"}
    huge = _laep(1).replace("LAEP « Éveil", "LAEP " + "x" * 200_000)  # over the csv module's 128 KiB
    nul = _laep(2).replace("Éveil", "Év\x00eil")
    bidi = _laep(3).replace("Éveil", "Év\u202eeil")
    body = "\n".join((HEADER, huge, nul, bidi, _laep(4))) + "\n"
    response = await platform.client.post("/api/v1/activities/import", headers=headers, content=body.encode())
    assert response.status_code == 202, response.text[:500]
    report = await _imported(platform, agent, response.json())
    assert report["creees"] == 1
    motifs = {r["ligne"]: r["motif"] for r in report["refusees"]}
    assert "colonne nom : trop longue" in motifs[2]
    assert "colonne nom : caractère interdit (U+0000)" in motifs[3]
    assert "colonne nom : caractère interdit (U+202E)" in motifs[4]


# --- oversized and control-character fields in the API ------------------------------------------------


@dataclass
class Refusing:
    """One platform for the module's refused requests: a refusal changes nothing another test could see, so they
    need not each start one (three services and the demo data, most of such a test's time)."""

    platform: Platform
    admin: dict[str, str]
    agent: dict[str, str]
    amiens: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def refusing(backends, tmp_path_factory):
    common = CommonSettings(
        nats_url=backends.nats_url, bus_prefix=backends.bus_prefix(), var_dir=tmp_path_factory.mktemp("refusing")
    )
    async with started_platform(settings_factory(backends, common), backends) as platform:
        # signed in once: the tests' requests (about 25) stay within one session's burst of the gateway's rate limit
        admin = await platform.login(ADMIN)
        yield Refusing(platform, admin, await platform.login(AGENT), await platform.amiens(admin))


def _person(**overrides) -> dict:
    return {
        "nom": "Blanc",
        "prenom": "Jean",
        "email": "jean.blanc@amiens.example",
        "email_confirmation": "jean.blanc@amiens.example",
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nom", "Bl\x00anc"),
        ("nom", "Blanc\u202e"),
        ("prenom", "Je\u2066an"),
        ("prenom", "Jean\nPierre"),
        ("nom", "Blanc\x1b[31m"),
        ("telephone", "03\x85"),
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_control_and_bidi_characters_in_a_name_are_a_422_naming_the_field(refusing, field, value):
    response = await refusing.platform.client.post(
        f"/api/v1/partners/{refusing.amiens}/users", headers=refusing.admin, json=_person(**{field: value})
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field] and error["msg"].startswith("Caractère interdit (U+")


async def test_line_breaks_stay_allowed_in_a_multi_line_text_but_not_nul(platform):
    agent = await platform.login(AGENT)
    admin = await platform.login(ADMIN)
    sophie = await _user_id(platform, admin, SOPHIE)
    ok = await platform.client.post(
        f"/api/v1/users/{sophie}/suspend", headers=agent, json={"motif": "Départ de la commune.\nÀ revoir en juin."}
    )
    assert ok.status_code == 200, ok.text
    refused = await platform.client.post(f"/api/v1/users/{sophie}/suspend", headers=agent, json={"motif": "a\x00b"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "motif"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/partners/{amiens}/users", _person(telephone="0" * 200_000), "telephone"),
        ("/api/v1/partners/{amiens}/users", _person(email_confirmation="a" * 200_000), "email_confirmation"),
        ("/api/v1/partners/{amiens}/users", _person(nom="N" * 200_000), "nom"),
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_an_oversized_field_is_a_422_naming_it(refusing, path, body, field):
    response = await refusing.platform.client.post(
        path.format(amiens=refusing.amiens), headers=refusing.admin, json=body
    )
    assert response.status_code == 422, response.text[:300]
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


@pytest.mark.asyncio(loop_scope="module")
async def test_oversized_activity_fields_are_a_422_naming_them(refusing):
    base = {
        "partenaire_id": refusing.amiens,
        "type": "laep",
        "nature": "general",
        "nom": "LAEP",
        "date_ouverture": "2024-01-01",
    }
    for field, value in (
        ("nature", "n" * 200_000),
        ("mode_lieux", "m" * 200_000),
        ("ideq", "I" * 200_000),
        ("lieux", ["L" * 200_000]),
        ("lieux", ["Lieu"] * 100_000),
        ("nom", "Crèche\u202e"),
    ):
        response = await refusing.platform.client.post(
            "/api/v1/activities", headers=refusing.agent, json={**base, field: value}
        )
        assert response.status_code == 422, (field, response.text[:300])
        assert response.json()["detail"][0]["loc"][:2] == ["body", field]


# --- nothing a signed-in user sees is cached ---------------------------------------------------------


async def test_authenticated_pages_and_api_answers_are_not_stored(platform):
    client = platform.client
    client.cookies.clear()
    login = await client.get("/connexion")
    data = {"identifiant": ADMIN, "mot_de_passe": "Demo-Afas-2026!", "suite": "/accueil"}
    if token := re.search(r'name="csrf" value="([^"]+)"', login.text):
        data["csrf"] = token.group(1)
    signed_in = await client.post("/connexion", data=data)
    assert signed_in.status_code == 303, signed_in.text
    home = await client.get("/accueil")
    api = await client.get("/api/v1/auth/session")
    client.cookies.clear()
    style = await client.get("/static/afas.css")
    assert home.status_code == 200 and home.headers.get_list("cache-control") == ["no-store"]
    assert api.status_code == 200 and api.headers.get_list("cache-control") == ["no-store"]
    assert login.headers.get_list("cache-control") == ["no-store"]
    assert style.headers.get_list("cache-control") == ["public, max-age=300"]  # assets keep their own


async def test_a_name_with_a_control_character_is_refused_on_the_administration_page_too(platform):
    from tests.integration.test_web_pages import _csrf, _sign_in

    client = platform.client
    await _sign_in(client, ADMIN)
    csrf = _csrf((await client.get("/administration/utilisateurs")).text)
    person = {"nom": "Gar\u202enier", "prenom": "Inès", "email": "ines.garnier@amiens.example"}
    refused = await client.post(
        "/administration/utilisateurs", data={"csrf": csrf, **person, "email_confirmation": person["email"]}
    )
    assert refused.status_code == 422, refused.text[:500]
    assert 'href="#champ-nom"' in refused.text and "Caractère interdit (U+202E)" in refused.text
    admin = await platform.login(ADMIN)
    amiens = await platform.amiens(admin)
    users = (await client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json()
    assert not [u for u in users if "Gar" in u["nom"]]
