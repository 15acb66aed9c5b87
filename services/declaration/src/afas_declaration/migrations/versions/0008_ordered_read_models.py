"""Read models applied whatever the arrival order of their events (issue 15): an activity's closing date on its own
version, and the events that overtake their aggregate's creation kept until it arrives.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.read_models.early_events import create_early_event_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_early_event_table()
    op.add_column("activity_copy", sa.Column("closing_version", sa.Integer(), nullable=False, server_default="0"))
    # What is held was applied at the row's version, the closing date included.
    op.execute("UPDATE activity_copy SET closing_version = version")


def downgrade() -> None:
    with op.batch_alter_table("activity_copy") as batch:
        batch.drop_column("closing_version")
    op.drop_table("early_event")
