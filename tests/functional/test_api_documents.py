"""The documents JSON API."""

from __future__ import annotations

import hashlib

from flask import Flask

from tests.factories import SEED_ID, SHIPPED_SEED


def test_list_documents(seeded: Flask) -> None:
    data = seeded.test_client().get("/api/documents").get_json()
    ids = [d["id"] for d in data["documents"]]
    assert SEED_ID in ids
    entry = data["documents"][ids.index(SEED_ID)]
    assert entry["sha256"] == hashlib.sha256(SHIPPED_SEED.read_bytes()).hexdigest()
    assert entry["url"].endswith(f"/documents/{SEED_ID}")


def test_document_detail_has_text_and_consistent_blocks(seeded: Flask) -> None:
    response = seeded.test_client().get(f"/api/documents/{SEED_ID}")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) >= {"id", "title", "version", "sha256", "text", "blocks"}
    assert data["version"] == 1
    text = data["text"]
    kinds = {b["kind"] for b in data["blocks"]}
    assert kinds == {"title", "heading", "paragraph", "pullquote"}
    assert next(b for b in data["blocks"] if b["kind"] == "title")["start"] == 0
    for block in data["blocks"]:
        assert 0 <= block["start"] < block["end"] <= len(text)
        assert text[block["start"] : block["end"]].strip() == text[block["start"] : block["end"]]
    for quote in (b for b in data["blocks"] if b["kind"] == "pullquote"):
        source = next(b for b in data["blocks"] if b["id"] == quote["source"])
        assert source["start"] <= quote["start"] < quote["end"] <= source["end"]
    assert "ISSN" not in text
    assert "WISEWIDEWEB" not in text


def test_unknown_document_is_a_json_404(seeded: Flask) -> None:
    response = seeded.test_client().get("/api/documents/nope")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["message"] == "no document 'nope'"


def test_unknown_api_route_is_json(seeded: Flask) -> None:
    response = seeded.test_client().get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
