"""Long work as background jobs (issue 16): a campaign opens in batches, each its own transaction.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.jobs.tables import create_job_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_job_table()
    op.add_column("campaign", sa.Column("opening_job_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("opening_job_id")
    op.drop_table("background_job")
