"""Read models (campaigns, declarations, forms, grant lines, activity names), the reminder schedule, messages
(inbox and mail outbox), preferences, per-Caf reminder settings and calendar feed tokens.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = (
    "ics_token",
    "caf_reminder_setting",
    "preference",
    "message",
    "reminder_stage",
    "activity_name",
    "grant_copy",
    "form_copy",
    "declaration_copy",
    "campaign_copy",
)


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "campaign_copy",
        sa.Column("campaign_id", sa.Uuid(), primary_key=True),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("declaration_type", sa.String(30), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
    )
    op.create_table(
        "declaration_copy",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("caf_code", sa.String(3), nullable=True),
        sa.Column("exercice", sa.Integer(), nullable=True),
        sa.Column("declaration_type", sa.String(30), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("ready_at", tz, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_version", sa.Integer(), nullable=False),
        sa.Column("outcome_rank", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "form_copy",
        sa.Column("form_id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("requested", sa.Boolean(), nullable=False),
        sa.Column("filled", sa.Boolean(), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("saved_at", tz, nullable=True),
    )
    op.create_table(
        "grant_copy",
        sa.Column("grant_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("validation", sa.String(20), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "activity_name",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "reminder_stage",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("due_at", tz, nullable=False, index=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("handled_at", tz, nullable=True),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("user_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("category", sa.String(10), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("inbox", sa.Boolean(), nullable=False),
        sa.Column("read_at", tz, nullable=True),
        sa.Column("mail_state", sa.String(15), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", tz, nullable=True),
        sa.Column("claimed_at", tz, nullable=True),
        sa.Column("sent_at", tz, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
    )
    op.create_table(
        "preference",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("email_reminders", sa.Boolean(), nullable=False),
        sa.Column("email_notices", sa.Boolean(), nullable=False),
        sa.Column("updated_at", tz, nullable=False),
    )
    op.create_table(
        "caf_reminder_setting",
        sa.Column("caf_code", sa.String(3), primary_key=True),
        sa.Column("offsets", sa.String(100), nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", tz, nullable=False),
    )
    op.create_table(
        "ics_token",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", tz, nullable=False),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
