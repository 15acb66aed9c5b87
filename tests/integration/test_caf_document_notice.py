"""The mail notice of a document from the Caf, end to end on a nats-server configured as in production (each service
with its own credential and permissions): the agent publishes, declaration's outbox carries
``declaration.caf_document_published.v1``, notification consumes it and mails the activity's approbateur — the
title and the « Documents » page, never the file, its link or its content — and no one else."""

from __future__ import annotations

import sqlalchemy as sa

from afas_shared.testing.fixtures import eventually
from tests.integration.conftest import demo_catalogue
from tests.integration.mailed_demo import mailed_demo
from tests.integration.test_attachments import PDF, files

CLAIRE, KARIM = "200000001", "200000002"
CLAIRE_MAIL = "claire.martin@amiens.example"


async def test_publishing_a_document_mails_the_partners_approbateur_its_title_and_the_documents_page(
    secured_platform,
):
    async with mailed_demo(secured_platform) as (secured, platform, mailbox):
        catalogue = await demo_catalogue(platform)
        client, eaje = platform.client, catalogue.activities["eaje"]["id"]
        granted = {}
        for who, role in ((KARIM, "fda"), (CLAIRE, "approbateur")):
            response = await client.post(
                "/api/v1/grants",
                headers=catalogue.admin,
                json={"utilisateur_id": catalogue.users[who], "role": role, "perimetre": [{"activite_id": eaje}]},
            )
            assert response.status_code == 201, response.text
            granted[who] = response.json()[0]["id"]
        validated = await client.post(f"/api/v1/grants/{granted[CLAIRE]}/validate", headers=catalogue.agent)
        assert validated.status_code == 200, validated.text
        notification = secured.runtimes["notification"]

        async def approbateur_known() -> bool:  # notification's copy of the grant, validated
            async with notification.db.sessions() as session:
                query = "SELECT validation FROM grant_copy WHERE role = 'approbateur'"
                return "validated" in (await session.execute(sa.text(query))).scalars().all()

        await eventually(approbateur_known, timeout=20)

        async def partner_known() -> bool:
            listed = await client.get(f"/api/v1/partners/{catalogue.partner}/documents", headers=catalogue.agent)
            return listed.status_code == 200

        await eventually(partner_known, timeout=20)

        published = await client.post(
            f"/api/v1/partners/{catalogue.partner}/documents",
            headers=catalogue.agent,
            **files("np.pdf", PDF, nature="notification_droit", titre="Notification PSU 2026", activite=eaje),
        )
        assert published.status_code == 201, published.text
        document = published.json()

        def notice():
            with mailbox.lock:
                found = [m for m in mailbox.received if m["X-AFAS-Kind"] == "document_caf"]
            return found or None

        [sent] = await eventually(notice, timeout=20)
        assert sent["To"] == CLAIRE_MAIL
        assert sent["Subject"] == "Votre Caf vous a adressé un document"
        body = sent.get_body(("plain",)).get_content()
        assert "une notification de droit : « Notification PSU 2026 »" in body
        assert "/documents" in body
        # Neither the file, nor its download link, nor its id: the page asks the reader to log in first
        assert document["id"] not in body and document["lien"] not in body and "%PDF" not in body
        assert not any(part.get_filename() for part in sent.iter_attachments())
        async with notification.db.sessions() as session:
            kinds = (await session.execute(sa.text("SELECT kind FROM message"))).scalars().all()
        assert kinds.count("document_caf") == 1  # the approbateur only, not the provider
