"""Staging: an upload is streamed to ``<data>/documents/.incoming/`` with a size limit, hashed on the way."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from library.errors import LibraryError
from library.validation import check_extension

INCOMING = ".incoming"
CHUNK = 1 << 16
STALE_INCOMING_SECONDS = 3600


class TooLargeError(LibraryError):
    """The upload is over the size limit (detected while streaming)."""


@dataclass
class Upload:
    """A file received into the staging area, not yet part of the corpus."""

    path: Path
    filename: str
    sha256: str
    size: int

    @property
    def ext(self) -> str:
        return Path(self.filename).suffix.lower()

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def clean_filename(name: str | None) -> str:
    """The base name of what the client sent, without directories or control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "tep-tai-len"


def size_limit_message(max_bytes: int) -> str:
    return f"Tệp vượt quá giới hạn dung lượng {max_bytes / (1024 * 1024):g} MB. Vui lòng tải lên tệp nhỏ hơn."


class UploadWriter:
    """Receives an upload chunk by chunk: checks the extension first, stops as soon as the limit is passed."""

    def __init__(self, incoming: Path, filename: str | None, max_bytes: int) -> None:
        self.filename = clean_filename(filename)
        check_extension(self.filename)
        incoming.mkdir(parents=True, exist_ok=True)
        self.path = incoming / f"{uuid.uuid4().hex}.part"
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in finish/abort

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLargeError(size_limit_message(self.max_bytes))
        self._hash.update(chunk)
        self._fh.write(chunk)

    def finish(self) -> Upload:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return Upload(path=self.path, filename=self.filename, sha256=self._hash.hexdigest(), size=self.size)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
