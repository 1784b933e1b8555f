"""API keys (stored hashed) and the API's workspace-scoped reader role (issue 7).

Revision ID: 0007
Revises: 0006
"""

from alembic import op  # noqa: F401  (filled in by the issue 7 work)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
