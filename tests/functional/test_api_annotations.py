"""The W3C Web Annotation API: create, read, update, delete, replies, and hostile input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from annotations.models import Annotation
from reader.extensions import db
from tests.factories import SEED_ID
from tests.functional.helpers import LD, PHRASE, payload, reply_payload, signed_in, token_for

CHECKER = Path(__file__).resolve().parents[3] / "shared" / "w3c-annotation-model" / "check.py"


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Annotation)) or 0)


def w3c_check(tmp_path: Path, data: object) -> str:
    """Run the shared W3C model checker on data; return its output (asserts success)."""
    if not CHECKER.exists():
        pytest.skip(f"the W3C checker is not at {CHECKER}")
    path = tmp_path / "annotation.json"
    path.write_text(json.dumps(data))
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_create_returns_201_location_and_w3c_shape(seeded: Flask, tmp_path: Path) -> None:
    client = signed_in(seeded, "alice")
    data = payload(body="Is this **true**?")
    data["body"] += [
        {"type": "TextualBody", "value": "soviet-era", "purpose": "tagging"},
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {
                "id": "https://example.org/gromyko",
                "title": "Gromyko's memoirs",
                "author": ["Andrei Gromyko"],
                "publisher": "Example Press",
                "published": "1989",
            },
            "stance": "context",
            "excerpt": "A quoted line.",
            "locator": "p. 12",
            "accessed": "2024-03-01",
        },
    ]
    response = client.post("/api/annotations/", json=data)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Content-Type"].startswith(LD)
    created = response.get_json()
    assert response.headers["Location"] == created["id"]
    assert created["motivation"] == "commenting"
    assert created["creator"]["nickname"] == "alice"
    quote, position = created["target"]["selector"]
    assert quote["exact"] == PHRASE
    text = seeded.test_client().get(f"/api/documents/{SEED_ID}").get_json()["text"]
    assert text[position["start"] : position["end"]] == PHRASE
    assert quote["prefix"] == text[max(0, position["start"] - 32) : position["start"]]
    purposes = [b["purpose"] for b in created["body"]]
    assert purposes == ["commenting", "tagging", "linking"]
    assert created["body"][2]["source"]["author"] == ["Andrei Gromyko"]
    w3c_check(tmp_path, created)
    fetched = client.get(created["id"].replace("http://localhost", ""))
    assert fetched.get_json() == created
    w3c_check(tmp_path, client.get(f"/api/annotations/?document={SEED_ID}").get_json())


def test_server_set_fields_are_ignored(seeded: Flask) -> None:
    client = signed_in(seeded, "alice")
    data = payload(id="http://evil/1", creator="http://evil/me", created="2001-01-01T00:00:00Z")
    created = client.post("/api/annotations/", json=data).get_json()
    assert "evil" not in created["id"]
    assert created["creator"]["nickname"] == "alice"
    assert not created["created"].startswith("2001")


def test_plain_json_and_ld_json_are_accepted_other_types_refused(seeded: Flask) -> None:
    client = signed_in(seeded, "alice")
    body = json.dumps(payload())
    ok = client.post("/api/annotations/", data=body, content_type=LD + '; profile="x"')
    assert ok.status_code == 201
    form = client.post("/api/annotations/", data=body, content_type="text/plain")
    assert form.status_code == 422
    assert "application/ld+json" in form.get_json()["error"]["message"]


def test_anonymous_create_is_401_json(seeded: Flask) -> None:
    response = seeded.test_client().post("/api/annotations/", json=payload())
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401
    assert _count(seeded) == 0


def test_bearer_token_creates_without_csrf(seeded: Flask) -> None:
    signed_in(seeded, "tok")
    headers = token_for(seeded, "tok")
    seeded.config["WTF_CSRF_ENABLED"] = True
    response = seeded.test_client().post("/api/annotations/", json=payload(), headers=headers)
    assert response.status_code == 201


def test_session_api_calls_need_csrf(seeded: Flask) -> None:
    client = signed_in(seeded, "alice")
    seeded.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/api/annotations/", json=payload())
    assert refused.status_code == 400
    assert "CSRF" in refused.get_json()["error"]["message"]
    page = client.get(f"/documents/{SEED_ID}").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    accepted = client.post("/api/annotations/", json=payload(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


HOSTILE_TARGETS = [
    ({"source": f"http://x/documents/{SEED_ID}", "selector": []}, "TextQuoteSelector"),
    ({"source": f"http://x/documents/{SEED_ID}"}, "selector"),
    (
        {
            "source": "http://x/documents/nope",
            "selector": [{"type": "TextQuoteSelector", "exact": PHRASE}],
        },
        "no document",
    ),
    (
        {
            "source": "http://x/elsewhere",
            "selector": [{"type": "TextQuoteSelector", "exact": PHRASE}],
        },
        "document IRI",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": ""}],
        },
        "empty",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": 5}],
        },
        "string",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": "no such words here"}],
        },
        "does not occur",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": "Russia"}],
        },
        "ambiguous",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": "a\u0000b"}],
        },
        "NUL",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": PHRASE},
                {"type": "TextPositionSelector", "start": "3", "end": 9},
            ],
        },
        "integer",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": PHRASE},
                {"type": "TextPositionSelector", "start": -1, "end": 9},
            ],
        },
        "negative",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": PHRASE},
                {"type": "TextPositionSelector", "start": 9, "end": 3},
            ],
        },
        "less than",
    ),
    (
        {
            "source": f"http://x/documents/{SEED_ID}",
            "selector": [{"type": "TextQuoteSelector", "exact": "x" * 5001}],
        },
        "5000",
    ),
    ("http://x/api/annotations/0000000000000000", "no annotation"),
    (["a", "b"], "target"),
    (42, "target"),
]


@pytest.mark.parametrize(("target", "message"), HOSTILE_TARGETS)
def test_hostile_targets_get_4xx_and_store_nothing(
    seeded: Flask, target: object, message: str
) -> None:
    client = signed_in(seeded, "mallory")
    data = payload()
    data["target"] = target
    if isinstance(target, str):
        data = reply_payload(target)
    response = client.post("/api/annotations/", json=data)
    assert response.status_code in (400, 404, 422), response.get_json()
    assert message.lower() in response.get_json()["error"]["message"].lower()
    assert _count(seeded) == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        ('{"target": "\\ud800"}', "target"),
    ],
)
def test_malformed_json_is_refused(seeded: Flask, raw: str, message: str) -> None:
    client = signed_in(seeded, "mallory")
    response = client.post("/api/annotations/", data=raw, content_type="application/json")
    assert response.status_code in (400, 422)
    assert message in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"motivation": "shouting"}, "motivation"),
        ({"visibility": "everyone"}, "visibility"),
        ({"visibility": "group"}, "choose the group"),
        ({"visibility": "group", "group": 999}, "not a member"),
        (
            {"body": [{"type": "TextualBody", "value": "x" * 10_001, "purpose": "commenting"}]},
            "10000",
        ),
        ({"body": [{"type": "Image", "id": "http://x/y.png"}]}, "TextualBody"),
        (
            {
                "body": [{"type": "TextualBody", "value": "Hm.", "purpose": "commenting"}]
                + [
                    {"type": "TextualBody", "value": f"t{i}", "purpose": "tagging"}
                    for i in range(21)
                ]
            },
            "20",
        ),
        (
            {
                "body": [
                    {
                        "type": "SpecificResource",
                        "purpose": "linking",
                        "source": {"id": "javascript:alert(1)", "title": "x"},
                    }
                ]
            },
            "http",
        ),
        (
            {
                "body": [
                    {
                        "type": "SpecificResource",
                        "purpose": "linking",
                        "source": {"id": "https://ok.example/", "title": "x"},
                        "stance": "meh",
                    }
                ]
            },
            "stance",
        ),
        ({"bodyValue": "x"}, "either body or bodyValue"),
    ],
)
def test_bad_bodies_and_audiences(seeded: Flask, change: dict, message: str) -> None:
    client = signed_in(seeded, "mallory")
    data = payload()
    data.update(change)
    response = client.post("/api/annotations/", json=data)
    assert response.status_code == 422, response.get_json()
    assert message.lower() in json.dumps(response.get_json()["error"]).lower()
    assert _count(seeded) == 0


def test_reply_update_delete_cycle(seeded: Flask, tmp_path: Path) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    root = alice.post("/api/annotations/", json=payload()).get_json()
    reply = bob.post("/api/annotations/", json=reply_payload(root["id"])).get_json()
    assert reply["target"] == root["id"]
    assert reply["motivation"] == "replying"
    w3c_check(tmp_path, reply)
    path = root["id"].replace("http://localhost", "")
    edit = {"body": [{"type": "TextualBody", "value": "Edited.", "purpose": "commenting"}]}
    assert bob.put(path, json=edit).status_code == 403
    updated = alice.put(path, json=edit).get_json()
    assert updated["revision"] == 2
    assert updated["body"][0]["value"] == "Edited."
    assert bob.delete(path).status_code == 403
    assert alice.delete(path).status_code == 204
    tomb = bob.get(path).get_json()
    assert "deleted" in tomb
    assert "body" not in tomb
    w3c_check(tmp_path, tomb)
    assert alice.put(path, json=edit).status_code == 409


def test_private_annotations_are_404_to_others_everywhere(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    secret = alice.post(
        "/api/annotations/", json=payload(body="SECRET-NOTE", visibility="private")
    ).get_json()
    path = secret["id"].replace("http://localhost", "")
    for client in (bob, seeded.test_client()):
        assert client.get(path).status_code == 404
        assert client.put(path, json={"body": []}).status_code in (401, 404)
        assert client.delete(path).status_code in (401, 404)
        listing = client.get(f"/api/annotations/?document={SEED_ID}").get_json()
        assert listing["total"] == 0
        page = client.get(f"/documents/{SEED_ID}").text
        assert "SECRET-NOTE" not in page
        assert client.get(f"/annotations/{secret['id'].rsplit('/', 1)[1]}").status_code == 404
    assert "SECRET-NOTE" in alice.get(f"/documents/{SEED_ID}").text
    assert alice.get(path).status_code == 200


def test_preview_renders_sanitised_markdown(seeded: Flask) -> None:
    client = signed_in(seeded, "alice")
    response = client.post(
        "/api/preview", json={"markdown": "*hi* <script>x</script> [a](javascript:alert(1))"}
    )
    html = response.get_json()["html"]
    assert "<em>hi</em>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
