"""The write-ahead journal, rollback, crash recovery and the admin file lock.

Each file operation of a change is recorded in ``<uploads>/.journal.json`` before it happens, so an
unfinished change can be undone (or, once committed, finished) by the next reader of the corpus.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from library.audit import AUDIT_LOG, append_audit, now_utc, read_audit
from library.sidecars import read_json
from library.uploads import INCOMING, STALE_INCOMING_SECONDS

log = logging.getLogger("cchc.admin")

JOURNAL = ".journal.json"
LOCK_FILE = ".lock"
TXN_DIR = ".txn"
ARCHIVE = ".archive"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass
class Txn:
    """File operations of one change, journaled before each happens so they can be undone."""

    uploads: Path
    action: str
    doc_id: str
    audit: dict[str, Any]
    txn: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: list[str] = field(default_factory=list)  # names placed in uploads/
    moved: list[str] = field(default_factory=list)  # names moved from uploads/ into the backup dir
    state: str = "pending"

    def __post_init__(self) -> None:
        self.audit["txn"] = self.txn

    @property
    def backup(self) -> Path:
        return self.uploads / TXN_DIR / self.txn

    def _save(self) -> None:
        _write_json_atomic(self.uploads / JOURNAL, {
            "txn": self.txn, "state": self.state, "action": self.action, "doc_id": self.doc_id, "pid": os.getpid(),
            "created": self.created, "moved": self.moved, "audit": self.audit,
        })

    def stash(self, name: str) -> None:
        """Move a live file aside (kept until commit, restored on rollback)."""
        if not (self.uploads / name).exists():
            return
        self.moved.append(name)
        self._save()
        self.backup.mkdir(parents=True, exist_ok=True)
        os.replace(self.uploads / name, self.backup / name)

    def place(self, src: Path, name: str) -> None:
        """Rename a staged file into the corpus."""
        self.created.append(name)
        self._save()
        os.replace(src, self.uploads / name)
        _fsync_dir(self.uploads)

    def write_json(self, name: str, obj: dict[str, Any]) -> None:
        self.created.append(name)
        self._save()
        _write_json_atomic(self.uploads / name, obj)

    def rollback(self) -> None:
        _rollback(self.uploads, self.txn, self.created, self.moved)

    def commit(self, audit_path: Path) -> None:
        """The change is live: record it, archive what it replaced, forget the journal."""
        self.state = "committed"
        self._save()
        _finish_commit(self.uploads, audit_path, self.txn, self.doc_id, self.moved, self.audit)


def _rollback(uploads: Path, txn: str, created: list[str], moved: list[str]) -> None:
    for name in reversed(created):
        with contextlib.suppress(FileNotFoundError):
            (uploads / name).unlink()
    backup = uploads / TXN_DIR / txn
    for name in reversed(moved):
        if (backup / name).exists():
            os.replace(backup / name, uploads / name)
    shutil.rmtree(backup, ignore_errors=True)
    _fsync_dir(uploads)
    with contextlib.suppress(FileNotFoundError):
        (uploads / JOURNAL).unlink()


def _finish_commit(uploads: Path, audit_path: Path, txn: str, doc_id: str, moved: list[str],
                   audit: dict[str, Any]) -> None:
    if not any(e.get("txn") == txn for e in read_audit(audit_path)[-50:]):
        append_audit(audit_path, audit)
    backup = uploads / TXN_DIR / txn
    stamp = audit.get("when", now_utc()).replace(":", "").replace("-", "")
    archive = uploads / ARCHIVE / doc_id
    for name in moved:
        if (backup / name).exists():
            archive.mkdir(parents=True, exist_ok=True)
            os.replace(backup / name, archive / f"{stamp}-{txn[:6]}-{name}")
    shutil.rmtree(backup, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (uploads / JOURNAL).unlink()
    _fsync_dir(uploads)


@contextlib.contextmanager
def file_lock(uploads: Path, blocking: bool = True) -> Iterator[bool]:
    """An exclusive ``flock`` on ``<uploads>/.lock``: serialises the service and the CLI."""
    uploads.mkdir(parents=True, exist_ok=True)
    fd = os.open(uploads / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def recover_interrupted(uploads: Path) -> bool:
    """Undo (or finish) a change a crash interrupted. Skipped while another change holds the lock."""
    with file_lock(uploads, blocking=False) as got:
        if not got:
            return False
        return recover_locked(uploads)


def recover_locked(uploads: Path) -> bool:
    _clean_staging(uploads)
    path = uploads / JOURNAL
    if not path.exists():
        return False
    j = read_json(path)
    audit_path = uploads.parent / AUDIT_LOG
    txn = str(j.get("txn") or "")
    if j.get("state") == "committed":
        _finish_commit(uploads, audit_path, txn, str(j.get("doc_id")), list(j.get("moved") or []), j.get("audit") or {})
        log.warning("finished an admin change interrupted after its commit (txn %s)", txn)
        return True
    _rollback(uploads, txn, list(j.get("created") or []), list(j.get("moved") or []))
    audit = j.get("audit") or {}
    append_audit(audit_path, {"when": now_utc(), "who": "system", "action": "rollback",
                              "doc_id": j.get("doc_id"), "sha256": audit.get("sha256"),
                              "filename": audit.get("filename"), "txn": txn,
                              "note": f"Thay đổi '{j.get('action')}' bị gián đoạn đã được hoàn tác."})
    log.warning("rolled back an interrupted admin change (txn %s)", txn)
    return True


def _clean_staging(uploads: Path) -> None:
    incoming = uploads / INCOMING
    if incoming.is_dir():
        for part in incoming.iterdir():
            with contextlib.suppress(OSError):
                if time.time() - part.stat().st_mtime > STALE_INCOMING_SECONDS:
                    part.unlink()
    txns = uploads / TXN_DIR
    if txns.is_dir() and not (uploads / JOURNAL).exists():
        for d in txns.iterdir():
            shutil.rmtree(d, ignore_errors=True)
