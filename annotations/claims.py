"""Claims under review: tables, the rating scale and the workflow's allowed transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from annotations.accounts import User
from annotations.models import Source
from corpus.models import Base, utcnow

CLAIM_TYPES: dict[str, str] = {
    "quantity": "Quantity",
    "date_or_event": "Date or event",
    "quote_or_attribution": "Quote or attribution",
    "cause_and_effect": "Cause and effect",
    "comparison_or_superlative": "Comparison or superlative",
    "other": "Other",
}
STATES = (
    "flagged",
    "accepted",
    "rejected",
    "researching",
    "in_review",
    "approved",
    "published",
    "correction",
    "retracted",
)
OPEN_STATES = ("flagged", "accepted", "researching", "in_review", "approved", "correction")
REJECT_REASONS: dict[str, str] = {
    "not_check_worthy": "Not check-worthy",
    "opinion": "Opinion",
    "prediction": "Prediction",
    "duplicate": "Duplicate of another claim",
}
# (from, to): the only moves the workflow allows.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("flagged", "accepted"),
        ("flagged", "rejected"),
        ("rejected", "flagged"),
        ("accepted", "researching"),
        ("researching", "in_review"),
        ("in_review", "researching"),
        ("in_review", "approved"),
        ("approved", "researching"),
        ("approved", "published"),
        ("published", "correction"),
        ("published", "retracted"),
        ("correction", "in_review"),
    }
)
SCALE_VERSION = "2026-11"


@dataclass(frozen=True)
class Rating:
    """One outcome of the verdict scale; ordinal ones carry a value from 1 to 5."""

    key: str
    label: str
    value: int | None
    definition: str


RATINGS: dict[str, Rating] = {
    r.key: r
    for r in (
        Rating("false", "False", 1, "The claim is inaccurate: the evidence contradicts it."),
        Rating(
            "mostly_false",
            "Mostly false",
            2,
            "The claim contains a grain of truth but leaves out or distorts facts that would "
            "give a different impression; the evidence mostly contradicts it.",
        ),
        Rating(
            "half_true",
            "Half true",
            3,
            "The claim is partly accurate but leaves out important details or takes things "
            "out of context; the evidence supports and contradicts it in about equal measure.",
        ),
        Rating(
            "mostly_true",
            "Mostly true",
            4,
            "The claim is accurate but needs clarification or additional information; the "
            "evidence supports its substance.",
        ),
        Rating("true", "True", 5, "The claim is accurate and nothing significant is missing."),
        Rating(
            "misleading",
            "Misleading",
            None,
            "The facts stated may be accurate, but they are presented in a way that leads a "
            "reasonable reader to a false conclusion. Not placed on the true-false scale.",
        ),
        Rating(
            "unproven",
            "Unproven",
            None,
            "The available evidence is not enough to establish whether the claim is true or "
            "false. Not placed on the true-false scale; it may be revisited as evidence appears.",
        ),
    )
}


class Claim(Base):
    """A disputable passage taken through review to a published verdict."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_document_span", "document_id", "start", "end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    exact: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text, default="")
    suffix: Mapped[str] = mapped_column(Text, default="")
    claim_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="flagged", index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    researcher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    anchor_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id"), nullable=True
    )
    anchor_state: Mapped[str] = mapped_column(String(10), default="exact")
    anchor_score: Mapped[float] = mapped_column(Float, default=1.0)
    # Set when a reviewer left an orphaned claim on the version it was last anchored on.
    anchor_kept_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    researcher: Mapped[User | None] = relationship(foreign_keys=[researcher_id])
    flags: Mapped[list[ClaimFlag]] = relationship(
        order_by="ClaimFlag.created_at", cascade="all, delete-orphan"
    )
    events: Mapped[list[ClaimEvent]] = relationship(order_by="ClaimEvent.id")
    verdicts: Mapped[list[Verdict]] = relationship(order_by="Verdict.id")
    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.id", cascade="all, delete-orphan"
    )

    # Two reviewers saving the same loaded row: the second UPDATE matches nothing and fails.
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012  (SQLAlchemy's hook)

    @property
    def type_label(self) -> str:
        """The claim type in words."""
        return CLAIM_TYPES.get(self.claim_type, self.claim_type)

    @property
    def published_verdict(self) -> Verdict | None:
        """The verdict now in force, if any."""
        return next((v for v in reversed(self.verdicts) if v.status == "published"), None)

    @property
    def draft(self) -> Verdict | None:
        """The verdict being prepared, if any."""
        return next((v for v in reversed(self.verdicts) if v.status == "draft"), None)

    @property
    def first_published_at(self) -> datetime | None:
        """When the claim's first verdict was published."""
        dates = [v.published_at for v in self.verdicts if v.published_at is not None]
        return min(dates) if dates else None


class ClaimFlag(Base):
    """One person's flag on a claim: why they think the passage is disputable."""

    __tablename__ = "claim_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claim_type: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    # the flagger's own "assessing" annotation, if the flag was made with one
    annotation_id: Mapped[str | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[User] = relationship()


class ClaimEvent(Base):
    """An entry of the append-only audit log: who moved the claim, when, from, to, and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    # None for the system's own moves (a verdict sent back to review by a new version)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[User | None] = relationship()


class Verdict(Base):
    """A rating with a summary: a draft, the published one, or one superseded by a correction."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(20))
    scale_version: Mapped[str] = mapped_column(String(20), default=SCALE_VERSION)
    summary_markdown: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def scale(self) -> Rating:
        """The rating's definition."""
        return RATINGS[self.rating]


class Evidence(Base):
    """A source that bears on a claim, with its stance and the exact excerpt that matters."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    stance: Mapped[str] = mapped_column(String(10))
    excerpt: Mapped[str] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[Source] = relationship(lazy="joined")
    added_by: Mapped[User] = relationship()
