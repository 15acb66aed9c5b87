"""The secure thread's mail notice end to end on a nats-server configured as in production (each service with its own
credential and permissions): a Caf agent writes, declaration's outbox carries ``declaration.thread_message_posted.v1``,
notification mails the activity's approbateur and providers — that a message waits, never its content — then the
approbateur answers with a file and the agent who wrote is mailed in turn."""

from __future__ import annotations

import sqlalchemy as sa

from afas_shared.testing.fixtures import eventually
from tests.integration.conftest import demo_catalogue
from tests.integration.mailed_demo import mailed_demo
from tests.integration.test_attachments import PDF, files
from tests.integration.test_declaration_journey import ADMIN, _eaje_declaration

CLAIRE_MAIL, KARIM_MAIL, SOPHIE_MAIL = (
    f"{who}@amiens.example" for who in ("claire.martin", "karim.bernard", "sophie.petit")
)
AGENT_MAIL = "agnes.lefevre@caf-somme.example"  # the demo's Caf agent (catalogue.agent)
QUESTION = "Le relevé des heures de mars manque-t-il ?"
ANSWER = "Le voici, avec les heures facturées."
OPENING = "Bonjour, une question sur notre déclaration."
CAF_MAILBOX = "partenaires@caf-somme.example"  # the Caf's shared mailbox, told while none of its agents took part


async def test_a_message_in_the_thread_mails_the_other_side_without_its_content(secured_platform):
    async with mailed_demo(secured_platform, caf_mailboxes={"080": CAF_MAILBOX}) as (secured, platform, mailbox):
        catalogue = await demo_catalogue(platform)
        declaration, headers = await _eaje_declaration(platform, catalogue)
        client, notification = platform.client, secured.runtimes["notification"]

        async def grants_known() -> bool:  # notification's copy of the activity's grants
            async with notification.db.sessions() as session:
                query = "SELECT role, validation FROM grant_copy"
                lines = (await session.execute(sa.text(query))).all()
                return len(lines) >= 3 and ("approbateur", "validated") in [tuple(line) for line in lines]

        await eventually(grants_known, timeout=20)
        url = f"/api/v1/declarations/{declaration}/messages"

        def mails_to(*addresses):
            def found():
                with mailbox.lock:
                    sent = [m for m in mailbox.received if m["X-AFAS-Kind"] == "message_fil"]
                return sent if {m["To"] for m in sent} >= set(addresses) else None

            return found

        # the partner writes first: no agent has taken part yet, so the Caf's shared mailbox is told
        opened = await client.post(url, headers=headers[ADMIN], data={"texte": OPENING})
        assert opened.status_code == 201, opened.text
        [to_mailbox] = await eventually(mails_to(CAF_MAILBOX), timeout=30)
        body = to_mailbox.get_body(("plain",)).get_content()
        assert "Le partenaire a écrit" in body and OPENING not in body and body.startswith("Bonjour,")

        asked = await client.post(url, headers=catalogue.agent, data={"texte": QUESTION})
        assert asked.status_code == 201, asked.text

        partner_side = (CLAIRE_MAIL, KARIM_MAIL, SOPHIE_MAIL)
        told = await eventually(mails_to(*partner_side), timeout=30)
        for sent in (m for m in told if m["To"] in partner_side):
            body = sent.get_body(("plain",)).get_content()
            assert sent["Subject"].startswith("Nouveau message sur la déclaration prévisionnelle 2026")
            assert "Votre Caf vous a écrit" in body and f"/declarations/{declaration}/messages" in body
            assert QUESTION not in body and "relevé" not in body  # never the content

        answered = await client.post(url, headers=headers[ADMIN], **files("releve.pdf", PDF, texte=ANSWER))
        assert answered.status_code == 201, answered.text
        told = await eventually(mails_to(AGENT_MAIL), timeout=30)
        [to_agent] = [m for m in told if m["To"] == AGENT_MAIL]
        body = to_agent.get_body(("plain",)).get_content()
        assert "Le partenaire a écrit" in body and ANSWER not in body and "%PDF" not in body
        assert not any(part.get_filename() for part in to_agent.iter_attachments())
        async with notification.db.sessions() as session:
            query = "SELECT count(*) FROM message WHERE kind = 'message_fil'"
            # the opening to the Caf's mailbox; the Caf's message to the approbateur and both providers; the answer
            # to the agent who took part only (not its author, nor the mailbox any more)
            assert (await session.execute(sa.text(query))).scalar_one() == 5
        with mailbox.lock:
            assert [m["To"] for m in mailbox.received].count(CAF_MAILBOX) == 1
