"""Errors of the corpus layer (reading and parsing plans). Messages are Vietnamese: they reach admins as they are."""


class CorpusError(Exception):
    """Base error of the corpus layer (loading and parsing plans); the document library refines it."""


class LoaderError(CorpusError):
    """A file could not be read as a plan (wrong type, corrupt, encrypted, no text layer)."""


class NotAPlanError(CorpusError):
    """The file was read but does not look like a plan."""

