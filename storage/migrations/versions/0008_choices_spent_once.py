"""A menu of choices is spent by its first pick (a second tap of 👍 is not a second rating).

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issued_choices", sa.Column("spent_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("issued_choices", "spent_at")
