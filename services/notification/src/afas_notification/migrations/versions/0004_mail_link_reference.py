"""Activation and reset mails keep only the reference of their one-time link (``message.mail_link``): the URL is
asked of identity when the mail is sent and never stored. Messages queued before hold the link in their body: those
not sent yet are cancelled (the user asks for a new link), and the bodies of all of them are blanked.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BLANKED = "Lien à usage unique retiré."


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("mail_link", sa.String(80), nullable=True))
    message = sa.table(
        "message",
        sa.column("kind", sa.String),
        sa.column("mail_state", sa.String),
        sa.column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.column("body_text", sa.Text),
        sa.column("body_html", sa.Text),
    )
    old = message.c.kind.in_(("activation", "reinitialisation_mot_de_passe"))
    op.execute(
        sa.update(message)
        .where(old, message.c.mail_state.in_(("pending", "sending")))
        .values(mail_state="cancelled", next_attempt_at=None)
    )
    op.execute(sa.update(message).where(old).values(body_text=BLANKED, body_html=f"<p>{BLANKED}</p>"))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("mail_link")
