"""Search never shows private or group material outside its audience, by any path."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from annotations.models import Annotation
from reader.extensions import db
from tests.functional.helpers import payload, signed_in

PRIVATE = "quokkaprivate"
GROUP = "wombatgroup"
PUBLIC = "numbatpublic"


@pytest.fixture
def world(seeded: Flask) -> dict[str, FlaskClient]:
    """alice writes a private, a group and a public note; bob is in the group, carol is not."""
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    carol = signed_in(seeded, "carol")
    reviewer = signed_in(seeded, "rev", role="reviewer")
    group = alice.post("/groups/", data={"name": "Seminar"}).headers["Location"]
    alice.post(f"{group}/members", data={"username": "bob"})
    group_id = group.rsplit("/", 1)[1]

    def note(word: str, visibility: str, tag: str, **extra: object) -> None:
        data = payload(body=f"A note about {word}", visibility=visibility, **extra)
        data["body"] += [
            {"type": "TextualBody", "value": f"{tag}", "purpose": "tagging"},
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": {"id": f"https://example.org/{word}", "title": f"{word} source"},
            },
        ]
        assert alice.post("/api/annotations/", json=data).status_code == 201

    note(PRIVATE, "private", "privtag")
    note(GROUP, "group", "grouptag", group=group_id)
    note(PUBLIC, "public", "pubtag")
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "reviewer": reviewer,
        "anonymous": seeded.test_client(),
    }


def _everything(client: FlaskClient, q: str) -> str:
    """Everything search tells this client about q: API JSON and the HTML page."""
    api = client.get("/api/search", query_string={"q": q}).get_json()
    page = client.get("/search", query_string={"q": q}).text
    return json.dumps(api) + page


SEES = {
    "alice": {PRIVATE, GROUP, PUBLIC},
    "bob": {GROUP, PUBLIC},
    "carol": {PUBLIC},
    "reviewer": {PUBLIC},
    "anonymous": {PUBLIC},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_results_totals_facets_snippets_follow_the_audience(world: dict, who: str) -> None:
    client = world[who]
    for word, tag in ((PRIVATE, "privtag"), (GROUP, "grouptag"), (PUBLIC, "pubtag")):
        data = client.get("/api/search", query_string={"q": word}).get_json()
        visible = word in SEES[who]
        # the annotation and the source it cites
        assert data["total"] == (2 if visible else 0), (who, word)
        assert (tag in data["facets"].get("tag", {})) is visible
        text = _everything(client, word)
        assert (f"A note about <mark>{word}</mark>" in text) is visible
        by_tag = client.get("/api/search", query_string={"q": f"tag:{tag}"}).get_json()
        assert by_tag["total"] == (1 if visible else 0)
    every = client.get("/api/search", query_string={"q": "note about"}).get_json()
    assert every["total"] == len(SEES[who])
    assert every["facets"].get("user", {}).get("alice", 0) == len(SEES[who])
    assert every["facets"]["type"].get("annotation", 0) == len(SEES[who])


@pytest.mark.parametrize("who", ["bob", "carol", "anonymous"])
def test_suggestions_never_reveal_words_the_asker_cannot_see(world: dict, who: str) -> None:
    client = world[who]
    near_private = PRIVATE[:-1] + "x"
    text = _everything(client, near_private)
    assert PRIVATE not in text
    # nor when beside another misspelt word that the asker may see
    assert PRIVATE not in _everything(client, f"{PUBLIC[:-1]}x {near_private}")
    if GROUP not in SEES[who]:
        assert GROUP not in _everything(client, GROUP[:-1] + "x")
    assert PRIVATE in _everything(world["alice"], near_private)


def test_a_note_made_private_a_moment_ago_is_never_shown(world: dict, seeded: Flask) -> None:
    # Change the database behind the index's back: the hit must be dropped on re-check.
    with seeded.app_context():
        db.session.execute(update(Annotation).values(visibility="private"))
        db.session.commit()
    text = _everything(world["carol"], PUBLIC)
    assert f"<mark>{PUBLIC}</mark>" not in text


def test_deleted_annotations_leave_search(world: dict) -> None:
    alice = world["alice"]
    found = alice.get("/api/search", query_string={"q": f"{PUBLIC} type:annotation"}).get_json()
    annotation_id = found["hits"][0]["annotation"]
    assert alice.delete(f"/api/annotations/{annotation_id}").status_code == 204
    after = alice.get("/api/search", query_string={"q": f"{PUBLIC} type:annotation"}).get_json()
    assert after["total"] == 0
    # its source was cited only by the deleted note
    sources = alice.get("/api/search", query_string={"q": f"{PUBLIC} type:source"}).get_json()
    assert sources["total"] == 0


def test_visibility_change_is_reindexed(world: dict) -> None:
    alice, carol = world["alice"], world["carol"]
    found = alice.get("/api/search", query_string={"q": f"{PRIVATE} type:annotation"}).get_json()
    annotation_id = found["hits"][0]["annotation"]
    edit = {
        "body": [{"type": "TextualBody", "value": f"Now about {PRIVATE}", "purpose": "commenting"}],
        "visibility": "public",
    }
    assert alice.put(f"/api/annotations/{annotation_id}", json=edit).status_code == 200
    assert carol.get("/api/search", query_string={"q": PRIVATE}).get_json()["total"] >= 1
