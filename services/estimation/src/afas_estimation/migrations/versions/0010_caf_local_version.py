"""A Caf's local values get a version (bumped with each change of its local parameters, territories or
assignments), so an estimate checks its copy in memory with one read.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caf_local_version",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("caf_local_version")
