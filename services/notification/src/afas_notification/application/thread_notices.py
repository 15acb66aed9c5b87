"""A message in a declaration's secure thread (issue 19): the other side is told by mail and in its inbox, without
the message's content — only that a message waits on the platform, with the link to the thread.

Who is told: for a Caf agent's message, the partner's users acting on the activity today (its approbateur and its
providers, each provider seeing the declaration); for a partner's message, the Caf's agents who took part in the
declaration (who wrote in its thread or decided one of its versions), as the event names them — notification
holds no list of a Caf's agents and their back-office roles, only users. Before any agent took part, the Caf's
shared mailbox (``AFAS_NOTIFICATION_CAF_MAILBOXES``) is told, as partners e-mail it today; without one the message
is found in the Caf's instruction queue (its unread column).
One notice per message and recipient (its key): a replayed event sends nothing twice.
"""

from __future__ import annotations

import logging

from afas_notification.adapters.tables import ActivityName
from afas_notification.application import messages, schedule
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration_thread import ThreadMessagePostedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


def rendered(facts: templates.DeclarationFacts, from_caf: bool, first_name: str | None, link: str):
    """The notice's French text: who wrote and about which declaration, never what."""
    who = "Votre Caf vous a écrit" if from_caf else "Le partenaire a écrit"
    return templates._render(
        templates.AVIS,
        f"Nouveau message sur la {facts.title()}",
        first_name,
        [
            f"{who} au sujet de la {facts.title()}{facts.of_activity()}.",
            "Pour des raisons de confidentialité, le message n'est lisible que sur la plateforme : "
            "connectez-vous pour le lire et y répondre.",
        ],
        link,
    )


async def on_thread_message_posted(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[ThreadMessagePostedV1]
) -> None:
    m = envelope.data
    session, now = uow.session, runtime.clock.now()
    from_caf = m.side == "caf"
    if from_caf:
        lines = await schedule.acting_lines(session, m.activity_id, paris_today(now))
        recipients = {g.user_id for g in lines}
    else:
        recipients = set(m.caf_agents)
    recipients.discard(m.author_id)
    mailbox = None if from_caf or recipients else runtime.settings.caf_mailboxes.get(m.caf_code)
    if not recipients and mailbox is None:
        log.info("thread message %s: nobody on the other side to tell by mail yet", m.message_id)
        return
    activity = await session.get(ActivityName, m.activity_id)
    facts = templates.DeclarationFacts(m.declaration_type, m.exercice, activity.name if activity else None, now.date())
    link = schedule.declaration_link(runtime.settings, m.declaration_id) + "/messages"
    if mailbox is not None:
        await messages.enqueue(
            session,
            key=reminders.notice_key("fil", str(m.message_id), f"caf-{m.caf_code}"),
            kind="message_fil",
            rendered=rendered(facts, from_caf, None, link),
            now=now,
            sender=runtime.settings.mail_sender,
            email=mailbox,
            declaration_id=m.declaration_id,
            link=link,
            inbox=False,  # a mailbox, not a user: no inbox to show it in
        )
    for user_id in sorted(recipients, key=str):
        await messages.enqueue(
            session,
            key=reminders.notice_key("fil", str(m.message_id), user_id),
            kind="message_fil",
            rendered=rendered(facts, from_caf, await messages.first_name(session, user_id), link),
            now=now,
            sender=runtime.settings.mail_sender,
            user_id=user_id,
            declaration_id=m.declaration_id,
            link=link,
        )
