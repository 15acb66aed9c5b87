"""Actual entitlements validated before the platform, recorded by a Caf agent per activity and exercice (who,
when): the Caf du Nord's first advance rests on the actual N-2, its cap compares with the actual N-1.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prior_actual",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("exercice", sa.Integer(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("entitlement", sa.String(20), nullable=False),
        sa.Column("forecast_entitlement", sa.String(20), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("prior_actual")
