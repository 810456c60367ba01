"""How segments are written: Whoosh 3's codec with two changes that make small writes cheap.

- No per-block document length statistics. They serve only Whoosh's own block-skipping scorer
  (ranking.py reads lengths from the length column), and gathering them cost a length lookup per
  posting while writing: half of a rebuild's commit.
- A term with fewer than INLINE_BELOW postings keeps them in its entry of the term table instead
  of a block of its own in the postings file. A one-annotation write has about a hundred terms,
  each of which was a pickled, compressed block with a header (most of the write's time), and
  every `key` term of a rebuild was one too. Whoosh 3 reads such entries back (a ListMatcher), but
  this version's writer calls a method its term info lacks; _TermInfo supplies it.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3TermInfo

# Terms with fewer postings than this are stored inline in the term table.
INLINE_BELOW = 8


class _TermInfo(W3TermInfo):
    """W3TermInfo answering the name the postings writer uses to inline postings."""

    def set_inline(self, ids: Any, weights: Any, values: Any) -> None:
        """Keep the postings in the term entry (ids are document numbers, not deltas).

        A field without values (an ID) gets an empty value per posting: Whoosh's ListMatcher
        gives "" (text, not bytes) for a posting without one, which its segment merge refuses.
        """
        self.set_inlined(ids, weights, values if len(values) else [b""] * len(ids))


class _FieldWriter(W3FieldWriter):
    """W3FieldWriter whose terms can hold their postings inline."""

    def start_term(self, btext: bytes) -> None:
        """Begin a term's postings (as Whoosh does, with a term info able to inline them)."""
        if self._postwriter is None:
            raise RuntimeError("start_term called before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, _TermInfo())


class Codec(W3Codec):
    """Whoosh 3's format on disk, written without length statistics and with small terms inline."""

    length_stats = False

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_BELOW)

    def field_writer(self, storage: Any, segment: Any) -> _FieldWriter:
        """The writer of a segment's term table and postings."""
        return _FieldWriter(self, storage, segment)


CODEC = Codec()
