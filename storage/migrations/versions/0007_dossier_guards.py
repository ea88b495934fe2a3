"""Dossier lookups without an oracle: the (hashed) network address of each lookup and wrong answer, and one guard
row per code that a verification locks while it checks and counts.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dossier_access", sa.Column("address", sa.String(32)))
    op.create_index("dossier_access_by_address", "dossier_access", ["kind", "address", "at"])
    op.create_index("dossier_access_by_time", "dossier_access", ["kind", "at"])
    op.create_table(
        "dossier_guards",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("dossier_guards")
    op.drop_index("dossier_access_by_time", "dossier_access")
    op.drop_index("dossier_access_by_address", "dossier_access")
    op.drop_column("dossier_access", "address")
