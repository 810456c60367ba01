"""Re-attaching an orphaned annotation, or (for reviewers) claim, by selecting its new words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from annotations.accounts import User
from annotations.anchors import AnchorRecord
from annotations.claims import Claim
from corpus.store import DocumentStore
from reader.extensions import db
from tests.browser.test_annotator import (
    MARK_TEXT_JS,
    api_items,
    create,
    drag_select,
    reloaded,
    selectors,
)
from tests.factories import SEED_ID, SHIPPED_SEED

pytestmark = pytest.mark.browser

GONE = "Kazakhstan’s rejection of the Cyrillic script in favor of the Latin script"
KEPT = "The Brezhnev doctrine was repudiated"
SENTENCE = (
    "An examination of Putin’s rise to power provides a useful indication of his ability to "
    "secure Russian interests."
)

# Flag a passage as a claim through the JSON API, as the page's signed-in user; returns its id.
FLAG_JS = """async (exact) => {
  const token = document.querySelector('meta[name=csrf-token]').content;
  const response = await fetch('/api/claims', {method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
    body: JSON.stringify({document: document.getElementById('document').dataset.document,
      selector: {type: 'TextQuoteSelector', exact}, claim_type: 'other', reason: 'Check it.'})});
  const body = await response.json();
  if (!response.ok) throw new Error(JSON.stringify(body));
  return body.id;
}"""


@pytest.fixture(autouse=True)
def csrf_checked(seeded: Flask) -> None:
    """Check CSRF, so the script must send X-CSRFToken like in production."""
    seeded.config["WTF_CSRF_ENABLED"] = True


def import_second_version(seeded: Flask, tmp_path: Path) -> None:
    """The shipped article without the passage that GONE quotes."""
    text = SHIPPED_SEED.read_text(encoding="utf-8")
    start = text.index(GONE)
    end = text.index("Soviet citizens.", start) + len("Soviet citizens.")
    path = tmp_path / "russian-relations-with-north-korea.txt"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    result = seeded.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def test_reattach_orphans_to_a_mouse_and_a_keyboard_selection(
    page: Page, sign_in: Any, seeded: Flask, tmp_path: Path
) -> None:
    sign_in(page, "alice")
    page.goto(f"/documents/{SEED_ID}")
    by_mouse = create(page, SEED_ID, GONE)
    by_keys = create(page, SEED_ID, GONE, visibility="private")
    import_second_version(seeded, tmp_path)
    page.goto(f"/documents/{SEED_ID}")
    orphans = page.locator("section.orphans")
    expect(orphans.locator(f"#annotation-{by_mouse}")).to_be_visible()
    expect(page.locator("#document mark.hl")).to_have_count(0)  # nothing drawn at old offsets

    # Start, then cancel with Escape: focus goes back to the button.
    button = page.locator(f"[data-reattach='{by_mouse}']")
    button.click()
    status = page.locator("#reattach-status")
    expect(status).to_be_visible()
    expect(status.locator("[role=status]")).to_contain_text("Select the words")
    expect(button).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(status).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-pressed", "false")

    # With the mouse: the selection is sent when the button is released.
    button.click()
    paragraph = page.locator("p.passage", has_text=KEPT).first
    paragraph.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    passage_id = paragraph.get_attribute("id")
    with reloaded(page):
        drag_select(page, f"#{passage_id}", KEPT, toolbar=False)
    assert page.url.endswith(f"#annotation-{by_mouse}")
    card = page.locator(f"#threads #annotation-{by_mouse}")
    expect(card).to_be_focused()
    expect(page.locator("#document mark.hl.is-active").first).to_be_visible()
    assert page.evaluate(MARK_TEXT_JS, by_mouse) == KEPT
    item = next(i for i in api_items(page, SEED_ID) if i["id"].endswith(by_mouse))
    quote, position = selectors(item)
    text = page.request.get(f"/api/documents/{SEED_ID}").json()["text"]
    assert quote["exact"] == KEPT
    assert text[position["start"] : position["end"]] == KEPT

    # With the keyboard: a sentence selected with "n", sent with Enter.
    page.locator(f"[data-reattach='{by_keys}']").click()
    page.locator("p.passage", has_text=SENTENCE).first.focus()
    page.keyboard.press("n")
    expect(status.locator("[role=status]")).to_contain_text("Press Enter to re-attach")
    expect(page.locator("#selection-toolbar")).to_be_hidden()
    with reloaded(page):
        page.keyboard.press("Enter")
    expect(page.locator(f"#threads #annotation-{by_keys}")).to_be_focused()
    assert page.evaluate(MARK_TEXT_JS, by_keys) == SENTENCE
    expect(page.locator("section.orphans")).to_have_count(0)


def test_a_reviewer_reattaches_an_orphaned_claim_to_a_selection(
    page: Page, sign_in: Any, seeded: Flask, tmp_path: Path
) -> None:
    sign_in(page, "ann", role="reviewer")
    page.goto(f"/documents/{SEED_ID}")
    claim_id = page.evaluate(FLAG_JS, GONE)
    import_second_version(seeded, tmp_path)
    page.goto(f"/documents/{SEED_ID}")
    section = page.locator("section.orphaned-claims")
    expect(section.get_by_role("heading", name="Orphaned claims")).to_be_visible()
    expect(section.locator("blockquote")).to_have_text(GONE)
    expect(section.get_by_role("link", name=f"Claim {claim_id}")).to_be_visible()
    expect(page.locator(f"#claim-{claim_id}")).to_have_count(0)  # no badge at old offsets
    button = section.locator(f"[data-reattach-kind=claim][data-reattach='{claim_id}']")
    status = page.locator("#reattach-status")
    paragraph = page.locator("p.passage", has_text=KEPT).first
    passage_id = paragraph.get_attribute("id")

    # Another reviewer changes the claim after this page was rendered: a clear 409, no move.
    with seeded.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        claim.assignee = db.session.scalars(select(User).where(User.username == "ann")).one()
        db.session.commit()
    button.click()
    expect(status.locator("[role=status]")).to_contain_text("re-attach the claim to")
    paragraph.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    drag_select(page, f"#{passage_id}", KEPT, toolbar=False)
    expect(status.locator(".editor-error")).to_contain_text("changed by someone else")
    expect(page.locator("#selection-toolbar")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(status).to_be_hidden()
    expect(button).to_be_focused()

    # Reloaded, with the claim's current version: the mouse selection re-attaches it.
    page.reload()
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    paragraph.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    with reloaded(page):
        drag_select(page, f"#{passage_id}", KEPT, toolbar=False)
    assert page.url.endswith(f"#claim-{claim_id}")
    badge = page.locator(f"#{passage_id} #claim-{claim_id}")
    expect(badge).to_be_visible()
    expect(badge).to_be_focused()
    expect(badge).to_have_text("⚑ Under review")
    expect(page.locator("section.orphaned-claims")).to_have_count(0)
    with seeded.app_context():
        claim = db.session.get(Claim, claim_id)
        newest = DocumentStore(db.session).get_version(SEED_ID)
        assert claim is not None
        assert (claim.anchor_state, claim.anchor_version_id) == ("exact", newest.id)
        assert newest.text[claim.start : claim.end] == claim.exact == KEPT
        record = db.session.scalars(
            select(AnchorRecord).where(
                AnchorRecord.claim_id == claim_id, AnchorRecord.version_id == newest.id
            )
        ).one()
        assert (record.state, record.exact) == ("exact", KEPT)
    page.goto(f"/claims/{claim_id}")
    expect(page.locator("main")).to_contain_text(f"Re-attached to “{KEPT}” in version 2")


def test_members_get_no_orphaned_claims_in_the_reader(
    page: Page, sign_in: Any, seeded: Flask, tmp_path: Path
) -> None:
    sign_in(page, "mo")
    page.goto(f"/documents/{SEED_ID}")
    page.evaluate(FLAG_JS, GONE)
    import_second_version(seeded, tmp_path)
    page.goto(f"/documents/{SEED_ID}")
    expect(page.locator("#annotations-panel")).to_be_visible()
    expect(page.locator("section.orphaned-claims")).to_have_count(0)
    expect(page.locator("[data-reattach-kind=claim]")).to_have_count(0)
