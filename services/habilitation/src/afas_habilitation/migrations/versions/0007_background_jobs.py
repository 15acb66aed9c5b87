"""Long work as background jobs (issue 16): the CSV import of activities and bulk grants run in batches, each its own
transaction; the catalogue listed a page at a time (keyset on name and id).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.jobs.tables import create_job_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_job_table()
    op.create_table(
        "import_part",
        sa.Column("upload_id", sa.Uuid(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "import_record",
        sa.Column("job_id", sa.Uuid(), primary_key=True),
        sa.Column("line", sa.Integer(), primary_key=True),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.Column("earlier", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(10), nullable=True),
    )
    # « Activités » a page at a time, in name order, within a Caf or a partner
    op.create_index("ix_activity_caf_name_id", "activity", ["caf_code", "name", "id"])
    op.create_index("ix_activity_partner_name_id", "activity", ["partner_id", "name", "id"])
    op.create_index("ix_activity_name_id", "activity", ["name", "id"])


def downgrade() -> None:
    for index in ("ix_activity_name_id", "ix_activity_partner_name_id", "ix_activity_caf_name_id"):
        op.drop_index(index, table_name="activity")
    op.drop_table("import_record")
    op.drop_table("import_part")
    op.drop_table("background_job")
