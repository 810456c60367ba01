"""Extensions, created unbound and bound to the app in create_app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

login_manager = LoginManager()
csrf = CSRFProtect()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, _record: Any) -> None:
    # timestamptz values come back in the session's time zone (the server's, or PGTZ); the app
    # formats times as UTC, so ask for UTC. Outside a transaction, or a rollback would undo it.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.autocommit = autocommit


class Database:
    """Hands each app context one session of its app's engine, closed at teardown."""

    def init_app(self, app: Flask) -> None:
        """Create the engine for app.config["DATABASE_URL"]."""
        url = make_url(app.config["DATABASE_URL"])
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A server closes idle connections (restarts, timeouts): test each before use.
            engine = create_engine(url, pool_pre_ping=True)
            if url.get_backend_name() == "postgresql":
                event.listen(engine, "connect", _postgres_utc)
        app.extensions["reader.engine"] = engine
        app.extensions["reader.sessions"] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._close)

    @property
    def engine(self) -> Engine:
        """Return the current app's engine."""
        engine: Engine = current_app.extensions["reader.engine"]
        return engine

    @property
    def session(self) -> Session:
        """Return this app context's session, opening it on first use."""
        if "db_session" not in g:
            g.db_session = current_app.extensions["reader.sessions"]()
        session: Session = g.db_session
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield the session and commit, or roll back on error."""
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def _close(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
