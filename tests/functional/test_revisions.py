"""A new version of the seed: annotations and claims move, change, or are orphaned, visibly."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

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
