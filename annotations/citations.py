"""Citations: sources as structured records, validated from untrusted JSON and exported.

URLs are normalized for dedupe only; the link a person gave is kept and exported as given.
http and https are NOT merged: they are different origins, a site may serve different things
on each, and silently swapping the scheme would cite a link the author never gave.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

import idna

from annotations.errors import ValidationError

STANCES = ("supports", "refutes", "context")
FIELDS = frozenset(
    {
        "url",
        "title",
        "authors",
        "publisher",
        "published",
        "accessed",
        "excerpt",
        "locator",
        "stance",
    }
)
LIMITS = {
    "url": 2000,
    "title": 500,
    "author": 200,
    "publisher": 300,
    "excerpt": 2000,
    "locator": 100,
}
MAX_AUTHORS = 20
MAX_SOURCES = 20
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({"fbclid", "gclid"})  # plus every utm_* parameter
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_URL_SAFE = "!$&'()*+,/:;=?@[]~%-._"  # reserved characters keep their meaning; % keeps escapes
_ORGANIZATION_WORDS = frozenset(  # a name holding one of these is not split into given/family
    {"and", "agency", "association", "bank", "board", "bureau", "center", "centre", "college"}
    | {"committee", "company", "corporation", "council", "department", "foundation", "group"}
    | {"government", "inc", "inc.", "institute", "international", "ltd", "ltd.", "llc", "news"}
    | {"ministry", "museum", "office", "organisation", "organization", "press", "service"}
    | {"society", "team", "times", "trust", "university"}
)
# BibTeX counts braces even when escaped, so braces become commands whose own braces balance
_TEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_TEX |= {char: "\\" + char for char in "%&$#_"}
_TEX |= {"^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\]", re.ASCII)


@dataclass(frozen=True)
class SourceInput:
    """A validated source as a person cited it on an annotation."""

    url: str
    normalized_url: str
    title: str
    authors: tuple[str, ...]
    publisher: str | None
    published: str | None  # YYYY, YYYY-MM or YYYY-MM-DD
    accessed: str | None  # same format
    excerpt: str | None
    locator: str | None
    stance: str


@dataclass(frozen=True)
class CitedSource:
    """A source record as exported; key is a stable citation key."""

    key: str
    url: str
    title: str
    authors: tuple[str, ...]
    publisher: str | None
    published: str | None
    accessed: str | None


# --- URLs --------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """Return a dedupe key for an http(s) URL; raise ValueError if it cannot be parsed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _normalize_host(parts.hostname or "")
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = _normalize_escapes(parts.path).rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, _normalize_query(parts.query), ""))


def _normalize_host(host: str) -> str:
    if ":" in host:  # an IPv6 literal, unbracketed by urlsplit
        return f"[{host.lower()}]"
    if host.isascii():
        return host.lower().rstrip(".")
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False).rstrip(".")
        labels = [
            label if label.isascii() else idna.alabel(label).decode("ascii")
            for label in mapped.split(".")
        ]
    except idna.IDNAError as error:
        raise ValueError(f"the host name is not a valid domain name ({error})") from None
    return ".".join(labels)


def _normalize_escapes(part: str) -> str:
    """Percent-encode non-ASCII, decode escaped unreserved characters, uppercase the rest."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, quote(part, safe=_URL_SAFE))


def _normalize_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name = unquote_plus(pair.split("=", 1)[0]).lower()
        if pair and not name.startswith("utm_") and name not in TRACKING_PARAMS:
            pairs.append(_normalize_escapes(pair))
    # sort by name only: a stable sort keeps the order of repeated names, which can matter
    return "&".join(sorted(pairs, key=lambda pair: pair.split("=", 1)[0]))


def _check_url(label: str, url: str) -> str:
    """Validate an already stripped URL; return its normalized form."""
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        raise ValidationError(
            "sources", f"{label}: links must not contain spaces or control characters"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # parsing the port is the check
    except ValueError:
        raise ValidationError("sources", f"{label}: this is not a valid link") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise ValidationError("sources", f"{label}: only http and https links are allowed")
    if "@" in parts.netloc:
        raise ValidationError("sources", f"{label}: links must not contain a user name or password")
    if not parts.hostname:
        raise ValidationError("sources", f"{label}: the link has no host")
    try:
        host = _normalize_host(parts.hostname)
    except ValueError as error:
        raise ValidationError("sources", f"{label}: {error}") from None
    if not _HOST.fullmatch(host):
        raise ValidationError("sources", f"{label}: the host name is not valid")
    return normalize_url(url)


# --- parsing -----------------------------------------------------------------------------


def parse_sources(raw: object, max_sources: int = MAX_SOURCES) -> tuple[SourceInput, ...]:
    """Validate a list of sources; the same link with the same locator may appear once."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValidationError("sources", "sources must be a list of objects")
    if len(raw) > max_sources:
        raise ValidationError(
            "sources", f"at most {max_sources} sources are allowed, got {len(raw)}"
        )
    sources: list[SourceInput] = []
    seen: dict[tuple[str, str | None], int] = {}
    for index, item in enumerate(raw):
        source = parse_source(item, index=index)
        first = seen.setdefault((source.normalized_url, source.locator), index)
        if first != index:
            raise ValidationError(
                "sources", f"sources[{index}]: the same link and locator as sources[{first}]"
            )
        sources.append(source)
    return tuple(sources)


def parse_source(raw: object, *, index: int | None = None) -> SourceInput:
    """Validate one untrusted source object; errors name the sub-field, e.g. sources[2].url."""
    label = "source" if index is None else f"sources[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError("sources", f"{label} must be an object")
    unknown = sorted(str(name) for name in raw if name not in FIELDS)
    if unknown:
        raise ValidationError("sources", f"{label}: unknown field {unknown[0]!r}")
    url = _required(raw.get("url"), f"{label}.url", LIMITS["url"])
    title = _required(raw.get("title"), f"{label}.title", LIMITS["title"])
    return SourceInput(
        url=url,
        normalized_url=_check_url(f"{label}.url", url),
        title=title,
        authors=_authors(raw.get("authors"), f"{label}.authors"),
        publisher=_text(raw.get("publisher"), f"{label}.publisher", LIMITS["publisher"]),
        published=_date(raw.get("published"), f"{label}.published"),
        accessed=_date(raw.get("accessed"), f"{label}.accessed"),
        excerpt=_text(raw.get("excerpt"), f"{label}.excerpt", LIMITS["excerpt"], lines=True),
        locator=_text(raw.get("locator"), f"{label}.locator", LIMITS["locator"]),
        stance=_stance(raw.get("stance"), f"{label}.stance"),
    )


def _text(value: object, label: str, limit: int, *, lines: bool = False) -> str | None:
    """Validate a text field: trimmed; single-line fields get inner whitespace collapsed."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("sources", f"{label} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("sources", f"{label} is not valid Unicode") from None
    allowed = "\t\n\r" if lines else "\t\n\r\x0b\x0c"  # single-line: whitespace collapses
    if any(unicodedata.category(char) == "Cc" and char not in allowed for char in value):
        raise ValidationError("sources", f"{label} must not contain control characters")
    text = value.replace("\r\n", "\n").strip() if lines else " ".join(value.split())
    if not text:
        return None
    if len(text) > limit:
        raise ValidationError(
            "sources", f"{label} is {len(text)} characters long; the limit is {limit}"
        )
    return text


def _required(value: object, label: str, limit: int) -> str:
    if value is None:
        raise ValidationError("sources", f"{label} is required")
    text = _text(value, label, limit)
    if text is None:
        raise ValidationError("sources", f"{label} must not be empty")
    return text


def _authors(value: object, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list):
        raise ValidationError("sources", f"{label} must be a list of names or one string")
    names = [_text(item, f"{label}[{i}]", LIMITS["author"]) for i, item in enumerate(value)]
    authors = tuple(name for name in names if name)
    if len(authors) > MAX_AUTHORS:
        raise ValidationError(
            "sources", f"{label}: at most {MAX_AUTHORS} authors are allowed, got {len(authors)}"
        )
    return authors


def _date(value: object, label: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("sources", f"{label} must be a string")
    match = _DATE.fullmatch(value.strip())
    if match is None:
        raise ValidationError(
            "sources", f"{label} must be a date written YYYY, YYYY-MM or YYYY-MM-DD"
        )
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise ValidationError("sources", f"{label}: {match.group()} is not a real date") from None
    return match.group()


def _stance(value: object, label: str) -> str:
    if value is None:
        return "context"
    if value not in STANCES:
        raise ValidationError("sources", f"{label} must be one of {', '.join(STANCES)}")
    return str(value)


# --- export ------------------------------------------------------------------------------


def citation_key(authors: Sequence[str], published: str | None, normalized_url: str) -> str:
    """Derive a stable key: first author's surname, year, short hash of the normalized URL."""
    name = _split_name(authors[0]) if authors else {}
    word = name.get("family") or (name.get("literal") or "").split(" ")[0]
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    surname = "".join(char for char in folded.lower() if char.isalnum())[:20] or "anon"
    digest = hashlib.sha256(normalized_url.encode("utf-8")).hexdigest()[:6]
    return f"{surname}{published[:4] if published else 'nd'}-{digest}"


def cite_source(source: SourceInput) -> CitedSource:
    """Turn a validated source into the record that exports carry."""
    return CitedSource(
        key=citation_key(source.authors, source.published, source.normalized_url),
        url=source.url,
        title=source.title,
        authors=source.authors,
        publisher=source.publisher,
        published=source.published,
        accessed=source.accessed,
    )


def _split_name(name: str) -> dict[str, str]:
    """Split "Given Family" on the last space (or "Family, Given"); else keep it literal."""
    words = name.split()
    if len(words) < 2 or any(word.lower() in _ORGANIZATION_WORDS for word in words):
        return {"literal": name}
    if any(char.isdigit() or char == "&" for char in name):
        return {"literal": name}
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return {"family": family, "given": given} if family and given else {"literal": name}
    given, family = name.rsplit(" ", 1)
    return {"family": family, "given": given}


def _unique(entries: Sequence[CitedSource]) -> list[CitedSource]:
    """One entry per key: the same normalized link is the same work."""
    first: dict[str, CitedSource] = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    return list(first.values())


def _tex(value: str) -> str:
    return "".join(_TEX.get(char, char) for char in " ".join(value.split()))


def _bibtex_name(name: str) -> str:
    parts = _split_name(name)
    if "literal" in parts:
        return "{" + _tex(parts["literal"]) + "}"  # braces stop BibTeX parsing it as a person
    return f"{_tex(parts['family'])}, {_tex(parts['given'])}"


def _bibtex_url(url: str) -> str:
    """Biblatex reads url verbatim: percent-encode what could end or escape the field."""
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def to_bibtex(entries: Sequence[CitedSource]) -> str:
    """Render sources as biblatex @online entries with every special character escaped."""
    blocks = []
    for entry in _unique(entries):
        fields = [("title", _tex(entry.title))]
        if entry.authors:
            fields.append(("author", " and ".join(_bibtex_name(a) for a in entry.authors)))
        fields.append(("url", _bibtex_url(entry.url)))
        dates = [("urldate", entry.accessed), ("date", entry.published)]
        fields += [(name, value) for name, value in dates if value]
        if entry.publisher:
            fields.append(("organization", _tex(entry.publisher)))
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
        blocks.append(f"@online{{{entry.key},\n{body}}}\n")
    return "\n".join(blocks)


def _date_parts(value: str) -> dict[str, Any]:
    return {"date-parts": [[int(part) for part in value.split("-")]]}


def to_csl_json(entries: Sequence[CitedSource]) -> list[dict[str, Any]]:
    """Render sources as CSL-JSON items of type webpage (publisher as container-title)."""
    items: list[dict[str, Any]] = []
    for entry in _unique(entries):
        item: dict[str, Any] = {
            "id": entry.key,
            "type": "webpage",
            "title": entry.title,
            "URL": entry.url,
        }
        if entry.authors:
            item["author"] = [_split_name(name) for name in entry.authors]
        if entry.publisher:
            item["container-title"] = entry.publisher  # a web page's site is its container
        if entry.published:
            item["issued"] = _date_parts(entry.published)
        if entry.accessed:
            item["accessed"] = _date_parts(entry.accessed)
        items.append(item)
    return items
