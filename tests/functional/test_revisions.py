"""A new version of the seed: annotations and claims move, change, or are orphaned, visibly."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from annotations.anchors import AnchorRecord
from annotations.claims import Claim
from annotations.models import Annotation
from corpus.store import DocumentStore
from reader.extensions import db
from tests.factories import SEED_ID, SHIPPED_SEED
from tests.functional.helpers import payload, signed_in

KEPT = "The Brezhnev doctrine was repudiated"
TYPO = "Chechen unrest was one of the greatest threats to Russian state"
GONE = "Kazakhstan’s rejection of the Cyrillic script in favor of the Latin script"
CLAIM = "In 1995, Moscow repudiated its military alliance with the North Koreans."


def _edited_seed(tmp_path: Path) -> Path:
    text = SHIPPED_SEED.read_text(encoding="utf-8")
    text = text.replace("to Russian state early", "to the Russian state early")  # inside TYPO
    text = text.replace(
        "In 1995, Moscow repudiated its military alliance", "In 1996, Moscow let lapse its alliance"
    )
    start = text.index("Kazakhstan’s rejection")
    end = text.index("Soviet citizens.", start) + len("Soviet citizens.")
    text = text[:start] + text[end:]
    path = tmp_path / "russian-relations-with-north-korea.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _publish_claim(seeded: Flask) -> int:
    member = signed_in(seeded, "mo")
    ann = signed_in(seeded, "ann", role="reviewer")
    ben = signed_in(seeded, "ben", role="reviewer")
    flag = {
        "document": SEED_ID,
        "selector": {"type": "TextQuoteSelector", "exact": CLAIM},
        "claim_type": "date_or_event",
        "reason": "year?",
    }
    claim_id = member.post("/api/claims", json=flag).get_json()["id"]
    for client, to in ((ann, "accepted"), (ann, "researching")):
        client.post(f"/api/claims/{claim_id}/transitions", json={"to": to})
    ann.post(
        f"/api/claims/{claim_id}/evidence",
        json={
            "url": "https://e.org/t",
            "title": "T",
            "stance": "refutes",
            "excerpt": "It lapsed in 1996.",
        },
    )
    ann.put(f"/api/claims/{claim_id}/verdict", json={"rating": "false", "summary": "1996."})
    ann.post(f"/api/claims/{claim_id}/transitions", json={"to": "in_review"})
    ben.post(f"/api/claims/{claim_id}/transitions", json={"to": "approved"})
    ben.post(f"/api/claims/{claim_id}/transitions", json={"to": "published"})
    return claim_id


def test_a_new_version_moves_changes_and_orphans_visibly(seeded: Flask, tmp_path: Path) -> None:
    alice = signed_in(seeded, "alice")
    ids = {}
    for name, exact in (("kept", KEPT), ("typo", TYPO), ("gone", GONE)):
        made = alice.post("/api/annotations/", json=payload(exact=exact, body=f"on {name}"))
        ids[name] = made.get_json()["id"].rsplit("/", 1)[1]
    claim_id = _publish_claim(seeded)
    result = seeded.test_cli_runner().invoke(args=["import", str(_edited_seed(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "published verdicts back in review: 1" in result.output

    def state(aid: str) -> dict:
        data = alice.get(f"/api/annotations/{aid}").get_json()
        quote = next(s for s in data["target"]["selector"] if s["type"] == "TextQuoteSelector")
        return {"exact": quote["exact"]}

    assert state(ids["kept"])["exact"] == KEPT
    assert state(ids["typo"])["exact"] == TYPO.replace("to Russian", "to the Russian")
    page = alice.get(f"/documents/{SEED_ID}").text
    card = page.split(f'id="annotation-{ids["typo"]}"', 1)[1][:1500]
    assert "The quoted words changed:" in card, card
    assert "The quoted words changed:" in page
    assert "<ins>the </ins>" in page or "<ins>the</ins>" in page
    orphans = page.split('id="orphans-title"', 1)[1].split("</section>", 1)[0]
    assert f'id="annotation-{ids["gone"]}"' in orphans
    assert 'class="reattach-form"' in orphans
    old = alice.get(f"/documents/{SEED_ID}?version=1").text
    assert 'id="orphans-title"' not in old
    assert f'id="annotation-{ids["gone"]}"' in old
    claim_page = seeded.test_client().get(f"/claims/{claim_id}").text
    assert "The article has changed since" in claim_page
    review = signed_in(seeded, "rev", role="reviewer").get(f"/claims/{claim_id}").text
    assert 'class="state-badge state-correction"' in review
    versions = alice.get(f"/documents/{SEED_ID}/versions").text
    assert "Version 2" in versions
    assert "orphaned" in versions
    diff = alice.get(f"/documents/{SEED_ID}/diff?from=1&to=2").text
    assert "<del>1995</del>" in diff
    assert alice.get(f"/documents/{SEED_ID}/diff?from=x").status_code == 404


def test_reattach_an_orphan(seeded: Flask, tmp_path: Path) -> None:
    alice = signed_in(seeded, "alice")
    made = alice.post("/api/annotations/", json=payload(exact=GONE, body="orphan to be"))
    aid = made.get_json()["id"].rsplit("/", 1)[1]
    seeded.test_cli_runner().invoke(args=["import", str(_edited_seed(tmp_path))])
    bob = signed_in(seeded, "bob")
    refused = bob.post(f"/annotations/{aid}/reattach", data={"exact": KEPT})
    assert refused.status_code == 403
    missing = alice.post(f"/annotations/{aid}/reattach", data={"exact": "no such words at all"})
    assert missing.status_code == 422
    done = alice.post(f"/annotations/{aid}/reattach", data={"exact": KEPT})
    assert done.status_code == 302
    page = alice.get(f"/documents/{SEED_ID}").text
    assert 'id="orphans-title"' not in page
    code = seeded.test_cli_runner().invoke(args=["index", "check"])
    assert code.exit_code == 0, code.output


def _orphan(seeded: Flask, tmp_path: Path, visibility: str = "public") -> tuple[FlaskClient, str]:
    """Alice's annotation on GONE, orphaned by a new version; returns her client and its id."""
    alice = signed_in(seeded, "alice")
    made = alice.post("/api/annotations/", json=payload(exact=GONE, visibility=visibility))
    aid = made.get_json()["id"].rsplit("/", 1)[1]
    result = seeded.test_cli_runner().invoke(args=["import", str(_edited_seed(tmp_path))])
    assert result.exit_code == 0, result.output
    return alice, aid


def _section(page: str, marker: str, end: str) -> str:
    return page.split(marker, 1)[1].split(end, 1)[0] if marker in page else ""


def test_reattach_takes_a_selector_as_json(seeded: Flask, tmp_path: Path) -> None:
    alice, aid = _orphan(seeded, tmp_path)
    text = alice.get(f"/api/documents/{SEED_ID}").get_json()["text"]
    start = text.index(KEPT)
    selector = [
        {"type": "TextQuoteSelector", "exact": KEPT, "prefix": text[start - 10 : start]},
        {"type": "TextPositionSelector", "start": start, "end": start + len(KEPT)},
    ]
    wrong = alice.post(f"/annotations/{aid}/reattach", json={"selector": selector[1:]})
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["field"] == "target"
    done = alice.post(f"/annotations/{aid}/reattach", json={"selector": selector})
    assert done.status_code == 200, done.get_json()
    assert done.get_json() == {
        "id": aid,
        "document": SEED_ID,
        "anchor": {
            "state": "exact",
            "kept": False,
            "document_version": 2,
            "start": start,
            "end": start + len(KEPT),
            "exact": KEPT,
        },
    }
    target = alice.get(f"/api/annotations/{aid}").get_json()["target"]
    position = next(s for s in target["selector"] if s["type"] == "TextPositionSelector")
    assert position["start"] == start
    page = alice.get(f"/documents/{SEED_ID}").text
    assert 'id="orphans-title"' not in page
    assert f'data-start="{start}"' in page.split(f'id="annotation-{aid}"', 1)[1][:400]


def test_reattach_refuses_words_not_found_or_ambiguous(seeded: Flask, tmp_path: Path) -> None:
    alice, aid = _orphan(seeded, tmp_path)
    twice = alice.post(f"/annotations/{aid}/reattach", data={"exact": "North Korea"})
    assert twice.status_code == 422
    assert "type more of the passage" in twice.text
    gone = alice.post(
        f"/annotations/{aid}/reattach", json={"exact": GONE}, headers={"Accept": "application/json"}
    )
    assert gone.status_code == 422
    assert "does not occur in this version" in gone.get_json()["error"]["message"]
    empty = alice.post(f"/annotations/{aid}/reattach", data={"exact": "  "})
    assert empty.status_code == 422


def test_reattach_keep_and_retry_need_a_csrf_token(seeded: Flask, tmp_path: Path) -> None:
    alice, aid = _orphan(seeded, tmp_path)
    seeded.config["WTF_CSRF_ENABLED"] = True
    for action, data in (("reattach", {"exact": KEPT}), ("keep", {}), ("retry", {})):
        refused = alice.post(f"/annotations/{aid}/{action}", data=data)
        assert refused.status_code == 400, action
        assert "CSRF" in refused.text
    page = alice.get(f"/documents/{SEED_ID}").text
    form = _section(page, f'action="/annotations/{aid}/keep"', "</form>")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    kept = alice.post(f"/annotations/{aid}/keep", data={"csrf_token": token.group(1)})
    assert kept.status_code == 302


def test_others_may_not_reattach_keep_or_retry(seeded: Flask, tmp_path: Path) -> None:
    _, aid = _orphan(seeded, tmp_path)
    bob = signed_in(seeded, "bob")
    for action, data in (("reattach", {"exact": KEPT}), ("keep", {}), ("retry", {})):
        assert bob.post(f"/annotations/{aid}/{action}", data=data).status_code == 403, action
    page = bob.get(f"/documents/{SEED_ID}").text
    orphans = _section(page, 'id="orphans-title"', "</section>")
    assert f'id="annotation-{aid}"' in orphans  # public: listed, but with no controls
    assert "reattach-form" not in orphans
    assert "Keep on version" not in orphans
    admin = signed_in(seeded, "root", role="admin")
    assert admin.post(f"/annotations/{aid}/keep").status_code == 302


def test_private_orphans_are_listed_only_to_their_author(seeded: Flask, tmp_path: Path) -> None:
    alice, aid = _orphan(seeded, tmp_path, visibility="private")
    mine = alice.get(f"/documents/{SEED_ID}").text
    assert f'id="annotation-{aid}"' in _section(mine, 'id="orphans-title"', "</section>")
    bob = signed_in(seeded, "bob")
    assert f"annotation-{aid}" not in bob.get(f"/documents/{SEED_ID}").text
    assert f"annotation-{aid}" not in seeded.test_client().get(f"/documents/{SEED_ID}").text
    assert bob.post(f"/annotations/{aid}/keep").status_code == 404
    assert bob.post(f"/annotations/{aid}/reattach", data={"exact": KEPT}).status_code == 404


def test_keep_on_the_old_version_then_try_again(seeded: Flask, tmp_path: Path) -> None:
    alice, aid = _orphan(seeded, tmp_path)
    page = alice.get(f"/documents/{SEED_ID}").text
    orphans = _section(page, 'id="orphans-title"', "</section>")
    assert "Keep on version 1" in orphans
    assert f'data-reattach="{aid}"' in orphans  # the selection button, shown by the script
    card = orphans.split(f'id="annotation-{aid}"', 1)[1].split(">", 1)[0]
    assert "data-start" not in card  # no highlight at its old offsets in this version's text
    kept = alice.post(f"/annotations/{aid}/keep")
    assert kept.status_code == 302
    assert kept.headers["Location"].endswith(f"/documents/{SEED_ID}#annotation-{aid}")
    page = alice.get(f"/documents/{SEED_ID}").text
    assert "Kept on version 1, where it is still highlighted." in page
    assert 'id="orphans-title"' not in page
    kept_list = _section(page, 'id="kept-orphans"', "</details>")
    assert f'id="annotation-{aid}"' in kept_list
    assert f'href="/documents/{SEED_ID}?version=1#annotation-{aid}"' in kept_list
    assert "Try to re-attach" in kept_list
    old = alice.get(f"/documents/{SEED_ID}?version=1").text
    assert 'id="kept-orphans"' not in old
    assert 'data-start="' in old.split(f'id="annotation-{aid}"', 1)[1][:400]
    as_json = alice.post(f"/annotations/{aid}/keep", headers={"Accept": "application/json"})
    assert as_json.get_json()["anchor"]["kept"] is True
    # A third version (the words still gone) does not try to move it again.
    third = _edited_seed(tmp_path)
    third.write_text(third.read_text(encoding="utf-8") + "\nA third version.\n", encoding="utf-8")
    result = seeded.test_cli_runner().invoke(args=["import", str(third)])
    assert "version 3" in result.output, result.output
    with seeded.app_context():
        stored = db.session.get(Annotation, aid)
        first = DocumentStore(db.session).get_version(SEED_ID, 1)
        assert stored is not None
        assert (stored.anchor_state, stored.anchor_version_id) == ("orphaned", first.id)
    back = alice.post(f"/annotations/{aid}/retry", headers={"Accept": "application/json"})
    assert back.status_code == 200
    assert back.get_json()["anchor"] == back.get_json()["anchor"] | {"state": "orphaned"}
    assert back.get_json()["anchor"]["kept"] is False
    page = alice.get(f"/documents/{SEED_ID}").text
    assert f'id="annotation-{aid}"' in _section(page, 'id="orphans-title"', "</section>")
    assert alice.post(f"/annotations/{aid}/retry").status_code == 409


def _orphaned_claim(seeded: Flask, tmp_path: Path) -> int:
    member = signed_in(seeded, "mo")
    flag = {
        "document": SEED_ID,
        "selector": {"type": "TextQuoteSelector", "exact": GONE},
        "claim_type": "other",
        "reason": "alphabet?",
    }
    claim_id: int = member.post("/api/claims", json=flag).get_json()["id"]
    result = seeded.test_cli_runner().invoke(args=["import", str(_edited_seed(tmp_path))])
    assert result.exit_code == 0, result.output
    return claim_id


def _version_of(client: FlaskClient, claim_id: int) -> str:
    page = client.get(f"/claims/{claim_id}").text
    form = _section(page, f'action="/claims/{claim_id}/reattach"', "</form>")
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found, page
    return found.group(1)


def test_reviewers_reattach_an_orphaned_claim(seeded: Flask, tmp_path: Path) -> None:
    claim_id = _orphaned_claim(seeded, tmp_path)
    ann = signed_in(seeded, "ann", role="reviewer")
    page = ann.get(f"/claims/{claim_id}").text
    assert "the passage is no longer in the current version" in page
    assert 'The passage <span class="muted">(version 1)</span>' in page
    assert f'<mark class="claim-exact">{GONE}</mark>' in page
    assert "Keep on version 1" in page
    assert f'id="claim-{claim_id}"' not in ann.get(f"/documents/{SEED_ID}").text
    member = signed_in(seeded, "mo2")
    assert member.post(f"/claims/{claim_id}/reattach", data={"exact": KEPT}).status_code == 403
    assert member.post(f"/claims/{claim_id}/keep").status_code == 403
    version = _version_of(ann, claim_id)
    missing = ann.post(f"/claims/{claim_id}/reattach", data={"exact": GONE, "version": version})
    assert missing.status_code == 422
    done = ann.post(f"/claims/{claim_id}/reattach", data={"exact": KEPT, "version": version})
    assert done.status_code == 302
    page = ann.get(f"/claims/{claim_id}").text
    assert f"Claim {claim_id} re-attached to the newest version." in page
    assert f"Re-attached to “{KEPT}” in version 2" in page
    assert "the passage is no longer" not in page
    assert f'id="claim-{claim_id}"' in ann.get(f"/documents/{SEED_ID}").text
    stale = ann.post(f"/claims/{claim_id}/keep", data={"version": version})
    assert stale.status_code == 409


def test_claim_reattachment_as_json_keep_and_retry(seeded: Flask, tmp_path: Path) -> None:
    claim_id = _orphaned_claim(seeded, tmp_path)
    ann = signed_in(seeded, "ann", role="reviewer")
    kept = ann.post(f"/claims/{claim_id}/keep", json={"version": int(_version_of(ann, claim_id))})
    assert kept.status_code == 200, kept.get_json()
    assert kept.get_json()["anchor"]["kept"] is True
    assert kept.get_json()["anchor"]["document_version"] == 1
    page = ann.get(f"/claims/{claim_id}").text
    assert "reviewers kept the claim on" in page
    assert "Kept on version 1: its passage is not in the newest version." in page
    assert f'action="/claims/{claim_id}/retry"' in page
    assert f'action="/claims/{claim_id}/reattach"' not in page
    public = signed_in(seeded, "mo3").get(f"/claims/{claim_id}")
    assert public.status_code == 404  # not published: reviewers only
    back = ann.post(f"/claims/{claim_id}/retry", json={})
    assert back.status_code == 200
    assert back.get_json()["anchor"]["state"] == "orphaned"
    text = ann.get(f"/api/documents/{SEED_ID}").get_json()["text"]
    start = text.index(KEPT)
    selector = {"type": "TextQuoteSelector", "exact": KEPT, "suffix": text[start + len(KEPT) :][:5]}
    done = ann.post(f"/claims/{claim_id}/reattach", json={"selector": selector})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["exact"] == KEPT
    assert done.get_json()["anchor"]["state"] == "exact"
    stale = ann.post(f"/claims/{claim_id}/retry", json={"version": 1})
    assert stale.status_code == 409


def _panel_version(client: FlaskClient, claim_id: int) -> int:
    """The claim version the reader's panel rendered its re-attach button with."""
    page = client.get(f"/documents/{SEED_ID}").text
    orphans = _section(page, 'id="orphaned-claims-title"', "</section>")
    button = _section(orphans, f'data-reattach="{claim_id}"', ">")
    found = re.search(r'data-version="(\d+)"', button)
    assert found, orphans
    return int(found.group(1))


def test_reviewers_reattach_an_orphaned_claim_by_selector_from_the_panel(
    seeded: Flask, tmp_path: Path
) -> None:
    claim_id = _orphaned_claim(seeded, tmp_path)
    ann = signed_in(seeded, "ann", role="reviewer")
    page = ann.get(f"/documents/{SEED_ID}").text
    orphans = _section(page, 'id="orphaned-claims-title"', "</section>")
    assert GONE in orphans
    assert f'href="/claims/{claim_id}"' in orphans
    assert f'data-url="/claims/{claim_id}/reattach"' in orphans
    assert 'data-reattach-kind="claim"' in orphans
    assert f'id="claim-{claim_id}"' not in page  # no badge at its old offsets
    version = _panel_version(ann, claim_id)
    text = ann.get(f"/api/documents/{SEED_ID}").get_json()["text"]
    start = text.index(KEPT)
    selector = [
        {"type": "TextQuoteSelector", "exact": KEPT, "prefix": text[start - 12 : start]},
        {"type": "TextPositionSelector", "start": start, "end": start + len(KEPT)},
    ]
    url = f"/claims/{claim_id}/reattach"
    member = signed_in(seeded, "mo2")
    refused = member.post(url, json={"selector": selector, "version": version})
    assert refused.status_code == 403
    bad = ann.post(url, json={"selector": selector[1:], "version": version})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "target"
    gone = [{"type": "TextQuoteSelector", "exact": GONE}]
    assert ann.post(url, json={"selector": gone, "version": version}).status_code == 422
    # Another reviewer changes the claim after the panel was rendered: that version is stale.
    ben = signed_in(seeded, "ben", role="reviewer")
    assigned = ben.post(f"/claims/{claim_id}/assign", data={"assignee": "ben", "version": version})
    assert assigned.status_code == 302
    stale = ann.post(url, json={"selector": selector, "version": version})
    assert stale.status_code == 409
    assert "changed by someone else since you loaded it" in stale.get_json()["error"]["message"]
    done = ann.post(url, json={"selector": selector, "version": _panel_version(ann, claim_id)})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["anchor"] == {
        "state": "exact",
        "kept": False,
        "document_version": 2,
        "start": start,
        "end": start + len(KEPT),
        "exact": KEPT,
    }
    with seeded.app_context():
        claim = db.session.get(Claim, claim_id)
        newest = DocumentStore(db.session).get_version(SEED_ID)
        assert claim is not None
        assert (claim.anchor_state, claim.anchor_version_id) == ("exact", newest.id)
        assert (claim.start, claim.end, claim.exact) == (start, start + len(KEPT), KEPT)
        record = db.session.scalars(
            select(AnchorRecord).where(
                AnchorRecord.claim_id == claim_id, AnchorRecord.version_id == newest.id
            )
        ).one()
        assert (record.state, record.start, record.exact) == ("exact", start, KEPT)
    page = ann.get(f"/documents/{SEED_ID}").text
    assert 'id="orphaned-claims-title"' not in page
    passage = page.split(f'id="claim-{claim_id}"', 1)[0].rsplit('class="passage', 1)[1]
    assert KEPT in passage  # the badge sits in the passage of its new words


def test_only_reviewers_get_the_orphaned_claims_section(seeded: Flask, tmp_path: Path) -> None:
    claim_id = _orphaned_claim(seeded, tmp_path)
    for client in (signed_in(seeded, "mo2"), seeded.test_client()):
        page = client.get(f"/documents/{SEED_ID}").text
        assert 'id="orphaned-claims-title"' not in page
        assert f"/claims/{claim_id}/reattach" not in page
    admin = signed_in(seeded, "root", role="admin")
    assert f'data-reattach="{claim_id}"' in admin.get(f"/documents/{SEED_ID}").text
    ann = signed_in(seeded, "ann", role="reviewer")
    assert 'id="orphaned-claims-title"' not in ann.get(f"/documents/{SEED_ID}?version=1").text
    assert ann.post(f"/claims/{claim_id}/keep").status_code == 302
    assert 'id="orphaned-claims-title"' not in ann.get(f"/documents/{SEED_ID}").text
