"""A Caf's territories for the PSU bonus territoire: each with its dated amount per new place, the activities
assigned to them, and the audit of both.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "caf_territory",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "caf_territory_amount",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("territory_code", sa.String(20), primary_key=True),
        sa.Column("applies_from", sa.Date(), primary_key=True),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "activity_territory",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("territory_code", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "caf_territory_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("territory_code", sa.String(20), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("applies_from", sa.Date(), nullable=True),
        sa.Column("old_value", sa.String(120), nullable=True),
        sa.Column("new_value", sa.String(120), nullable=True),
        sa.Column("provenance", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_by_kind", sa.String(20), nullable=False),
        sa.Column("changed_at", tz, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("caf_territory_change")
    op.drop_table("activity_territory")
    op.drop_table("caf_territory_amount")
    op.drop_table("caf_territory")
