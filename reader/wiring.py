"""Builds the services a request needs, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from annotations.accounts import AccountService
from corpus.importer import DocumentImporter
from corpus.store import DocumentStore
from reader.extensions import db


@dataclass(frozen=True)
class Services:
    """The services of one request (or one CLI command), sharing one session."""

    documents: DocumentStore
    importer: DocumentImporter
    accounts: AccountService


def services() -> Services:
    """Return this app context's services, building them on first use."""
    if "services" not in g:
        session = db.session
        documents = DocumentStore(session)
        g.services = Services(
            documents=documents,
            importer=DocumentImporter(documents, current_app.config["MAX_IMPORT_BYTES"]),
            accounts=AccountService(session),
        )
    built: Services = g.services
    return built
