"""The in-browser annotator (reader/static/annotator.js) in real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from reader.extensions import db
from tests.factories import FIXTURES, PASSWORD, SEED_ID, import_text

pytestmark = pytest.mark.browser

UNICODE_ID = "field-notes"
FIRST_SENTENCE = (
    "In the contemporary context, there is a triangle of complicated relations involving "
    "Russia, China and the United States."
)

# Select [indexOf(startWords) + startShift, indexOf(endWords) + len(endWords) + endShift) of a
# passage's words (UTF-16 offsets, as a browser counts), walking the text nodes under it.
SELECT_JS = """([selector, startWords, endWords, startShift, endShift]) => {
  const span = document.querySelector(selector + ' .passage-text');
  const text = span.textContent;
  const from = text.indexOf(startWords);
  const to = text.indexOf(endWords, from) + endWords.length;
  if (from < 0 || to < endWords.length) throw new Error('words not found in ' + selector);
  const point = (u16) => {
    const walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
    let seen = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (u16 <= seen + n.data.length) return [n, u16 - seen];
      seen += n.data.length;
    }
    throw new Error('offset out of range');
  };
  const range = document.createRange();
  range.setStart(...point(from + startShift));
  range.setEnd(...point(to + endShift));
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  span.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
}"""

CREATE_JS = """async (data) => {
  const token = document.querySelector('meta[name=csrf-token]').content;
  const response = await fetch('/api/annotations/', {method: 'POST',
    headers: {'Content-Type': 'application/ld+json', 'X-CSRFToken': token},
    body: JSON.stringify(data)});
  const body = await response.json();
  if (!response.ok) throw new Error(JSON.stringify(body));
  return body.id.split('/').pop();
}"""

MARK_TEXT_JS = """(aid) => Array.from(document.querySelectorAll('#document mark.hl'))
  .filter((m) => m.dataset.annotations.split(' ').includes(aid))
  .map((m) => m.textContent).join('')"""


@pytest.fixture(autouse=True)
def csrf_checked(seeded: Flask) -> None:
    """Check CSRF in these tests, so the script must send X-CSRFToken like in production."""
    seeded.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def unicode_doc(seeded: Flask) -> str:
    """Import the emoji / combining-mark / right-to-left fixture article; returns its id."""
    text = (FIXTURES / "unicode_article.txt").read_text(encoding="utf-8")
    with seeded.app_context():
        import_text(db.session, text, doc_id=UNICODE_ID, filename="unicode_article.txt")
        db.session.commit()
    return UNICODE_ID


def sign_up(page: Page, name: str) -> None:
    """Create an account through the form (which signs the new user in)."""
    page.goto("/register")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator(".site-nav .who")).to_contain_text(name)


def new_page(browser: Any, live_server: str, width: int = 1280) -> Page:
    """A page in its own context (own cookies): a second person."""
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=live_server)
    return context.new_page()


def select(
    page: Page, selector: str, start: str, end: str | None = None, shift: tuple[int, int] = (0, 0)
) -> None:
    """Select words of a passage as a mouse would and wait for the selection toolbar."""
    page.evaluate(SELECT_JS, [selector, start, end or start, shift[0], shift[1]])
    expect(page.locator("#selection-toolbar")).to_be_visible()


@contextmanager
def reloaded(page: Page, timeout: float = 30_000) -> Iterator[None]:
    """Wait, around an action, until the page's next document has loaded.

    The annotator shows a saved change by rewriting the URL's fragment (history.replaceState)
    and then reloading. Playwright's expect_navigation already returns at the fragment change,
    before the reload, so a test reading the page after it raced the reload (a CI failure:
    "Execution context was destroyed"). The load event belongs to the new document only.
    """
    with page.expect_event("load", timeout=timeout):
        yield


def save_and_reload(page: Page) -> str:
    """Press Save in the open editor; return the new annotation's id once the page reloaded."""
    try:
        with reloaded(page, timeout=10_000):
            page.click(".annotation-editor button[type=submit]")
    except PlaywrightTimeoutError:
        error = page.locator(".annotation-editor .editor-error").text_content()
        raise AssertionError(f"the annotation was not saved: {error}") from None
    match = re.search(r"#annotation-([0-9a-f]+)$", page.url)
    assert match, page.url
    expect(page.locator(f"#annotation-{match.group(1)}")).to_be_focused()
    return match.group(1)


def api_items(page: Page, doc_id: str) -> list[dict[str, Any]]:
    """The annotations the page's user may see on a document, from the JSON API."""
    data = page.request.get(f"/api/annotations/?document={doc_id}").json()
    return data.get("first", {}).get("items", [])


def selectors(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (quote, position) selectors of an annotation's target."""
    by_type = {s["type"]: s for s in item["target"]["selector"]}
    return by_type["TextQuoteSelector"], by_type["TextPositionSelector"]


def create(page: Page, doc_id: str, exact: str, **members: Any) -> str:
    """Create an annotation on the first occurrence of `exact` through the API; return its id."""
    text = page.request.get(f"/api/documents/{doc_id}").json()["text"]
    start = text.index(exact)
    data = {
        "type": "Annotation",
        "motivation": "commenting",
        "target": {
            "source": f"{page.url.split('/documents/')[0]}/documents/{doc_id}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": exact},
                {"type": "TextPositionSelector", "start": start, "end": start + len(exact)},
            ],
        },
        "body": [{"type": "TextualBody", "value": "A note.", "purpose": "commenting"}],
        "visibility": "public",
    } | members
    return page.evaluate(CREATE_JS, data)


def drag_select(page: Page, selector: str, words: str, toolbar: bool = True) -> None:
    """Select words with a real mouse drag from their first to their last character."""
    box = page.evaluate(
        """([selector, words]) => {
          const span = document.querySelector(selector + ' .passage-text');
          const node = span.firstChild;
          const at = node.data.indexOf(words);
          const rect = (a, b) => { const r = document.createRange();
            r.setStart(node, a); r.setEnd(node, b); return r.getBoundingClientRect(); };
          const first = rect(at, at + 1), last = rect(at + words.length - 1, at + words.length);
          return {x1: first.left + 1, y1: first.top + first.height / 2,
                  x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        [selector, words],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()
    if toolbar:
        expect(page.locator("#selection-toolbar")).to_be_visible()


def first_paragraph_id(page: Page) -> str:
    return page.locator("p.passage", has_text=FIRST_SENTENCE).first.get_attribute("id") or ""


def test_annotate_with_tag_and_source_then_read_it_back(page: Page) -> None:
    sign_up(page, "alice")
    page.goto(f"/documents/{SEED_ID}")
    paragraph = f"#{first_paragraph_id(page)}"
    page.evaluate(f"document.querySelector('{paragraph}').scrollIntoView({{block: 'center'}})")
    drag_select(page, paragraph, FIRST_SENTENCE)
    page.click("#selection-toolbar [data-command=annotate]")
    editor = page.locator(".annotation-editor")
    expect(editor.locator("textarea[name=body]")).to_be_focused()
    expect(editor.locator(".editor-quote")).to_have_text(FIRST_SENTENCE)
    editor.locator("textarea[name=body]").fill("A **triangle**, not a line.")
    editor.locator("[data-tab=preview]").click()
    expect(editor.locator(".editor-preview strong")).to_have_text("triangle")
    editor.locator("[data-tab=write]").click()
    editor.locator("input[name=tags]").fill("geopolitics, ")
    editor.locator("[data-command=add-source]").click()
    source = editor.locator(".source-list > li").first
    source.locator("input[name=url]").fill("not a link")
    source.locator("input[name=title]").fill("The Russia-DPRK relationship")
    source.locator("select[name=stance]").select_option("supports")
    editor.locator("select[name=visibility]").select_option("public")
    editor.locator("button[type=submit]").click()
    # The server refuses the URL: the message shows and the editor stays open with its text.
    expect(editor.locator(".editor-error")).to_be_visible()
    expect(editor.locator(".editor-error")).to_contain_text("url")
    source.locator("input[name=url]").fill("https://example.org/russia-dprk")
    aid = save_and_reload(page)

    card = page.locator(f"#annotation-{aid}")
    expect(card).to_be_focused()
    expect(card.locator(".annotation-body strong")).to_have_text("triangle")
    expect(card.locator(".tag")).to_have_text(["geopolitics"])
    expect(card.locator("ol.sources > li")).to_have_count(1)
    expect(card.locator("ol.sources > li")).to_contain_text("The Russia-DPRK relationship")
    expect(card.locator(".stance")).to_have_text("Supports")
    expect(card.locator(".audience")).to_have_text("Public")
    assert page.evaluate(MARK_TEXT_JS, aid) == FIRST_SENTENCE
    marks = page.locator(f"{paragraph} mark.hl")
    expect(marks.first).to_have_class(re.compile(r"\bhl-comment\b"))
    assert "Comment by alice" in (marks.first.get_attribute("title") or "")

    (item,) = api_items(page, SEED_ID)
    quote, position = selectors(item)
    assert quote["exact"] == FIRST_SENTENCE
    text = page.request.get(f"/api/documents/{SEED_ID}").json()["text"]
    assert text[position["start"] : position["end"]] == FIRST_SENTENCE
    assert quote["prefix"] == text[position["start"] - 32 : position["start"]]


def test_second_reader_replies_in_the_thread(
    page: Page, browser: Any, live_server: str, sign_in: Any
) -> None:
    sign_in(page, "alice")
    page.goto(f"/documents/{SEED_ID}")
    root = create(page, SEED_ID, FIRST_SENTENCE, body=[{"type": "TextualBody", "value": "Root."}])

    bob = new_page(browser, live_server)
    try:
        sign_up(bob, "bob")
        bob.goto(f"/documents/{SEED_ID}")
        card = bob.locator(f"#annotation-{root}")
        card.locator("[data-action=reply]").click()
        reply_box = card.locator(".reply-form textarea")
        expect(reply_box).to_be_focused()
        reply_box.fill("I *disagree*.")
        with reloaded(bob):
            card.locator(".reply-form button[type=submit]").click()
        thread = bob.locator("li.thread", has=bob.locator(f"#annotation-{root}"))
        reply = thread.locator("ol.replies > li.reply.depth-1 > article.annotation")
        expect(reply).to_have_count(1)
        expect(reply).to_have_attribute("data-parent", root)
        expect(reply.locator(".annotation-body em")).to_have_text("disagree")
        expect(reply.locator(".author")).to_have_text("bob")
        expect(reply).to_be_focused()
    finally:
        bob.context.close()


def test_highlight_in_a_pull_quote_anchors_to_the_body_paragraph(page: Page, sign_in: Any) -> None:
    sign_in(page, "carol")
    page.goto(f"/documents/{SEED_ID}")
    aside = page.locator("aside.pullquote").first
    aside_id = aside.get_attribute("id")
    source_id = aside.get_attribute("data-source")
    words = " ".join(aside.locator(".passage-text").inner_text().split()[2:8])
    select(page, f"#{aside_id}", words)
    with reloaded(page):
        page.click("#selection-toolbar [data-command=highlight]")

    (item,) = api_items(page, SEED_ID)
    assert item["motivation"] == "highlighting"
    assert item["visibility"] == "private"
    quote, position = selectors(item)
    assert quote["exact"] == words
    doc = page.request.get(f"/api/documents/{SEED_ID}").json()
    block = next(b for b in doc["blocks"] if b["id"] == source_id)
    expected = doc["text"].index(words, block["start"])
    assert (position["start"], position["end"]) == (expected, expected + len(words))
    aid = item["id"].split("/")[-1]
    for where in (f"#{aside_id}", f"#{source_id}"):
        marks = page.locator(f"{where} mark.hl[data-annotations~='{aid}']")
        assert "".join(marks.all_text_contents()) == words
    expect(page.locator(f"#{source_id} mark.hl").first).to_have_class(re.compile("hl-highlight"))


def test_emoji_combining_marks_and_rtl_are_selected_whole(
    page: Page, unicode_doc: str, sign_in: Any
) -> None:
    sign_in(page, "dana")
    page.goto(f"/documents/{unicode_doc}")
    text = page.request.get(f"/api/documents/{unicode_doc}").json()["text"]
    first = page.locator("p.passage", has_text="Zoë").get_attribute("id")
    second = page.locator("p.passage", has_text="Haifa").get_attribute("id")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    scientist = "\U0001f469\u200d\U0001f52c"
    cases = [
        # Start inside the scientist's surrogate pair; end inside the ZWJ family sequence.
        (f"#{first}", f"{scientist} She", family, (1, -5), f"{scientist} She brings"),
        # Start between a Hebrew letter and its vowel points; end after an Arabic word.
        (f"#{second}", "שָׁלוֹם", "مرحبا", (1, 0), "שָׁלוֹם on the whiteboard"),
    ]
    for selector, start, end, shift, head in cases:
        select(page, selector, start, end, shift)
        page.click("#selection-toolbar [data-command=annotate]")
        page.locator(".annotation-editor textarea[name=body]").fill("Unicode ✓")
        aid = save_and_reload(page)
        item = next(i for i in api_items(page, unicode_doc) if i["id"].endswith(aid))
        quote, position = selectors(item)
        expected = text[text.index(start) : text.index(end) + len(end)]
        assert quote["exact"] == expected
        assert quote["exact"].startswith(head)
        assert text[position["start"] : position["end"]] == expected
        assert page.evaluate(MARK_TEXT_JS, aid) == expected


def test_keyboard_only_annotation_of_a_sentence(page: Page, sign_in: Any) -> None:
    sign_in(page, "erin")
    page.goto(f"/documents/{SEED_ID}")
    passages = page.locator("#document .passage")
    for key in "jjjjjk":
        page.keyboard.press(key)
    focused = page.evaluate("document.activeElement.id")
    assert focused == passages.nth(3).get_attribute("id")
    words = page.locator(f"#{focused} .passage-text").inner_text()
    second_sentence = words.split(". ")[1] + "."
    page.keyboard.press("n")
    page.keyboard.press("n")
    expect(page.locator("#selection-toolbar")).to_be_visible()
    assert page.evaluate("getSelection().toString()") == second_sentence
    # The toolbar follows the passage in the DOM, so Tab reaches its buttons next.
    assert page.evaluate(f"document.getElementById('{focused}').nextElementSibling.id") == (
        "selection-toolbar"
    )
    # f opens the claim editor; Esc closes it and gives the focus back to the passage.
    page.keyboard.press("f")
    expect(page.locator(".annotation-editor .editor-title")).to_have_text("Flag a claim")
    page.keyboard.press("Escape")
    expect(page.locator(".annotation-editor")).to_have_count(0)
    expect(page.locator(f"#{focused}")).to_be_focused()
    assert page.evaluate("getSelection().toString()") == second_sentence
    page.keyboard.press("a")
    expect(page.locator(".annotation-editor textarea[name=body]")).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    with reloaded(page):
        page.keyboard.press("Control+Enter")
    (item,) = api_items(page, SEED_ID)
    assert selectors(item)[0]["exact"] == second_sentence
    aid = item["id"].split("/")[-1]
    expect(page.locator(f"#annotation-{aid} .annotation-body")).to_have_text(
        "Typed without a mouse."
    )
    # Esc clears a keyboard selection and its toolbar.
    page.locator(f"#{focused}").focus()
    page.keyboard.press("n")
    expect(page.locator("#selection-toolbar")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#selection-toolbar")).to_be_hidden()


def test_highlight_and_card_focus_each_other(page: Page, sign_in: Any) -> None:
    sign_in(page, "fay")
    page.goto(f"/documents/{SEED_ID}")
    aid = create(page, SEED_ID, FIRST_SENTENCE, motivation="assessing")
    page.reload()
    mark = page.locator(f"mark.hl[data-annotations~='{aid}']").first
    expect(mark).to_have_class(re.compile(r"\bhl-claim\b.*\bhl-start\b|\bhl-start\b.*\bhl-claim\b"))
    mark.click()
    card = page.locator(f"#annotation-{aid}")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bis-focused\b"))
    # Keyboard: Tab reaches the highlight, Enter focuses the card.
    mark.focus()
    page.keyboard.press("Enter")
    expect(card).to_be_focused()

    page.goto("/")
    page.goto(f"/documents/{SEED_ID}#annotation-{aid}")
    expect(card).to_be_focused()
    expect(page.locator(f"mark.hl[data-annotations~='{aid}']").first).to_have_class(
        re.compile(r"\bis-active\b")
    )
    assert page.evaluate(
        """(aid) => { const r = document.querySelector(`mark.hl[data-annotations~="${aid}"]`)
          .getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }""",
        aid,
    )


def test_overlapping_annotations_share_segments(page: Page, sign_in: Any) -> None:
    sign_in(page, "gus")
    page.goto(f"/documents/{SEED_ID}")
    left = "there is a triangle of complicated relations"
    right = "complicated relations involving Russia"
    first = create(page, SEED_ID, left)
    second = create(page, SEED_ID, right, motivation="questioning")
    page.reload()
    both = page.locator(
        f"mark.hl.hl-overlap[data-annotations~='{first}'][data-annotations~='{second}']"
    )
    expect(both).to_have_count(1)
    expect(both).to_have_text("complicated relations")
    expect(both).to_have_class(re.compile(r"\bhl-question\b"))
    assert page.evaluate(MARK_TEXT_JS, first) == left
    assert page.evaluate(MARK_TEXT_JS, second) == right


def test_author_edits_then_deletes_and_the_reply_keeps_its_place(page: Page, sign_in: Any) -> None:
    sign_in(page, "hana")
    page.goto(f"/documents/{SEED_ID}")
    body = [{"type": "TextualBody", "value": "First take.", "purpose": "commenting"}]
    root = create(page, SEED_ID, FIRST_SENTENCE, body=body)
    reply_iri = f"{page.url.split('/documents/')[0]}/api/annotations/{root}"
    reply = create(
        page,
        SEED_ID,
        FIRST_SENTENCE,
        motivation="replying",
        target=reply_iri,
        body=[{"type": "TextualBody", "value": "A reply.", "purpose": "replying"}],
    )
    page.reload()
    card = page.locator(f"#annotation-{root}")
    card.locator("[data-action=edit]").click()
    editor = page.locator(".annotation-editor")
    expect(editor.locator("textarea[name=body]")).to_have_value("First take.")
    expect(editor.locator("select[name=visibility]")).to_have_value("public")
    editor.locator("textarea[name=body]").fill("Second take.")
    save_and_reload(page)
    expect(card.locator(".annotation-body")).to_have_text("Second take.")
    expect(card.locator(".edited")).to_have_text("edited")

    card.locator("[data-action=delete]").click()
    expect(card.locator(".confirm-form")).to_contain_text("Delete this annotation?")
    with reloaded(page):
        card.locator(".confirm-form button[type=submit]").click()
    expect(card).to_have_class(re.compile(r"\bis-deleted\b"))
    expect(card.locator(".tombstone")).to_have_text("Deleted by its author.")
    expect(page.locator(f"mark.hl[data-annotations~='{root}']")).to_have_count(0)
    thread = page.locator("li.thread", has=card)
    expect(thread.locator(f"ol.replies #annotation-{reply}")).to_contain_text("A reply.")


def test_signed_out_reader_is_offered_sign_in(page: Page) -> None:
    page.goto(f"/documents/{SEED_ID}")
    select(page, f"#{first_paragraph_id(page)}", FIRST_SENTENCE)
    link = page.locator("#selection-toolbar a")
    expect(link).to_have_text("Sign in to annotate")
    assert "/login?next=" in (link.get_attribute("href") or "")
    expect(page.locator("#selection-toolbar button")).to_have_count(0)


def test_admin_removes_with_a_reason(
    page: Page, browser: Any, live_server: str, sign_in: Any
) -> None:
    sign_in(page, "moderator", role="admin")
    writer = new_page(browser, live_server)
    try:
        sign_in(writer, "writer")
        writer.goto(f"/documents/{SEED_ID}")
        aid = create(writer, SEED_ID, FIRST_SENTENCE)
    finally:
        writer.context.close()
    page.goto(f"/documents/{SEED_ID}")
    card = page.locator(f"#annotation-{aid}")
    expect(card.locator("[data-action=edit]")).to_have_count(0)
    card.locator("[data-action=moderate]").click()
    reason = card.locator(".confirm-form input[name=reason]")
    expect(reason).to_be_focused()
    card.locator(".confirm-form button[type=submit]").click()
    expect(card.locator(".confirm-form .editor-error")).to_have_text(
        "Give a reason for removing it."
    )
    reason.fill("off topic")
    with reloaded(page):
        page.keyboard.press("Enter")
    expect(card.locator(".tombstone")).to_have_text("Removed by a moderator: off topic.")
