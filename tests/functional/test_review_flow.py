"""The fact-check workflow through the API and the pages: roles, errors, publishing."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import SEED_ID
from tests.functional.helpers import audit, signed_in

CLAIM_TEXT = "In 1995, Moscow repudiated its military alliance with the North Koreans."
EVIDENCE = {
    "url": "https://example.org/treaty-1995",
    "title": "Treaty archive",
    "stance": "supports",
    "excerpt": "The 1961 treaty lapsed in 1996.",
}


def flag_payload(exact: str = CLAIM_TEXT, **extra: object) -> dict:
    return {
        "document": SEED_ID,
        "selector": {"type": "TextQuoteSelector", "exact": exact},
        "claim_type": "date_or_event",
        "reason": "The year looks wrong",
        **extra,
    }


@pytest.fixture
def team(seeded: Flask) -> dict[str, FlaskClient]:
    return {
        "member": signed_in(seeded, "mo"),
        "ann": signed_in(seeded, "ann", role="reviewer"),
        "ben": signed_in(seeded, "ben", role="reviewer"),
        "anon": seeded.test_client(),
    }


def move(client: FlaskClient, claim_id: int, to: str, **extra: object):
    return client.post(f"/api/claims/{claim_id}/transitions", json={"to": to, **extra})


def publish(team: dict[str, FlaskClient], **flag_extra: object) -> int:
    created = team["member"].post("/api/claims", json=flag_payload(**flag_extra))
    assert created.status_code == 201, created.get_json()
    claim_id = created.get_json()["id"]
    ann = team["ann"]
    assert move(ann, claim_id, "accepted").status_code == 200
    assert move(ann, claim_id, "researching").status_code == 200
    assert ann.post(f"/api/claims/{claim_id}/evidence", json=EVIDENCE).status_code == 201
    verdict = {"rating": "mostly_false", "summary": "The alliance *lapsed* in 1996."}
    assert ann.put(f"/api/claims/{claim_id}/verdict", json=verdict).status_code == 200
    assert move(ann, claim_id, "in_review").status_code == 200
    assert move(team["ben"], claim_id, "approved").status_code == 200
    assert move(team["ben"], claim_id, "published").status_code == 200
    return claim_id


def test_flagging_twice_joins_the_same_claim(team: dict) -> None:
    first = team["member"].post("/api/claims", json=flag_payload())
    second = team["ann"].post("/api/claims", json=flag_payload(claim_type="other"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.get_json()["flags"] == 2


def test_the_whole_path_publishes_a_valid_claimreview(team: dict) -> None:
    claim_id = publish(team)
    review = team["anon"].get(f"/api/claims/{claim_id}")
    assert review.status_code == 200
    data = review.get_json()
    for key in (
        "@context",
        "@type",
        "url",
        "claimReviewed",
        "reviewRating",
        "author",
        "datePublished",
        "itemReviewed",
    ):
        assert key in data, key
    assert data["reviewRating"]["ratingValue"] == 2
    assert data["reviewRating"]["alternateName"] == "Mostly false"
    assert data["itemReviewed"]["appearance"]["url"].endswith(f"#claim-{claim_id}")
    listing = team["anon"].get(f"/api/documents/{SEED_ID}/claimreviews").get_json()
    assert [item["url"] for item in listing] == [data["url"]]
    page = team["anon"].get(f"/claims/{claim_id}")
    assert page.status_code == 200
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert json.loads(embedded.group(1)) == data
    assert "Audit log" in page.text
    assert "Treaty archive" in page.text
    report = team["anon"].get(f"/documents/{SEED_ID}/factcheck")
    assert "Mostly false" in report.text
    markdown = team["anon"].get(f"/documents/{SEED_ID}/factcheck.md")
    assert markdown.mimetype == "text/markdown"
    assert "1. [Treaty archive](https://example.org/treaty-1995) (supports)" in markdown.text


def test_a_flagging_note_is_found_by_its_claims_state_and_then_its_verdict(
    team: dict, seeded: Flask
) -> None:
    def found(q: str) -> int:
        return team["anon"].get("/api/search", query_string={"q": q}).get_json()["total"]

    publish(team, visibility="public")
    assert found("kind:claim verdict:mostly_false") == 1
    assert found("kind:claim status:published") == 1
    assert found("kind:claim status:flagged") == 0
    assert found("looks wrong verdict:mostly_false") == 1  # the note's words: the flag's reason
    check = seeded.test_cli_runner().invoke(args=["index", "check"])
    assert "missing 0, stale 0, extra 0" in check.output, check.output


def test_unpublished_claims_are_not_public(team: dict) -> None:
    claim_id = team["member"].post("/api/claims", json=flag_payload()).get_json()["id"]
    assert team["anon"].get(f"/api/claims/{claim_id}").status_code == 404
    assert team["anon"].get(f"/claims/{claim_id}").status_code == 404
    assert team["member"].get(f"/claims/{claim_id}").status_code == 404
    assert team["ann"].get(f"/claims/{claim_id}").status_code == 200


@pytest.mark.parametrize(
    ("who", "to", "extra", "status", "message"),
    [
        ("member", "accepted", {}, 403, "only reviewers"),
        ("ann", "flying", {}, 422, "unknown state"),
        ("ann", "published", {}, 409, "cannot go from 'flagged' to 'published'"),
        ("ann", "rejected", {}, 422, "say why"),
        ("ann", "accepted", {"version": 99}, 409, "changed by someone else"),
    ],
)
def test_forbidden_moves_get_clear_errors_and_change_nothing(
    team: dict, who: str, to: str, extra: dict, status: int, message: str
) -> None:
    claim_id = team["member"].post("/api/claims", json=flag_payload()).get_json()["id"]
    response = move(team[who], claim_id, to, **extra)
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]
    page = team["ann"].get(f"/claims/{claim_id}").text
    assert 'class="state-badge state-flagged"' in page


def test_approving_own_research_and_publishing_without_evidence_are_refused(team: dict) -> None:
    claim_id = team["member"].post("/api/claims", json=flag_payload()).get_json()["id"]
    ann = team["ann"]
    move(ann, claim_id, "accepted")
    move(ann, claim_id, "researching")
    ann.put(f"/api/claims/{claim_id}/verdict", json={"rating": "true", "summary": "Right."})
    move(ann, claim_id, "in_review")
    own = move(ann, claim_id, "approved")
    assert own.status_code == 403
    assert "other than the one who researched" in own.get_json()["error"]["message"]
    no_evidence = move(team["ben"], claim_id, "approved")
    assert no_evidence.status_code == 422
    assert "evidence" in no_evidence.get_json()["error"]["message"]


def test_two_reviewers_at_once_the_second_gets_409(team: dict) -> None:
    claim_id = team["member"].post("/api/claims", json=flag_payload()).get_json()["id"]
    page = team["ann"].get(f"/claims/{claim_id}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    first = team["ann"].post(
        f"/claims/{claim_id}/move", data={"to": "accepted", "version": version}
    )
    second = team["ben"].post(
        f"/claims/{claim_id}/move",
        data={"to": "rejected", "reject_reason": "opinion", "version": version},
    )
    assert first.status_code == 302
    assert second.status_code == 409
    assert "changed by someone else" in second.text
    assert 'class="state-badge state-accepted"' in team["ann"].get(f"/claims/{claim_id}").text


def test_queue_is_for_reviewers_with_filters_and_counts(team: dict) -> None:
    team["member"].post("/api/claims", json=flag_payload())
    assert team["member"].get("/review").status_code == 403
    assert team["anon"].get("/review").status_code == 302
    page = team["ann"].get("/review", query_string={"state": "flagged", "type": "date_or_event"})
    assert page.status_code == 200
    assert "In 1995, Moscow repudiated" in page.text
    empty = team["ann"].get("/review", query_string={"state": "published"})
    assert "No claims match." in empty.text
    assert team["ann"].get("/review", query_string={"age": "x"}).status_code == 422


def test_suggestions_rank_sentences_and_flag_in_one_click(team: dict) -> None:
    page = team["ann"].get(f"/documents/{SEED_ID}/suggestions")
    assert page.status_code == 200
    assert "Flag as claim" in page.text
    start = re.search(r'name="start" value="(\d+)"', page.text).group(1)
    end = re.search(r'name="end" value="(\d+)"', page.text).group(1)
    flagged = team["ann"].post(
        f"/documents/{SEED_ID}/suggestions/flag",
        data={"start": start, "end": end, "claim_type": "quantity"},
    )
    assert flagged.status_code == 302
    assert "/claims/" in flagged.headers["Location"]
    assert team["member"].get(f"/documents/{SEED_ID}/suggestions").status_code == 403
    bad = team["ann"].post(f"/documents/{SEED_ID}/suggestions/flag", data={"start": "x"})
    assert bad.status_code == 422


def test_methodology_defines_every_rating(team: dict) -> None:
    page = team["anon"].get("/methodology").text
    for label in (
        "False",
        "Mostly false",
        "Half true",
        "Mostly true",
        "True",
        "Misleading",
        "Unproven",
    ):
        assert f">{label}</span>" in page


def test_claim_page_escapes_hostile_summaries(team: dict) -> None:
    created = team["member"].post("/api/claims", json=flag_payload()).get_json()
    claim_id = created["id"]
    ann = team["ann"]
    move(ann, claim_id, "accepted")
    move(ann, claim_id, "researching")
    ann.post(
        f"/api/claims/{claim_id}/evidence", json=EVIDENCE | {"excerpt": "</script><script>x()"}
    )
    hostile = "</script><script>alert(1)</script> <img src=x onerror=alert(2)>"
    ann.put(f"/api/claims/{claim_id}/verdict", json={"rating": "false", "summary": hostile})
    move(ann, claim_id, "in_review")
    move(team["ben"], claim_id, "approved")
    move(team["ben"], claim_id, "published")
    page = team["anon"].get(f"/claims/{claim_id}").text
    scripts = [attrs for tag, attrs in audit(page).tags if tag == "script"]
    assert all(a.get("type") == "application/ld+json" or a.get("src") for a in scripts)
    assert page.count("<script") == len(scripts)
    for tag, attrs in audit(page).tags:
        assert not any(name.startswith("on") for name in attrs), tag


def test_evidence_form_ignores_the_csrf_field_and_validates(team: dict) -> None:
    claim_id = team["member"].post("/api/claims", json=flag_payload()).get_json()["id"]
    form = {
        "csrf_token": "token",
        "url": "https://example.org/a",
        "title": "A",
        "excerpt": "Words.",
        "stance": "context",
        "authors": "Ada Lovelace; Bob Ross",
    }
    added = team["ann"].post(f"/claims/{claim_id}/evidence", data=form)
    assert added.status_code == 302
    page = team["ann"].get(f"/claims/{claim_id}").text
    assert "Words." in page
    bad = team["ann"].post(
        f"/claims/{claim_id}/evidence",
        data=form | {"url": "ftp://x"},
        headers={"Referer": f"http://localhost/claims/{claim_id}"},
    )
    assert bad.status_code == 422
    assert "http" in bad.text
    assert "Go back and correct it" in bad.text
