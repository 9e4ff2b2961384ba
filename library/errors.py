"""Errors of the document library. Messages are Vietnamese: they reach admins as they are.

``LibraryError`` refines ``corpus.errors.CorpusError`` so an edge that reports "this file or change was refused"
catches both a plan that does not parse and a change the library refuses with one ``except``.
"""

from corpus.errors import CorpusError


class LibraryError(CorpusError):
    """Base error of the document library (storing, changing, validating plans)."""


class DocumentNotFound(LibraryError):
    """No document with that id."""
