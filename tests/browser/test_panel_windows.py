"""A busy document's panel in windows of threads, in real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_annotator import create
from tests.factories import SEED_ID

pytestmark = pytest.mark.browser

SIZE = 3

# Every aria-describedby of a mark names an element on the page (axe's rule for it).
DESCRIBED_JS = """() => Array.from(document.querySelectorAll('mark.hl[aria-describedby]'))
  .every((m) => m.getAttribute('aria-describedby').split(' ')
    .every((id) => document.getElementById(id)))"""


@pytest.fixture
def notes(seeded: Flask, page: Page, sign_in: Any) -> list[str]:
    """carol's notes on the first words of eight paragraphs, in document order."""
    seeded.config["PANEL_THREADS"] = SIZE
    sign_in(page, "carol")
    page.goto(f"/documents/{SEED_ID}")
    doc = page.request.get(f"/api/documents/{SEED_ID}").json()
    paragraphs = [b for b in doc["blocks"] if b["kind"] == "paragraph"][:8]
    words = [" ".join(doc["text"][b["start"] : b["end"]].split()[:6]) for b in paragraphs]
    ids = [create(page, SEED_ID, w) for w in words]
    page.goto(f"/documents/{SEED_ID}")
    expect(page.locator("html[data-highlights=drawn]")).to_have_count(1)
    return ids


def roots(page: Page) -> list[str]:
    """Ids of the root cards the panel holds, in order."""
    cards = page.locator("#threads > li.thread > article.annotation")
    return [c.get_attribute("data-annotation") or "" for c in cards.all()]


def test_every_thread_is_highlighted_but_one_window_is_shown(page: Page, notes: list[str]) -> None:
    assert roots(page) == notes[:SIZE]
    for aid in notes:
        expect(page.locator(f"mark.hl[data-annotations~='{aid}']").first).to_be_attached()
    assert page.locator("mark.hl[tabindex='0']").count() == len(notes)
    assert page.evaluate(DESCRIBED_JS)


def test_a_highlight_outside_the_window_brings_its_card(page: Page, notes: list[str]) -> None:
    mark = page.locator(f"mark.hl[data-annotations~='{notes[7]}']").first
    mark.scroll_into_view_if_needed()
    mark.click()
    card = page.locator(f"#annotation-{notes[7]}")
    expect(card).to_be_focused()
    assert roots(page) == notes[6:]
    expect(page.locator(".threads-earlier a")).to_contain_text("6 before these")
    assert page.evaluate(DESCRIBED_JS)
    # the earlier window goes before it
    page.locator(".threads-earlier a").click()
    expect(page.locator(f"#annotation-{notes[3]}")).to_be_focused()
    assert roots(page) == notes[3:]


def test_show_more_appends_the_next_window(page: Page, notes: list[str]) -> None:
    more = page.locator(".threads-later a")
    expect(more).to_contain_text("5 after these")
    more.click()
    expect(page.locator(f"#annotation-{notes[3]}")).to_be_focused()
    assert roots(page) == notes[:6]
    page.locator(".threads-later a").click()
    expect(page.locator(f"#annotation-{notes[6]}")).to_be_focused()
    assert roots(page) == notes
    expect(page.locator(".threads-more")).to_have_count(0)


def test_a_link_to_an_annotation_outside_the_window_shows_it(page: Page, notes: list[str]) -> None:
    page.goto(f"/documents/{SEED_ID}#annotation-{notes[5]}")
    expect(page.locator(f"#annotation-{notes[5]}")).to_be_focused()
    expect(page.locator(f"mark.hl.is-active[data-annotations~='{notes[5]}']").first).to_be_visible()
    assert roots(page) == notes[3:6]


def test_without_script_the_links_page_through_the_windows(
    browser: Any, live_server: str, notes: list[str]
) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(f"/documents/{SEED_ID}")
        plain.locator(".threads-later a").click()
        expect(plain.locator(f"#annotation-{notes[3]}")).to_be_attached()
        assert "threads=3" in plain.url
    finally:
        context.close()


def test_a_window_that_fails_to_load_says_so(page: Page, notes: list[str]) -> None:
    page.route("**/threads?*", lambda route: route.fulfill(status=503, body="busy"))
    page.locator(".threads-later a").click()
    expect(page.locator(".threads-error")).to_have_text(
        "Those annotations could not be loaded. Try again."
    )
    assert roots(page) == notes[:SIZE]
    page.unroute("**/threads?*")
    page.locator(".threads-later a").click()
    expect(page.locator(f"#annotation-{notes[3]}")).to_be_focused()
