"""A department can leave a collection's roster: `removed_at` marks it inactive, its uploads stay.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place, existing departments stay on the roster (NULL).
    op.add_column("departments", sa.Column("removed_at", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.drop_column("removed_at")
