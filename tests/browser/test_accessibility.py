"""Accessibility in real headless Chromium: axe-core audits of every page, colour-independent
highlights and badges, the annotate-and-reply path by keyboard alone, and a reader that works on
a 375-pixel-wide phone and at 200% zoom."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_annotator import (
    FIRST_SENTENCE,
    api_items,
    first_paragraph_id,
    reloaded,
    select,
)
from tests.factories import PASSWORD, ROOT, SEED_ID, SHIPPED_SEED
from tests.functional.helpers import payload, reply_payload, signed_in

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
BLOCKING = ("serious", "critical")

COMMENTED = "Russia is well past that powerful situation"
HIGHLIGHTED = "The Brezhnev doctrine was repudiated"
QUESTIONED = "Chechen unrest was one of the greatest threats to Russian state"
GONE = "Kazakhstan’s rejection of the Cyrillic script in favor of the Latin script"
QUOTE = "TextQuoteSelector"
FLAGGED = (
    "Pyongyang’s increased nuclear capabilities included a new intercontinental ballistic missile"
)
PUBLISHED = "In 1995, Moscow repudiated its military alliance with the North Koreans."

# Run axe on the whole document; return each violation with its impact, help and targets.
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    helpUrl: v.helpUrl, targets: v.nodes.slice(0, 6).map((n) => n.target.join(' '))}));
}"""

# Does the focused element show a focus indicator (outline, or a box-shadow ring)?
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'body', visible: false};
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const ring = s.boxShadow && s.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
    text: (el.textContent || el.value || '').trim().slice(0, 40),
    visible: (outline || ring) && r.width > 0 && r.height > 0};
}"""

OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Every element wider than the viewport or sticking out to its right (what makes a page scroll).
OVERFLOWING_JS = """() => Array.from(document.querySelectorAll('body *'))
  .filter((el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1; })
  .slice(0, 8).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className
       ? '.' + el.className.split(' ').join('.') : ''))"""


@dataclass
class Scenario:
    """What the scenario fixture made: annotation ids and claim ids."""

    comment: str
    reply: str
    highlight: str
    question: str
    flagged_claim: int
    published_claim: int
    group: int
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, installed from the npm registry by `make test` (npm ci)."""
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} missing): run `npm ci` (make test does)"
        if os.environ.get("READER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def _edited_seed(tmp_path: Path) -> Path:
    """The shipped article with words changed in one passage and another passage removed."""
    text = SHIPPED_SEED.read_text(encoding="utf-8")
    text = text.replace("to Russian state early", "to the Russian state early")
    start = text.index(GONE)
    end = text.index("Soviet citizens.", start) + len("Soviet citizens.")
    path = tmp_path / "russian-relations-with-north-korea.txt"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return path


def _publish(seeded: Flask, clients: dict[str, Any], exact: str) -> int:
    flag = {
        "document": SEED_ID,
        "selector": {"type": "TextQuoteSelector", "exact": exact},
        "claim_type": "date_or_event",
        "reason": "year?",
    }
    claim_id = clients["alice"].post("/api/claims", json=flag).get_json()["id"]
    ann, ben = clients["ann"], clients["ben"]
    steps: list[tuple[Any, str, str, dict[str, Any] | None]] = [
        (ann, "post", f"/api/claims/{claim_id}/transitions", {"to": "accepted"}),
        (ann, "post", f"/api/claims/{claim_id}/transitions", {"to": "researching"}),
        (
            ann,
            "post",
            f"/api/claims/{claim_id}/evidence",
            {
                "url": "https://example.org/treaty",
                "title": "Treaty archive",
                "stance": "refutes",
                "excerpt": "It lapsed in 1996.",
            },
        ),
        (
            ann,
            "put",
            f"/api/claims/{claim_id}/verdict",
            {"rating": "mostly_false", "summary": "It *lapsed* in 1996."},
        ),
        (ann, "post", f"/api/claims/{claim_id}/transitions", {"to": "in_review"}),
        (ben, "post", f"/api/claims/{claim_id}/transitions", {"to": "approved"}),
        (ben, "post", f"/api/claims/{claim_id}/transitions", {"to": "published"}),
    ]
    for client, method, url, data in steps:
        response = getattr(client, method)(url, json=data)
        assert response.status_code < 300, (url, response.get_json())
    return claim_id


@pytest.fixture
def scenario(seeded: Flask, tmp_path: Path) -> Scenario:
    """A document with every kind of annotation, a reply, an edit, a group, a flagged and a
    published claim, and a second version (a changed quote and an orphan)."""
    clients = {
        "alice": signed_in(seeded, "alice"),
        "bob": signed_in(seeded, "bob"),
        "ann": signed_in(seeded, "ann", role="reviewer"),
        "ben": signed_in(seeded, "ben", role="reviewer"),
    }
    alice = clients["alice"]
    made = alice.post("/groups/", data={"name": "Reading circle"})
    group = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    alice.post(f"/groups/{group}/members", data={"username": "bob"})

    def create(data: dict[str, Any], client: Any = alice) -> str:
        response = client.post("/api/annotations/", json=data)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"].rsplit("/", 1)[1]

    source = {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": {"id": "https://example.org/brezhnev", "title": "The Brezhnev doctrine"},
        "stance": "supports",
        "excerpt": "It was repudiated.",
    }
    tag = {"type": "TextualBody", "value": "history", "purpose": "tagging"}
    comment = create(payload(COMMENTED, body="Is it **really**?"))
    iri = f"http://localhost/api/annotations/{comment}"
    edited = payload(COMMENTED, body="Is it **really** past?")
    assert alice.put(f"/api/annotations/{comment}", json=edited).status_code == 200
    reply = create(reply_payload(iri, "It *is*."), clients["bob"])
    highlight = create(payload(HIGHLIGHTED, body=None, motivation="highlighting"))
    question = create(payload(QUESTIONED, body="Which threats?", motivation="questioning"))
    cited = payload(FIRST_SENTENCE, body="A triangle.", visibility="group", group=group)
    cited["body"] += [tag, source]
    create(cited)
    orphan = create(payload(GONE, body="On the alphabet."))
    claim_note = create(payload(FLAGGED, body="Check this.", motivation="assessing"))
    flag = {
        "document": SEED_ID,
        "selector": {"type": "TextQuoteSelector", "exact": FLAGGED},
        "claim_type": "other",
        "reason": "Opinion?",
    }
    flagged = alice.post("/api/claims", json=flag)
    assert flagged.status_code == 201, flagged.get_json()
    published = _publish(seeded, clients, PUBLISHED)
    gone_claim = alice.post("/api/claims", json=flag | {"selector": {"exact": GONE, "type": QUOTE}})
    assert gone_claim.status_code == 201, gone_claim.get_json()
    result = seeded.test_cli_runner().invoke(args=["import", str(_edited_seed(tmp_path))])
    assert result.exit_code == 0, result.output
    return Scenario(
        comment=comment,
        reply=reply,
        highlight=highlight,
        question=question,
        flagged_claim=flagged.get_json()["id"],
        published_claim=published,
        group=group,
        extra={
            "claim_note": claim_note,
            "orphan": orphan,
            "orphaned_claim": gone_claim.get_json()["id"],
        },
    )


@pytest.fixture
def audit_context(browser: Any, live_server: str, seeded: Flask) -> Iterator[Callable[..., Page]]:
    """Pages for audits: their own context (cookies), with CSP bypassed so axe can be injected."""
    contexts: list[BrowserContext] = []

    def open_page(user: str | None = None, width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server, bypass_csp=True
        )
        contexts.append(context)
        tab = context.new_page()
        if user:
            log_in(tab, user, seeded)
        return tab

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Page, name: str, app: Flask) -> None:
    """Sign a page's context in as an existing user through the login form's POST."""
    data = {"username": name, "password": PASSWORD}
    if app.config["WTF_CSRF_ENABLED"]:
        form = page.request.get("/login").text()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        assert token
        data["csrf_token"] = token.group(1)
    response = page.request.post("/login", form=data, max_redirects=0)
    assert response.status == 302, response.text()


class Auditor:
    """Runs axe on pages and collects the serious and critical violations of all of them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.failures: list[str] = []

    def __call__(self, page: Page, label: str) -> None:
        page.add_script_tag(content=self.source)
        for v in page.evaluate(AXE_RUN_JS):
            if v["impact"] in BLOCKING:
                targets = "; ".join(v["targets"])
                self.failures.append(
                    f"{label}: {v['id']} ({v['impact']}) {v['help']} [{targets}] {v['helpUrl']}"
                )

    def check(self) -> None:
        assert not self.failures, "axe found problems:\n" + "\n".join(self.failures)


@pytest.fixture
def audit(axe_source: str) -> Auditor:
    return Auditor(axe_source)


def visit(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == status, (path, response.status)


def test_public_pages_pass_axe(audit_context: Any, audit: Auditor, scenario: Scenario) -> None:
    page = audit_context()
    for path, label in [
        ("/", "library"),
        (f"/documents/{SEED_ID}", "reading view, signed out"),
        ("/register", "register"),
        ("/methodology", "methodology"),
        (f"/documents/{SEED_ID}/factcheck", "fact-check report"),
        (f"/claims/{scenario.published_claim}", "published claim"),
        ("/search?q=Russia", "search results with facets"),
        ("/search?q=zzzzqqqq", "search, nothing found"),
        ("/search", "search, empty"),
        (f"/documents/{SEED_ID}/versions", "version history"),
        (f"/documents/{SEED_ID}/diff?from=1&to=2", "diff"),
    ]:
        visit(page, path)
        audit(page, label)
    visit(page, "/no-such-page", 404)
    audit(page, "404")
    visit(page, "/documents/no-such-document", 404)
    audit(page, "404 document")
    # The selection toolbar offered to a signed-out reader.
    visit(page, f"/documents/{SEED_ID}")
    select(page, f"#{first_paragraph_id(page)}", FIRST_SENTENCE)
    audit(page, "reading view, signed out, selection toolbar")
    visit(page, "/login")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "wrong password")
    page.locator("main form button[type=submit]").press("Enter")
    expect(page.locator("main .error, main .flash-error, .flash").first).to_be_visible()
    audit(page, "login with an error")
    audit.check()


def test_panel_windows_pass_axe(
    audit_context: Any, audit: Auditor, scenario: Scenario, seeded: Flask
) -> None:
    seeded.config["PANEL_THREADS"] = 1  # the scenario's threads, one window each
    page = audit_context("alice")
    visit(page, f"/documents/{SEED_ID}")
    expect(page.locator(".threads-later a")).to_be_visible()
    audit(page, "reading view, the first window of threads")
    page.locator(".threads-later a").click()
    expect(page.locator("#threads > li.thread")).to_have_count(2)
    audit(page, "reading view, a window shown more")
    visit(page, f"/documents/{SEED_ID}?threads=2")
    expect(page.locator(".threads-earlier a")).to_be_visible()
    audit(page, "reading view, a later window")
    audit.check()


def test_member_pages_pass_axe(audit_context: Any, audit: Auditor, scenario: Scenario) -> None:
    page = audit_context("alice")
    visit(page, f"/documents/{SEED_ID}")
    expect(page.locator(f"#annotation-{scenario.reply}")).to_be_attached()
    audit(page, "reading view with annotations")
    select(page, f"#{first_paragraph_id(page)}", FIRST_SENTENCE)
    audit(page, "reading view, selection toolbar")
    page.keyboard.press("a")
    expect(page.locator(".annotation-editor textarea[name=body]")).to_be_focused()
    page.locator("[data-command=add-source]").click()
    audit(page, "reading view, editor open with a source")
    page.keyboard.press("Escape")
    card = page.locator(f"#annotation-{scenario.comment}")
    card.locator("[data-action=reply]").click()
    expect(card.locator(".reply-form textarea")).to_be_focused()
    audit(page, "reading view, reply form open")
    page.locator(f"[data-reattach='{scenario.extra['orphan']}']").click()
    expect(page.locator("#reattach-status")).to_be_visible()
    audit(page, "reading view, re-attaching an orphan to a selection")
    page.keyboard.press("Escape")
    with reloaded(page):
        page.get_by_role("button", name="Keep on version 1").click()
    expect(page.locator("#kept-orphans")).to_have_attribute("open", "")  # opened for its card
    audit(page, "reading view, an orphan kept on an earlier version")
    for path, label in [
        ("/groups/", "groups"),
        (f"/groups/{scenario.group}", "a group"),
        (f"/annotations/{scenario.comment}/revisions", "annotation revisions"),
        (f"/documents/{SEED_ID}?version=1", "reading view, version 1"),
        ("/import", "import annotations"),
    ]:
        visit(page, path)
        audit(page, label)
    audit.check()


def test_reviewer_pages_pass_axe(audit_context: Any, audit: Auditor, scenario: Scenario) -> None:
    page = audit_context("ann")
    for path, label in [
        ("/review", "review queue"),
        (f"/claims/{scenario.flagged_claim}", "claim with reviewer tools"),
        (f"/claims/{scenario.published_claim}", "published claim with reviewer tools"),
        (f"/claims/{scenario.extra['orphaned_claim']}", "orphaned claim with re-attach tools"),
        (f"/documents/{SEED_ID}/suggestions", "suggestions"),
        (f"/documents/{SEED_ID}", "reading view, reviewer"),
    ]:
        visit(page, path)
        audit(page, label)
    # The reading view (visited last) lists the orphaned claim; re-attaching it to a selection.
    orphaned = page.locator(
        f"[data-reattach-kind=claim][data-reattach='{scenario.extra['orphaned_claim']}']"
    )
    expect(page.locator("section.orphaned-claims")).to_be_visible()
    orphaned.click()
    expect(page.locator("#reattach-status")).to_be_visible()
    audit(page, "reading view, re-attaching an orphaned claim to a selection")
    page.keyboard.press("Escape")
    # A claim under research shows the draft-verdict and evidence forms.
    visit(page, f"/claims/{scenario.flagged_claim}")
    for action in ("Accept", "Start research"):
        with reloaded(page):
            page.get_by_role("button", name=action, exact=True).click()
    expect(page.locator("form.verdict-form")).to_be_visible()
    audit(page, "claim under research")
    audit.check()


KIND_STYLE_JS = """(aid) => {
  const mark = document.querySelector(`mark.hl[data-annotations~="${aid}"]`);
  const s = getComputedStyle(mark);
  const before = getComputedStyle(mark, '::before').content;
  return {line: s.textDecorationLine, style: s.textDecorationStyle,
    before: before === 'none' || before === 'normal' ? '' : before, shadow: s.boxShadow,
    badge: document.querySelector(`#annotation-${aid} .kind-badge`).textContent.trim()};
}"""


def test_highlights_and_badges_do_not_rely_on_colour(
    audit_context: Any, scenario: Scenario
) -> None:
    page = audit_context("alice")
    visit(page, f"/documents/{SEED_ID}")
    kinds = {
        "comment": scenario.comment,
        "highlight": scenario.highlight,
        "question": scenario.question,
        "claim": scenario.extra["claim_note"],
    }
    looks = {kind: page.evaluate(KIND_STYLE_JS, aid) for kind, aid in kinds.items()}
    # Each kind is underlined in its own line style, so they differ without colour...
    assert all("underline" in look["line"] for look in looks.values()), looks
    styles = {kind: look["style"] for kind, look in looks.items()}
    assert len(set(styles.values())) == len(styles), styles
    # ...the start of a claim carries a flag, a highlight has bracket edges...
    assert "⚑" in looks["claim"]["before"], looks["claim"]
    assert looks["highlight"]["shadow"] != "none", looks["highlight"]
    # ...and each card names its kind in words.
    badges = {kind: look["badge"] for kind, look in looks.items()}
    assert all(badges.values()), badges
    assert len(set(badges.values())) == len(badges), badges

    # Verdict and state badges say their rating or state in text.
    published = page.locator(f"#claim-{scenario.published_claim}")
    expect(published).to_have_text("Fact-check: Mostly false")
    expect(page.locator(f"#claim-{scenario.flagged_claim}")).to_have_text(re.compile("review"))
    visit(page, "/methodology")
    badges_text = page.locator(".ratings .verdict-badge").all_inner_texts()
    assert len(badges_text) >= 7, badges_text
    assert len(set(badges_text)) == len(badges_text), badges_text
    assert {"False", "Mostly false", "Half true", "Mostly true", "True"} <= set(badges_text)
    visit(page, f"/claims/{scenario.published_claim}")
    expect(page.locator(".claim-meta .state-badge")).to_have_text("Published")
    expect(page.locator(".verdict-box .verdict-badge")).to_have_text("Mostly false")


def tab_until(page: Page, target: str, limit: int = 25, key: str = "Tab") -> list[str]:
    """Press Tab until the focused element matches the CSS selector `target`; at every step the
    focused element must show a visible focus indicator. Returns what was focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS_JS)
        seen.append(
            f"{focus['tag']}#{focus.get('id', '')}.{focus.get('cls', '')} {focus['text']!r}"
        )
        assert focus["visible"], f"no visible focus indicator on {seen[-1]} (after {seen[:-1]})"
        if page.evaluate("(sel) => document.activeElement.matches(sel)", target):
            return seen
    raise AssertionError(f"{target} not reached with {key}: {seen}")


def test_annotate_and_reply_with_the_keyboard_alone(page: Page, sign_in: Any) -> None:
    sign_in(page, "kim")
    page.goto(f"/documents/{SEED_ID}")
    # The first Tab reaches the skip link, shown on focus; Enter moves to the main content.
    tab_until(page, ".skip-link", limit=1)
    assert page.evaluate("document.activeElement.getBoundingClientRect().left >= 0")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The shortcuts are listed in the panel.
    shortcuts = page.locator(".shortcuts")
    for key in ("j", "k", "n", "a"):
        expect(shortcuts.locator("kbd", has_text=re.compile(f"^{key}$")).first).to_be_attached()
    # j/k move between passages (each shown with a focus ring), n selects a sentence, a annotates.
    for key in "jjjk":
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_JS)["visible"], page.evaluate(FOCUS_JS)
    passage = page.evaluate("document.activeElement.id")
    page.keyboard.press("n")
    expect(page.locator("#selection-toolbar")).to_be_visible()
    sentence = page.evaluate("getSelection().toString()")
    assert sentence
    assert sentence in page.locator(f"#{passage}").inner_text()
    page.keyboard.press("a")
    editor = page.locator(".annotation-editor")
    expect(editor.locator("textarea[name=body]")).to_be_focused()
    page.keyboard.type("Annotated by keyboard.")
    # Tab through the editor to Save: every control on the way shows where the focus is.
    tab_until(page, ".annotation-editor button[type=submit]")
    with reloaded(page):
        page.keyboard.press("Enter")
    (item,) = api_items(page, SEED_ID)
    aid = item["id"].rsplit("/", 1)[1]
    card = page.locator(f"#annotation-{aid}")
    expect(card).to_be_focused()
    expect(card.locator(".annotation-body")).to_have_text("Annotated by keyboard.")
    assert page.evaluate(FOCUS_JS)["visible"]

    # From the focused card, Tab reaches its Reply button; Enter opens the reply box.
    tab_until(page, f"#annotation-{aid} [data-action=reply]")
    page.keyboard.press("Enter")
    reply_box = card.locator(".reply-form textarea")
    expect(reply_box).to_be_focused()
    page.keyboard.type("A reply, also by keyboard.")
    tab_until(page, f"#annotation-{aid} .reply-form button[type=submit]", limit=3)
    with reloaded(page):
        page.keyboard.press("Enter")
    reply = page.locator(f"li.reply article.annotation[data-parent='{aid}']")
    expect(reply).to_have_count(1)
    expect(reply).to_be_focused()
    expect(reply.locator(".annotation-body")).to_have_text("A reply, also by keyboard.")
    # Shift+Tab goes back the same way, still with visible focus.
    tab_until(page, f"#annotation-{aid} [data-action=reply]", key="Shift+Tab")


# A phone, and a 1280x900 window at 200% zoom: Chromium then lays pages out in 640x450 CSS
# pixels, so a 640x450 viewport lays the page out the same way (media queries included).
SCREENS = {"375px": (375, 740), "zoom200": (640, 450)}

IN_VIEW_JS = """(sel) => { const el = document.querySelector(sel); if (!el) return null;
  const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
    innerWidth: document.documentElement.clientWidth, innerHeight: innerHeight}; }"""


def assert_no_horizontal_scroll(page: Page, label: str) -> None:
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow <= 0, (
        f"{label} scrolls sideways by {overflow}px: {page.evaluate(OVERFLOWING_JS)}"
    )


def assert_within_width(page: Page, selector: str) -> dict[str, float]:
    box = page.evaluate(IN_VIEW_JS, selector)
    assert box is not None, f"{selector} is missing"
    assert box["width"] > 0, f"{selector} is not shown"
    assert box["left"] >= -1, (selector, box)
    assert box["right"] <= box["innerWidth"] + 1, (selector, box)
    return box


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"))


@pytest.mark.parametrize("screen", SCREENS)
def test_reader_works_narrow_and_zoomed(
    audit_context: Any, scenario: Scenario, screen: str
) -> None:
    width, height = SCREENS[screen]
    page = audit_context("alice", width=width, height=height)
    page.set_viewport_size({"width": width, "height": height})
    visit(page, f"/documents/{SEED_ID}")
    assert_no_horizontal_scroll(page, "the reading view")
    shoot(page, f"{screen}-top")
    # The table of contents is on the page, within the width, and its links work.
    page.locator("nav.toc a").first.scroll_into_view_if_needed()
    assert_within_width(page, "nav.toc")
    shoot(page, f"{screen}-toc")
    # Select a sentence from the keyboard: the toolbar stays inside the viewport.
    page.locator(f"#{first_paragraph_id(page)}").focus()
    page.keyboard.press("n")
    toolbar = page.locator("#selection-toolbar")
    expect(toolbar).to_be_visible()
    bar = assert_within_width(page, "#selection-toolbar")
    assert bar["top"] >= 0, bar
    assert bar["bottom"] <= bar["innerHeight"], bar
    assert_no_horizontal_scroll(page, "the reading view with the toolbar")
    shoot(page, f"{screen}-toolbar")
    page.keyboard.press("a")
    expect(page.locator(".annotation-editor textarea[name=body]")).to_be_focused()
    page.locator("[data-command=add-source]").press("Enter")
    for part in (".annotation-editor", ".annotation-editor textarea", ".source-fields"):
        assert_within_width(page, part)
    assert_no_horizontal_scroll(page, "the reading view with the editor open")
    page.locator(".annotation-editor textarea[name=body]").scroll_into_view_if_needed()
    shoot(page, f"{screen}-editor")
    page.keyboard.press("Escape")
    # In one column the panel follows the long article: a link in its header leads there.
    link = page.locator(".document-meta .to-annotations")
    expect(link).to_be_visible()
    link.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('#annotations-panel')")
    shoot(page, f"{screen}-panel-top")
    # The panel and its cards are reachable: a card's Reply button is on screen when focused.
    card = page.locator(f"#annotation-{scenario.comment}")
    card.locator("[data-action=reply]").focus()
    assert_within_width(page, f"#annotation-{scenario.comment}")
    assert_within_width(page, "#annotations-panel")
    reply = page.evaluate(IN_VIEW_JS, f"#annotation-{scenario.comment} [data-action=reply]")
    assert reply["top"] >= 0, reply
    assert reply["bottom"] <= reply["innerHeight"], reply
    shoot(page, f"{screen}-panel")


@pytest.mark.parametrize("screen", SCREENS)
def test_other_pages_reflow_narrow_and_zoomed(
    audit_context: Any, scenario: Scenario, screen: str
) -> None:
    width, height = SCREENS[screen]
    page = audit_context("ann", width=width, height=height)
    failures = []
    for path, name in [
        ("/", "library"),
        ("/login", "login"),
        ("/search?q=Russia", "search"),
        ("/review", "queue"),
        (f"/claims/{scenario.flagged_claim}", "claim"),
        (f"/claims/{scenario.published_claim}", "published-claim"),
        (f"/documents/{SEED_ID}/suggestions", "suggestions"),
        (f"/documents/{SEED_ID}/versions", "versions"),
        (f"/documents/{SEED_ID}", "reading-view-reviewer"),  # with its orphaned claims
        (f"/documents/{SEED_ID}/diff?from=1&to=2", "diff"),
        (f"/documents/{SEED_ID}/factcheck", "report"),
        ("/methodology", "methodology"),
        ("/groups/", "groups"),
    ]:
        visit(page, path)
        shoot(page, f"{screen}-{name}")
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow > 0:
            failures.append(f"{path}: {overflow}px {page.evaluate(OVERFLOWING_JS)}")
    assert not failures, "pages scroll sideways:\n" + "\n".join(failures)
