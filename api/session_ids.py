"""Web session ids: minted by the server, unguessable, and verifiable without a database lookup.

An id is 32 random hex digits followed by 16 hex digits of an HMAC of them under a server key, so
a client can neither guess another visitor's id nor name a Telegram/Zalo chat ("tg:…", "zalo:…"):
anything the server did not mint fails the check and the API answers 422.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

log = logging.getLogger("cchc.api")

KEY_FILE = "session.key"
PATTERN = r"^[0-9a-f]{48}$"
_SHAPE = re.compile(PATTERN)


class SessionIds:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("session key too short")
        self._key = key

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:16]

    def mint(self) -> str:
        nonce = secrets.token_hex(16)
        return nonce + self._mac(nonce)

    def valid(self, sid: str | None) -> bool:
        if not sid or not _SHAPE.match(sid):
            return False
        return hmac.compare_digest(sid[32:], self._mac(sid[:32]))


def load_key(data_dir: Path, configured: str | None = None) -> bytes:
    """The configured secret, else ``<data>/session.key`` (created once, 0600): ids survive restarts."""
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    path = Path(data_dir) / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    os.replace(tmp, path)
    log.info("created a new web session key in %s", path)
    return key
