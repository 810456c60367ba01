"""Shared fixtures: a fresh app, database and instance folder per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from reader import create_app
from reader.extensions import db
from reader.migrate import upgrade_database


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite database under tmp_path, migrated to head."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade_database(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    """The same app with CSRF checks switched on."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session inside an app context (commit what you create)."""
    with app.app_context():
        yield db.session


@pytest.fixture
def seeded(app: Flask) -> Flask:
    """The app with the shipped corpus imported."""
    from reader.cli import import_shipped

    with app.app_context():
        import_shipped()
    return app
