"""A campaign can be closed (no declaration is expected any more), and what an agent or the operator does to a
campaign outside its calendar (open, close, re-run its reconciliation) is kept: who, what, when, the outcome.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "campaign_action",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("campaign_id", sa.Uuid, nullable=False, index=True),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_user_id", sa.Uuid, nullable=True),
        sa.Column("outcome", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_action")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("closed_at")
