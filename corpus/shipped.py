"""The documents that ship with the product, as package data."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class ShippedDocument:
    """A shipped original: its document id, file name and bytes."""

    document_id: str
    filename: str
    data: bytes


def shipped_documents() -> list[ShippedDocument]:
    """Return the shipped originals; each file's stem is its document id."""
    folder = resources.files("corpus") / "shipped"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith((".txt", ".md", ".html")):
            stem = entry.name.rsplit(".", 1)[0]
            found.append(ShippedDocument(stem, entry.name, entry.read_bytes()))
    return found
