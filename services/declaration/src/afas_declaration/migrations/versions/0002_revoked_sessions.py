"""Sessions revoked by identity, remembered across restarts.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from afas_shared.auth.revocation import create_revoked_session_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_revoked_session_table()


def downgrade() -> None:
    op.drop_table("revoked_session")
