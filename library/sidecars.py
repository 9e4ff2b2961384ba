"""Reading the small JSON files beside uploaded plans (sidecars, tombstones, the change journal)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("cchc.corpus")


def read_json(path: Path) -> dict[str, Any]:
    """A sidecar or tombstone; an unreadable one counts as empty rather than breaking the corpus."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        log.warning("unreadable corpus sidecar %s", path.name)
        return {}
