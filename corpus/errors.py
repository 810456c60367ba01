"""Exceptions raised by the corpus package."""

from __future__ import annotations


class CorpusError(Exception):
    """Base class for corpus errors."""


class InvalidDocument(CorpusError):
    """A document file or its metadata cannot be imported; the message says why."""


class DocumentNotFound(CorpusError):
    """No document (or version) with that id exists."""
