"""Read models applied whatever the arrival order of identity's events (issue 15): the partner's delegation on its own
version, the account state and the AFAS-DECLARER periods versioned, departures kept, early events kept.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.read_models.early_events import create_early_event_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_early_event_table()
    op.add_column("known_partner", sa.Column("delegation_version", sa.Integer(), nullable=False, server_default="0"))
    # What is held was applied at the row's version, the delegation included.
    op.execute("UPDATE known_partner SET delegation_version = version")
    op.add_column("account_state", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("declarer_membership", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "declarer_departure",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("end_date", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("declarer_departure")
    for table, column in (
        ("declarer_membership", "version"),
        ("account_state", "version"),
        ("known_partner", "delegation_version"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    op.drop_table("early_event")
