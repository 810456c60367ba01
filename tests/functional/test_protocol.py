"""The W3C Web Annotation Protocol: headers, ETags and If-Match, HEAD/OPTIONS, paging, Prefer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from annotations.accounts import User
from annotations.w3c import parse_new_annotation
from reader.extensions import db
from reader.wiring import services
from tests.factories import SAMPLE_TEXT, SEED_ID, import_text
from tests.functional.helpers import LD, payload, signed_in
from tests.functional.test_api_annotations import w3c_check

CONTAINER = "/api/annotations/"
DOC_CONTAINER = f"/api/documents/{SEED_ID}/annotations/"
OA = "http://www.w3.org/ns/oa#"
LDP = "http://www.w3.org/ns/ldp#"
PREFER_IRIS = f'return=representation; include="{OA}PreferContainedIRIs"'
PREFER_DESCRIPTIONS = f'return=representation; include="{OA}PreferContainedDescriptions"'
PREFER_MINIMAL = f'return=representation; include="{LDP}PreferMinimalContainer"'


def _path(iri: str) -> str:
    return iri.replace("http://localhost", "")


def _bulk(app: Flask, author: str, count: int, private_every: int = 0) -> None:
    """Create `count` annotations by author straight through the service (fast)."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == author)).one()
        svc = services().annotations
        for i in range(count):
            private = private_every and i % private_every == 0
            data = payload(body=f"note {i}", visibility="private" if private else "public")
            svc.create(parse_new_annotation(data), user)
        db.session.commit()


def _walk(client: FlaskClient, first: str) -> list[dict[str, Any]]:
    """Follow next links from a page IRI; return every page."""
    pages = []
    url: str | None = first
    while url:
        response = client.get(_path(url))
        assert response.status_code == 200, response.get_json()
        pages.append(response.get_json())
        url = pages[-1].get("next")
    return pages


def test_container_headers_on_get_head_and_options(seeded: Flask) -> None:
    client = seeded.test_client()
    for url in (CONTAINER, DOC_CONTAINER):
        got = client.get(url)
        assert got.status_code == 200
        assert got.headers["Content-Type"].startswith(LD)
        assert f'<{LDP}BasicContainer>; rel="type"' in got.headers["Link"]
        assert (
            f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
            in got.headers["Link"]
        )
        assert got.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
        assert {"Accept", "Prefer"} <= {v.strip() for v in got.headers["Vary"].split(",")}
        assert got.headers["ETag"].startswith('"')
        assert not got.headers["ETag"].startswith("W/")
        assert "anno.jsonld" in got.headers["Accept-Post"]
        head = client.head(url)
        assert head.status_code == 200
        assert head.data == b""
        assert head.headers["ETag"] == got.headers["ETag"]
        assert head.headers["Link"] == got.headers["Link"]
        options = client.options(url)
        assert options.status_code == 200
        assert options.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
        assert "BasicContainer" in options.headers["Link"]


def test_annotation_headers_and_conditional_get(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    created = alice.post(CONTAINER, json=payload())
    assert created.headers["ETag"]
    path = _path(created.get_json()["id"])
    got = alice.get(path)
    assert got.headers["Link"] == f'<{LDP}Resource>; rel="type"'
    assert got.headers["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert "Accept" in got.headers["Vary"]
    assert got.headers["ETag"] == created.headers["ETag"]
    assert alice.head(path).headers["ETag"] == got.headers["ETag"]
    options = alice.options(path)
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert "ldp#Resource" in options.headers["Link"]
    unchanged = alice.get(path, headers={"If-None-Match": got.headers["ETag"]})
    assert unchanged.status_code == 304


def test_if_match_guards_put_and_delete(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    created = alice.post(CONTAINER, json=payload())
    path, etag = _path(created.get_json()["id"]), created.headers["ETag"]
    edit = {"body": [{"type": "TextualBody", "value": "First edit.", "purpose": "commenting"}]}
    wrong = alice.put(path, json=edit, headers={"If-Match": '"not-the-etag"'})
    assert wrong.status_code == 412
    error = wrong.get_json()["error"]
    assert error["status"] == 412
    assert "ETag" in error["message"]
    assert "GET it again" in error["message"]
    assert wrong.headers["ETag"] == etag  # tells the client what is current
    assert alice.get(path).get_json()["revision"] == 1
    ok = alice.put(path, json=edit, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert ok.get_json()["revision"] == 2
    assert ok.headers["ETag"] != etag
    stale = alice.put(path, json=edit, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert alice.delete(path, headers={"If-Match": etag}).status_code == 412
    assert "deleted" not in alice.get(path).get_json()
    # If-Match is optional (the in-browser annotator does not send it); * matches any state
    assert alice.put(path, json=edit).status_code == 200
    assert alice.put(path, json=edit, headers={"If-Match": "*"}).status_code == 200
    current = alice.get(path).headers["ETag"]
    assert alice.delete(path, headers={"If-Match": current}).status_code == 204


def test_if_match_does_not_reveal_invisible_annotations(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    secret = alice.post(CONTAINER, json=payload(visibility="private"))
    path = _path(secret.get_json()["id"])
    headers = {"If-Match": secret.headers["ETag"]}
    assert bob.put(path, json={"body": []}, headers=headers).status_code == 404
    assert bob.delete(path, headers={"If-Match": '"x"'}).status_code == 404


def test_paging_over_250_annotations_with_visibility(seeded: Flask, tmp_path: Path) -> None:
    seeded.config["ANNOTATION_PAGE_SIZE"] = 20
    alice = signed_in(seeded, "alice")
    _bulk(seeded, "alice", 250, private_every=5)  # 50 private, 200 public
    anonymous = seeded.test_client()
    for client, total in ((anonymous, 200), (alice, 250)):
        for url in (CONTAINER, DOC_CONTAINER, f"{CONTAINER}?document={SEED_ID}"):
            collection = client.get(url).get_json()
            assert collection["total"] == total
            last = (total - 1) // 20
            assert collection["last"].endswith(f"page={last}")
            first = collection["first"]
            assert first["startIndex"] == 0
            assert len(first["items"]) == 20
            assert "prev" not in first
            assert first["partOf"]["id"] == collection["id"]
            pages = _walk(client, first["id"])
            assert len(pages) == last + 1
            assert pages[-1]["id"] == collection["last"]
            assert "next" not in pages[-1]
            for number, page in enumerate(pages):
                assert page["startIndex"] == number * 20
                assert page["partOf"] == {"id": collection["id"], "total": total}
                if number:
                    assert page["prev"] == pages[number - 1]["id"]
            items = [item for page in pages for item in page["items"]]
            assert len(items) == total == len({item["id"] for item in items})
            if client is anonymous:
                assert {item["visibility"] for item in items} == {"public"}
    assert len(pages[-1]["items"]) == 10  # alice: 250 = 12 pages of 20 and one of 10
    w3c_check(tmp_path, anonymous.get(CONTAINER).get_json())
    w3c_check(tmp_path, anonymous.get(_path(pages[3]["id"])).get_json())
    beyond = anonymous.get(f"{CONTAINER}?page=10")
    assert beyond.status_code == 404
    assert "last page is 9" in beyond.get_json()["error"]["message"]
    assert anonymous.get(f"{CONTAINER}?page=-1").status_code == 422
    assert anonymous.get(f"{CONTAINER}?page=x").status_code == 422


def test_pages_never_hold_what_the_asker_may_not_see(seeded: Flask) -> None:
    seeded.config["ANNOTATION_PAGE_SIZE"] = 3
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    _bulk(seeded, "alice", 7, private_every=1)  # all private
    _bulk(seeded, "bob", 2)
    for client, total in ((bob, 2), (seeded.test_client(), 2), (alice, 9)):
        collection = client.get(CONTAINER).get_json()
        assert collection["total"] == total
        items = [i for page in _walk(client, collection["first"]["id"]) for i in page["items"]]
        assert len(items) == total
    # bob's pages are counted over what bob sees: one page, not three with holes
    assert "next" not in bob.get(CONTAINER).get_json()["first"]


@pytest.mark.parametrize(
    ("prefer", "shape"),
    [
        (None, "descriptions"),
        (PREFER_DESCRIPTIONS, "descriptions"),
        (PREFER_IRIS, "iris"),
        (PREFER_MINIMAL, "minimal"),
        (
            f'return=representation; include="{LDP}PreferMinimalContainer {OA}PreferContainedIRIs"',
            "minimal",
        ),
        ("return=minimal", "minimal"),
        ("respond-async", "descriptions"),
    ],
)
def test_prefer_variants(seeded: Flask, tmp_path: Path, prefer: str | None, shape: str) -> None:
    seeded.config["ANNOTATION_PAGE_SIZE"] = 2
    signed_in(seeded, "alice")
    _bulk(seeded, "alice", 3)
    client = seeded.test_client()
    headers = {"Prefer": prefer} if prefer else {}
    response = client.get(CONTAINER, headers=headers)
    data = response.get_json()
    assert data["total"] == 3
    applied = response.headers.get("Preference-Applied")
    if prefer in (None, "respond-async"):
        assert applied is None
    else:
        assert applied in ("return=representation", "return=minimal")
    if shape == "minimal":
        assert isinstance(data["first"], str)
        assert "items" not in data
        assert client.get(_path(data["first"])).get_json()["startIndex"] == 0
    elif shape == "iris":
        assert data["first"]["id"].endswith("?iris=1&page=0")
        assert all(isinstance(i, str) and "/api/annotations/" in i for i in data["first"]["items"])
        second = client.get(_path(data["first"]["next"])).get_json()
        assert second["items"] == [second["items"][0]]
        assert isinstance(second["items"][0], str)
    else:
        assert all(isinstance(i, dict) for i in data["first"]["items"])
    assert data["last"].endswith("page=1")
    w3c_check(tmp_path, data)
    # a different preference is a different representation: a different ETag
    plain = client.get(CONTAINER)
    assert (plain.headers["ETag"] == response.headers["ETag"]) == (shape == "descriptions")


def test_document_container_accepts_posts_for_its_document_only(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    with seeded.app_context():
        import_text(db.session, SAMPLE_TEXT, doc_id="sample")
        db.session.commit()
    created = alice.post(DOC_CONTAINER, json=payload())
    assert created.status_code == 201
    assert created.headers["Location"] == created.get_json()["id"]
    elsewhere = payload(exact="says something else entirely", doc="sample")
    refused = alice.post(DOC_CONTAINER, json=elsewhere)
    assert refused.status_code == 422
    assert SEED_ID in refused.get_json()["error"]["message"]
    assert alice.get(DOC_CONTAINER).get_json()["total"] == 1
    assert alice.get("/api/documents/sample/annotations/").get_json()["total"] == 0
    assert alice.get("/api/documents/nope/annotations/").status_code == 404
