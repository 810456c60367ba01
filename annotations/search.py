"""Searching passages, annotations and sources as one viewer may see them."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field, replace
from html import unescape

from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from annotations.accounts import User
from annotations.errors import ValidationError
from annotations.indexing import audience_for
from annotations.models import Annotation, Citation, Source
from annotations.service import AnnotationService
from annotations.visibility import visible_condition
from corpus.querylang import Clause, ParsedQuery, QueryError, Word, parse_query
from corpus.search import SearchHit, SearchIndex, snippet
from corpus.store import DocumentStore

MAX_LIMIT = 100
FACET_SIZE = 12


@dataclass(frozen=True)
class Hit:
    """One search result, re-checked against the database, ready to show."""

    type: str  # passage | annotation | source
    key: str
    score: float
    document_id: str
    document_title: str
    section: str
    snippet: str  # safe HTML with <mark>
    fragment: str  # where in the reader: a block id or "annotation-<id>"
    annotation: Annotation | None = None
    source: Source | None = None


@dataclass
class SearchOutcome:
    """A page of results with totals, facets, paging cursors and suggestions."""

    query: str
    parsed: ParsedQuery | None
    hits: list[Hit]
    total: int
    offset: int
    limit: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def next_cursor(self) -> str | None:
        """Cursor of the next page, or None on the last one."""
        end = self.offset + self.limit
        return encode_cursor(end) if end < self.total else None

    @property
    def prev_cursor(self) -> str | None:
        """Cursor of the previous page, or None on the first one."""
        return encode_cursor(max(0, self.offset - self.limit)) if self.offset > 0 else None


_TAG = re.compile(r"<[^>]+>")
_MARKED = re.compile(r"<mark>(.*?)</mark>")


def plain_text(html: str) -> str:
    """The words of sanitised body HTML, for snippets (no Markdown punctuation)."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def encode_cursor(offset: int) -> str:
    """An opaque cursor for a result offset."""
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset in a cursor; ValidationError when it is not one of ours."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset = data["o"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise ValidationError("cursor", "is not a cursor from a previous page") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValidationError("cursor", "is not a cursor from a previous page")
    return offset


class SearchService:
    """Parses a query, searches the index inside the viewer's audience, re-checks every hit."""

    def __init__(
        self,
        session: Session,
        index: SearchIndex,
        annotations: AnnotationService,
        documents: DocumentStore,
        max_length: int = 500,
        max_terms: int = 20,
    ) -> None:
        self.session = session
        self.index = index
        self.annotations = annotations
        self.documents = documents
        self.max_length = max_length
        self.max_terms = max_terms

    def parse(self, raw: str) -> ParsedQuery:
        """Parse a query string or raise ValidationError with the parser's message."""
        try:
            return parse_query(raw, self.max_length, self.max_terms)
        except QueryError as exc:
            raise ValidationError("q", str(exc)) from None

    def search(
        self, raw: str, viewer: User | None, cursor: str | None = None, limit: int = 20
    ) -> SearchOutcome:
        """Search as viewer; every number and word shown comes from what viewer may see."""
        limit = max(1, min(limit, MAX_LIMIT))
        offset = decode_cursor(cursor)
        parsed = self.parse(raw)
        outcome = SearchOutcome(raw, parsed, [], 0, offset, limit, notices=list(parsed.notices))
        if parsed.is_empty:
            return outcome
        audience = self.audience(viewer)
        page = self.index.search(parsed, audience, offset, limit)
        outcome.total = page.total
        outcome.hits = self._recheck(page.hits, viewer, {t for _, t in page.terms})
        outcome.facets = {
            name: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE]
            for name, counts in page.facets.items()
        }
        if page.total == 0:
            outcome.suggestions = self.suggestions(parsed, audience, viewer)
        return outcome

    def audience(self, viewer: User | None) -> list[str]:
        """The audience tokens of a viewer."""
        if viewer is None:
            return audience_for(None, [])
        return audience_for(viewer.id, self.annotations.group_ids(viewer))

    def suggestions(
        self, parsed: ParsedQuery, audience: list[str], viewer: User | None
    ) -> list[str]:
        """Respellings of the query that would find something the asker may see.

        Every word that finds nothing on its own (as the asker) is respelt, in order, each tried
        with the words before it already respelt, so that "nucleer wepons" becomes "nuclear
        weapons" and not two suggestions that each still find nothing. The last word's other
        respellings make the alternatives; each suggestion is checked to find something.
        """
        unknown: list[tuple[int, Word]] = []  # (position in must, the word)
        for position, group in enumerate(parsed.must):
            word = group[0]
            if len(group) != 1 or not isinstance(word, Word):
                continue
            if not self._finds(replace(parsed, must=(group,)), audience):  # the word alone
                unknown.append((position, word))
        if not unknown:
            return []
        must = list(parsed.must)
        words: list[str] = []
        for at, (position, word) in enumerate(unknown):
            later = {j for j, _ in unknown[at + 1 :]}  # still misspelt: left out of the trial
            before = must[:position]  # the words before it, respelt where they needed it
            after = [g for j, g in enumerate(must) if j > position and j not in later]
            words = self._respellings(parsed, before, word, after, audience, viewer)
            if not words:
                return []
            must[position] = (Word(words[0]),)
        found: list[str] = []
        for respelt in words[:3]:
            must[unknown[-1][0]] = (Word(respelt),)
            found.append(replace(parsed, must=tuple(must), notices=()).describe())
        return found

    def _finds(self, parsed: ParsedQuery, audience: list[str]) -> bool:
        return self.index.search(parsed, audience, 0, 0, facets=False).total > 0

    def _respellings(
        self,
        parsed: ParsedQuery,
        before: list[tuple[Clause, ...]],
        original: Word,
        after: list[tuple[Clause, ...]],
        audience: list[str],
        viewer: User | None,
    ) -> list[str]:
        """Words close to original with which before + the word + after finds something.

        The index offers close terms (stems); the word shown is the one the best hit the asker
        may see actually contains.
        """
        words: list[str] = []
        for term in self.index.suggest_terms(original.text):
            trial = (*before, (Word(term),), *after)
            page = self.index.search(replace(parsed, must=trial), audience, 0, 1, facets=False)
            shown = self._recheck(page.hits, viewer, {term})
            marked = _MARKED.search(shown[0].snippet) if shown else None
            word = unescape(marked.group(1)).lower() if marked else ""
            if (
                word
                and word not in words
                and Levenshtein.distance(word, original.text.lower()) <= 2
            ):
                words.append(word)
        return words

    def _recheck(self, hits: list[SearchHit], viewer: User | None, terms: set[str]) -> list[Hit]:
        """Keep only hits the database still shows to viewer, with snippets from current text."""
        notes = self._visible_annotations(hits, viewer)
        sources = self._visible_sources(hits, viewer)
        passages = self.documents.passage_texts(
            {(h.doc, h.block) for h in hits if h.type == "passage"}
        )
        titles = self.documents.titles(
            {h.doc for h in hits if h.doc}
            | {n.document_id for n in notes.values()}
            | {note.document_id for _, note in sources.values()}
        )
        shown: list[Hit] = []
        for hit in hits:
            ident = hit.key.split(":", 1)[1]
            note: Annotation | None = None
            source: Source | None = None
            if hit.type == "annotation" and ident in notes:
                note = notes[ident]
                body = plain_text(note.body_html)
                doc, text, fragment = note.document_id, body or note.exact or "", ""
            elif hit.type == "passage" and (hit.doc, hit.block) in passages:
                doc, text, fragment = hit.doc, passages[(hit.doc, hit.block)], hit.block
            elif hit.type == "source" and ident.isdigit() and int(ident) in sources:
                source, note = sources[int(ident)]
                doc, text, fragment = note.document_id, source.title, ""
            else:
                continue  # deleted, made private, or not yet re-indexed: never shown
            shown.append(
                Hit(
                    type=hit.type,
                    key=hit.key,
                    score=hit.score,
                    section=hit.section,
                    document_id=doc,
                    document_title=titles.get(doc, doc),
                    snippet=snippet(text, terms),
                    fragment=fragment or f"annotation-{note.id if note else ''}",
                    annotation=note,
                    source=source,
                )
            )
        return shown

    def _visible_annotations(
        self, hits: list[SearchHit], viewer: User | None
    ) -> dict[str, Annotation]:
        ids = [h.key.split(":", 1)[1] for h in hits if h.type == "annotation"]
        if not ids:
            return {}
        query = (
            self.annotations.visible(viewer)
            .where(Annotation.id.in_(ids), Annotation.deleted_at.is_(None))
            .options(selectinload(Annotation.author), lazyload(Annotation.citations))
        )
        return {a.id: a for a in self.session.scalars(query)}

    def _visible_sources(
        self, hits: list[SearchHit], viewer: User | None
    ) -> dict[int, tuple[Source, Annotation]]:
        ids = [
            int(i) for h in hits if h.type == "source" and (i := h.key.split(":", 1)[1]).isdigit()
        ]
        if not ids:
            return {}
        condition = visible_condition(viewer, self.annotations.group_ids(viewer))
        rows = self.session.execute(
            select(Source, Annotation)
            .join(Citation, Citation.source_id == Source.id)
            .join(Annotation, Citation.annotation_id == Annotation.id)
            .where(Source.id.in_(ids), condition, Annotation.deleted_at.is_(None))
            .order_by(Annotation.created_at)
        )
        found: dict[int, tuple[Source, Annotation]] = {}
        for source, note in rows:
            found.setdefault(source.id, (source, note))
        return found
