"""Seeded bulk data for the search benchmark: documents, users, groups, sources, annotations.

Documents go through the real importer (so blocks exist); users, groups, sources, annotations,
tags and citations are inserted in bulk with SQLAlchemy Core, because creating 100,000
annotations through the service would take far longer than the benchmark itself. The rows are
still valid: quotes are word-aligned spans of the real canonical text with the server's context,
replies inherit their root's audience, and a reply's author may see what they answer.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from annotations.accounts import User, make_hasher
from annotations.anchoring import quote_context
from annotations.bodies import render_body
from annotations.citations import normalize_url
from annotations.models import Annotation, Citation, Group, Membership, Source, Tag
from bench import corpus_gen
from bench.corpus_gen import Vocabulary
from corpus.importer import DocumentImporter
from corpus.models import BlockRecord, DocumentVersion
from corpus.store import DocumentStore

PASSWORD = "benchmark-password"
CHUNK = 5000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
MOTIVATIONS = ("commenting", "highlighting", "assessing", "questioning")
MOTIVATION_WEIGHTS = (70, 10, 12, 8)
STANCES = ("supports", "refutes", "context")


@dataclass
class Plan:
    """What to generate."""

    seed: int = 7
    documents: int = 50
    users: int = 200
    groups: int = 30
    annotations: int = 100_000
    tags: int = 300
    sources: int = 5000
    several_groups: int = 6  # the private-aware viewer belongs to this many groups


@dataclass
class Generated:
    """What the generator made, for building the query mix and choosing viewers."""

    usernames: list[str]
    memberships: dict[int, list[int]]  # user id -> group ids
    tags: list[str]
    phrases: list[str]  # 2-4 consecutive words from real text (documents and bodies)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Span:
    """A paragraph of a latest document version, with the offsets of its words."""

    document_id: str
    version_id: int
    text: str
    words: list[tuple[int, int]]


def import_documents(session: Session, rng: random.Random, vocab: Vocabulary, count: int) -> int:
    """Import count - 1 generated Markdown articles (the shipped seed is the first)."""
    importer = DocumentImporter(DocumentStore(session))
    for number in range(1, count):
        doc_id, title, data = corpus_gen.article(rng, vocab, number)
        importer.import_bytes(data, f"{doc_id}.md", doc_id, title, by="benchmark")
    session.commit()
    return count


def paragraph_spans(session: Session) -> list[Span]:
    """Word positions of every paragraph of every latest version."""
    spans = []
    versions = session.scalars(select(DocumentVersion).order_by(DocumentVersion.document_id))
    for version in versions:
        blocks = session.scalars(
            select(BlockRecord).where(
                BlockRecord.version_id == version.id, BlockRecord.kind == "paragraph"
            )
        )
        for block in blocks:
            words = [
                (block.start + m.start(), block.start + m.end())
                for m in re.finditer(r"\S+", version.text[block.start : block.end])
            ]
            if len(words) >= 4:
                spans.append(Span(version.document_id, version.id, version.text, words))
    return spans


def quote_in(rng: random.Random, span: Span) -> tuple[int, int]:
    """A word-aligned (start, end) of 2-15 words inside the paragraph."""
    first = rng.randrange(len(span.words))
    last = min(len(span.words) - 1, first + rng.randint(1, 14))
    return span.words[first][0], span.words[last][1]


def insert_users(session: Session, plan: Plan, rng: random.Random) -> dict[int, list[int]]:
    """Users (one shared password hash), groups and overlapping memberships."""
    hashed = make_hasher().hash(PASSWORD)  # once: argon2 is slow on purpose
    created = [EPOCH - timedelta(days=400 - i) for i in range(plan.users)]
    session.execute(
        insert(User.__table__),
        [
            {"id": i + 1, "username": f"user{i:03d}", "password_hash": hashed}
            | {"role": "member", "created_at": created[i]}
            for i in range(plan.users)
        ],
    )
    user_ids = list(range(1, plan.users + 1))
    groups: dict[int, set[int]] = {g: set() for g in range(1, plan.groups + 1)}
    for user in user_ids:
        count = rng.choices((0, 1, 2, 3, 4), weights=(10, 45, 25, 15, 5))[0]
        for group in rng.sample(sorted(groups), count):
            groups[group].add(user)
    for group in groups.values():
        group.discard(2)
    groups[2].add(2)  # user001 (the one-group viewer) is in exactly one group
    for group in rng.sample(sorted(groups), plan.several_groups):
        groups[group].add(1)  # user000: the several-groups viewer
    owners = {g: rng.choice(sorted(members)) if members else 1 for g, members in groups.items()}
    for g, owner in owners.items():
        groups[g].add(owner)
    session.execute(
        insert(Group.__table__),
        [
            {"id": g, "name": f"Reading group {g}", "owner_id": owners[g], "created_at": EPOCH}
            for g in groups
        ],
    )
    session.execute(
        insert(Membership.__table__),
        [
            {"group_id": g, "user_id": u, "added_at": EPOCH}
            for g, members in groups.items()
            for u in sorted(members)
        ],
    )
    memberships: dict[int, list[int]] = {u: [] for u in user_ids}
    for g, members in groups.items():
        for u in members:
            memberships[u].append(g)
    return memberships


def insert_sources(session: Session, plan: Plan, rng: random.Random, vocab: Vocabulary) -> None:
    """Sources with distinct URLs (url_key is the sha256 of the normalised URL)."""
    rows = []
    for i in range(1, plan.sources + 1):
        title = " ".join(vocab.draw(rng, rng.randint(3, 9))).capitalize()
        slug = "-".join(re.findall(r"[a-z]+", title.lower())[:5])
        host = rng.choice(("news", "archive", "data", "journal", "www"))
        year = rng.randint(1950, 2024)
        url = f"https://{host}.example{rng.randint(1, 40)}.org/{year}/{slug}-{i}"
        normalized = normalize_url(url)
        rows.append(
            {
                "id": i,
                "url_key": hashlib.sha256(normalized.encode("utf-8")).hexdigest(),
                "normalized_url": normalized,
                "url": url,
                "title": title,
                "authors": [corpus_gen.person(rng) for _ in range(rng.randint(1, 3))],
                "publisher": rng.choice(corpus_gen.PUBLISHERS),
                "published": str(year) if rng.random() < 0.5 else f"{year}-0{rng.randint(1, 9)}",
                "created_at": EPOCH,
            }
        )
    session.execute(insert(Source.__table__), rows)


def _body(rng: random.Random, vocab: Vocabulary) -> tuple[str, str]:
    """A Markdown body of 20-200 words (one or two paragraphs) and its rendered HTML."""
    text = corpus_gen.prose(rng, vocab, 20, 200)
    paragraphs = [text]
    if len(text) > 600 and rng.random() < 0.5:
        cut = text.find(". ", len(text) // 2)
        if cut > 0:
            paragraphs = [text[: cut + 1], text[cut + 2 :]]
    html = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in paragraphs)
    return "\n\n".join(paragraphs), html


class _Annotations:
    """Generates annotation, tag and citation rows; remembers enough to make replies valid."""

    def __init__(self, plan: Plan, rng: random.Random, vocab: Vocabulary, spans: list[Span]):
        self.plan, self.rng, self.vocab, self.spans = plan, rng, vocab, spans
        self.tags = corpus_gen.tag_names(rng, vocab, plan.tags)
        self.tag_totals = corpus_gen.zipf_totals(len(self.tags), 1.1)
        self.source_totals = corpus_gen.zipf_totals(plan.sources, 0.7)
        # (id, root id, author, visibility, group, document, version) of every row so far
        self.made: list[tuple[str, str, int, str, int | None, str, int]] = []
        self.members: dict[int, list[int]] = {}
        self.phrases: list[str] = []

    def row(self, i: int, memberships: dict[int, list[int]]) -> dict[str, Any]:
        rng = self.rng
        ident = f"{rng.getrandbits(64):016x}"
        created = EPOCH + timedelta(minutes=5 * i)
        row: dict[str, Any] = {"id": ident, "created_at": created, "modified_at": created}
        row |= {"revision": 1, "deleted_at": None, "deleted_by_id": None, "delete_reason": None}
        if self.made and rng.random() < 0.3:
            self._reply(row, memberships)
        else:
            self._root(row, memberships)
        if row["motivation"] == "highlighting":
            row["body_markdown"], row["body_html"] = "", ""
        else:
            row["body_markdown"], row["body_html"] = _body(rng, self.vocab)
            if len(self.phrases) < 400 and rng.random() < 0.01:
                words = re.findall(r"[a-z]+", row["body_markdown"].lower())
                at = rng.randrange(max(1, len(words) - 4))
                self.phrases.append(" ".join(words[at : at + rng.randint(2, 3)]))
        root = row["root_id"] or ident
        place = (row["document_id"], row["version_id"])
        self.made.append(
            (ident, root, row["author_id"], row["visibility"], row["group_id"], *place)
        )
        return row

    def _root(self, row: dict[str, Any], memberships: dict[int, list[int]]) -> None:
        rng = self.rng
        author = rng.randint(1, self.plan.users)
        span = rng.choice(self.spans)
        start, end = quote_in(rng, span)
        prefix, suffix = quote_context(span.text, start, end)
        visibility = rng.choices(("public", "group", "private"), weights=(70, 15, 15))[0]
        group = None
        if visibility == "group":
            if memberships[author]:
                group = rng.choice(memberships[author])
            else:
                visibility = "private"
        row |= {
            "author_id": author,
            "motivation": rng.choices(MOTIVATIONS, weights=MOTIVATION_WEIGHTS)[0],
            "visibility": visibility,
            "group_id": group,
            "parent_id": None,
            "root_id": None,
            "document_id": span.document_id,
            "version_id": span.version_id,
            "exact": span.text[start:end],
            "prefix": prefix,
            "suffix": suffix,
            "start": start,
            "end": end,
        }

    def _reply(self, row: dict[str, Any], memberships: dict[int, list[int]]) -> None:
        rng = self.rng
        # recent threads get most replies
        back = min(len(self.made), int(rng.expovariate(1 / 2000)) + 1)
        parent_id, root_id, parent_author, visibility, group, doc, version = self.made[-back]
        if visibility == "public":
            author = rng.randint(1, self.plan.users)
        elif visibility == "group" and group is not None:
            if not self.members:
                for user, groups in sorted(memberships.items()):
                    for g in groups:
                        self.members.setdefault(g, []).append(user)
            author = rng.choice(self.members[group])
        else:
            author = parent_author
        row |= {
            "author_id": author,
            "motivation": "replying",
            "visibility": visibility,
            "group_id": group,
            "parent_id": parent_id,
            "root_id": root_id,
            "document_id": doc,
            "version_id": version,
            "exact": None,
            "prefix": None,
            "suffix": None,
            "start": None,
            "end": None,
        }

    def tag_rows(self, ident: str) -> list[dict[str, Any]]:
        count = self.rng.choices((0, 1, 2, 3), weights=(40, 30, 20, 10))[0]
        chosen: list[str] = []
        while len(chosen) < count:
            tag = self.tags[corpus_gen.zipf_index(self.rng, self.tag_totals)]
            if tag not in chosen:
                chosen.append(tag)
        return [{"annotation_id": ident, "position": n, "name": t} for n, t in enumerate(chosen)]

    def citation_rows(self, ident: str) -> list[dict[str, Any]]:
        rng = self.rng
        if rng.random() >= 0.2:
            return []
        chosen: list[int] = []
        for _ in range(rng.randint(1, 3)):
            source = corpus_gen.zipf_index(rng, self.source_totals) + 1
            if source not in chosen:
                chosen.append(source)
        excerpt = corpus_gen.prose(rng, self.vocab, 6, 20) if rng.random() < 0.3 else None
        return [
            {"annotation_id": ident, "source_id": s, "number": n + 1}
            | {"stance": rng.choice(STANCES), "excerpt": excerpt, "locator": None, "accessed": None}
            for n, s in enumerate(chosen)
        ]


def _check_bodies(rows: list[dict[str, Any]]) -> None:
    """The shortcut HTML must equal what the app renders (checked on a sample)."""
    for row in rows[:50]:
        if row["body_markdown"] and render_body(row["body_markdown"]) != row["body_html"]:
            raise AssertionError(f"generated body HTML differs from the app's for {row['id']}")


def insert_annotations(
    session: Session, plan: Plan, rng: random.Random, vocab: Vocabulary, memberships: dict
) -> _Annotations:
    """plan.annotations annotations with tags and citations, inserted in chunks."""
    maker = _Annotations(plan, rng, vocab, paragraph_spans(session))
    for chunk_start in range(0, plan.annotations, CHUNK):
        rows, tags, cites = [], [], []
        for i in range(chunk_start, min(plan.annotations, chunk_start + CHUNK)):
            row = maker.row(i, memberships)
            rows.append(row)
            tags += maker.tag_rows(row["id"])
            cites += maker.citation_rows(row["id"])
        if chunk_start == 0:
            _check_bodies(rows)
        session.execute(insert(Annotation.__table__), rows)
        if tags:
            session.execute(insert(Tag.__table__), tags)
        if cites:
            session.execute(insert(Citation.__table__), cites)
    return maker


def _document_phrases(rng: random.Random, spans: list[Span], count: int) -> list[str]:
    phrases = []
    for _ in range(count):
        span = rng.choice(spans)
        first = rng.randrange(len(span.words) - 3)
        words = [span.text[s:e] for s, e in span.words[first : first + rng.randint(2, 4)]]
        cleaned = [re.sub(r"[^\w'-]", "", w.lower()) for w in words]
        phrases.append(" ".join(w for w in cleaned if w))
    return phrases


def generate(session: Session, plan: Plan) -> Generated:
    """Fill a migrated database (holding the shipped corpus) with the plan's data."""
    rng = random.Random(plan.seed)
    vocab = corpus_gen.build_vocabulary(plan.seed)
    import_documents(session, rng, vocab, plan.documents)
    memberships = insert_users(session, plan, rng)
    insert_sources(session, plan, rng, vocab)
    maker = insert_annotations(session, plan, rng, vocab, memberships)
    session.commit()
    phrases = _document_phrases(rng, maker.spans, 200) + maker.phrases
    return Generated(
        usernames=[f"user{i:03d}" for i in range(plan.users)],
        memberships=memberships,
        tags=maker.tags,
        phrases=[p for p in phrases if len(p.split()) >= 2],
    )
