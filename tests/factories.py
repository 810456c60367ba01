"""Plain factory functions for tests, with overridable defaults."""

from __future__ import annotations

import itertools
from pathlib import Path

from annotations.accounts import AccountService, Credentials, User, make_hasher
from corpus.importer import DocumentImporter, ImportOutcome
from corpus.store import DocumentStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT.parent / "shared" / "seeds" / "000_a539bf95bb4d10b0.txt"
SHIPPED_SEED = ROOT / "corpus" / "shipped" / "russian-relations-with-north-korea.txt"
SEED_ID = "russian-relations-with-north-korea"
PASSWORD = "correct horse battery"
_names = itertools.count(1)
FAST_HASHER = make_hasher("fast")


def make_user(
    session: object, username: str | None = None, role: str = "member", password: str = PASSWORD
) -> User:
    """Create a user with a role (flushes; the caller commits)."""
    accounts = AccountService(session, FAST_HASHER)  # type: ignore[arg-type]
    name = username or f"user{next(_names)}"
    return accounts.add_user(Credentials(name, password), role)


def import_text(
    session: object,
    text: str,
    doc_id: str = "sample",
    filename: str = "sample.txt",
    title: str | None = None,
) -> ImportOutcome:
    """Import a document from a string (flushes; the caller commits)."""
    importer = DocumentImporter(DocumentStore(session))  # type: ignore[arg-type]
    return importer.import_bytes(text.encode("utf-8"), filename, doc_id, title)


SAMPLE_TEXT = """A Sample Article

The first paragraph of a short article, long enough to count as a paragraph of body text here.

A Section Heading

The second paragraph follows the heading and says something else entirely, at some length too.
"""
