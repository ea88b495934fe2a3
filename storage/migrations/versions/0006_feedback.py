"""Feedback: every answer's outcome, ratings, and the example questions officers teach.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _said(table: str, *columns: sa.Column) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", WHEN, nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("procedure_code", sa.String(20)),
        *columns,
    )


def upgrade() -> None:
    _said("answer_events", sa.Column("kind", sa.String(12), nullable=False))
    _said("ratings", sa.Column("rating", sa.String(4), nullable=False), sa.Column("reason", sa.String(20)))
    op.create_table(
        "taught_examples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("codes", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("removed_by", sa.String(64)),
        sa.Column("removed_at", WHEN),
    )


def downgrade() -> None:
    op.drop_table("taught_examples")
    op.drop_table("ratings")
    op.drop_table("answer_events")
