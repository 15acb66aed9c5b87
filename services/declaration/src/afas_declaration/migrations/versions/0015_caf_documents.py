"""Documents from the Caf (issue 19): what a Caf agent published to a partner, and when the partner first opened it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caf_document",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("nature", sa.String(30), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("activity_name", sa.String(200), nullable=True),
        sa.Column("exercice", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("published_by_name", sa.String(200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_opened_by", sa.Uuid(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("caf_document")
