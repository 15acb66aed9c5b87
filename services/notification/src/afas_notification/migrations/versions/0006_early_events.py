"""The events that overtake their aggregate's creation (a user's update before the user), kept until it arrives
(issue 15).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from afas_shared.read_models.early_events import create_early_event_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_early_event_table()


def downgrade() -> None:
    op.drop_table("early_event")
