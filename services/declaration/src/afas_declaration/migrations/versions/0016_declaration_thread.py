"""The secure thread of a declaration (issue 19): messages between the partner and its Caf, with an optional file,
each read receipt on the message itself; the refusals and send-backs are written there as system messages.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_message",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("file_kind", sa.String(10), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by_name", sa.String(200), nullable=True),
    )
    op.create_index("ix_thread_message_declaration", "thread_message", ["declaration_id", "created_at"])
    # the unread counts (home page, instruction queue): a declaration's messages not read yet by the other side
    op.create_index("ix_thread_message_unread", "thread_message", ["declaration_id", "side", "read_at"])


def downgrade() -> None:
    op.drop_table("thread_message")
