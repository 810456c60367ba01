"""Sanitizing: whatever goes in, only the allow-list comes out, and every link is tame."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from annotations.bodies import Body, parse_body, parse_tags, render_body
from annotations.errors import ValidationError
from annotations.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, clean_html

SCHEMES = {"http", "https", "mailto"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.end_tags: list[str] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.end_tags.append(tag)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def unknown_decl(self, data: str) -> None:
        self.declarations.append(data)


def assert_inert(output: str) -> _Collector:
    """Fail unless output holds only allowed tags and attributes and tame links."""
    parsed = _Collector()
    parsed.feed(output)
    parsed.close()
    assert parsed.comments == []
    assert parsed.declarations == []
    assert set(parsed.end_tags) <= ALLOWED_TAGS, output
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (tag, output)
        names = [name for name, _ in attrs]
        assert not [name for name in names if name.startswith("on")], output
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, [])) | ({"rel"} if tag == "a" else set())
        assert set(names) <= allowed, (tag, names, output)
        values = dict(attrs)
        if tag == "a":
            assert values.get("rel") == LINK_REL, output
        if "href" in values:
            href = values["href"] or ""
            assert href == href.strip()
            assert urlsplit(href).scheme in SCHEMES, (href, output)
    return parsed


RAW_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">',
    '<p onmouseover="alert(1)">hover</p>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<em onfocus=alert(1) autofocus tabindex=0>x</em>",
    '<div onpointerenter="alert(1)">x</div>',
    "<input onfocus=alert(1) autofocus>",
    '<details open ontoggle="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="jav&#10;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<a href="/logout">relative</a>',
    '<a href="//evil.example/x">protocol-relative</a>',
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="https://ok.example" style="position:fixed;top:0">cover</a>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<form action="https://evil.example"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<!-- <script>alert(1)</script> -->",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<p title="x" onmouseover=alert(1)>"quoted"</p>',
    '<a href="https://ok.example/" title="a" onmouseover="alert(1)" x="y">x</a>',
    "<a title='\"><script>alert(1)</script>'>x</a>",
    '<a href="https://ok.example/"><a href="javascript:alert(1)">nested</a>',
    "<p><em><strong>unclosed <blockquote>deep",
    "<b><i><u>not allowed but text stays</u></i></b>",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="https://ok.example/" rel="opener">mine</a>',
    '<a href="https://ok.example/" target="_blank">new tab</a>',
    '<video><source onerror="alert(1)"></video>',
    "<isindex type=image src=1 onerror=alert(1)>",
    "<template><img src=x onerror=alert(1)></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]

MARKDOWN_VECTORS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "<javascript:alert(1)>",
    "<https://ok.example/path?q=1&r=2>",
    "<someone@example.com>",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "[ref][1]\n\n[1]: https://ok.example/ref 'Title'",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.png)",
    '![x" onerror="alert(1)](https://tracker.example/pixel.png)',
    "[![x](https://tracker.example/p.png)](https://ok.example)",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">raw</a>',
    "text <span onmouseover=alert(1)>inline</span> html",
    "<!-- comment -->",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "# Heading with <script>alert(1)</script>",
    "> quote <iframe src=https://evil.example>",
    "* list [x](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1) )",
    "[x](\\javascript:alert(1))",
    "[x](//evil.example)",
]


@pytest.mark.parametrize("vector", RAW_VECTORS)
def test_raw_html_vectors_come_out_inert(vector: str) -> None:
    assert_inert(clean_html(vector))


@pytest.mark.parametrize("vector", MARKDOWN_VECTORS)
def test_markdown_vectors_come_out_inert(vector: str) -> None:
    assert_inert(render_body(vector))


def test_there_are_plenty_of_vectors() -> None:
    assert len(RAW_VECTORS) + len(MARKDOWN_VECTORS) >= 40


def test_raw_html_in_markdown_is_escaped_into_visible_text() -> None:
    output = render_body('<script>alert(1)</script> and <img src=x onerror="alert(1)">')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in output
    assert "&lt;img" in output
    assert "<script" not in output
    assert "<img" not in output


def test_disallowed_tags_are_stripped_keeping_their_text() -> None:
    assert clean_html("<p><b>bold</b> <u>under</u></p>") == "<p>bold under</p>"
    assert clean_html('<iframe src="https://evil.example"></iframe>x') == "x"
    assert clean_html("a<!-- secret -->b") == "ab"


def test_javascript_link_in_markdown_is_not_a_link() -> None:
    output = render_body("[x](javascript:alert(1))")
    assert "<a" not in output
    assert "javascript:alert(1)" in output  # shown as the text the author typed


def test_javascript_href_is_removed_but_the_words_stay() -> None:
    output = clean_html('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert output == f'<a rel="{LINK_REL}">x</a>'


def test_relative_and_protocol_relative_links_lose_their_href() -> None:
    for html in ('<a href="/logout">x</a>', '<a href="//evil.example/">x</a>'):
        assert "href" not in clean_html(html)


def test_images_become_their_alt_text_and_load_nothing() -> None:
    output = render_body("see ![a <chart> & more](https://tracker.example/pixel.png)")
    assert output == "<p>see a &lt;chart&gt; &amp; more</p>\n"
    assert "tracker.example" not in output
    assert render_body("![](https://tracker.example/pixel.png)") == "<p></p>\n"


def test_image_inside_a_link_keeps_the_link_with_the_alt_text() -> None:
    output = render_body("[![logo](https://x.example/l.png)](https://ok.example/)")
    assert output == f'<p><a href="https://ok.example/" rel="{LINK_REL}">logo</a></p>\n'


def test_headings_are_reduced_to_their_words() -> None:
    output = render_body("# Title\n\n### Section\n\nbody")
    assert "<h" not in output
    assert "Title" in output
    assert "Section" in output


# --- what must survive -------------------------------------------------------------------


def test_emphasis_and_strong() -> None:
    assert render_body("*a* **b** _c_") == "<p><em>a</em> <strong>b</strong> <em>c</em></p>\n"


def test_lists_blockquote_and_rule() -> None:
    output = render_body("- one\n- two\n\n1. first\n\n> quoted\n\n---")
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in output
    assert "<ol>\n<li>first</li>\n</ol>" in output
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in output
    assert "<hr>" in output
    assert_inert(output)


def test_code_inline_and_blocks_keep_their_text_escaped() -> None:
    output = render_body("`a < b`\n\n```python\nif a < b:\n    pass\n```")
    assert "<code>a &lt; b</code>" in output
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in output  # class dropped


def test_line_breaks() -> None:
    assert render_body("a  \nb") == "<p>a<br>\nb</p>\n"


def test_a_normal_link_keeps_its_href_and_title_and_gets_rel() -> None:
    output = render_body('[the report](https://example.org/report?a=1&b=2 "Annual")')
    assert output == (
        '<p><a href="https://example.org/report?a=1&amp;b=2" title="Annual" '
        f'rel="{LINK_REL}">the report</a></p>\n'
    )
    assert_inert(output)


def test_mailto_and_autolinks_are_links_with_rel() -> None:
    output = render_body("<https://example.org/x> and <someone@example.com>")
    parsed = assert_inert(output)
    hrefs = [dict(attrs)["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs == ["https://example.org/x", "mailto:someone@example.com"]


def test_a_supplied_rel_is_replaced() -> None:
    output = clean_html('<a href="https://ok.example/" rel="opener">x</a>')
    assert output == f'<a href="https://ok.example/" rel="{LINK_REL}">x</a>'


def test_bare_urls_are_not_linkified() -> None:
    assert render_body("see https://example.org") == "<p>see https://example.org</p>\n"


def test_cleaning_is_idempotent() -> None:
    once = render_body("*a* [b](https://ok.example) ![c](https://x.example/c.png) <b>x</b>")
    assert clean_html(once) == once


# --- bodies and tags (annotations.bodies) ------------------------------------------------


def test_parse_body_keeps_the_markdown_and_renders_clean_html() -> None:
    body = parse_body("*hi* <script>alert(1)</script>")
    assert body == Body("*hi* <script>alert(1)</script>", render_body(body.markdown))
    assert body.html == "<p><em>hi</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_an_empty_body_is_allowed_and_renders_nothing() -> None:
    assert parse_body("") == Body("", "")
    assert parse_body("  \n ") == Body("  \n ", "")


@pytest.mark.parametrize(
    ("value", "limit", "message"),
    [
        (None, 10_000, "the body must be a string"),
        (["x"], 10_000, "the body must be a string"),
        ("x" * 10_001, 10_000, "the body is 10001 characters long; the limit is 10000"),
        ("abc", 2, "the body is 3 characters long; the limit is 2"),
        ("a\x00b", 10_000, "the body must not contain NUL characters"),
        ("a\udc80b", 10_000, "the body is not valid Unicode (it contains a lone surrogate)"),
    ],
)
def test_invalid_bodies_are_refused(value: object, limit: int, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_body(value, max_length=limit)
    assert (caught.value.field, caught.value.message) == ("body", message)


def test_body_at_the_limit_is_accepted() -> None:
    assert parse_body("x" * 10_000).markdown == "x" * 10_000


def test_tags_are_trimmed_collapsed_and_deduplicated_case_insensitively() -> None:
    tags = parse_tags(
        [" Climate  policy ", "climate POLICY", "", "   ", "a\tb\nc", "Straße", "STRASSE"]
    )
    assert tags == ("Climate policy", "a b c", "Straße")


def test_tags_keep_angle_brackets_as_data() -> None:
    assert parse_tags(["<b>", "a > b"]) == ("<b>", "a > b")  # templates escape them


def test_tags_may_be_emoji_sequences() -> None:
    assert parse_tags(["👩\u200d🔬 lab"]) == ("👩\u200d🔬 lab",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("climate", "tags must be a list of strings"),
        ({"a": 1}, "tags must be a list of strings"),
        (["ok", 3], "tags[1] must be a string"),
        (["x" * 51], "tags[0] is 51 characters long; the limit is 50"),
        (["ok", "a\x00b"], "tags[1] must not contain NUL characters"),
        (["a\x07b"], "tags[0] must not contain control characters"),
        (["a\x1fb"], "tags[0] must not contain control characters"),
        (["a\u202eb"], "tags[0] must not contain control characters"),
        (["\ud800"], "tags[0] is not valid Unicode (it contains a lone surrogate)"),
        ([f"tag {n}" for n in range(21)], "at most 20 different tags are allowed"),
    ],
)
def test_invalid_tags_are_refused(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tags(value)
    assert (caught.value.field, caught.value.message) == ("tags", message)


def test_tag_limits_count_distinct_normalized_tags() -> None:
    assert len(parse_tags([f"tag {n}" for n in range(20)] + ["TAG 0", " tag  1 "])) == 20
    assert parse_tags(["  " + "x" * 50 + "  "]) == ("x" * 50,)
    with pytest.raises(ValidationError, match="at most 2 different tags"):
        parse_tags(["a", "b", "c"], max_tags=2)
    with pytest.raises(ValidationError, match="the limit is 3"):
        parse_tags(["abcd"], max_length=3)
