"""Importer validation: every bad input is refused with a clear message and stores nothing."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corpus.errors import InvalidDocument
from corpus.importer import DocumentImporter, check_slug, decode_original, slugify
from corpus.models import DocumentVersion
from corpus.store import DocumentStore
from tests.factories import SAMPLE_TEXT


def _versions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DocumentVersion)) or 0)


@pytest.fixture
def importer(session: Session) -> DocumentImporter:
    return DocumentImporter(DocumentStore(session), max_bytes=10_000)


@pytest.mark.parametrize(
    ("data", "filename", "doc_id", "message"),
    [
        (b"", "a.txt", "a", "file is empty"),
        (b"  \n\n \t", "a.txt", "a", "file is empty"),
        (b"Title\n\nSome\x00text", "a.txt", "a", "NUL byte at byte offset 11"),
        (b"Caf\xc3\xa9 ok\n\nbad \xff here", "a.txt", "a", "invalid byte 0xff at byte offset 14"),
        (b"\x89PNG\r\n\x1a\n", "a.txt", "a", "invalid byte 0x89 at byte offset 0"),
        (b"Title\n\nbell \x07 ring", "a.txt", "a", "control character 0x07 at byte offset 12"),
        (b"x" * 10_001, "a.txt", "a", "file is too large: 10,001 bytes"),
        (b"Title\n\nText", "a.pdf", "a", "unsupported file type '.pdf'"),
        (b"Title\n\nText", "README", "a", "unsupported file type '(none)'"),
        (b"Title\n\nText", "a.txt", "Not A Slug", "invalid id 'Not A Slug'"),
        (b"Title\n\nText", "a.txt", "trailing-", "invalid id 'trailing-'"),
        (b"Title\n\nText", "a.txt", "a" * 101, "invalid id"),
        (b"Title\n\nText", "!!!.txt", None, "invalid id ''"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    importer: DocumentImporter,
    session: Session,
    data: bytes,
    filename: str,
    doc_id: str | None,
    message: str,
) -> None:
    with pytest.raises(InvalidDocument, match=None) as caught:
        importer.import_bytes(data, filename, doc_id)
    assert message in str(caught.value)
    session.rollback()
    assert _versions(session) == 0


def test_title_option_is_validated(importer: DocumentImporter) -> None:
    with pytest.raises(InvalidDocument, match="title must be"):
        importer.import_bytes(SAMPLE_TEXT.encode(), "a.txt", "a", title="   ")


def test_import_path_checks_size_before_reading(importer: DocumentImporter, tmp_path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 20_000)
    with pytest.raises(InvalidDocument, match="limit is 10,000 bytes"):
        importer.import_path(big)
    with pytest.raises(InvalidDocument, match="no such file"):
        importer.import_path(tmp_path / "missing.txt")


def test_original_bytes_and_sha256_are_kept_exactly(
    importer: DocumentImporter, session: Session
) -> None:
    data = ("\ufeffTitle line\r\n\r\nA paragraph with CRLF endings, long enough.\r\n").encode()
    outcome = importer.import_bytes(data, "crlf.txt", "crlf")
    version = DocumentStore(session).get_version("crlf")
    assert outcome.status == "created"
    assert version.original == data
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert "\r" not in version.text
    assert "\ufeff" not in version.text


def test_reimport_unchanged_then_changed_adds_a_version(
    importer: DocumentImporter, session: Session
) -> None:
    first = importer.import_bytes(SAMPLE_TEXT.encode(), "s.txt", "s")
    again = importer.import_bytes(SAMPLE_TEXT.encode(), "s.txt", "s")
    changed = SAMPLE_TEXT.replace("something else", "something different")
    second = importer.import_bytes(changed.encode(), "s.txt", "s")
    store = DocumentStore(session)
    assert (first.status, again.status, second.status) == ("created", "unchanged", "new-version")
    assert second.version == 2
    assert store.get_version("s", 1).original == SAMPLE_TEXT.encode()
    assert store.get_version("s").original == changed.encode()
    assert store.count_versions("s") == 2


def test_slug_helpers() -> None:
    assert slugify("My Article (final) v2") == "my-article-final-v2"
    assert check_slug("ok-123") == "ok-123"
    with pytest.raises(InvalidDocument):
        check_slug("double--hyphen")


def test_decode_normalises_line_endings() -> None:
    assert decode_original(b"a\r\nb\rc\n") == "a\nb\nc\n"
