"""Messaging tables and the user directory read model.

Revision ID: 0001
Revises:
"""

from alembic import op

from afas_shared.messaging.tables import create_messaging_tables, drop_messaging_tables
from afas_shared.read_models.user_directory import create_user_directory_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    create_user_directory_table()


def downgrade() -> None:
    op.drop_table("known_user")
    drop_messaging_tables()
