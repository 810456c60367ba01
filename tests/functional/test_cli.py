"""The `reader` console commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from annotations.accounts import AccountService, User
from corpus.models import DocumentVersion
from reader.extensions import db
from tests.factories import FAST_HASHER, PASSWORD, SAMPLE_TEXT, SEED_ID


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_init_imports_the_shipped_corpus_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert f"{SEED_ID}: imported (version 1)" in first.output
    again = runner.invoke(args=["init"])
    assert f"{SEED_ID}: unchanged, kept (version 1)" in again.output
    assert _count(app, DocumentVersion) == 1


def test_import_then_changed_reimport_adds_a_version(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "My Article.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0
    assert result.output.strip() == "my-article: imported (version 1)"
    path.write_text(SAMPLE_TEXT + "\nOne more paragraph with enough words to be body text.\n")
    result = runner.invoke(args=["import", str(path), "--id", "my-article", "--title", "Renamed"])
    lines = result.output.strip().splitlines()
    assert lines[0] == "my-article: imported as a new version (version 2)"
    assert lines[1] == "re-anchored annotations onto version 2: none"
    assert _count(app, DocumentVersion) == 2


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("empty.txt", b"", [], "file is empty"),
        ("bin.txt", b"abc\x00def", [], "NUL byte at byte offset 3"),
        ("latin.txt", "Título\n\ncafé".encode("latin-1"), [], "invalid byte 0xed at byte offset 1"),
        ("doc.docx", b"PK\x03\x04", [], "unsupported file type '.docx'"),
        ("ok.txt", SAMPLE_TEXT.encode(), ["--id", "Bad Id"], "invalid id 'Bad Id'"),
    ],
)
def test_bad_imports_print_one_line_and_exit_nonzero(
    app: Flask, tmp_path: Path, name: str, content: bytes, extra: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["import", str(path), *extra])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    assert _count(app, DocumentVersion) == 0


def test_import_size_limit_is_configurable(app: Flask, tmp_path: Path) -> None:
    app.config["MAX_IMPORT_BYTES"] = 50
    path = tmp_path / "long.txt"
    path.write_text(SAMPLE_TEXT)
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "limit is 50 bytes" in result.output


def test_user_add_reads_password_from_stdin_and_token_create(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["user", "add", "rita", "--role", "reviewer"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created reviewer rita"
    with app.app_context():
        assert (
            AccountService(db.session, FAST_HASHER).authenticate("rita", PASSWORD).role
            == "reviewer"
        )
    token = runner.invoke(args=["token", "create", "rita"])
    assert token.exit_code == 0
    raw = token.output.strip()
    me = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.get_json()["username"] == "rita"


def test_user_and_token_errors(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["user", "add", "sam"], input="short\n")
    assert weak.exit_code == 1
    assert "password: must be" in weak.output
    bad_role = runner.invoke(args=["user", "add", "sam", "--role", "owner"], input=PASSWORD)
    assert bad_role.exit_code == 2
    runner.invoke(args=["user", "add", "sam"], input=PASSWORD)
    dup = runner.invoke(args=["user", "add", "SAM"], input=PASSWORD)
    assert dup.exit_code == 1
    assert "taken" in dup.output
    missing = runner.invoke(args=["token", "create", "nobody"])
    assert missing.exit_code == 1
    assert "no user named 'nobody'" in missing.output
    assert _count(app, User) == 1
