"""Where each annotation and claim sits in each version of its document."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from corpus.models import Base, utcnow

ANCHOR_STATES = ("exact", "moved", "changed", "orphaned")


class AnchorRecord(Base):
    """An anchor of one annotation (or claim) in one document version.

    The version an annotation was made on always has its "exact" anchor, so every old version
    still shows its annotations where they were made; later versions get the re-anchored ones.
    """

    __tablename__ = "anchors"
    __table_args__ = (
        UniqueConstraint("annotation_id", "version_id"),
        UniqueConstraint("claim_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), nullable=True, index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float, default=1.0)
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    prefix: Mapped[str | None] = mapped_column(Text, nullable=True)
    suffix: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
