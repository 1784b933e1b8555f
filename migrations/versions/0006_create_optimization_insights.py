"""Optimisation insights table (issue 7): prioritised, quantified recommendations per day.

Revision ID: 0006
Revises: 0005
"""

from alembic import op  # noqa: F401  (filled in by the issue 7 work)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
