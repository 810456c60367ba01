"""The reading view's panel in windows of threads, with highlights for every thread."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from reader import create_app
from tests.factories import SEED_ID
from tests.functional.helpers import payload, reply_payload, signed_in

SIZE = 3
NOTES = 8


def _highlights(html: str) -> list[list[object]]:
    found = re.search(r'<script type="application/json" id="highlight-data">(.*?)</script>', html)
    assert found, "no highlight data"
    return json.loads(found.group(1))


def _shown(html: str) -> list[str]:
    """Ids of the root cards shown in the window, in order."""
    window = html.split('id="thread-window"', 1)[1]
    return re.findall(
        r'<article class="annotation[^"]*" id="annotation-([0-9a-f]+)"\s+'
        r'data-annotation="[0-9a-f]+" data-kind="[a-z]+" data-depth="0"',
        window,
    )


@pytest.fixture
def notes(seeded: Flask) -> tuple[FlaskClient, list[str]]:
    """alice's public notes on the first words of eight paragraphs, in document order."""
    seeded.config["PANEL_THREADS"] = SIZE
    alice = signed_in(seeded, "alice")
    doc = alice.get(f"/api/documents/{SEED_ID}").get_json()
    paragraphs = [b for b in doc["blocks"] if b["kind"] == "paragraph"][:NOTES]
    ids = []
    for block in paragraphs:
        words = " ".join(doc["text"][block["start"] : block["end"]].split()[:6])
        made = alice.post("/api/annotations/", json=payload(exact=words, body="note"))
        assert made.status_code == 201, made.get_json()
        ids.append(made.get_json()["id"].rsplit("/", 1)[1])
    return alice, ids


def test_the_panel_shows_one_window_and_highlights_every_thread(notes: tuple) -> None:
    alice, ids = notes
    html = alice.get(f"/documents/{SEED_ID}").text
    assert _shown(html) == ids[:SIZE]
    assert [row[0] for row in _highlights(html)] == ids
    assert 'data-threads-start="3"' in html
    assert "(5 after these)" in html
    assert "Show earlier annotations" not in html
    assert f'<span class="count" id="annotation-count">{NOTES}</span>' in html


def test_windows_further_on_link_both_ways_and_clamp(notes: tuple) -> None:
    alice, ids = notes
    middle = alice.get(f"/documents/{SEED_ID}?threads=3").text
    assert _shown(middle) == ids[3:6]
    assert 'data-threads-start="0"' in middle
    assert 'data-threads-start="6"' in middle
    last = alice.get(f"/documents/{SEED_ID}?threads=999").text
    assert _shown(last) == ids[6:]
    assert "Show more annotations" not in last
    assert [row[0] for row in _highlights(last)] == ids  # the text is the same in every window


def test_a_window_alone_and_the_one_around_an_annotation(notes: tuple) -> None:
    alice, ids = notes
    fragment = alice.get(f"/documents/{SEED_ID}/threads?threads=3")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert _shown(fragment.text) == ids[3:6]
    assert fragment.text.count("<p>note</p>") == SIZE  # the cards come with their bodies
    around = alice.get(f"/documents/{SEED_ID}/threads", query_string={"around": ids[7]}).text
    assert _shown(around) == ids[6:]
    assert 'data-start="6"' in around
    parent = f"http://localhost/annotations/{ids[4]}"
    reply = alice.post("/api/annotations/", json=reply_payload(parent)).get_json()
    reply_id = reply["id"].rsplit("/", 1)[1]
    by_reply = alice.get(f"/documents/{SEED_ID}/threads", query_string={"around": reply_id}).text
    assert _shown(by_reply) == ids[3:6]
    assert f'id="annotation-{reply_id}"' in by_reply
    old = alice.get(f"/documents/{SEED_ID}/threads?version=1&threads=3")
    assert old.status_code == 200


def test_windows_follow_the_audience(notes: tuple, seeded: Flask) -> None:
    alice, _ = notes
    bob = signed_in(seeded, "bob")
    secret = bob.post("/api/annotations/", json=payload(body="mine", visibility="private"))
    secret_id = secret.get_json()["id"].rsplit("/", 1)[1]
    assert secret_id not in json.dumps(_highlights(alice.get(f"/documents/{SEED_ID}").text))
    assert secret_id in json.dumps(_highlights(bob.get(f"/documents/{SEED_ID}").text))
    url = f"/documents/{SEED_ID}/threads"
    hidden = alice.get(url, query_string={"around": secret_id})
    assert hidden.status_code == 404
    assert "mine" not in hidden.text
    # the same answer as for an id that does not exist: nothing tells them apart
    assert alice.get(url, query_string={"around": "0" * 16}).status_code == 404
    anonymous = seeded.test_client().get(url, query_string={"around": secret_id})
    assert anonymous.status_code == 404
    assert bob.get(url, query_string={"around": secret_id}).status_code == 200


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "1234567890", "٣"])
def test_a_bad_window_number_is_a_clear_error(notes: tuple, bad: str) -> None:
    alice, _ = notes
    for path in (f"/documents/{SEED_ID}", f"/documents/{SEED_ID}/threads"):
        response = alice.get(path, query_string={"threads": bad})
        assert response.status_code == 422, (path, bad)
        assert "whole number of threads" in response.text
    unknown = alice.get(f"/documents/{SEED_ID}/threads", query_string={"around": "nope"})
    assert unknown.status_code == 404
    assert alice.get("/documents/no-such-doc/threads").status_code == 404


def test_a_document_without_annotations_has_no_window(seeded: Flask) -> None:
    html = seeded.test_client().get(f"/documents/{SEED_ID}").text
    assert 'id="thread-window"' not in html
    assert _highlights(html) == []
    assert seeded.test_client().get(f"/documents/{SEED_ID}/threads").status_code == 200


def test_a_panel_window_of_no_threads_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_PANEL_THREADS", "0")
    with pytest.raises(RuntimeError, match="PANEL_THREADS must be at least 1"):
        create_app({"DATABASE_URL": "sqlite://", "TESTING": True})


def test_links_from_search_open_the_window_holding_the_annotation(notes: tuple) -> None:
    alice, ids = notes
    page = alice.get(f"/documents/{SEED_ID}", query_string={"around": ids[7]}).text
    assert _shown(page) == ids[6:]
    # an annotation no longer there (or never there) leaves the first window
    gone = alice.get(f"/documents/{SEED_ID}", query_string={"around": "0" * 16})
    assert gone.status_code == 200
    assert _shown(gone.text) == ids[:SIZE]
    results = alice.get("/search", query_string={"q": "note type:annotation"}).text
    links = re.findall(r'href="([^"]*around=[0-9a-f]+#annotation-[0-9a-f]+)"', results)
    assert len(links) == NOTES
    for link in links:
        aid = link.rsplit("#annotation-", 1)[1]
        assert f"around={aid}" in link
        assert aid in _shown(alice.get(link.split("#")[0].replace("&amp;", "&")).text)
