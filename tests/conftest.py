"""Shared fixtures: a fresh app, database and index per test (copied from session templates).

With READER_DATABASE_URL set to a PostgreSQL server (see .ci/postgres.sh) the suite runs there:
the templates are databases on that server and each test gets `CREATE DATABASE ... TEMPLATE`.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from reader import create_app
from reader.extensions import db
from reader.migrate import upgrade_database

# An instance folder's database. On SQLite it is this file; on PostgreSQL the file holds the
# name of a database, so copying a template folder's files still copies the instance.
DB_FILE = "test.sqlite3"


class PostgresDatabases:
    """Creates and drops this session's databases on the server READER_DATABASE_URL names."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        # Unique per pytest process, so two runs can share one server.
        self.prefix = f"reader_t{os.getpid()}_"
        self._numbers = itertools.count(1)
        self._admin: Engine | None = None
        self._made: set[str] = set()

    @property
    def admin(self) -> Engine:
        """An autocommit engine on the server's database (CREATE/DROP DATABASE need one)."""
        if self._admin is None:
            self._admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        return self._admin

    def url_for(self, name: str) -> str:
        """The URL of database name (password included: apps and child processes log in)."""
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None, name: str | None = None) -> str:
        """Create an empty database, or a copy of template; return its name."""
        name = name or f"{self.prefix}{next(self._numbers)}"
        quote = self.admin.dialect.identifier_preparer.quote
        sql = f"CREATE DATABASE {quote(name)}"
        if template:
            # FILE_COPY (PostgreSQL 15+) copies a small template in a third of WAL_LOG's time.
            strategy = " STRATEGY FILE_COPY" if self._version >= 150000 else ""
            sql += f" TEMPLATE {quote(template)}{strategy}"
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
            connection.execute(text(sql))
        self._made.add(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        quote = self.admin.dialect.identifier_preparer.quote
        for attempt in range(10):
            try:
                with self.admin.connect() as connection:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
                break
            except DBAPIError:
                # FORCE cannot end another role's session, such as an autovacuum worker (the
                # server .ci/postgres.sh starts has none); it is gone in a moment.
                if attempt == 9:
                    raise
                time.sleep(0.5)
        self._made.discard(name)

    def drop_all(self) -> None:
        """Drop every database this session made."""
        for name in sorted(self._made):
            self.drop(name)
        if self._admin is not None:
            self._admin.dispose()

    @functools.cached_property
    def _version(self) -> int:
        with self.admin.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar_one())


def _postgres_from_environment() -> PostgresDatabases | None:
    url = os.environ.get("READER_DATABASE_URL")
    if not url:
        return None
    if make_url(url).get_backend_name() != "postgresql":
        raise pytest.UsageError(f"READER_DATABASE_URL must name a PostgreSQL server, not {url!r}")
    return PostgresDatabases(url)


POSTGRES = _postgres_from_environment()
ON_POSTGRES = POSTGRES is not None
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="inspects SQLite internals")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the databases the session made (templates included)."""
    if POSTGRES is not None:
        POSTGRES.drop_all()


@contextmanager
def new_database(folder: Path, template: str | None = None) -> Iterator[str]:
    """Yield the URL of a new database: a file in folder, or on PostgreSQL a database (a copy
    of template, if given) dropped afterwards."""
    if POSTGRES is None:
        yield f"sqlite:///{folder / DB_FILE}"
        return
    name = POSTGRES.create(template)
    try:
        yield POSTGRES.url_for(name)
    finally:
        POSTGRES.drop(name)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables) for this test."""
    with new_database(tmp_path) as url:
        yield url


def _database_url(folder: Path) -> str:
    if POSTGRES is None:
        return f"sqlite:///{folder / DB_FILE}"
    pointer = folder / DB_FILE
    if pointer.exists():
        name = pointer.read_text().strip()
        if name not in _OWNED:  # a template's name, copied in: clone it
            name = POSTGRES.create(template=name)
    else:
        name = POSTGRES.create()
    _OWNED.add(name)
    pointer.write_text(name)
    return POSTGRES.url_for(name)


_OWNED: set[str] = set()  # the PostgreSQL databases of open test instances


def _config(folder: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": _database_url(folder),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "fast",
        "SEARCH_INDEX_DIR": str(folder / "index"),
    }


class ServerLikeClient(FlaskClient):
    """A test client that reads each response whole and closes it, as a server does once it
    has sent it (so what the app runs after the response, such as index updates, has run)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send a request; the response comes back read and closed."""
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def _make_app(folder: Path) -> Flask:
    app = create_app(_config(folder))
    app.instance_path = str(folder / "instance")
    app.test_client_class = ServerLikeClient
    return app


def _close(app: Flask, keep_database: bool = False) -> None:
    index = app.extensions.get("reader.index")
    if index is not None:
        index.close()
    with app.app_context():
        db.engine.dispose()
    if POSTGRES is not None:
        name = make_url(app.config["DATABASE_URL"]).database
        if name in _OWNED:
            _OWNED.discard(name)
            if not keep_database:
                POSTGRES.drop(name)


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
        _close(app, keep_database=True)  # no connection stays open: it is copied per test
        made[name] = folder
    return made


def copy_instance(source: Path, folder: Path) -> Flask:
    """An app on its own copy of the instance (database and index) in source."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / DB_FILE, folder / DB_FILE)
    shutil.copytree(source / "index", folder / "index")
    return _make_app(folder)


@pytest.fixture
def app(
    tmp_path: Path, templates: dict[str, Path], request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on its own copy of a migrated database and index under tmp_path."""
    source = templates["seeded" if "seeded" in request.fixturenames else "migrated"]
    app = copy_instance(source, tmp_path)
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
