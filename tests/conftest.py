"""Shared fixtures: a fresh app, database and index per test (copied from session templates)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from reader import create_app
from reader.extensions import db
from reader.migrate import upgrade_database


def _config(folder: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{folder / 'test.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "fast",
        "SEARCH_INDEX_DIR": str(folder / "index"),
    }


def _make_app(folder: Path) -> Flask:
    app = create_app(_config(folder))
    app.instance_path = str(folder / "instance")
    return app


def _close(app: Flask) -> None:
    index = app.extensions.get("reader.index")
    if index is not None:
        index.close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Built once: a migrated empty database, and one with the shipped corpus and its index."""
    from reader.cli import import_shipped
    from reader.indexer import sync_pending

    root = tmp_path_factory.mktemp("templates")
    made = {}
    for name in ("migrated", "seeded"):
        folder = root / name
        folder.mkdir()
        app = _make_app(folder)
        with app.app_context():
            upgrade_database(db.engine)
            if name == "seeded":
                import_shipped()
            sync_pending()  # creates the index (and indexes the corpus)
        _close(app)
        made[name] = folder
    return made


@pytest.fixture
def app(
    tmp_path: Path, templates: dict[str, Path], request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on its own copy of a migrated database and index under tmp_path."""
    source = templates["seeded" if "seeded" in request.fixturenames else "migrated"]
    shutil.copy(source / "test.sqlite3", tmp_path / "test.sqlite3")
    shutil.copytree(source / "index", tmp_path / "index")
    app = _make_app(tmp_path)
    yield app
    _close(app)


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
    """The app with the shipped corpus imported and indexed."""
    return app
