"""One-time links are derived from a secret kept here (table ``link_key``); the withdrawn events that carried the
links themselves (``identity.activation_requested.v1``, ``identity.password_reset_requested.v1``) are removed from
the outbox, sent or not: none of them may be published any more.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_key",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    outbox = sa.table("outbox", sa.column("subject", sa.String))
    for withdrawn in ("identity.activation_requested.v1", "identity.password_reset_requested.v1"):
        op.execute(
            sa.delete(outbox).where(sa.or_(outbox.c.subject == withdrawn, outbox.c.subject.like(f"%.{withdrawn}")))
        )


def downgrade() -> None:
    op.drop_table("link_key")
