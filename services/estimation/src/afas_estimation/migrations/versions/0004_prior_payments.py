"""Payments made before the platform, recorded by a Caf agent per activity and exercice; the payment policy a
Caf chose (a local rule), with its audit.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prior_payment",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("exercice", sa.Integer(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("advances", sa.String(20), nullable=False),
        sa.Column("balance", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "caf_payment_policy",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("policy_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "caf_payment_policy_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("old_policy_id", sa.String(40), nullable=False),
        sa.Column("new_policy_id", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("caf_payment_policy_change", "caf_payment_policy", "prior_payment"):
        op.drop_table(table)
