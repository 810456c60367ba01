"""Re-attaching an orphaned annotation by selecting its new words in the reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_annotator import MARK_TEXT_JS, api_items, create, drag_select, selectors
from tests.factories import SEED_ID, SHIPPED_SEED

pytestmark = pytest.mark.browser

GONE = "Kazakhstan’s rejection of the Cyrillic script in favor of the Latin script"
KEPT = "The Brezhnev doctrine was repudiated"
SENTENCE = (
    "An examination of Putin’s rise to power provides a useful indication of his ability to "
    "secure Russian interests."
)


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
    with page.expect_navigation():
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
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(f"#threads #annotation-{by_keys}")).to_be_focused()
    assert page.evaluate(MARK_TEXT_JS, by_keys) == SENTENCE
    expect(page.locator("section.orphans")).to_have_count(0)
