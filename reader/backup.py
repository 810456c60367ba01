"""Backups of an instance: a consistent copy of its database with a manifest, and restoring one.

A backup is a folder holding `database.sqlite3` (copied with SQLite's online backup API, so
writers may keep writing) and `manifest.json` (format, time, schema revision, row counts per
table, the copy's sha256). The corpus originals are rows of the database, so they come along;
the search index is derived and is rebuilt on restore.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, inspect, select, table
from sqlalchemy.pool import NullPool

DATABASE_FILE = "database.sqlite3"
MANIFEST_FILE = "manifest.json"
FORMAT = 1
# A database with rows in any of these holds someone's work: restore will not overwrite it.
CONTENT_TABLES = ("users", "documents", "annotations", "claims")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    format: int
    created_at: str
    database: str
    revision: str | None
    counts: dict[str, int]
    sha256: str

    def line(self) -> str:
        """A one-line summary for the command line."""
        counts = ", ".join(f"{self.counts.get(name, 0)} {name}" for name in CONTENT_TABLES)
        return f"revision {self.revision}: {counts}"


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (Alembic's own table left out)."""
    names = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as connection:
        return {
            name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
            for name in names
        }


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None before any migration)."""
    with engine.connect() as connection:
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision


def has_content(engine: Engine) -> bool:
    """True when the database holds users, documents, annotations or claims."""
    counts = table_counts(engine)
    return any(counts.get(name, 0) for name in CONTENT_TABLES)


def _sqlite_path(engine: Engine) -> Path:
    if engine.dialect.name != "sqlite":
        raise BackupError(
            f"`reader backup` and `reader restore` copy SQLite databases; for "
            f"{engine.dialect.name} use pg_dump --format=custom and pg_restore, then "
            f"`reader db upgrade` and `reader index rebuild`"
        )
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up")
    return Path(name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page, as one consistent snapshot."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # all pages in one step: a snapshot under one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        result = dst.execute("PRAGMA quick_check").fetchone()[0]
    src.close()
    dst.close()
    if result != "ok":
        raise BackupError(f"the copy of {source} failed its integrity check: {result}")


def _file_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", poolclass=NullPool)


def backup(engine: Engine, folder: Path) -> Manifest:
    """Write a consistent copy of the database and its manifest into folder (new or empty)."""
    source = _sqlite_path(engine)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} exists and is not an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / DATABASE_FILE
    _copy(source, copy)
    counted = _file_engine(copy)
    try:
        manifest = Manifest(
            format=FORMAT,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            database="sqlite",
            revision=schema_revision(counted),
            counts=table_counts(counted),
            sha256=_sha256(copy),
        )
    finally:
        counted.dispose()
    text = json.dumps(asdict(manifest), indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> Manifest:
    """Read and check a backup folder's manifest against its database copy."""
    path = folder / MANIFEST_FILE
    if not path.is_file() or not (folder / DATABASE_FILE).is_file():
        raise BackupError(f"{folder} is not a backup (no {MANIFEST_FILE} and {DATABASE_FILE})")
    try:
        manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{path} is not a valid manifest: {exc}") from None
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format} is not supported (expected {FORMAT})")
    if _sha256(folder / DATABASE_FILE) != manifest.sha256:
        raise BackupError(f"{folder / DATABASE_FILE} does not match its manifest's sha256")
    return manifest


def restore(
    engine: Engine,
    folder: Path,
    force: bool = False,
    migrate: Callable[[Engine], None] | None = None,
) -> Manifest:
    """Replace the database with a backup's copy (refused over content unless force), migrated."""
    target = _sqlite_path(engine)
    manifest = read_manifest(folder)
    if not force and target.exists() and has_content(engine):
        raise BackupError(
            f"the database at {target} is not empty; restore into a new instance, "
            "or pass --force to replace it"
        )
    engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(folder / DATABASE_FILE) as src, sqlite3.connect(target) as dst:
        dst.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
    src.close()
    dst.close()
    if migrate is not None:
        migrate(engine)
    return manifest
