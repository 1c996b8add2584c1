"""Feedback: an analyst's 👍/👎 on an answer, with a note and the correction, kept with the
question and the answer as shown (``assistant feedback export`` makes QA fixtures of them).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("user", sa.Text, nullable=False),  # "" without accounts (one person on their machine)
        sa.Column("conversation", sa.Text, nullable=False, server_default=""),
        sa.Column("turn", sa.Text, nullable=False),  # Turn.id
        sa.Column("verdict", sa.Text, nullable=False),  # "up" or "down"
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("correct", sa.Text, nullable=False, server_default=""),  # words a right answer holds
        sa.Column("source", sa.Text, nullable=False, server_default=""),  # the article that holds it
        sa.Column("not_covered", sa.Boolean, nullable=False, server_default=sa.false()),  # the articles lack it
        sa.Column("data", sa.Text, nullable=False),  # the Turn as shown, as JSON
    )
    op.create_index("feedback_at", "feedback", ["at"])
