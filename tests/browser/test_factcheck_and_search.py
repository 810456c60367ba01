"""The fact-check path and the search box, end to end in real headless Chromium."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_annotator import new_page, reloaded, save_and_reload, select
from tests.factories import SEED_ID

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def csrf_checked(seeded: Flask) -> None:
    """Check CSRF, as in production: every form and script call must carry the token."""
    seeded.config["WTF_CSRF_ENABLED"] = True


CLAIM = "In 1995, Moscow repudiated its military alliance with the North Koreans."


def paragraph_with(page: Page, words: str) -> str:
    """The CSS selector (#id) of the body paragraph containing words."""
    block_id = page.evaluate(
        """(words) => Array.from(document.querySelectorAll('p.passage'))
            .find((p) => p.querySelector('.passage-text').textContent.includes(words)).id""",
        words,
    )
    return f"#{block_id}"


def press(page: Page, label: str) -> None:
    """Click a reviewer form button by its label and wait for the redirect back."""
    with reloaded(page):
        page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".flash")).to_be_visible()


def test_flag_triage_research_approve_publish_badge_and_public_page(
    browser, live_server, sign_in
) -> None:
    flagger = new_page(browser, live_server)
    sign_in(flagger, "flagger")
    flagger.goto(f"/documents/{SEED_ID}")
    where = paragraph_with(flagger, CLAIM)
    select(flagger, where, CLAIM)
    flagger.click("#selection-toolbar [data-command=flag]")
    editor = flagger.locator(".annotation-editor")
    expect(editor.locator(".editor-title")).to_have_text("Flag a claim")
    editor.locator("select[name=claim_type]").select_option("date_or_event")
    editor.locator("textarea[name=body]").fill("The treaty lapsed later, I think.")
    editor.locator("select[name=visibility]").select_option("public")
    save_and_reload(flagger)
    expect(flagger.locator(f"{where} .claim-badge")).to_have_text("⚑ Under review")
    claim_href = flagger.request.get("/api/annotations/?document=" + SEED_ID).json()
    assert claim_href["total"] == 1
    assert claim_href["first"]["items"][0]["motivation"] == "assessing"

    ann = new_page(browser, live_server)
    sign_in(ann, "ann", role="reviewer")
    ann.goto("/review")
    ann.get_by_role("link", name=CLAIM[:40], exact=False).click()
    expect(ann.locator(".claim-exact")).to_have_text(CLAIM)
    press(ann, "Accept")
    press(ann, "Start research")
    form = ann.locator("form.evidence-form")
    form.locator("input[name=url]").fill("https://example.org/treaty-archive")
    form.locator("input[name=title]").fill("Treaty archive")
    form.locator("textarea[name=excerpt]").fill(
        "The 1961 treaty was not renewed and lapsed in 1996."
    )
    form.locator("select[name=stance]").select_option("refutes")
    press(ann, "Add evidence")
    ann.locator("#verdict-rating").select_option("mostly_false")
    ann.locator("#verdict-summary").fill(
        "Moscow let the treaty **lapse in 1996**; it was not repudiated in 1995."
    )
    press(ann, "Save draft")
    press(ann, "Send for review")
    claim_url = ann.url

    ben = new_page(browser, live_server)
    sign_in(ben, "ben", role="reviewer")
    ben.goto(claim_url)
    press(ben, "Approve")
    press(ben, "Publish")
    expect(ben.locator(".state-badge").first).to_have_text("Published")

    reader = new_page(browser, live_server)
    reader.goto(f"/documents/{SEED_ID}")
    badge = reader.locator(f"{where} .claim-badge")
    expect(badge).to_have_text("Fact-check: Mostly false")
    badge.click()
    expect(reader.locator("h1")).to_have_text(f"Claim {claim_url.rsplit('/', 1)[1]}")
    jsonld = json.loads(reader.locator("script[type='application/ld+json']").text_content())
    assert jsonld["@type"] == "ClaimReview"
    assert jsonld["claimReviewed"] == CLAIM
    assert jsonld["reviewRating"]["alternateName"] == "Mostly false"
    expect(reader.locator(".verdict-summary").first).to_contain_text("lapse in 1996")
    expect(reader.locator(".audit-log tbody tr")).to_have_count(6)


def test_search_box_leads_to_the_highlighted_passage(page: Page) -> None:
    page.goto(f"/documents/{SEED_ID}")
    page.fill("#header-q", "Kadyrov")
    with reloaded(page):
        page.press("#header-q", "Enter")
    expect(page.locator(".search-summary")).to_contain_text("1 result")
    expect(page.locator(".hit-snippet mark").first).to_have_text("Kadyrov")
    with reloaded(page):
        page.locator(".hit-snippet a").first.click()
    target = page.url.rsplit("#", 1)[1]
    passage = page.locator(f"#{target}")
    expect(passage).to_contain_text("Ramzan Kadyrov")
    assert passage.evaluate("el => el.matches(':target')")
    in_view = passage.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }"
    )
    assert in_view
