"""index job keys long enough for every document id

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A key is "document:" plus a document id of up to 100 characters: 80 was too short, which
# PostgreSQL enforces (SQLite ignores VARCHAR lengths). SQLite rebuilds the table, so say again
# that its ids are never reused.
_TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("index_jobs", table_kwargs=_TABLE_KWARGS) as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.String(length=80), type_=sa.String(length=120)
        )


def downgrade() -> None:
    with op.batch_alter_table("index_jobs", table_kwargs=_TABLE_KWARGS) as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.String(length=120), type_=sa.String(length=80)
        )
