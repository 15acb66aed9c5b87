"""The activity's opening date on each payment fact: a new equipment (opened during N or N-1) is paid per the
policy's new-equipment advances.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payment_fact", sa.Column("activity_opening_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_fact") as batch:
        batch.drop_column("activity_opening_date")
