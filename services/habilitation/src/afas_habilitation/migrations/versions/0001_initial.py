"""Messaging tables and the partner_user read model.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "partner_user",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("identifier", sa.String(9), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("partner_user")
    drop_messaging_tables()
