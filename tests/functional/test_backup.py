"""`reader backup` and `reader restore`: a fresh instance restored from a backup is the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from annotations.accounts import User
from annotations.claims import Claim
from annotations.models import Annotation
from corpus.models import DocumentVersion
from reader import create_app
from reader.backup import schema_revision
from reader.extensions import db
from tests.conftest import sqlite_only
from tests.factories import SEED_ID
from tests.functional.helpers import payload, signed_in

pytestmark = sqlite_only  # PostgreSQL instances are backed up with pg_dump (the command says so)

QUERIES = ("russia", "pangolin", "tag:evidence", "korea alliance")


def _fresh(folder: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{folder / 'restored.sqlite3'}",
            "PASSWORD_HASH_PROFILE": "fast",
            "SEARCH_INDEX_DIR": str(folder / "index"),
        }
    )


def _snapshot(app: Flask) -> dict[str, Any]:
    with app.app_context():
        session = db.session
        versions = session.execute(
            select(DocumentVersion.document_id, DocumentVersion.number, DocumentVersion.sha256)
        ).all()
        notes = session.execute(
            select(Annotation.id, Annotation.body_markdown, Annotation.deleted_at.is_(None))
        ).all()
        users = session.execute(select(User.username, User.role, User.password_hash)).all()
        claims = session.execute(select(Claim.id, Claim.document_id, Claim.exact)).all()
    client = app.test_client()
    claim = client.get("/api/claims/1")
    hits = {
        q: client.get("/api/search", query_string={"q": q}).get_json()["total"] for q in QUERIES
    }
    documents = client.get("/api/documents").get_json()
    return {
        "versions": sorted(map(tuple, versions)),
        "annotations": sorted(map(tuple, notes)),
        "users": sorted(map(tuple, users)),
        "claim": (claim.status_code, claim.get_json()),
        "claims": sorted(map(tuple, claims)),
        "search": hits,
        "documents": documents,
    }


def _fill(app: Flask) -> None:
    alice = signed_in(app, "alice", role="reviewer")
    tagged = payload(body="A pangolin note.")
    tagged["body"].append({"type": "TextualBody", "value": "evidence", "purpose": "tagging"})
    assert alice.post("/api/annotations/", json=tagged).status_code == 201
    gone = alice.post("/api/annotations/", json=payload(body="Soon gone.")).get_json()
    alice.delete(f"/api/annotations/{gone['id'].rsplit('/', 1)[1]}")
    claim = {
        "document": SEED_ID,
        "selector": {
            "type": "TextQuoteSelector",
            "exact": "In 1995, Moscow repudiated its military alliance with the North Koreans.",
        },
        "claim_type": "date_or_event",
        "reason": "The year looks wrong",
    }
    assert alice.post("/api/claims", json=claim).status_code == 201


def test_restore_into_a_fresh_instance_gives_the_same_data(seeded: Flask, tmp_path: Path) -> None:
    _fill(seeded)
    before = _snapshot(seeded)
    target = tmp_path / "backup"
    made = seeded.test_cli_runner().invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "backed up to" in made.output
    manifest = json.loads((target / "manifest.json").read_text())
    with seeded.app_context():
        head = schema_revision(db.engine)
    assert head is not None
    assert manifest["revision"] == head
    assert manifest["counts"]["annotations"] == 2
    assert manifest["counts"]["users"] == 1
    assert manifest["counts"]["claims"] == 1
    assert len(manifest["sha256"]) == 64

    fresh = _fresh(tmp_path / "fresh")
    restored = fresh.test_cli_runner().invoke(args=["restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.output
    assert "indexed" in restored.output
    after = _snapshot(fresh)
    assert after == before
    assert after["search"]["pangolin"] == 1
    with fresh.app_context():
        from annotations.indexing import IndexSync
        from reader.indexer import search_index

        assert IndexSync(db.session, search_index()).check().total == 0
        fresh.extensions["reader.index"].close()
        db.engine.dispose()


def test_restore_refuses_a_database_with_content_unless_forced(
    seeded: Flask, tmp_path: Path
) -> None:
    _fill(seeded)
    target = tmp_path / "backup"
    assert seeded.test_cli_runner().invoke(args=["backup", str(target)]).exit_code == 0
    signed_in(seeded, "bob")  # a change after the backup
    refused = seeded.test_cli_runner().invoke(args=["restore", str(target)])
    assert refused.exit_code == 1
    assert "is not empty" in refused.output
    assert "--force" in refused.output
    forced = seeded.test_cli_runner().invoke(args=["restore", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    with seeded.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_backup_and_restore_errors_are_one_line(seeded: Flask, tmp_path: Path) -> None:
    runner = seeded.test_cli_runner()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "something").write_text("x")
    result = runner.invoke(args=["backup", str(occupied)])
    assert result.exit_code == 1
    assert "is not an empty folder" in result.output
    target = tmp_path / "backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with (target / "database.sqlite3").open("ab") as handle:
        handle.write(b"tampered")
    fresh = _fresh(tmp_path / "fresh")
    result = fresh.test_cli_runner().invoke(args=["restore", str(target)])
    assert result.exit_code == 1
    assert "does not match its manifest" in result.output
    result = fresh.test_cli_runner().invoke(args=["restore", str(occupied)])
    assert "is not a backup" in result.output
    with fresh.app_context():
        db.engine.dispose()


def test_postgres_gets_a_clear_message() -> None:
    from sqlalchemy import create_engine

    from reader.backup import BackupError, backup

    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(BackupError, match="pg_dump"):
        backup(engine, Path("/nonexistent"))


@sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app: Flask) -> None:
    from sqlalchemy import text

    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
