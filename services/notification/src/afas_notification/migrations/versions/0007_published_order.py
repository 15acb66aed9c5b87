"""Declaration's events are ordered by the ``aggregate_version`` declaration publishes (issue 14): the copies keep
the order of the latest event they applied instead of rebuilding it from a version and a step of their own.

``declaration_copy.outcome_rank`` (1 transmitted, 2 refused, 3 validated, within ``outcome_version``) becomes
``outcome_order`` (version × 10 + 1 for a transmission, + 2 for the Caf's decision); ``form_copy`` gains
``form_order`` (form version × 10, + 1 once sent back), from ``form_version`` and ``filled``.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from afas_shared.contracts.declaration_states import DeclarationState

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

declaration_copy = sa.table(
    "declaration_copy",
    sa.column("outcome", sa.String),
    sa.column("outcome_version", sa.Integer),
    sa.column("outcome_rank", sa.Integer),
    sa.column("outcome_order", sa.Integer),
)
form_copy = sa.table(
    "form_copy",
    sa.column("form_version", sa.Integer),
    sa.column("filled", sa.Boolean),
    sa.column("form_order", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("declaration_copy") as batch:
        batch.alter_column("outcome_rank", new_column_name="outcome_order", existing_type=sa.Integer())
    c = declaration_copy.c
    op.execute(
        sa.update(declaration_copy)
        .where(c.outcome_order > 0)
        .values(outcome_order=c.outcome_version * 10 + sa.case((c.outcome_order >= 2, 2), else_=1))
    )
    with op.batch_alter_table("form_copy") as batch:
        batch.add_column(sa.Column("form_order", sa.Integer(), nullable=False, server_default="0"))
    f = form_copy.c
    op.execute(sa.update(form_copy).values(form_order=f.form_version * 10 + sa.case((f.filled, 0), else_=1)))


def downgrade() -> None:
    with op.batch_alter_table("form_copy") as batch:
        batch.drop_column("form_order")
    c = declaration_copy.c
    op.execute(
        sa.update(declaration_copy)
        .where(c.outcome_order > 0)
        .values(
            outcome_order=sa.case(
                (c.outcome_order % 10 == 1, 1), (c.outcome == DeclarationState.validee.value, 3), else_=2
            )
        )
    )
    with op.batch_alter_table("declaration_copy") as batch:
        batch.alter_column("outcome_order", new_column_name="outcome_rank", existing_type=sa.Integer())
