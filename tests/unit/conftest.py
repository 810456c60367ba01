"""Domain units run on a plain SQLAlchemy session, without Flask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

import annotations.schema  # noqa: F401  (registers every table)
from corpus.models import Base
from tests.conftest import POSTGRES, new_database


@pytest.fixture(scope="session")
def units_template() -> str | None:
    """On PostgreSQL, a database with every table, copied per test (None on SQLite)."""
    if POSTGRES is None:
        return None
    name = POSTGRES.create(name=f"{POSTGRES.prefix}units")
    engine = create_engine(POSTGRES.url_for(name))
    Base.metadata.create_all(engine)
    engine.dispose()  # nobody may be connected to a template while it is copied
    return name


@pytest.fixture
def session(tmp_path: Path, units_template: str | None) -> Iterator[Session]:
    """A session on a fresh database (a SQLite file, or PostgreSQL) with every table created."""
    with new_database(tmp_path, units_template) as url:
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(
                engine, "connect", lambda conn, _rec: conn.execute("PRAGMA foreign_keys=ON")
            )
            Base.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
        engine.dispose()
