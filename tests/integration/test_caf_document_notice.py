"""The mail notice of a document from the Caf, end to end on a nats-server configured as in production (each service
with its own credential and permissions): the agent publishes, declaration's outbox carries
``declaration.caf_document_published.v1``, notification consumes it and mails the activity's approbateur — the
title and the « Documents » page, never the file, its link or its content — and no one else."""

from __future__ import annotations

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from afas_shared.testing.fixtures import eventually
from tests.integration.conftest import OPERATOR, Platform, demo_catalogue
from tests.integration.test_attachments import PDF, files
from tests.integration.test_no_secret_on_the_bus import _free_port, _Mailbox

CLAIRE, KARIM = "200000001", "200000002"
CLAIRE_MAIL = "claire.martin@amiens.example"


async def test_publishing_a_document_mails_the_partners_approbateur_its_title_and_the_documents_page(
    secured_platform,
):
    mailbox, port = _Mailbox(), _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    mail = {"smtp_port": port, "mail_poll_seconds": 0.2, "schedule_check_seconds": 3600}
    try:
        async with secured_platform(notification=mail) as secured:
            platform = Platform(
                secured.client,
                secured.identity,
                secured.gateway,
                secured.runtimes["habilitation"],
                secured.identity.clock,
                secured.nats.url,
            )
            seeded = await platform.client.post("/api/v1/admin/demo", headers=OPERATOR)
            assert seeded.status_code == 200, seeded.text
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
    finally:
        smtp.stop()
