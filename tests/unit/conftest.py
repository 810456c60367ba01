"""Domain units run on a plain SQLAlchemy session, without Flask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

import annotations.schema  # noqa: F401  (registers every table)
from corpus.models import Base


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh SQLite file with every table created."""
    engine = create_engine(f"sqlite:///{tmp_path / 'unit.sqlite3'}")
    event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA foreign_keys=ON"))
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()
