"""Asset generations: bumped when an asset is re-materialised, so serving caches invalidate (issue 7).

Revision ID: 0008
Revises: 0007
"""

from alembic import op  # noqa: F401  (filled in by the issue 7 work)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
