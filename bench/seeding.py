"""Reproducible fake annotations for benchmarks (seeded random, through the real services)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from annotations.accounts import AccountService, Credentials, User
from annotations.anchoring import PositionSelector, QuoteSelector
from annotations.bodies import parse_body
from annotations.citations import parse_source
from annotations.groups import GroupService
from annotations.inputs import NewAnnotation, TargetInput
from annotations.models import Annotation
from annotations.service import AnnotationService
from corpus.store import DocumentStore

_PROSE = (
    "evidence source claim context figure report archive treaty summit sanction missile economy "
    "influence policy history alliance statement census survey quote record"
)
WORDS = _PROSE.split()
TAGS = ["check", "context", "history", "numbers", "quote", "sanctions", "summit", "cold-war"]


@dataclass
class Seeded:
    """What a seeding run created."""

    users: list[User]
    annotations: list[Annotation]


def make_users(session: Session, count: int, password: str = "benchmark-password") -> list[User]:
    """Create count member accounts (user000, user001, ...)."""
    accounts = AccountService(session)
    return [accounts.add_user(Credentials(f"user{i:03d}", password)) for i in range(count)]


def _sentence(rng: random.Random, low: int = 8, high: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def _spans(text: str) -> list[tuple[int, int]]:
    """Word-aligned candidate spans inside paragraphs (start, end)."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+){2,12}", text)]


def seed_annotations(
    session: Session, document_id: str, users: list[User], count: int, seed: int = 7
) -> Seeded:
    """Create count annotations (about 30% replies, 30% citing 1-3 sources) on a document."""
    rng = random.Random(seed)
    service = AnnotationService(session, DocumentStore(session))
    groups = GroupService(session, AccountService(session))
    club = groups.create("Benchmark club", users[0])
    for user in users[1 : len(users) // 2]:
        groups.add_member(club.id, user.username, users[0])
    text = DocumentStore(session).get_version(document_id).text
    spans = _spans(text)
    made: list[Annotation] = []
    for _ in range(count):
        author = rng.choice(users)
        if made and rng.random() < 0.3:
            parent = rng.choice(made)
            if parent.visibility == "public":
                made.append(service.create(_reply(rng, parent), author))
                continue
        start, end = rng.choice(spans)
        visibility = rng.choices(["public", "private", "group"], weights=[8, 1, 1])[0]
        group_id = club.id if visibility == "group" else None
        if group_id is not None and club.id not in service.group_ids(author):
            visibility, group_id = "public", None
        made.append(
            service.create(_root(rng, document_id, text, start, end, visibility, group_id), author)
        )
    session.flush()
    return Seeded(users, made)


def _root(
    rng: random.Random,
    document_id: str,
    text: str,
    start: int,
    end: int,
    visibility: str,
    group_id: int | None,
) -> NewAnnotation:
    sources = ()
    if rng.random() < 0.3:
        sources = tuple(
            parse_source(
                {
                    "url": f"https://sources.example.org/item/{rng.randint(1, 60)}",
                    "title": _sentence(rng, 3, 8),
                    "authors": ["Ada Lovelace"],
                    "stance": rng.choice(["supports", "refutes", "context"]),
                }
            )
            for _ in range(rng.randint(1, 3))
        )
    motivation = rng.choices(["commenting", "highlighting", "assessing"], weights=[7, 2, 1])[0]
    body = "" if motivation == "highlighting" else " ".join(_sentence(rng) for _ in range(2))
    return NewAnnotation(
        motivation=motivation,
        body=parse_body(body),
        tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
        sources=tuple({s.normalized_url: s for s in sources}.values()),
        visibility=visibility,
        group_id=group_id,
        target=TargetInput(
            document_id, QuoteSelector(text[start:end]), PositionSelector(start, end)
        ),
    )


def _reply(rng: random.Random, parent: Annotation) -> NewAnnotation:
    return NewAnnotation(
        motivation="replying", body=parse_body(_sentence(rng)), parent_id=parent.id
    )
