"""Alembic environment: runs migrations on the connection handed in by reader.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from annotations.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on one opened from sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `reader db upgrade`")
run_migrations_online()
