"""Accounts, sessions, login counts, API keys, conversations: the schema as of 0.x.

A SQLite file made before migrations existed already has most of these tables: they are
kept, API keys get the columns added since (``id``, ``last_used``), and the login counts
(short-lived) are made again with an id column.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    bind = op.get_bind()
    have = set(sa.inspect(bind).get_table_names())
    if "users" not in have:
        op.create_table(
            "users",
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("password", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.CheckConstraint("role IN ('reader', 'editor', 'admin')", name="users_role"),
        )
    if "api_keys" not in have:
        op.create_table(
            "api_keys",
            sa.Column("digest", sa.Text, primary_key=True),
            sa.Column("user", sa.Text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("id", sa.Text),
            sa.Column("last_used", sa.Float),
        )
    else:
        columns = {c["name"] for c in sa.inspect(bind).get_columns("api_keys")}
        for name, kind in (("id", sa.Text), ("last_used", sa.Float)):
            if name not in columns:
                op.add_column("api_keys", sa.Column(name, kind))
        op.execute("UPDATE api_keys SET id = substr(digest, 1, 8) WHERE id IS NULL")
    if "sessions" not in have:
        op.create_table(
            "sessions",
            sa.Column("digest", sa.Text, primary_key=True),
            sa.Column("user", sa.Text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("expires", sa.Float, nullable=False),
        )
    for old in ("login_failures", "login_attempts"):  # counts of minutes: made again, with an id
        if old in have:
            op.drop_table(old)
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),  # 'pair' (name from one address), 'name' or 'client'
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("pending", sa.Integer, nullable=False, server_default="0"),  # its password is being checked
    )
    op.create_index("login_attempts_key", "login_attempts", ["kind", "key"])
    if "conversations" not in have:
        op.create_table(
            "conversations",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("user", sa.Text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("updated", sa.Float, nullable=False),
        )
        op.create_index("conversations_user", "conversations", ["user", "updated"])
    if "turns" not in have:
        op.create_table(
            "turns",
            sa.Column("conversation", sa.Text, sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                      primary_key=True),
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("data", sa.Text, nullable=False),
        )
