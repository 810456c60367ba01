"""Import (W3C, Hypothesis; CLI and upload page) and export (JSON-LD, CSV, Markdown, HTML)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from annotations.models import Annotation
from reader.extensions import db
from tests.conftest import _close, _make_app
from tests.factories import SEED_ID
from tests.functional.helpers import PHRASE, audit, payload, reply_payload, signed_in
from tests.functional.test_api_annotations import w3c_check

Q1 = "Michael Mandelbaum quoted former Soviet Foreign Minister Andrei Gromyko"
Q2 = "there is a triangle of complicated relations"
Q3 = "Mikhail Gorbachev began to speak of values"
FOREIGN = "https://www.example.com/2019/russian-relations-with-north-korea"
HOSTILE = '=HYPERLINK("http://evil") <script>alert(1)</script> <img src=x onerror=alert(2)>'


@pytest.fixture
def fresh(tmp_path: Path, templates: dict[str, Path]) -> Iterator[Flask]:
    """A second, independent instance (its own database and index) with the seed document."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    shutil.copy(templates["seeded"] / "test.sqlite3", folder / "test.sqlite3")
    shutil.copytree(templates["seeded"] / "index", folder / "index")
    app = _make_app(folder)
    yield app
    _close(app)


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Annotation)) or 0)


def _source(url: str, title: str) -> dict[str, Any]:
    return {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": {"id": url, "title": title, "author": ["A. Writer"], "published": "2019"},
        "stance": "supports",
        "excerpt": "a line",
    }


def _tag(name: str) -> dict[str, Any]:
    return {"type": "TextualBody", "value": name, "purpose": "tagging"}


def _annotate(client: FlaskClient) -> dict[str, str]:
    """A varied set of annotations on the seed document; returns their IRIs by name."""
    rich = payload(exact=Q1, body="Mandelbaum's *framing*.")
    rich["body"] += [_tag("history"), _tag("soviet"), _source("https://example.org/m", "M.")]
    made = {"rich": client.post("/api/annotations/", json=rich).get_json()["id"]}
    private = payload(exact=Q2, body=None, motivation="highlighting", visibility="private")
    made["private"] = client.post("/api/annotations/", json=private).get_json()["id"]
    question = payload(exact=Q3, body="Which values?", motivation="questioning")
    made["question"] = client.post("/api/annotations/", json=question).get_json()["id"]
    return made


def _shape(app: Flask, client: FlaskClient) -> list[tuple[Any, ...]]:
    """What must survive a round trip, independent of ids, authors and dates."""
    collection = client.get(f"/api/documents/{SEED_ID}/annotations/").get_json()
    items = collection.get("first", {}).get("items", [])
    by_id = {item["id"]: item for item in items}
    shape = []
    for item in items:
        target = item["target"]
        parent = by_id[target]["body"][0]["value"] if isinstance(target, str) else None
        quote = None if isinstance(target, str) else target["selector"][0]["exact"]
        bodies = item.get("body", [])
        shape.append(
            (
                item["motivation"],
                item["visibility"],
                quote,
                parent,
                [b["value"] for b in bodies if b.get("purpose") in ("commenting", "replying")],
                [b["value"] for b in bodies if b.get("purpose") == "tagging"],
                [
                    (b["source"]["id"], b["source"]["title"], b["stance"], b.get("excerpt"))
                    for b in bodies
                    if b.get("purpose") == "linking"
                ],
            )
        )
    return sorted(shape, key=repr)


def test_round_trip_export_then_import_into_a_fresh_instance(
    seeded: Flask, fresh: Flask, tmp_path: Path
) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    made = _annotate(alice)
    bob.post("/api/annotations/", json=reply_payload(made["rich"], "Bob *agrees*."))
    exported = alice.get(f"/documents/{SEED_ID}/export.jsonld")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith("attachment")
    w3c_check(tmp_path, exported.get_json())
    path = tmp_path / "export.jsonld"
    path.write_bytes(exported.data)

    carol = signed_in(fresh, "carol")
    runner = fresh.test_cli_runner()
    result = runner.invoke(args=["import-annotations", str(path), "--user", "carol"])
    assert result.exit_code == 0, result.output
    assert "4 items, 4 imported, 0 skipped, 0 rejected" in result.output
    assert _shape(fresh, carol) == _shape(seeded, alice)
    authors = {
        i["creator"]["nickname"]
        for i in carol.get("/api/annotations/").get_json()["first"]["items"]
    }
    assert authors == {"carol"}

    again = runner.invoke(args=["import-annotations", str(path), "--user", "carol"])
    assert "0 imported, 4 skipped, 0 rejected" in again.output
    assert again.output.count("skipped: duplicate") == 4
    assert _count(fresh) == 4


def test_user_export_round_trips_and_is_private_to_its_owner(
    seeded: Flask, fresh: Flask, tmp_path: Path
) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    made = _annotate(alice)
    bob.post("/api/annotations/", json=payload(exact=PHRASE, body="BOB-PUBLIC"))
    bob.post("/api/annotations/", json=reply_payload(made["rich"], "BOB-REPLY"))
    mine = alice.get("/me/export.jsonld").get_json()
    assert mine["total"] == 3
    w3c_check(tmp_path, mine)
    assert "BOB" not in json.dumps(mine)
    bobs = bob.get("/me/export.csv").text
    assert "BOB-PUBLIC" in bobs
    assert "BOB-REPLY" in bobs
    assert Q2 not in bobs
    assert Q1 not in bobs.split("BOB-REPLY")[0]
    assert seeded.test_client().get("/me/export.csv").status_code in (302, 401)
    assert alice.get("/me/export.exe").status_code == 404

    path = tmp_path / "mine.jsonld"
    path.write_text(json.dumps(mine))
    signed_in(fresh, "dora")
    result = fresh.test_cli_runner().invoke(args=["import-annotations", str(path)])
    assert "3 imported" in result.output, result.output
    dora = fresh.test_client()
    public = dora.get(f"/api/documents/{SEED_ID}/annotations/").get_json()
    assert public["total"] == 2  # the private highlight stayed private


def test_document_export_shows_only_what_the_asker_may_see(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    bob = signed_in(seeded, "bob")
    _annotate(alice)
    for client, visible in ((alice, 3), (bob, 2), (seeded.test_client(), 2)):
        rows = list(csv.reader(io.StringIO(client.get(f"/documents/{SEED_ID}/export.csv").text)))
        assert len(rows) == visible + 1
        quotes = {row[6] for row in rows[1:]}
        assert (Q2 in quotes) == (client is alice)
        assert (Q2 in client.get(f"/documents/{SEED_ID}/export.md").text) == (client is alice)
        assert (Q2 in client.get(f"/documents/{SEED_ID}/export.html").text) == (client is alice)
    assert seeded.test_client().get("/documents/nope/export.csv").status_code == 404


def test_exports_escape_hostile_text(seeded: Flask, tmp_path: Path) -> None:
    alice = signed_in(seeded, "alice")
    data = payload(exact=Q1, body=HOSTILE)
    data["body"] += [
        _tag("<b>bold</b>"),
        _tag("=SUM(A1)"),
        _source("https://e.org/(x)", "<i>T</i>"),
    ]
    assert alice.post("/api/annotations/", json=data).status_code == 201

    table = alice.get(f"/documents/{SEED_ID}/export.csv")
    assert table.headers["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(table.text)))
    assert header == [
        "id", "document", "author", "created", "motivation", "visibility",
        "quote", "start", "end", "body", "tags", "sources",
    ]  # fmt: skip
    record = dict(zip(header, row, strict=True))
    assert record["body"] == "'" + HOSTILE  # a spreadsheet shows it, does not run it
    assert record["tags"] == "<b>bold</b>; =SUM(A1)"
    assert record["quote"] == Q1
    assert record["sources"] == "https://e.org/(x)"

    digest = alice.get(f"/documents/{SEED_ID}/export.md").text
    assert "<script" not in digest
    assert "<img" not in digest
    assert "<b>" not in digest
    assert "&lt;script&gt;" in digest
    assert "&lt;b&gt;bold&lt;/b&gt;" in digest
    assert "(https://e.org/%28x%29)" in digest
    assert f"> {Q1}" in digest

    page = alice.get(f"/documents/{SEED_ID}/export.html")
    assert page.headers["Content-Type"].startswith("text/html")
    names = [tag for tag, _ in audit(page.text).tags]
    assert "script" not in names
    assert "img" not in names
    assert "b" not in names
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert Q1 in page.text

    exported = alice.get(f"/documents/{SEED_ID}/export.jsonld").get_json()
    w3c_check(tmp_path, exported)
    assert exported["first"]["items"][0]["body"][0]["value"] == HOSTILE


def _hypothesis_row(
    rid: str,
    text: str,
    exact: str | None = None,
    uri: str = FOREIGN,
    world: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A row as Hypothesis' API (GET /api/search) and its JSON export return it."""
    user = "acct:someone@hypothes.is"
    row: dict[str, Any] = {
        "id": rid,
        "created": "2023-04-01T10:00:00.000000+00:00",
        "updated": "2023-04-01T10:00:00.000000+00:00",
        "user": user,
        "uri": uri,
        "text": text,
        "tags": [],
        "group": "__world__" if world else "Kd8z3Pqa",
        "permissions": {
            "read": ["group:__world__"] if world else ["group:Kd8z3Pqa"],
            "admin": [user],
            "update": [user],
            "delete": [user],
        },
        "target": [{"source": uri}],
        "document": {"title": ["Russian Relations with North Korea"]},
        "links": {"html": f"https://hypothes.is/a/{rid}", "incontext": f"https://hyp.is/{rid}/x"},
        "references": [],
        "user_info": {"display_name": "Someone"},
        "flagged": False,
        "hidden": False,
    }
    if exact is not None:
        row["target"][0]["selector"] = [
            {
                "type": "RangeSelector",
                "startContainer": "/main[1]/article[1]/p[2]",
                "startOffset": 12,
                "endContainer": "/main[1]/article[1]/p[2]",
                "endOffset": 60,
            },
            {"type": "TextPositionSelector", "start": 90210, "end": 90210 + len(exact)},
            {"type": "TextQuoteSelector", "exact": exact, "prefix": "", "suffix": ""},
        ]
    row.update(extra)
    return row


def hypothesis_export() -> dict[str, Any]:
    """A Hypothesis client export: every kind of row the importer must handle."""
    rows = [
        _hypothesis_row("hA1", "Gromyko, **quoted**.", Q1, tags=["soviet", "quotes"]),
        _hypothesis_row("hA2", "", Q2, world=False),  # a highlight in a private group
        _hypothesis_row("hA3", "Not in this text.", "words that never appear in the article"),
        _hypothesis_row("hA4", "Gromyko, **quoted**.", Q1, tags=["soviet"]),  # duplicate of hA1
        _hypothesis_row("hA5", "I agree.", references=["hA1"]),
        _hypothesis_row("hA6", "Lost reply.", references=["gone0000"]),
        _hypothesis_row("hA7", "A page note, no passage."),
        _hypothesis_row("hA8", "Which values?", Q3, world=True),
    ]
    return {
        "export_date": "2023-05-01T00:00:00.000Z",
        "export_userid": "acct:someone@hypothes.is",
        "client_version": "1.1400.0",
        "annotations": rows,
    }


def test_hypothesis_import_reports_every_item_and_is_idempotent(
    seeded: Flask, tmp_path: Path
) -> None:
    signed_in(seeded, "alice")
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps(hypothesis_export()))
    runner = seeded.test_cli_runner()
    args = ["import-annotations", str(path), "--user", "alice", "--document", SEED_ID]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "hypothesis: 8 items, 4 imported, 1 skipped, 3 rejected"
    assert any(line.startswith("  #2 imported: shared with Hypothesis group") for line in lines)
    assert any("#3 rejected: cannot anchor" in line and "does not occur" in line for line in lines)
    assert any("#4 skipped: duplicate [hA4]" in line for line in lines)
    assert any("#6 rejected:" in line and "neither in this file nor here" in line for line in lines)
    assert any("#7 rejected:" in line and "page note" in line for line in lines)

    client = signed_in(seeded, "viewer")
    items = client.get("/api/annotations/").get_json()["first"]["items"]
    assert len(items) == 3  # the group highlight was imported as private
    comment = next(i for i in items if i["motivation"] == "commenting")
    assert [b["value"] for b in comment["body"]] == ["Gromyko, **quoted**.", "soviet", "quotes"]
    assert comment["creator"]["nickname"] == "alice"
    reply = next(i for i in items if i["motivation"] == "replying")
    assert reply["target"] == comment["id"]
    with seeded.app_context():
        highlight = db.session.scalars(
            select(Annotation).where(Annotation.motivation == "highlighting")
        ).one()
        assert (highlight.visibility, highlight.exact) == ("private", Q2)

    again = runner.invoke(args=args)
    assert again.output.splitlines()[0] == "hypothesis: 8 items, 0 imported, 5 skipped, 3 rejected"
    assert _count(seeded) == 4


def test_hypothesis_rows_on_our_own_iris_need_no_document_option(seeded: Flask) -> None:
    signed_in(seeded, "alice")
    rows = [_hypothesis_row("x1", "Here.", Q1, uri=f"http://localhost/documents/{SEED_ID}")]
    rows.append(_hypothesis_row("x2", "There.", Q3))  # a foreign page: needs --document
    path = Path(seeded.instance_path) / "rows.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"total": 2, "rows": rows}))
    result = seeded.test_cli_runner().invoke(args=["import-annotations", str(path)])
    assert "1 imported, 0 skipped, 1 rejected" in result.output
    assert "not a document of this site" in result.output


def test_import_command_errors_are_one_line(seeded: Flask, tmp_path: Path) -> None:
    runner = seeded.test_cli_runner()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    signed_in(seeded, "alice")
    signed_in(seeded, "bob")
    result = runner.invoke(args=["import-annotations", str(bad), "--user", "alice"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: file: not valid JSON")
    good = tmp_path / "good.json"
    good.write_text("[]")
    nobody = runner.invoke(args=["import-annotations", str(good), "--user", "zed"])
    assert nobody.output.strip() == "Error: no user 'zed'"
    ambiguous = runner.invoke(args=["import-annotations", str(good)])
    assert "--user NAME" in ambiguous.output
    assert ambiguous.exit_code == 1


def test_upload_page_needs_sign_in_and_csrf_and_shows_the_report(
    seeded: Flask, csrf_app: Flask
) -> None:
    anonymous = csrf_app.test_client()
    assert anonymous.get("/import").status_code == 302
    alice = signed_in_with_csrf(csrf_app, "alice")
    page = alice.get("/import")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    upload = json.dumps(hypothesis_export()).encode()

    def post(extra: dict[str, str]) -> Any:
        data = {"file": (io.BytesIO(upload), "export.json"), "document": SEED_ID, **extra}
        return alice.post("/import", data=data, content_type="multipart/form-data")

    assert post({}).status_code == 400  # no CSRF token
    assert _count(csrf_app) == 0
    shown = post({"csrf_token": token})
    assert shown.status_code == 200
    assert "4 imported, 1 skipped, 3 rejected" in shown.text
    assert "cannot anchor" in shown.text
    assert _count(csrf_app) == 4
    broken = alice.post(
        "/import",
        data={"file": (io.BytesIO(b"\xff\xfe"), "x.json"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422
    assert "not UTF-8" in broken.text


def signed_in_with_csrf(app: Flask, username: str) -> FlaskClient:
    """Sign in through the real form while CSRF checks are on."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in(app, username)
    app.config["WTF_CSRF_ENABLED"] = True
    return client
