"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import annotations.schema  # noqa: F401  (registers every table)
from corpus.models import Base
from reader.migrate import upgrade_database


def test_migrations_match_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade_database(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    upgrade_database(engine)
    upgrade_database(engine, "head")
    from alembic import command

    from reader.migrate import alembic_config

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    upgrade_database(engine)
    engine.dispose()


def test_index_job_ids_are_never_reused(tmp_path: Path) -> None:
    # A worker deletes the jobs it ran by id; a reused id would delete a newer, unrun job.
    from sqlalchemy import text

    engine = create_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    upgrade_database(engine)
    with engine.connect() as connection:
        sql = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'index_jobs'")
        ).scalar_one()
    engine.dispose()
    assert "AUTOINCREMENT" in sql
