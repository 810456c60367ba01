"""The Alembic migrations build exactly the schema the models describe (on SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, delete, insert, select, text

import annotations.schema  # noqa: F401  (registers every table)
from corpus.models import Base, IndexJob
from reader.migrate import alembic_config, upgrade_database
from tests.conftest import sqlite_only


def test_migrations_match_models(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    upgrade_database(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    upgrade_database(engine)
    upgrade_database(engine, "head")
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    upgrade_database(engine)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version is not None


def test_index_job_ids_are_never_reused(empty_database_url: str) -> None:
    # A worker deletes the jobs it ran by id; a reused id would delete a newer, unrun job.
    # SQLite needs AUTOINCREMENT for this; PostgreSQL's sequence never hands out an id twice.
    engine = create_engine(empty_database_url)
    upgrade_database(engine)
    job = {"key": "document:x", "created_at": datetime.now(UTC), "attempts": 0}
    with engine.begin() as connection:
        connection.execute(insert(IndexJob), [job, job, job])
        highest = connection.scalar(select(IndexJob.id).order_by(IndexJob.id.desc()).limit(1))
        connection.execute(delete(IndexJob))
        connection.execute(insert(IndexJob), [job])
        reissued = connection.scalar(select(IndexJob.id))
    engine.dispose()
    assert highest == 3
    assert reissued == 4


@sqlite_only
def test_index_jobs_table_is_declared_autoincrement(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    upgrade_database(engine)
    with engine.connect() as connection:
        sql = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'index_jobs'")
        ).scalar_one()
    engine.dispose()
    assert "AUTOINCREMENT" in sql


def test_upgrading_a_populated_database(empty_database_url: str) -> None:
    # Table rebuilds on SQLite must not trip over rows that reference the rebuilt table.
    engine = create_engine(empty_database_url)
    upgrade_database(engine, "0004")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, created_at) "
                "VALUES ('reader', 'x', 'member', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text("INSERT INTO groups (name, owner_id, created_at) VALUES ('g', 1, :now)"),
            {"now": now},
        )
    upgrade_database(engine)
    with engine.connect() as connection:
        token = connection.execute(text("SELECT session_token FROM users")).scalar_one()
    engine.dispose()
    assert token


def test_0008_keeps_annotations_and_claims_through_upgrade_and_downgrade(
    empty_database_url: str,
) -> None:
    # The kept mark is a new nullable column: existing rows stay, unkept, and survive a downgrade.
    engine = create_engine(empty_database_url)
    upgrade_database(engine, "0007")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        "INSERT INTO users (username, password_hash, role, created_at, session_token) "
        "VALUES ('reader', 'x', 'member', :now, 't')",
        "INSERT INTO documents (id, created_at) VALUES ('d', :now)",
        "INSERT INTO document_versions (document_id, number, title, filename, fmt, media_type, "
        "original, sha256, text, imported_at) VALUES ('d', 1, 'T', 'd.txt', 'text', "
        "'text/plain', :raw, 'x', 'Some words.', :now)",
        "INSERT INTO annotations (id, document_id, version_id, author_id, motivation, "
        "visibility, body_markdown, body_html, created_at, modified_at, revision, "
        "anchor_version_id, anchor_state, anchor_score) VALUES ('a1', 'd', 1, 1, "
        "'commenting', 'public', '', '', :now, :now, 1, 1, 'orphaned', 0.2)",
        'INSERT INTO claims (document_id, version_id, start, "end", exact, prefix, suffix, '
        "claim_type, state, created_at, updated_at, lock_version, anchor_version_id, "
        "anchor_state, anchor_score) VALUES ('d', 1, 0, 4, 'Some', '', '', 'other', "
        "'flagged', :now, :now, 1, 1, 'orphaned', 0.2)",
    ]
    with engine.begin() as connection:
        for sql in rows:
            connection.execute(text(sql), {"now": now, "raw": b"Some words."})
    upgrade_database(engine)
    with engine.begin() as connection:
        for table in ("annotations", "claims"):
            found = connection.execute(text(f"SELECT anchor_state, anchor_kept_at FROM {table}"))
            assert found.all() == [("orphaned", None)]
            connection.execute(text(f"UPDATE {table} SET anchor_kept_at = :now"), {"now": now})
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0007")
    with engine.connect() as connection:
        counts = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("annotations", "claims")
        ]
    engine.dispose()
    assert counts == [1, 1]
