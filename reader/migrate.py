"""Apply Alembic migrations to the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config pointing at the shipped migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to revision (default: the newest)."""
    cfg = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:
            # SQLite migrations rebuild tables (copy, drop, rename); with foreign keys enforced
            # the drop of a referenced table fails on a populated database. No BEGIN has been
            # sent yet here, so the pragma takes effect for this connection.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    if sqlite:
        engine.dispose()  # pooled connections come back with foreign keys on
