"""Annotations on pages: the panel, permalinks, revisions, groups, exports and XSS."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from tests.factories import SEED_ID
from tests.functional.helpers import audit, payload, reply_payload, signed_in

ALLOWED_TAGS_IN_BODY = {
    "p",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "br",
    "hr",
}

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "'><iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
]


def _no_injection(html: str) -> None:
    """Assert a page has no script elements or handlers except the app's own script files.

    A JSON data block (never run) is allowed when nothing in it could end it or open a tag.
    """
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block, block
        assert ">" not in block, block
        json.loads(block)
    for tag, attrs in audit(html).tags:
        if tag == "script" and attrs.get("type") == "application/json":
            assert "src" not in attrs, attrs
        elif tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert tag not in {"iframe", "object", "embed", "svg", "img"}, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "action"} and value:
                assert (
                    not value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
                ), value


@pytest.mark.parametrize("vector", XSS)
def test_hostile_text_in_every_rendered_field_is_inert(seeded: Flask, vector: str) -> None:
    client = signed_in(seeded, "alice")
    group = client.post("/groups/", data={"name": f"G {vector}"[:80]})
    assert group.status_code == 302
    group_id = int(group.headers["Location"].rsplit("/", 1)[1])
    data = payload(body=f"Body {vector}", visibility="group", group=group_id)
    data["body"] += [
        {"type": "TextualBody", "value": f"tag{vector}"[:50], "purpose": "tagging"},
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {
                "id": "https://example.org/x?q="
                + vector.replace(" ", "+").replace('"', "%22")[:200],
                "title": f"Title {vector}",
                "author": [f"Author {vector}"[:200]],
                "publisher": f"Pub {vector}",
            },
            "excerpt": f"Excerpt {vector}",
            "locator": f"p{vector}"[:100],
        },
    ]
    response = client.post("/api/annotations/", json=data)
    if response.status_code == 422:
        pytest.fail(json.dumps(response.get_json()))
    created = response.get_json()
    reply = client.post("/api/annotations/", json=reply_payload(created["id"], f"Reply {vector}"))
    assert reply.status_code == 201
    for path in (
        f"/documents/{SEED_ID}",
        "/groups/",
        f"/groups/{group_id}",
        f"/annotations/{created['id'].rsplit('/', 1)[1]}/revisions",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        _no_injection(page.text)


def test_panel_lists_threads_in_document_order(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    later = alice.post("/api/annotations/", json=payload(exact="It remains to be seen")).get_json()
    early = alice.post(
        "/api/annotations/", json=payload(exact="The changing relationship")
    ).get_json()
    alice.post("/api/annotations/", json=reply_payload(later["id"], "Threaded reply"))
    page = alice.get(f"/documents/{SEED_ID}").text
    early_id, later_id = (a["id"].rsplit("/", 1)[1] for a in (early, later))
    assert page.index(f'id="annotation-{early_id}"') < page.index(f'id="annotation-{later_id}"')
    assert page.index(f'id="annotation-{later_id}"') < page.index("Threaded reply")
    assert 'class="reply depth-1"' in page
    assert '<span class="count" id="annotation-count">3</span>' in page


def test_permalink_redirects_to_the_reader(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    created = alice.post("/api/annotations/", json=payload()).get_json()
    aid = created["id"].rsplit("/", 1)[1]
    response = seeded.test_client().get(f"/annotations/{aid}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/documents/{SEED_ID}#annotation-{aid}"


def test_revisions_page_shows_earlier_text(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    created = alice.post("/api/annotations/", json=payload(body="First words")).get_json()
    path = created["id"].replace("http://localhost", "")
    alice.put(
        path,
        json={"body": [{"type": "TextualBody", "value": "Second words", "purpose": "commenting"}]},
    )
    aid = path.rsplit("/", 1)[1]
    page = seeded.test_client().get(f"/annotations/{aid}/revisions").text
    assert "First words" in page
    assert "Second words" in page
    reader = alice.get(f"/documents/{SEED_ID}").text
    assert f'href="/annotations/{aid}/revisions">edited</a>' in reader


def test_groups_owner_manages_members_and_others_cannot(seeded: Flask) -> None:
    owner = signed_in(seeded, "owner")
    member = signed_in(seeded, "member")
    outsider = signed_in(seeded, "outsider")
    created = owner.post("/groups/", data={"name": "Seminar"})
    group_path = created.headers["Location"]
    assert owner.post(f"{group_path}/members", data={"username": "member"}).status_code == 302
    assert "member" in member.get(group_path).text
    assert outsider.get(group_path).status_code == 404
    assert member.post(f"{group_path}/members", data={"username": "outsider"}).status_code == 403
    bad = owner.post(f"{group_path}/members", data={"username": "ghost"})
    assert bad.status_code == 422
    assert "no user named" in bad.text
    assert owner.post("/groups/", data={"name": "   "}).status_code == 422
    shared = owner.post(
        "/api/annotations/",
        json=payload(body="GROUP-ONLY", visibility="group", group=group_path.rsplit("/", 1)[1]),
    )
    assert shared.status_code == 201
    assert "GROUP-ONLY" in member.get(f"/documents/{SEED_ID}").text
    assert "GROUP-ONLY" not in outsider.get(f"/documents/{SEED_ID}").text
    member_id = member.get("/api/me").get_json()
    assert member_id["username"] == "member"


def test_source_exports_respect_visibility(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")

    def cite(url: str, title: str, visibility: str) -> None:
        data = payload(visibility=visibility)
        data["body"].append(
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": {
                    "id": url,
                    "title": title,
                    "author": ["Ada Lovelace"],
                    "published": "2019-05-02",
                },
            }
        )
        assert alice.post("/api/annotations/", json=data).status_code == 201

    cite("https://example.org/public", "Public Source", "public")
    cite("https://example.org/private", "Private Source", "private")
    anon = seeded.test_client()
    bib = anon.get(f"/documents/{SEED_ID}/sources.bib")
    assert bib.status_code == 200
    assert "Public Source" in bib.text
    assert "Private Source" not in bib.text
    csl = anon.get(f"/documents/{SEED_ID}/sources.json").get_json()
    assert [item["title"] for item in csl] == ["Public Source"]
    mine = alice.get(f"/documents/{SEED_ID}/sources.json").get_json()
    assert {item["title"] for item in mine} == {"Public Source", "Private Source"}
    assert anon.get("/documents/nope/sources.bib").status_code == 404
