"""The dead-letter desk's audit trail: who replayed or discarded which dead letter, when and why.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from afas_shared.messaging.tables import create_dead_letter_action_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_action_table()


def downgrade() -> None:
    op.drop_table("dead_letter_action")
