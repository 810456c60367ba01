"""Search through the page and the API: ranking, the query language, paging, suggestions."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.factories import SEED_ID
from tests.functional.helpers import payload, signed_in

PARAGRAPH_PHRASE = "no Kremlin leader had visited North Korea"
PULLQUOTE_WORDS = "particularistic nationalisms would fade away"


def _api(client, q: str, **params: str):
    return client.get("/api/search", query_string={"q": q, **params})


def test_a_phrase_from_a_paragraph_finds_that_paragraph_first(seeded: Flask) -> None:
    data = _api(seeded.test_client(), f'"{PARAGRAPH_PHRASE}"').get_json()
    assert data["total"] >= 1
    first = data["hits"][0]
    assert first["type"] == "passage"
    assert "<mark>Kremlin</mark>" in first["snippet"]
    text = seeded.test_client().get(f"/api/documents/{SEED_ID}").get_json()
    blocks = {b["id"]: b for b in text["blocks"]}
    block = blocks[first["id"]]
    assert PARAGRAPH_PHRASE in text["text"][block["start"] : block["end"]]
    assert first["url"].endswith(f"/documents/{SEED_ID}#{first['id']}")
    assert first["section"] == "Russian initiatives in North Korea"


def test_pull_quote_words_find_the_body_paragraph_once(seeded: Flask) -> None:
    data = _api(seeded.test_client(), f'"{PULLQUOTE_WORDS}"').get_json()
    assert data["total"] == 1
    assert data["hits"][0]["id"].startswith("p-")


def test_every_query_form_answers(seeded: Flask) -> None:
    client = seeded.test_client()
    assert _api(client, "putin kim").get_json()["total"] >= 2
    assert _api(client, "gorbach*").get_json()["total"] >= 2
    both = _api(client, "korea").get_json()["total"]
    without = _api(client, "korea -russia").get_json()["total"]
    assert 0 < without < both
    assert _api(client, "type:passage chechnya").get_json()["total"] == 1
    assert _api(client, "type:annotation chechnya").get_json()["total"] == 0
    assert _api(client, "chechnya OR crimea").get_json()["total"] >= 2


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "-",
        "- -",
        "OR",
        "foo:bar",
        "(russia",
        "russia)",
        "tag:",
        "((()))",
        '"""',
        "kind:nonsense russia",
        "type:",
        "user:",
        "::::",
        "\u0000russia",
    ],
)
def test_malformed_queries_are_searched_as_words_never_500(seeded: Flask, q: str) -> None:
    for path in ("/api/search", "/search"):
        response = seeded.test_client().get(path, query_string={"q": q})
        assert response.status_code == 200, (path, q)


def test_invalid_utf8_in_the_query_string_is_not_an_error(seeded: Flask) -> None:
    for path in ("/api/search", "/search"):
        assert seeded.test_client().get(path + "?q=%ED%A0%80%FF").status_code == 200


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("x" * 501, "500"),
        (" ".join(f"w{i}" for i in range(21)), "20"),
        ("a*", "wildcard"),
        ("*", "wildcard"),
        ("*ism", "wildcard"),
    ],
)
def test_limits_and_short_wildcards_are_refused_with_a_message(
    seeded: Flask, q: str, message: str
) -> None:
    response = _api(seeded.test_client(), q)
    assert response.status_code == 422
    assert message in response.get_json()["error"]["message"]
    page = seeded.test_client().get("/search", query_string={"q": q})
    assert page.status_code == 422
    assert message in page.text


def test_did_you_mean_suggests_words_that_find_something(seeded: Flask) -> None:
    data = _api(seeded.test_client(), "Gorbachov").get_json()
    assert data["total"] == 0
    assert "gorbachev" in data["suggestions"]
    assert _api(seeded.test_client(), "gorbachev").get_json()["total"] > 0


def test_did_you_mean_respells_every_misspelt_word_of_a_query(seeded: Flask) -> None:
    client = seeded.test_client()
    # Both words are misspelt: respelling one at a time would still find nothing.
    data = _api(client, "Gorbachov Kremlim").get_json()
    assert data["total"] == 0
    assert data["suggestions"][0] == "gorbachev kremlin"
    assert _api(client, data["suggestions"][0]).get_json()["total"] > 0
    # A word that finds something is kept as it is; filters are kept too.
    data = _api(client, f"Kremlin Gorbachov doc:{SEED_ID}").get_json()
    assert data["suggestions"][0] == f"Kremlin gorbachev doc:{SEED_ID}"
    # Each suggestion finds something, on the page as well as in the API.
    page = client.get("/search", query_string={"q": "Gorbachov Kremlim"}).text
    assert "gorbachev kremlin" in page
    assert _api(client, "zzqxv Gorbachov").get_json()["suggestions"] == []


def test_cursor_paging_goes_through_every_result_once(seeded: Flask) -> None:
    client = seeded.test_client()
    seen: list[str] = []
    cursor = None
    total = _api(client, "the").get_json()["total"]
    while True:
        params = {"limit": "7"} | ({"cursor": cursor} if cursor else {})
        data = _api(client, "the", **params).get_json()
        seen += [h["id"] for h in data["hits"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert len(seen) == total == len(set(seen))
    assert _api(client, "the", cursor="garbage!").status_code == 422
    assert _api(client, "the", limit="0").status_code == 422
    assert _api(client, "the", limit="abc").status_code == 422


def test_facets_count_and_narrow(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    data = payload(exact="Soviet Union collapsed", visibility="public")
    data["body"].append({"type": "TextualBody", "value": "collapse", "purpose": "tagging"})
    assert alice.post("/api/annotations/", json=data).status_code == 201
    result = _api(seeded.test_client(), "soviet").get_json()
    assert result["facets"]["type"]["annotation"] == 1
    assert result["facets"]["type"]["passage"] >= 5
    assert result["facets"]["tag"] == {"collapse": 1}
    assert result["facets"]["user"] == {"alice": 1}
    narrowed = _api(seeded.test_client(), "soviet tag:collapse").get_json()
    assert narrowed["total"] == 1
    page = seeded.test_client().get("/search", query_string={"q": "soviet"}).text
    assert "tag%3Acollapse" in page or "tag:collapse" in page


def test_search_page_renders_hits_with_links_and_marks(seeded: Flask) -> None:
    page = seeded.test_client().get("/search", query_string={"q": "Chechnya"})
    assert page.status_code == 200
    assert "<mark>Chechnya</mark>" in page.text
    assert f'href="/documents/{SEED_ID}#p-' in page.text


def test_search_within_a_document_and_everywhere(seeded: Flask) -> None:
    page = seeded.test_client().get("/search", query_string={"q": "Chechnya", "within": SEED_ID})
    assert page.status_code == 200
    assert "Search everywhere" in page.text
    reader = seeded.test_client().get(f"/documents/{SEED_ID}").text
    assert f'name="within" value="{SEED_ID}"' in reader


def test_snippets_escape_annotation_text(seeded: Flask) -> None:
    alice = signed_in(seeded, "alice")
    hostile = "<script>alert(1)</script> zebrafish <img src=x onerror=alert(2)>"
    assert alice.post("/api/annotations/", json=payload(body=hostile)).status_code == 201
    data = _api(seeded.test_client(), "zebrafish").get_json()
    snippet = data["hits"][0]["snippet"]
    assert "<script" not in snippet
    assert "<img" not in snippet
    assert "<mark>zebrafish</mark>" in snippet
