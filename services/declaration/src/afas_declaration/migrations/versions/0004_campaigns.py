"""Activity copy, campaigns, expected declarations and their forms.

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
        "activity_copy",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("nature", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("site_mode", sa.String(30), nullable=False),
        sa.Column("sites", sa.Text(), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("declaration_type", sa.String(30), nullable=False),
        sa.Column("form_version", sa.String(20), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.UniqueConstraint("caf_code", "family", "exercice", "declaration_type", name="uq_campaign_calendar"),
    )
    op.create_table(
        "declaration",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("declaration_type", sa.String(30), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("campaign_id", "activity_id", name="uq_declaration_per_campaign"),
    )
    op.create_table(
        "declaration_form",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("site_name", sa.String(200), nullable=True),
        sa.Column("requested", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("declaration_form", "declaration", "campaign", "activity_copy"):
        op.drop_table(table)
