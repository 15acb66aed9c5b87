"""Role grants, AFAS-DECLARER membership periods and account states.

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
        "role_grant",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("group_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("user_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(30), nullable=True),
        sa.Column("validation", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "declarer_membership",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
    )
    op.create_table(
        "account_state",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_state")
    op.drop_table("declarer_membership")
    op.drop_table("role_grant")
