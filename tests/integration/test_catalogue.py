"""The catalogue of activities and sites through the gateway: one by one, and by CSV import."""

from __future__ import annotations

import uuid

from afas_shared.testing.fixtures import eventually

AGENT, KARIM = "100000001", "200000002"
AMIENS_SIRET = "21800021900004"


async def _amiens_known_to_habilitation(platform, headers) -> str:
    amiens = await platform.amiens(headers)

    async def known() -> bool:
        response = await platform.client.get("/api/v1/activities", headers=headers, params={"partenaire": amiens})
        return response.status_code == 200 and await _partner_copied(platform, amiens)

    await eventually(known, timeout=10)
    return amiens


async def _partner_copied(platform, partner_id: str) -> bool:
    from afas_habilitation.adapters.tables import KnownPartner

    async with platform.habilitation.db.sessions() as session:
        return await session.get(KnownPartner, uuid.UUID(partner_id)) is not None


async def imported(platform, headers, started) -> dict:
    """The import's final report, followed on ``GET /api/v1/jobs/{job_id}`` until it is done."""
    assert started.status_code == 202, started.text
    job = started.json()

    async def finished() -> dict | None:
        response = await platform.client.get(job["suivi"], headers=headers)
        assert response.status_code == 200, response.text
        return response.json() if response.json()["etat"] == "terminee" else None

    return job if job["etat"] == "terminee" else await eventually(finished, timeout=30)


async def imported_through_the_page(platform, text: str) -> str:
    """The Caf's page « Activités »: the file sent with its form, then the import's page until it says it is done."""
    from tests.integration.test_web_pages import _csrf, _sign_in

    client = platform.client
    await _sign_in(client, AGENT)
    page = await client.get("/caf/activites")
    assert page.status_code == 200 and "<h1>Activités</h1>" in page.text, page.text[:300]
    sent = await client.post(
        "/caf/activites/import",
        data={"csrf": _csrf(page.text)},
        files={"fichier": ("catalogue.csv", text.encode(), "text/csv")},
    )
    assert sent.status_code == 303, sent.text[:300]

    async def done() -> str | None:
        progress = await client.get(sent.headers["location"])
        assert progress.status_code == 200, progress.text[:300]
        if "Import terminé" in progress.text:
            return progress.text
        assert 'http-equiv="refresh"' in progress.text and ">Actualiser</a>" in progress.text
        return None

    report = await eventually(done, timeout=30, interval=0.2)
    listed = await client.get("/caf/activites")
    assert "Multi-accueil Les Lucioles" in listed.text and "3 activités" in listed.text
    client.cookies.clear()
    return report


def _alsh(partner: str, **overrides) -> dict:
    return {
        "partenaire_id": partner,
        "type": "alsh",
        "nature": "periscolaire",
        "nom": "ALSH Les Coccinelles",
        "mode_lieux": "multi_lieux_antennes",
        "lieux": ["École Jules Ferry", "École Victor Hugo"],
        "date_ouverture": "2024-09-01",
        "ideq": "ALSH0801",
        "dossier_afc": "800123",
        **overrides,
    }


async def test_caf_agent_registers_updates_and_closes_an_activity(platform):
    agent = await platform.login(AGENT)
    amiens = await _amiens_known_to_habilitation(platform, agent)
    created = await platform.client.post("/api/v1/activities", headers=agent, json=_alsh(amiens))
    assert created.status_code == 201, created.text
    activity = created.json()
    assert (activity["type_libelle"], activity["nature_libelle"], activity["partenaire"]) == (
        "ALSH",
        "ALSH périscolaire",
        "Commune d'Amiens",
    )
    assert [site["nom"] for site in activity["lieux"]] == ["École Jules Ferry", "École Victor Hugo"]

    karim = await platform.login(KARIM)
    visible = (await platform.client.get("/api/v1/activities", headers=karim)).json()
    assert [a["id"] for a in visible["elements"]] == [activity["id"]] and visible["total"] == 1
    assert (
        await platform.client.post("/api/v1/activities", headers=karim, json=_alsh(amiens, ideq="ALSH0802"))
    ).status_code == 403

    renamed = await platform.client.put(
        f"/api/v1/activities/{activity['id']}",
        headers=agent,
        json=_alsh(amiens, lieux=["École Jules Ferry", "Groupe scolaire Pasteur", "École Victor Hugo"]),
    )
    assert renamed.status_code == 200
    sites = {s["nom"]: s["id"] for s in renamed.json()["lieux"]}
    assert sites["École Jules Ferry"] == activity["lieux"][0]["id"]  # a site keeps its identity
    closed = await platform.client.post(
        f"/api/v1/activities/{activity['id']}/close", headers=agent, json={"date_fermeture": "2026-08-31"}
    )
    assert closed.status_code == 200 and closed.json()["date_fermeture"] == "2026-08-31"
    too_early = await platform.client.post(
        f"/api/v1/activities/{activity['id']}/close", headers=agent, json={"date_fermeture": "2020-01-01"}
    )
    assert too_early.status_code == 422 and too_early.json()["detail"][0]["loc"] == ["body", "date_fermeture"]


async def test_bad_activities_are_refused_with_the_field_named(platform):
    agent = await platform.login(AGENT)
    amiens = await _amiens_known_to_habilitation(platform, agent)
    cases = {
        "places": _alsh(amiens, type="eaje_psu", nature="multi_accueil", mode_lieux="mono_lieu", lieux=[]),
        "nature": _alsh(amiens, nature="colonie"),
        "date_fermeture": _alsh(amiens, date_fermeture="2024-01-01"),
        "lieux": _alsh(amiens, mode_lieux="multi_lieux_itinerant", lieux=["Un seul lieu"]),
    }
    for field, body in cases.items():
        response = await platform.client.post("/api/v1/activities", headers=agent, json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", field], (field, response.json())
    assert (await platform.client.post("/api/v1/activities", headers=agent, json=_alsh(amiens))).status_code == 201
    twice = await platform.client.post("/api/v1/activities", headers=agent, json=_alsh(amiens))
    assert twice.status_code == 409 and "IDEQU" in twice.json()["detail"]


CSV = """partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc
{siret};080;alsh;extrascolaire;ALSH Hortillons;multi_lieux_antennes;Centre Nord|Centre Sud;2023-07-01;;;ALSH0810;800200
{siret};080;eaje_psu;multi_accueil;Multi-accueil Les Lucioles;mono_lieu;Les Lucioles;01/01/2020;;45;EAJE0801;800201
{siret};080;laep;general;LAEP Petits Pas;mono_lieu;Maison des familles;2022-01-01;;;LAEP0801;800202
{siret};080;rpe;general;RPE Amiens Nord;mono_lieu;Relais Nord;2022-13-01;;;RPE0801;800203
21800021900012;080;rpe;general;RPE Ailleurs;mono_lieu;Relais;2022-01-01;;;RPE0802;800204
"""


async def test_csv_import_reports_rejected_rows_and_reimport_changes_nothing(platform):
    agent = await platform.login(AGENT)
    await _amiens_known_to_habilitation(platform, agent)
    text = CSV.format(siret=AMIENS_SIRET)
    headers = {**agent, "Content-Type": "text/csv"}
    first = await platform.client.post("/api/v1/activities/import", headers=headers, content=text.encode())
    assert first.status_code == 202, first.text  # a background job: where to follow it, or already its report
    assert first.json()["suivi"] == f"/api/v1/jobs/{first.json()['job_id']}"
    report = await imported(platform, agent, first)
    assert (report["total"], report["creees"], report["modifiees"], report["inchangees"]) == (5, 3, 0, 0)
    assert [r["ligne"] for r in report["refusees"]] == [5, 6]
    assert "date_ouverture" in report["refusees"][0]["motif"] and "inconnu" in report["refusees"][1]["motif"]
    names = {a["nom"] for a in (await platform.client.get("/api/v1/activities", headers=agent)).json()["elements"]}
    assert names == {"ALSH Hortillons", "Multi-accueil Les Lucioles", "LAEP Petits Pas"}

    sent = await platform.client.post("/api/v1/activities/import", headers=headers, content=text.encode())
    again = await imported(platform, agent, sent)
    assert (again["creees"], again["modifiees"], again["inchangees"]) == (0, 0, 3)
    changed = text.replace(
        "Multi-accueil Les Lucioles;mono_lieu;Les Lucioles;01/01/2020;;45",
        "Multi-accueil Les Lucioles;mono_lieu;Les Lucioles;01/01/2020;;50",
    )
    third = await imported_through_the_page(platform, changed)
    assert "Activités modifiées</dt><dd>1</dd>" in third and "Activités inchangées</dt><dd>2</dd>" in third
    assert "Ligne 5 : colonne date_ouverture" in third and "Ligne 6 : partenaire de SIRET 21800021900012" in third
    listed = await platform.client.get("/api/v1/activities", headers=agent, params={"type": "eaje_psu"})
    assert [a["places"] for a in listed.json()["elements"]] == [50]

    karim = await platform.login(KARIM)
    refused = await platform.client.post(
        "/api/v1/activities/import", headers={**karim, "Content-Type": "text/csv"}, content=text.encode()
    )
    assert refused.status_code == 403
