"""Builds the services a request needs, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from annotations.accounts import AccountService
from annotations.groups import GroupService
from annotations.review import ReviewService
from annotations.revisions import RevisionService
from annotations.search import SearchService
from annotations.service import AnnotationService
from corpus.importer import DocumentImporter
from corpus.store import DocumentStore
from reader.extensions import db
from reader.indexer import search_index


@dataclass(frozen=True)
class Services:
    """The services of one request (or one CLI command), sharing one session."""

    documents: DocumentStore
    importer: DocumentImporter
    accounts: AccountService
    annotations: AnnotationService
    groups: GroupService
    search: SearchService
    review: ReviewService
    revisions: RevisionService


def services() -> Services:
    """Return this app context's services, building them on first use."""
    if "services" not in g:
        session = db.session
        config = current_app.config
        documents = DocumentStore(session)
        accounts = AccountService(session, current_app.extensions["reader.hasher"])
        annotations = AnnotationService(session, documents, max_quote=config["MAX_QUOTE_LENGTH"])
        revisions = RevisionService(session, documents, max_quote=config["MAX_QUOTE_LENGTH"])
        g.services = Services(
            documents=documents,
            importer=DocumentImporter(documents, config["MAX_IMPORT_BYTES"]),
            accounts=accounts,
            annotations=annotations,
            groups=GroupService(session, accounts),
            search=SearchService(
                session,
                search_index(),
                annotations,
                documents,
                max_length=config["SEARCH_MAX_QUERY_LENGTH"],
                max_terms=config["SEARCH_MAX_TERMS"],
            ),
            review=ReviewService(
                session,
                documents,
                annotations,
                accounts,
                max_quote=config["MAX_QUOTE_LENGTH"],
                revisions=revisions,
            ),
            revisions=revisions,
        )
    built: Services = g.services
    return built
