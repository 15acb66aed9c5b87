"""Who saved each form, and when (for the "enregistré à HH:MM" and the 409 naming who saved first).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration_form") as batch:
        batch.add_column(sa.Column("saved_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("saved_by_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declaration_form") as batch:
        for column in ("saved_at", "saved_by_name", "saved_by"):
            batch.drop_column(column)
