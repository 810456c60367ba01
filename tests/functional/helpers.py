"""Helpers for functional tests: signing in, building W3C payloads, checking HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from annotations.accounts import AccountService
from reader.extensions import db
from tests.factories import FAST_HASHER, PASSWORD, SEED_ID, make_user

ANNO = "http://www.w3.org/ns/anno.jsonld"
LD = "application/ld+json"
PHRASE = "Russia is well past that powerful situation"


def signed_in(app: Flask, username: str, role: str = "member") -> FlaskClient:
    """A client signed in as a new user."""
    with app.app_context():
        make_user(db.session, username, role=role)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def token_for(app: Flask, username: str) -> dict[str, str]:
    """Authorization headers with a new API token for an existing user."""
    with app.app_context():
        raw = AccountService(db.session, FAST_HASHER).create_token(username)
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def payload(
    exact: str = PHRASE,
    body: str | None = "A comment.",
    visibility: str = "public",
    motivation: str = "commenting",
    doc: str = SEED_ID,
    **extra: Any,
) -> dict[str, Any]:
    """A W3C annotation payload targeting a quote in a document."""
    bodies: list[dict[str, Any]] = []
    if body is not None:
        bodies.append(
            {
                "type": "TextualBody",
                "value": body,
                "format": "text/markdown",
                "purpose": "commenting",
            }
        )
    data: dict[str, Any] = {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": motivation,
        "body": bodies,
        "target": {
            "source": f"http://localhost/documents/{doc}",
            "selector": [{"type": "TextQuoteSelector", "exact": exact}],
        },
        "visibility": visibility,
    }
    data.update(extra)
    return data


def reply_payload(parent_iri: str, text: str = "A reply.") -> dict[str, Any]:
    """A W3C reply payload."""
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "replying",
        "body": [
            {"type": "TextualBody", "value": text, "format": "text/markdown", "purpose": "replying"}
        ],
        "target": parent_iri,
    }


class TagAudit(HTMLParser):
    """Collects every tag and attribute of a page, to look for injected markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def audit(html: str) -> TagAudit:
    """Parse a page and return its tags."""
    parser = TagAudit()
    parser.feed(html)
    return parser
