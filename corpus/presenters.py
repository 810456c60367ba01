"""Output shapes for documents: the reading view and the JSON representation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corpus.models import DocumentVersion

WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Passage:
    """One block as the reading view shows it."""

    id: str
    kind: str
    text: str
    start: int
    end: int
    number: int | None  # paragraph number, counting body paragraphs only
    source: str | None


@dataclass(frozen=True)
class ReadingView:
    """Everything the reading page needs for one version of a document."""

    document_id: str
    version: int
    versions: int
    title: str
    sha256: str
    passages: list[Passage]
    toc: list[Passage]
    word_count: int
    title_passage: Passage | None = None

    @property
    def reading_minutes(self) -> int:
        """Estimated reading time, at least one minute."""
        return max(1, round(self.word_count / WORDS_PER_MINUTE))


def reading_view(version: DocumentVersion, versions: int) -> ReadingView:
    """Build the reading view of a version."""
    passages: list[Passage] = []
    number = 0
    for block in version.blocks:
        if block.kind == "paragraph":
            number += 1
        passages.append(
            Passage(
                id=block.block_id,
                kind=block.kind,
                text=block.text_in(version.text),
                start=block.start,
                end=block.end,
                number=number if block.kind == "paragraph" else None,
                source=block.source,
            )
        )
    return ReadingView(
        document_id=version.document_id,
        version=version.number,
        versions=versions,
        title=version.title,
        sha256=version.sha256,
        passages=[p for p in passages if p.kind != "title"],
        toc=[p for p in passages if p.kind == "heading"],
        word_count=len(_WORD.findall(version.text)),
        title_passage=next((p for p in passages if p.kind == "title"), None),
    )


def document_summary(version: DocumentVersion, url: str) -> dict[str, Any]:
    """Return the list-entry JSON of a document."""
    return {
        "id": version.document_id,
        "title": version.title,
        "version": version.number,
        "sha256": version.sha256,
        "imported_at": version.imported_at.isoformat(),
        "url": url,
    }


def document_detail(version: DocumentVersion, url: str) -> dict[str, Any]:
    """Return the full JSON of a version: canonical text and blocks."""
    blocks: list[dict[str, Any]] = []
    for block in version.blocks:
        entry: dict[str, Any] = {
            "id": block.block_id,
            "kind": block.kind,
            "start": block.start,
            "end": block.end,
        }
        if block.source:
            entry["source"] = block.source
        blocks.append(entry)
    return document_summary(version, url) | {"text": version.text, "blocks": blocks}
