"""The reading view in real headless Chromium."""

from __future__ import annotations

import re

import pytest

from tests.factories import SEED_ID

pytestmark = pytest.mark.browser


def _in_view(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }",
    )


def test_toc_link_and_passage_link_bring_the_block_into_view(page) -> None:
    page.goto(f"/documents/{SEED_ID}")
    assert (
        page.locator("article h1 .passage-text").inner_text()
        == "Russian Relations with North Korea"
    )
    toc_link = page.locator("nav.toc a", has_text="Russian initiatives in North Korea")
    target = toc_link.get_attribute("href")
    toc_link.click()
    page.wait_for_function(f"location.hash === '{target}'")
    assert _in_view(page, target)
    assert page.eval_on_selector(target, "el => el.matches(':target')")

    paragraph = page.locator("p.passage").nth(20)
    block_id = paragraph.get_attribute("id")
    page.goto("/")
    page.goto(f"/documents/{SEED_ID}#{block_id}")
    assert _in_view(page, f"#{block_id}")
    link = page.locator(f"#{block_id} > a.passage-link")
    assert link.is_visible()
    assert link.get_attribute("href") == f"#{block_id}"


def test_reading_view_typography(page) -> None:
    page.goto(f"/documents/{SEED_ID}")
    style = page.eval_on_selector(
        "p.passage",
        "el => { const s = getComputedStyle(el);"
        " return {family: s.fontFamily, size: parseFloat(s.fontSize),"
        " line: parseFloat(s.lineHeight), width: el.getBoundingClientRect().width}; }",
    )
    assert "serif" in style["family"]
    assert style["line"] / style["size"] >= 1.5
    chars_per_line = style["width"] / (style["size"] * 0.5)
    assert 55 <= chars_per_line <= 85
    assert page.locator("aside.pullquote").count() >= 5
    body = page.locator("article").inner_text()
    assert not re.search(r"ISSN|PATRON|WISEWIDEWEB|Photo Credit", body)


def test_narrow_screen_has_no_horizontal_scroll(browser, live_server) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, base_url=live_server)
    tab = context.new_page()
    tab.goto(f"/documents/{SEED_ID}")
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0
