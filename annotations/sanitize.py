"""Sanitizing: the one module that imports bleach, and the product's one HTML allow-list.

Policy, applied to HTML rendered from Markdown with raw HTML off:

- Tags: p, br, em, strong, code, pre, blockquote, ul, ol, li, a, hr. No headings: a note's
  headings would compete with the article's own outline beside it, so `# x` keeps its words
  as plain text. No tables (CommonMark has none) and no images (below).
- Attributes: only href and title on a. Links only absolute http, https and mailto (bleach
  lets relative hrefs through; here they are dropped: they would resolve against this site);
  every a gets rel="nofollow noopener noreferrer" (we vouch for no link, and none may reach
  window.opener).
- Disallowed tags are stripped, not escaped: with raw HTML off they can only come from Markdown
  constructs we chose not to support, and escaping would show readers stray markup like
  "<h1>". Their text stays. Comments are stripped.
- Images become their alt text: loading a third-party image would tell its host who reads
  which note (a tracking pixel) and lets a note dress itself up as page chrome. The words the
  author gave the image are kept; its address is dropped.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bleach.sanitizer import Cleaner

if TYPE_CHECKING:  # the stubs describe the vendored html5lib under its own name
    from html5lib.filters.base import Filter
else:  # bleach runs its vendored copy: subclass that one
    from bleach.html5lib_shim import Filter

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
_TAGS_BEFORE_FILTERS = ALLOWED_TAGS | {"img"}  # an img reaches the filter only to become text
_ATTRIBUTES_BEFORE_FILTERS = {**ALLOWED_ATTRIBUTES, "img": ["alt"]}
_Attributes = dict[tuple[str | None, str], str]  # html5lib: (namespace, name) -> value
_local = threading.local()  # html5lib parsers keep state: one Cleaner per thread


class _LinkPolicy(Filter):
    """Give every link the rel policy and replace every image by its alt text."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            kind, name = token.get("type"), token.get("name")
            if kind == "StartTag" and name == "a":
                token["data"] = _link_attributes(token.get("data", {}))
            elif kind in ("StartTag", "EmptyTag") and name == "img":
                # attribute values still hold their entities; the serializer escapes text again
                alt = html.unescape(token.get("data", {}).get((None, "alt"), ""))
                if alt:
                    yield {"type": "Characters", "data": alt}
                continue
            elif kind == "EndTag" and name == "img":
                continue
            yield token


def _link_attributes(data: _Attributes) -> _Attributes:
    attributes = {**data, (None, "rel"): LINK_REL}
    href = attributes.get((None, "href"))
    if href is not None and not _has_allowed_scheme(href):
        del attributes[(None, "href")]
    return attributes


def _has_allowed_scheme(href: str) -> bool:
    try:
        scheme = urlsplit(html.unescape(href).strip()).scheme
    except ValueError:
        return False
    return scheme.lower() in ALLOWED_PROTOCOLS


def _cleaner() -> Cleaner:
    cleaner: Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = Cleaner(
            tags=_TAGS_BEFORE_FILTERS,
            attributes=_ATTRIBUTES_BEFORE_FILTERS,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_LinkPolicy],
        )
        _local.cleaner = cleaner
    return cleaner


def clean_html(html: str) -> str:
    """Reduce HTML to the allow-list: safe tags, http/https/mailto links with rel, no images."""
    cleaned: str = _cleaner().clean(html)
    return cleaned
