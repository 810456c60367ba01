"""Validate document files and turn them into stored versions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from corpus.blocks import SegmentationError, segment_document
from corpus.errors import InvalidDocument
from corpus.store import DocumentStore, NewVersion

FORMATS: dict[str, tuple[str, str]] = {
    ".txt": ("txt", "text/plain; charset=utf-8"),
    ".text": ("txt", "text/plain; charset=utf-8"),
    ".md": ("md", "text/markdown; charset=utf-8"),
    ".markdown": ("md", "text/markdown; charset=utf-8"),
    ".html": ("html", "text/html; charset=utf-8"),
    ".htm": ("html", "text/html; charset=utf-8"),
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 100
MAX_TITLE = 500
DEFAULT_MAX_BYTES = 5_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: created a document, added a version, or found it unchanged."""

    document_id: str
    version: int
    status: str  # "created" | "new-version" | "unchanged"


def slugify(name: str) -> str:
    """Turn a file stem into a document id candidate."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:MAX_SLUG].strip("-")


def check_slug(doc_id: str) -> str:
    """Return doc_id if it is a valid slug, else raise InvalidDocument."""
    if not doc_id or len(doc_id) > MAX_SLUG or not SLUG.match(doc_id):
        raise InvalidDocument(
            f"invalid id {doc_id!r}: use lowercase letters, digits and single hyphens "
            f"(1-{MAX_SLUG} characters, e.g. 'my-article')"
        )
    return doc_id


def format_for(filename: str) -> tuple[str, str]:
    """Return (format, media type) for a file name, or raise InvalidDocument."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise InvalidDocument(
            f"unsupported file type {suffix or '(none)'!r}: expected one of {known}"
        )
    return FORMATS[suffix]


def decode_original(data: bytes) -> str:
    """Decode bytes as UTF-8 text with "\\n" line endings, or raise InvalidDocument."""
    if not data.strip():
        raise InvalidDocument("file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InvalidDocument(f"binary file: NUL byte at byte offset {nul}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(
            f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
        ) from None
    control = _CONTROL.search(text)
    if control:
        offset = len(text[: control.start()].encode("utf-8"))
        raise InvalidDocument(
            f"binary file: control character 0x{ord(control.group()):02x} at byte offset {offset}"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


class DocumentImporter:
    """Validates a document file, segments it and stores it as a new version."""

    def __init__(self, store: DocumentStore, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes

    def import_path(
        self, path: Path, doc_id: str | None = None, title: str | None = None, by: str | None = None
    ) -> ImportOutcome:
        """Import a file from disk (see import_bytes)."""
        if not path.is_file():
            raise InvalidDocument(f"no such file: {path}")
        format_for(path.name)
        size = path.stat().st_size
        self._check_size(size)
        return self.import_bytes(path.read_bytes(), path.name, doc_id, title, by)

    def import_bytes(
        self,
        data: bytes,
        filename: str,
        doc_id: str | None = None,
        title: str | None = None,
        by: str | None = None,
    ) -> ImportOutcome:
        """Store data as a document; a changed file under an existing id becomes a new version."""
        fmt, media_type = format_for(filename)
        self._check_size(len(data))
        doc_id = check_slug(doc_id if doc_id is not None else slugify(Path(filename).stem))
        if title is not None:
            title = " ".join(title.split())
            if not title or len(title) > MAX_TITLE:
                raise InvalidDocument(f"title must be 1-{MAX_TITLE} characters")
        text = decode_original(data)
        try:
            seg = segment_document(text, fmt, title=title)
        except SegmentationError as exc:
            raise InvalidDocument(str(exc)) from None
        sha = hashlib.sha256(data).hexdigest()
        latest = self.store.find_latest(doc_id)
        if latest is not None and latest.sha256 == sha and latest.title == (title or seg.title):
            return ImportOutcome(doc_id, latest.number, "unchanged")
        version = self.store.add_version(
            NewVersion(
                document_id=doc_id,
                title=title or seg.title,
                filename=Path(filename).name,
                fmt=fmt,
                media_type=media_type,
                original=data,
                sha256=sha,
                segmentation=seg,
                imported_by=by,
            )
        )
        status = "created" if version.number == 1 else "new-version"
        return ImportOutcome(doc_id, version.number, status)

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise InvalidDocument(
                f"file is too large: {size:,} bytes (the limit is {self.max_bytes:,} bytes)"
            )
