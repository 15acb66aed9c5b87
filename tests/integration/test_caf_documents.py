"""Documents from the Caf through the gateway: an agent of the partner's Caf publishes a notification de droit tied
to an activity and an exercice, the partner's users list and open it (the first opening dated once, by whoever
opens it first), and no one else publishes, lists or opens it."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from afas_declaration.application import caf_documents
from afas_declaration.application.errors import Forbidden
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.testing.fixtures import eventually
from tests.integration.test_attachments import PDF, files

KARIM = "200000002"


async def _partner_known(platform, partner: str) -> None:
    from afas_declaration.adapters.tables import ActivityCopy, PartnerCopy

    async def copied() -> bool:
        async with platform.gateway.db.sessions() as session:
            known = await session.get(PartnerCopy, uuid.UUID(partner))
            activities = (await session.execute(sa.select(sa.func.count()).select_from(ActivityCopy))).scalar_one()
            return known is not None and activities >= 3

    await eventually(copied, timeout=10)


async def test_a_caf_agent_publishes_and_the_partner_lists_and_opens_once_dated(platform, catalogue):
    client, partner = platform.client, catalogue.partner
    await _partner_known(platform, partner)
    url = f"/api/v1/partners/{partner}/documents"
    alsh = catalogue.activities["alsh"]["id"]

    # The partner's own users may not publish; the agent of its Caf does, the kind chosen from the list
    refused = await client.post(url, headers=catalogue.admin, **files("Notification.pdf", PDF, nature="courrier"))
    assert refused.status_code == 403, refused.text
    unknown_nature = await client.post(url, headers=catalogue.agent, **files("N.pdf", PDF, nature="facture"))
    assert unknown_nature.status_code == 422, unknown_nature.text
    assert "nature" in unknown_nature.text
    published = await client.post(
        url,
        headers=catalogue.agent,
        **files("Notification 2026.pdf", PDF, nature="notification_droit", activite=alsh, exercice="2026"),
    )
    assert published.status_code == 201, published.text
    document = published.json()
    assert {k: document[k] for k in ("nature", "titre", "activite", "exercice", "type", "taille", "ouvert_le")} == {
        "nature": "Notification de droit",
        "titre": "Notification 2026.pdf",
        "activite": "ALSH Les Coccinelles",
        "exercice": 2026,
        "type": "PDF",
        "taille": len(PDF),
        "ouvert_le": None,
    }
    assert document["publie_par"] == "Agnès Lefèvre"

    # The partner's administrator lists it, not yet opened; the Caf's agent sees the same list
    listed = await client.get(url, headers=catalogue.admin)
    assert listed.status_code == 200, listed.text
    assert [(d["id"], d["ouvert_le"]) for d in listed.json()] == [(document["id"], None)]
    assert (await client.get(url, headers=catalogue.agent)).json() == listed.json()

    made_up = f"/api/v1/partners/{uuid.uuid4()}/documents"
    assert (await client.get(made_up, headers=catalogue.agent)).status_code == 404

    # Only the partner opens it; the first opening is dated, a later one (by another user) leaves that date
    assert (await client.get(document["lien"], headers=catalogue.agent)).status_code == 403
    opened = await client.get(document["lien"], headers=catalogue.admin)
    assert opened.status_code == 200, opened.text
    assert hashlib.sha256(opened.content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert opened.headers["content-type"] == "application/pdf"
    first = (await client.get(url, headers=catalogue.admin)).json()[0]["ouvert_le"]
    assert first is not None
    platform.clock.advance(timedelta(days=2))
    karim = await platform.login(KARIM)
    assert (await client.get(document["lien"], headers=karim)).status_code == 200
    assert (await client.get(url, headers=karim)).json()[0]["ouvert_le"] == first

    # Another partner (of the same Caf) neither lists nor opens it, nor does another Caf's agent
    other = ForwardedCaller(kind="partner", user_id=uuid.uuid4(), partner_id=uuid.uuid4(), caf_code="080")
    paris = ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code="075", caf_roles=frozenset({"instruction"}))
    with pytest.raises(Forbidden):
        await caf_documents.check_publishable(platform.gateway, paris, uuid.UUID(partner))
    for caller in (other, paris):
        with pytest.raises(Forbidden):
            await caf_documents.listing(platform.gateway, caller, uuid.UUID(partner))
        with pytest.raises(Forbidden):
            await caf_documents.download(platform.gateway, caller, uuid.UUID(partner), uuid.UUID(document["id"]))


async def test_the_pages_publish_from_the_partner_page_and_list_under_documents(platform, catalogue):
    client, partner = platform.client, catalogue.partner
    await _partner_known(platform, partner)
    page = await client.get(f"/caf/partenaires/{partner}", headers=catalogue.agent)
    assert page.status_code == 200, page.text
    assert "Adresser un document au partenaire" in page.text and "Aucun document adressé." in page.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    sent = await client.post(
        f"/caf/partenaires/{partner}/documents",
        headers=catalogue.agent,
        files={"fichier": ("Convention PSU.pdf", PDF, "application/pdf")},
        data={"csrf": csrf, "nature": "convention_signee", "titre": "Convention PSU 2026", "exercice": "2026"},
    )
    assert sent.status_code == 303, sent.text
    assert "Convention PSU 2026" in (await client.get(f"/caf/partenaires/{partner}", headers=catalogue.agent)).text

    home = await client.get("/accueil", headers=catalogue.admin)
    assert 'href="/documents"' in home.text
    assert "1 document de la Caf pas encore ouvert" in home.text  # the partner's count, linking to « Documents »
    listed = await client.get("/documents", headers=catalogue.admin)
    assert listed.status_code == 200, listed.text
    assert "Convention PSU 2026" in listed.text and "Convention signée" in listed.text
    assert "Pas encore ouvert" in listed.text
    link = re.search(r'href="(/documents/[0-9a-f-]+)"', listed.text).group(1)
    opened = await client.get(link, headers=catalogue.admin)
    assert opened.status_code == 200 and opened.content == PDF
    assert "Pas encore ouvert" not in (await client.get("/documents", headers=catalogue.admin)).text
    assert "pas encore ouvert" not in (await client.get("/accueil", headers=catalogue.admin)).text
    # The Caf's agent has no « Documents » page of its own
    assert (await client.get("/documents", headers=catalogue.agent)).status_code == 403
