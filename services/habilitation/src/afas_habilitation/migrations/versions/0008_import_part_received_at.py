"""The pieces of an uploaded file are dated, so those of an upload whose last piece never came can be swept away
(issue 16: an interrupted 16 MB upload left its pieces in the database for ever).

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
    # nullable: the pieces already there, and those a replica still on 0007 inserts during a rolling upgrade, are
    # dated by the sweep when it first sees them, so none is removed before it has been kept the full delay
    with op.batch_alter_table("import_part") as table:
        table.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_part") as table:
        table.drop_column("received_at")
