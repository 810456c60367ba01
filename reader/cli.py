"""The `reader` console commands: thin click wrappers over the services."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from annotations.accounts import ROLES, parse_credentials
from annotations.errors import AnnotationsError
from annotations.indexing import IndexSync
from annotations.interchange import InterchangeService
from annotations.interchange_parsing import parse_import_bytes
from corpus.errors import CorpusError
from corpus.importer import ImportOutcome
from corpus.search import SearchIndex
from corpus.shipped import shipped_documents
from reader.backup import BackupError, backup, restore
from reader.config import describe
from reader.extensions import db
from reader.indexer import index_path, search_index, sync_pending
from reader.migrate import upgrade_database
from reader.wiring import services


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn domain errors into a one-line `Error: ...` and exit status 1."""
    try:
        yield
    except (CorpusError, AnnotationsError, BackupError) as exc:
        raise click.ClickException(str(exc)) from None


def _report(outcome: ImportOutcome) -> str:
    words = {
        "created": "imported",
        "new-version": "imported as a new version",
        "unchanged": "unchanged, kept",
    }
    return f"{outcome.document_id}: {words[outcome.status]} (version {outcome.version})"


def import_shipped() -> list[ImportOutcome]:
    """Import every shipped document; unchanged ones are left as they are."""
    outcomes = []
    with db.transaction():
        for shipped in shipped_documents():
            outcome = services().importer.import_bytes(
                shipped.data, shipped.filename, shipped.document_id, by="shipped corpus"
            )
            if outcome.status == "new-version":
                services().revisions.reanchor_document(outcome.document_id)
            outcomes.append(outcome)
    return outcomes


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database and import the shipped corpus (safe to repeat)."""
    upgrade_database(db.engine)
    with one_line_errors():
        for outcome in import_shipped():
            click.echo(_report(outcome))
    sync_pending()


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    upgrade_database(db.engine, revision)
    click.echo(f"database at revision {revision}")


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--id", "doc_id", help="Document id (a slug); defaults to the file name.")
@click.option("--title", help="Title to use instead of the one found in the text.")
@with_appcontext
def import_command(path: Path, doc_id: str | None, title: str | None) -> None:
    """Import a .txt, .md or .html document (a changed file under the same id adds a version)."""
    with one_line_errors(), db.transaction():
        outcome = services().importer.import_path(path, doc_id, title, by="cli")
        moved = None
        if outcome.status == "new-version":
            moved = services().revisions.reanchor_document(outcome.document_id)
    sync_pending()
    click.echo(_report(outcome))
    if moved is not None:
        click.echo(moved.line())


@click.group("user")
def user_group() -> None:
    """User accounts."""


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@with_appcontext
def user_add(name: str, role: str) -> None:
    """Create user NAME; the password is read from standard input."""
    with one_line_errors():
        creds = parse_credentials(name, _read_password())
        with db.transaction():
            user = services().accounts.add_user(creds, role)
    click.echo(f"created {user.role} {user.username}")


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.argument("name")
@with_appcontext
def token_create(name: str) -> None:
    """Print a new API token for user NAME (shown once; stored hashed)."""
    with one_line_errors(), db.transaction():
        token = services().accounts.create_token(name)
    click.echo(token)


@click.group("index")
def index_group() -> None:
    """The search index (derived from the database; safe to rebuild)."""


@index_group.command("rebuild")
@with_appcontext
def index_rebuild() -> None:
    """Rebuild the whole index from the database, with a progress bar."""
    sync = IndexSync(db.session, search_index(rebuild_missing=False))
    total = sync.count_docs()
    with click.progressbar(length=total, label="indexing", show_pos=True) as bar:
        count = sync.rebuild(progress=bar.update)
    click.echo(f"indexed {count} documents")


@index_group.command("check")
@click.option("--repair", is_flag=True, help="Fix what differs.")
@with_appcontext
def index_check(repair: bool) -> None:
    """Report drift between database and index (missing, stale, extra); exit 1 if any."""
    sync = IndexSync(db.session, search_index())
    drift = sync.check()
    click.echo(
        f"missing {len(drift.missing)}, stale {len(drift.stale)}, extra {len(drift.extra)}, "
        f"queued jobs {sync.pending()}"
    )
    for label, keys in (("missing", drift.missing), ("stale", drift.stale), ("extra", drift.extra)):
        for key in keys[:20]:
            click.echo(f"  {label}: {key}")
    if drift.total and repair:
        fixed = sync.repair(drift)
        click.echo(f"repaired {fixed} documents")
        return
    if drift.total:
        raise SystemExit(1)


@index_group.command("sync")
@with_appcontext
def index_sync() -> None:
    """Apply queued index updates now (they are normally applied after each write)."""
    click.echo(f"applied {sync_pending()} queued updates")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database and a manifest into PATH (a new folder)."""
    with one_line_errors():
        manifest = backup(db.engine, path)
    click.echo(f"backed up to {path}: {manifest.line()}")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a database that already has content.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup folder into this (empty) instance, migrate it and rebuild the index."""
    with one_line_errors():
        manifest = restore(db.engine, path, force, migrate=upgrade_database)
    click.echo(f"restored {path}: {manifest.line()}")
    index = SearchIndex(index_path(current_app), current_app.config["SEARCH_WRITE_TIMEOUT"])
    sync = IndexSync(db.session, index)
    with click.progressbar(length=sync.count_docs(), label="indexing", show_pos=True) as bar:
        count = sync.rebuild(progress=bar.update)
    index.close()
    click.echo(f"indexed {count} documents")


@click.command("config")
@with_appcontext
def config_command() -> None:
    """Print the effective settings (secrets hidden)."""
    click.echo(describe(current_app.config))


@click.command("import-annotations")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--user", "username", help="The author of what is imported (default: the only account)."
)
@click.option(
    "--document",
    "doc_id",
    help="Anchor every annotation in this document (files from other sites).",
)
@with_appcontext
def import_annotations_command(path: Path, username: str | None, doc_id: str | None) -> None:
    """Import W3C or Hypothesis annotations from a JSON file and report on every item."""
    with one_line_errors():
        parsed = parse_import_bytes(path.read_bytes(), doc_id)
        with db.transaction():
            interchange = InterchangeService(services().annotations)
            report = interchange.import_file(parsed, interchange.importer(username))
    sync_pending()
    click.echo("\n".join(report.lines()))


COMMANDS: list[Callable[..., Any]] = [
    init_command,
    db_group,
    import_command,
    import_annotations_command,
    user_group,
    token_group,
    index_group,
    config_command,
    backup_command,
    restore_command,
]


def init_app(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    for command in COMMANDS:
        app.cli.add_command(command)  # type: ignore[arg-type]


def _create() -> Flask:
    from reader import create_app

    return create_app()


main = FlaskGroup(
    name="reader",
    create_app=_create,
    add_version_option=False,
    load_dotenv=False,
    help="Annotated Reader: import documents, manage users and tokens, serve the app.",
)
