"""Builds the services a request needs, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from annotations.accounts import AccountService
from annotations.groups import GroupService
from annotations.service import AnnotationService
from corpus.importer import DocumentImporter
from corpus.store import DocumentStore
from reader.extensions import db


@dataclass(frozen=True)
class Services:
    """The services of one request (or one CLI command), sharing one session."""

    documents: DocumentStore
    importer: DocumentImporter
    accounts: AccountService
    annotations: AnnotationService
    groups: GroupService


def services() -> Services:
    """Return this app context's services, building them on first use."""
    if "services" not in g:
        session = db.session
        config = current_app.config
        documents = DocumentStore(session)
        accounts = AccountService(session)
        g.services = Services(
            documents=documents,
            importer=DocumentImporter(documents, config["MAX_IMPORT_BYTES"]),
            accounts=accounts,
            annotations=AnnotationService(session, documents, max_quote=config["MAX_QUOTE_LENGTH"]),
            groups=GroupService(session, accounts),
        )
    built: Services = g.services
    return built
