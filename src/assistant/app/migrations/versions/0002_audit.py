"""The audit: who added or removed which user, key or document, and when.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),  # a user's name, or "shell" (the command line)
        sa.Column("action", sa.Text, nullable=False),  # e.g. "add user", "add documents"
        sa.Column("subject", sa.Text, nullable=False),  # whom or what
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("audit_at", "audit", ["at"])
