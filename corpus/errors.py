"""Errors of the corpus layer. Messages are Vietnamese: they reach admins as they are."""


class CorpusError(Exception):
    """Base error of the corpus layer (loading, parsing, storing plans)."""


class LoaderError(CorpusError):
    """A file could not be read as a plan (wrong type, corrupt, encrypted, no text layer)."""


class NotAPlanError(CorpusError):
    """The file was read but does not look like a plan."""


class DocumentNotFound(CorpusError):
    """No document with that id."""
