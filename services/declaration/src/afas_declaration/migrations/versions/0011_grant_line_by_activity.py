"""A request about one declaration reads the caller's grant lines on its activity only (issue 16): the index that
finds them without reading every line of a user granted on thousands of activities.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_grant_line_user_id_activity_id", "grant_line", ["user_id", "activity_id"])


def downgrade() -> None:
    op.drop_index("ix_grant_line_user_id_activity_id", table_name="grant_line")
