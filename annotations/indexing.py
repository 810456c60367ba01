"""Keeping the search index in step with the database: documents to index, jobs, drift checks."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from annotations.accounts import User
from annotations.claims import Claim, ClaimFlag, Verdict
from annotations.models import KIND_OF_MOTIVATION, Annotation, Citation, Source, Tag
from corpus.models import DocumentVersion, IndexJob
from corpus.search import IndexDoc, IndexUnavailable, SearchIndex
from corpus.store import DocumentStore

log = logging.getLogger(__name__)
BATCH = 500
REBUILD_BATCH = 2000
# What _annotation_doc and source_doc read from an annotation's own row.
_INDEXED_COLUMNS = (
    Annotation.id,
    Annotation.document_id,
    Annotation.author_id,
    Annotation.motivation,
    Annotation.visibility,
    Annotation.group_id,
    Annotation.body_markdown,
    Annotation.exact,
    Annotation.created_at,
    Annotation.deleted_at,
)
_AUDIENCE_COLUMNS = (
    Annotation.visibility,
    Annotation.author_id,
    Annotation.group_id,
    Annotation.document_id,
    Annotation.deleted_at,
)


class _Audienced(Protocol):
    visibility: str
    author_id: int
    group_id: int | None


def audience_of(annotation: _Audienced) -> tuple[str, ...]:
    """The audience tokens of an annotation: who may find it."""
    if annotation.visibility == "public":
        return ("public",)
    tokens = [f"u{annotation.author_id}"]
    if annotation.visibility == "group" and annotation.group_id is not None:
        tokens.append(f"g{annotation.group_id}")
    return tuple(tokens)


def audience_for(user_id: int | None, group_ids: list[int]) -> list[str]:
    """The audience tokens a user (None for anonymous) may search."""
    if user_id is None:
        return ["public"]
    return ["public", f"u{user_id}", *(f"g{g}" for g in group_ids)]


def _stamped(**values: Any) -> IndexDoc:
    """An index document whose stamp is a digest of everything it holds."""
    payload = repr(sorted(values.items()))
    return IndexDoc(stamp=hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16], **values)


def passage_docs(version: DocumentVersion) -> Iterator[IndexDoc]:
    """Index documents for a version's title, headings and paragraphs (not pull quotes)."""
    section = ""
    for block in version.blocks:
        text = block.text_in(version.text)
        if block.kind == "heading":
            section = text
        if block.kind == "pullquote":
            continue  # its words are indexed once, in the paragraph they repeat
        yield _stamped(
            key=f"passage:{version.document_id}:{block.block_id}",
            type="passage",
            audience=("public",),
            doc=version.document_id,
            block=block.block_id,
            section=section if block.kind != "title" else "",
            title=version.title if block.kind == "title" else "",
            content=text if block.kind != "title" else "",
            created=int(version.imported_at.timestamp()),
        )


def claim_states(
    session: Session, annotation_ids: list[str] | None = None
) -> dict[str, tuple[str, str]]:
    """annotation id -> (claim state, verdict in force) for annotations that flag a claim.

    The verdict in force is the claim's last published one (Claim.published_verdict), read as
    plain rows: this runs after every annotation write, where loading Claim objects with their
    verdicts cost more than the rest of building the annotation's document.
    """
    flags = (
        select(ClaimFlag.annotation_id, Claim.id, Claim.state)
        .join(Claim, ClaimFlag.claim_id == Claim.id)
        .where(ClaimFlag.annotation_id.is_not(None))
        .order_by(Claim.id)
    )
    if annotation_ids is not None:
        flags = flags.where(ClaimFlag.annotation_id.in_(annotation_ids))
    rows = list(session.execute(flags))
    if not rows:
        return {}
    published = select(Verdict.claim_id, Verdict.rating).where(Verdict.status == "published")
    if annotation_ids is not None:
        published = published.where(Verdict.claim_id.in_({row.id for row in rows}))
    in_force: dict[int, str] = {}
    for claim_id, rating in session.execute(published.order_by(Verdict.id)):
        in_force[claim_id] = rating  # the last published one is in force
    return {row.annotation_id: (row.state, in_force.get(row.id, "")) for row in rows}


def _annotation_doc(
    row: Any,
    username: str,
    tags: list[str],
    sources: list[Source],
    claim: tuple[str, str] | None,
) -> IndexDoc:
    """The index document of an annotation's row (an Annotation, or a row of its columns)."""
    cited = " ".join(
        " ".join(filter(None, [s.title, s.publisher or "", *s.authors])) for s in sources
    )
    return _stamped(
        key=f"annotation:{row.id}",
        type="annotation",
        audience=audience_of(row),
        doc=row.document_id,
        content=row.body_markdown,
        quote=row.exact or "",
        sourcetext=cited,
        tags=tuple(tags),
        user=username,
        kind=KIND_OF_MOTIVATION[row.motivation],
        status=claim[0] if claim else "",
        verdict=claim[1] if claim else "",
        created=int(row.created_at.timestamp()),
    )


def source_doc(source: Source, citing: Sequence[Any]) -> IndexDoc | None:
    """The index document of a source: findable by whoever may see an annotation citing it.

    `citing`: the citing annotations, or rows of their audience columns.
    """
    live = [a for a in citing if a.deleted_at is None]
    if not live:
        return None
    audience = sorted({token for a in live for token in audience_of(a)})
    if "public" in audience:
        audience = ["public"]
    docs = sorted({a.document_id for a in live})
    return _stamped(
        key=f"source:{source.id}",
        type="source",
        audience=tuple(audience),
        doc=docs[0] if len(docs) == 1 else "",
        title=source.title,
        sourcetext=" ".join(filter(None, [source.publisher or "", *source.authors, source.url])),
        created=int(source.created_at.timestamp()),
    )


@dataclass(frozen=True)
class Drift:
    """How the index differs from the database."""

    missing: list[str]
    stale: list[str]
    extra: list[str]

    @property
    def total(self) -> int:
        """How many keys differ."""
        return len(self.missing) + len(self.stale) + len(self.extra)


class IndexSync:
    """Builds index documents from the database and applies pending jobs."""

    def __init__(self, session: Session, index: SearchIndex) -> None:
        self.session = session
        self.index = index

    def docs_for_key(self, key: str) -> tuple[list[IndexDoc], list[str], str | None]:
        """(documents to write, keys to delete, key prefix to clear) for one job key."""
        kind, _, ident = key.partition(":")
        if kind == "annotation":
            doc = self._one_annotation_doc(ident)
            return ([doc], [], None) if doc is not None else ([], [key], None)
        if kind == "source" and ident.isdigit():
            source = self.session.get(Source, int(ident))
            doc = source_doc(source, self._citing(source.id)) if source is not None else None
            return ([doc], [], None) if doc else ([], [key], None)
        if kind == "document":
            version = DocumentStore(self.session).find_latest(ident)
            docs = list(passage_docs(version)) if version is not None else []
            return docs, [], f"passage:{ident}:"
        return [], [], None

    def _citing(self, source_id: int) -> list[Any]:
        """Rows of the audience columns of the annotations citing a source."""
        query = (
            select(*_AUDIENCE_COLUMNS)
            .join(Citation, Citation.annotation_id == Annotation.id)
            .where(Citation.source_id == source_id)
        )
        return list(self.session.execute(query))

    def pending(self) -> int:
        """How many jobs wait."""
        return int(self.session.scalar(select(func.count()).select_from(IndexJob)) or 0)

    def run_pending(self, limit: int = BATCH) -> int:
        """Apply waiting jobs under the index lock (failures stay queued); return how many ran."""
        try:
            with self.index.writing() as batch:
                self.session.commit()  # start a fresh transaction: read what is committed now
                jobs = list(
                    self.session.execute(
                        select(IndexJob.id, IndexJob.key).order_by(IndexJob.id).limit(limit)
                    )
                )
                for key in dict.fromkeys(job.key for job in jobs):
                    docs, deletes, prefix = self.docs_for_key(key)
                    if prefix:
                        batch.delete_prefix(prefix)
                    for gone in deletes:
                        batch.delete(gone)
                    for doc in docs:
                        if prefix:  # the prefix delete already removed the old ones
                            batch.add(doc)
                        else:
                            batch.update(doc)
                done = [job.id for job in jobs]
        except (IndexUnavailable, OSError) as exc:
            self.session.rollback()
            self._record_failure(str(exc))
            log.warning("search index update postponed: %s", exc)
            return 0
        if done:
            self.session.execute(delete(IndexJob).where(IndexJob.id.in_(done)))
            self.session.commit()
        return len(done)

    def _record_failure(self, error: str) -> None:
        jobs = self.session.scalars(select(IndexJob).order_by(IndexJob.id).limit(BATCH))
        for job in jobs:
            job.attempts += 1
            job.last_error = error[:500]
        self.session.commit()

    def all_docs(self) -> Iterator[IndexDoc]:
        """Every document the index should hold, built from the database."""
        versions = DocumentStore(self.session).list_documents()  # the newest of each
        for version in versions:
            yield from passage_docs(version)
        yield from self._annotation_docs()
        yield from self._source_docs()

    def _annotation_docs(self) -> Iterator[IndexDoc]:
        # Loading 100,000 annotations with their tags and citations as ORM rows costs most of a
        # rebuild; plain rows built into detached Annotation objects give the same documents.
        users = {
            row.id: row.username for row in self.session.execute(select(User.id, User.username))
        }
        sources = {source.id: source for source in self.session.scalars(select(Source))}
        claims = claim_states(self.session)
        rows = self.session.execute(
            select(*_INDEXED_COLUMNS)
            .where(Annotation.deleted_at.is_(None))
            .order_by(Annotation.id)
            .execution_options(yield_per=REBUILD_BATCH)
        )
        for batch in rows.partitions():
            yield from self._docs_of_rows(batch, users, sources, claims)

    def _docs_of_rows(
        self,
        batch: Sequence[Any],
        users: Mapping[int, str],
        sources: Mapping[int, Source],
        claims: Mapping[str, tuple[str, str]],
    ) -> Iterator[IndexDoc]:
        """The documents of rows of _INDEXED_COLUMNS (users and sources: at least theirs)."""
        ids = [row.id for row in batch]
        tags: dict[str, list[str]] = {}
        for annotation_id, name in self.session.execute(
            select(Tag.annotation_id, Tag.name)
            .where(Tag.annotation_id.in_(ids))
            .order_by(Tag.annotation_id, Tag.position)
        ):
            tags.setdefault(annotation_id, []).append(name)
        cited: dict[str, list[Source]] = {}
        for annotation_id, source_id in self.session.execute(
            select(Citation.annotation_id, Citation.source_id)
            .where(Citation.annotation_id.in_(ids))
            .order_by(Citation.annotation_id, Citation.number)
        ):
            cited.setdefault(annotation_id, []).append(sources[source_id])
        for row in batch:
            yield _annotation_doc(
                row,
                users[row.author_id],
                tags.get(row.id, []),
                cited.get(row.id, []),
                claims.get(row.id),
            )

    def _one_annotation_doc(self, ident: str) -> IndexDoc | None:
        """The document of one live annotation, from plain rows (None if deleted or gone).

        Four narrow queries rather than the ORM object and its relationships: this runs after
        every annotation write (the drift check compares it with the rebuild's documents).
        """
        row = self.session.execute(
            select(*_INDEXED_COLUMNS, User.username)
            .join(User, User.id == Annotation.author_id)
            .where(Annotation.id == ident)
        ).one_or_none()
        if row is None or row.deleted_at is not None:
            return None
        tags = self.session.scalars(
            select(Tag.name).where(Tag.annotation_id == ident).order_by(Tag.position)
        )
        sources = self.session.scalars(
            select(Source)
            .join(Citation, Citation.source_id == Source.id)
            .where(Citation.annotation_id == ident)
            .order_by(Citation.number)
        )
        claim = claim_states(self.session, [ident]).get(ident)
        return _annotation_doc(row, row.username, list(tags), list(sources), claim)

    def _source_docs(self) -> Iterator[IndexDoc]:
        citing: dict[int, list[Any]] = {}
        rows = self.session.execute(
            select(Citation.source_id, *_AUDIENCE_COLUMNS).join(
                Annotation, Citation.annotation_id == Annotation.id
            )
        )
        for row in rows:
            citing.setdefault(row.source_id, []).append(row)
        for source in self.session.scalars(select(Source).order_by(Source.id)):
            doc = source_doc(source, citing.get(source.id, []))
            if doc is not None:
                yield doc

    def count_docs(self) -> int:
        """Roughly how many documents a rebuild writes (for a progress bar)."""
        annotations = self.session.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.deleted_at.is_(None))
        )
        sources = self.session.scalar(select(func.count()).select_from(Source))
        return int(annotations or 0) + int(sources or 0)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the whole index from the database; queued jobs are then obsolete."""
        self.session.commit()
        # The jobs committed before reading began (not "ids up to the highest": on PostgreSQL a
        # transaction holding a lower id can commit later, after its change was read past).
        started = list(self.session.scalars(select(IndexJob.id)))
        count = self.index.rebuild(self.all_docs(), progress)
        for at in range(0, len(started), BATCH):
            done = started[at : at + BATCH]
            self.session.execute(delete(IndexJob).where(IndexJob.id.in_(done)))
        self.session.commit()
        return count

    def check(self) -> Drift:
        """Compare the index with the database: missing, stale and extra keys."""
        expected = {doc.key: doc.stamp for doc in self.all_docs()}
        actual = self.index.stamps()
        missing = sorted(k for k in expected if k not in actual)
        stale = sorted(k for k in expected if k in actual and actual[k] != expected[k])
        extra = sorted(k for k in actual if k not in expected)
        return Drift(missing, stale, extra)

    def repair(self, drift: Drift) -> int:
        """Write the missing and stale documents and delete the extra ones."""
        wanted = set(drift.missing) | set(drift.stale)
        docs = [doc for doc in self.all_docs() if doc.key in wanted]
        self.index.apply(docs, drift.extra)
        return len(docs) + len(drift.extra)
