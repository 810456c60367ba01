"""HTML: units from the standard library parser, with scripts, menus and credits left out."""

from __future__ import annotations

from html.parser import HTMLParser

from corpus.units import CHROME, HEADING, PARAGRAPH, TITLE, Unit, collapse_space

SILENT = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "head"})
VISIBLE_CHROME = frozenset({"nav", "header", "footer", "form", "figcaption"})
BLOCKS = frozenset(
    {"p", "li", "blockquote", "pre", "aside", "div", "section", "article", "main", "body",
     "figure", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "hr",
     "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area", "col"})
# An open element the opening tag closes implicitly, as HTML allows "<p>a<p>b" and "<li>a<li>b".
IMPLICIT_CLOSE = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
}
ARTICLE = frozenset({"article", "main"})  # a <header> inside these holds the article's h1


class _Extractor(HTMLParser):
    """Collect text per block element; remember the <title> and dropped visible chrome."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.buffer: list[str] = []
        self.units: list[Unit] = []
        self.page_title: list[str] = []

    def _dropped(self) -> str | None:
        """Return the outermost element whose content is dropped, if any."""
        for depth, tag in enumerate(self.stack):
            if tag in SILENT:
                return tag
            if tag in VISIBLE_CHROME and not (
                tag == "header" and ARTICLE & set(self.stack[:depth])
            ):
                return tag
        return None

    def _flush(self) -> None:
        text = collapse_space("".join(self.buffer))
        self.buffer.clear()
        if not text:
            return
        dropped = self._dropped()
        if dropped is not None:
            self.units.append(Unit(text, CHROME, structural=True))
            return
        heading = next(
            (tag for tag in reversed(self.stack) if tag[0] == "h" and tag[1:].isdigit()), None
        )
        kind = PARAGRAPH if heading is None else TITLE if heading == "h1" else HEADING
        self.units.append(Unit(text, kind, structural=True))

    def finish(self) -> None:
        """Emit the text still buffered at the end of the document."""
        self._flush()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Start a block (closing an open paragraph or list item it implicitly ends)."""
        if tag == "br":
            self.buffer.append(" ")
        if tag in BLOCKS or tag in VISIBLE_CHROME:
            self._flush()
            if self.stack and self.stack[-1] == "p":
                self.stack.pop()
            if self.stack and self.stack[-1] in IMPLICIT_CLOSE.get(tag, ()):
                self.stack.pop()
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close the element and anything left open inside it; ignore stray end tags."""
        if tag not in self.stack:
            return
        if tag in BLOCKS or tag in VISIBLE_CHROME:
            self._flush()
        while self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        """Collect text for the page title, the current block or the dropped chrome."""
        if "title" in self.stack and "svg" not in self.stack:
            self.page_title.append(data)
        elif self._dropped() not in SILENT:
            self.buffer.append(data)


def html_units(source: str) -> list[Unit]:
    """Split HTML into units: the first h1 the title (else <title>), h2-h6 headings, text blocks."""
    parser = _Extractor()
    parser.feed(source)
    parser.close()
    parser.finish()
    units = parser.units
    titles = [i for i, unit in enumerate(units) if unit.kind == TITLE]
    for later in titles[1:]:
        units[later].kind = HEADING
    page_title = collapse_space("".join(parser.page_title)).split(" | ")[0].strip()
    if not titles and page_title:
        units.insert(0, Unit(page_title, TITLE, structural=True))
    return units
