"""Channels: web sessions, issued choices, processed webhook events, rotating credentials, outbox.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("last_seen_at", NOW, nullable=False),
    )
    op.create_table(
        "issued_choices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(32), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("menu", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("intent", sa.String(100)),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("created_at", NOW, nullable=False),
    )
    op.create_index("ix_issued_choices_conversation_id", "issued_choices", ["conversation_id"])
    op.create_table(
        "processed_events",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("created_at", NOW, nullable=False),
    )
    op.create_table(
        "channel_credentials",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", NOW, nullable=False),
    )
    op.create_index("outbox_by_conversation", "outbox", ["channel", "sender_id", "id"])
    op.create_index("outbox_by_status", "outbox", ["channel", "status"])


def downgrade() -> None:
    for table in ("outbox", "channel_credentials", "processed_events", "issued_choices", "web_sessions"):
        op.drop_table(table)
