"""A Caf's local parameters (the bonus territoire's amount per new place), apart from the national overrides,
with their audit; a re-estimation job may concern one Caf only (a local change).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "caf_local_parameter",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("family", sa.String(30), primary_key=True),
        sa.Column("parameter", sa.String(60), primary_key=True),
        sa.Column("applies_from", sa.Date(), primary_key=True),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "caf_local_parameter_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("parameter", sa.String(60), nullable=False),
        sa.Column("applies_from", sa.Date(), nullable=False),
        sa.Column("old_value", sa.String(40), nullable=True),
        sa.Column("new_value", sa.String(40), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_by_kind", sa.String(20), nullable=False),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.add_column("reestimation_job", sa.Column("caf_code", sa.String(3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reestimation_job") as batch:
        batch.drop_column("caf_code")
    op.drop_table("caf_local_parameter_change")
    op.drop_table("caf_local_parameter")
