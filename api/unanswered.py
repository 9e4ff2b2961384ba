"""What citizens could not get answered: every ``found: false`` answer and every 👎, kept for the admin.

Recorded at the edges (the HTTP chat routes, the channels' common path), never inside the answering
core. Each row keeps the question with personal data stripped (:mod:`api.privacy`), the channel, the
province scope, the time and the refusal reason, in ``<data>/unanswered.sqlite3``; rows older than
``CCHC_UNANSWERED_RETENTION_DAYS`` are deleted. The report groups similar questions (folded words)
so an admin sees which plan or FAQ is missing. Recording never raises: a full disk must not cost a
citizen the answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from api.privacy import strip_pii
from corpus.vocab import fold

log = logging.getLogger("cchc.unanswered")

DB_NAME = "unanswered.sqlite3"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = {"not_found": "Không tìm thấy câu trả lời", "unhelpful": "Người dùng đánh giá 👎",
         "helpful": "Người dùng đánh giá 👍"}
MAX_TEXT = 500
SIMILAR = 0.6  # word-set overlap (Jaccard) at which two questions count as one
_STOP = {"la", "gi", "nao", "bao", "nhieu", "cua", "o", "tai", "co", "khong", "the", "nhu", "ve", "cho", "va",
         "tinh", "nam", "duoc", "ai", "ke", "hoach", "a", "oi", "xin", "hoi", "toi", "minh", "em", "cac", "nhung"}


def local_time(ts: float) -> str:
    """Epoch seconds -> '02/12/2026 20:31' in Asia/Ho_Chi_Minh (what the admin reads)."""
    return dt.datetime.fromtimestamp(ts, LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def clean(text: str | None, limit: int = MAX_TEXT) -> str:
    return " ".join(strip_pii(text or "").split())[:limit]


def reason_of(answer_text: str) -> str:
    """The refusal reason as the user read it: the first sentence of the answer, stripped."""
    first = re.split(r"(?<=[.!?])\s|\n", (answer_text or "").strip(), maxsplit=1)[0]
    return clean(first, 200)


class UnansweredStore:
    """SQLite rows: one per unanswered question or feedback vote; thread-safe, one connection."""

    def __init__(self, path: Path | str, retention_days: int = 90, clock: Callable[[], float] = time.time) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS unanswered (id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, "
            "channel TEXT NOT NULL, province TEXT NOT NULL DEFAULT '', plans TEXT NOT NULL DEFAULT '', "
            "question TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '')")
        self._db.execute("CREATE INDEX IF NOT EXISTS unanswered_at ON unanswered(at)")
        self._lock = threading.Lock()
        self.retention_s = max(1, retention_days) * 86400
        self.clock = clock

    def add(self, kind: str, channel: str, question: str, province: str | None = None,
            plans: list[str] | None = None, reason: str = "") -> None:
        """Keep one row (personal data stripped); older rows past the retention limit go at the same time."""
        if kind not in KINDS:
            raise ValueError(kind)
        now = self.clock()
        row = (now, kind, clean(channel, 20), clean(province, 100), "; ".join(clean(p, 80) for p in (plans or [])[:5]),
               "" if kind == "helpful" else clean(question), clean(reason, 300))
        with self._lock:
            self._db.execute("INSERT INTO unanswered (at, kind, channel, province, plans, question, reason) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            self._db.execute("DELETE FROM unanswered WHERE at < ?", (now - self.retention_s,))

    def purge(self) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM unanswered WHERE at < ?", (self.clock() - self.retention_s,)).rowcount

    def rows(self, limit: int = 5000) -> list[dict[str, Any]]:
        """Newest first, within the retention limit."""
        self.purge()
        with self._lock:
            cur = self._db.execute("SELECT id, at, kind, channel, province, plans, question, reason FROM unanswered "
                                   "ORDER BY at DESC, id DESC LIMIT ?", (limit,))
            names = [c[0] for c in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def close(self) -> None:
        self._db.close()


# ---- one store per data directory (the chat routes and the channels share it) ----------------------------
_STORES: dict[Path, UnansweredStore] = {}
_STORES_LOCK = threading.Lock()


def store_for(settings: Any) -> UnansweredStore:
    path = (Path(settings.data_dir) / DB_NAME).resolve()
    with _STORES_LOCK:
        st = _STORES.get(path)
        if st is None or not path.exists():
            st = _STORES[path] = UnansweredStore(path, settings.unanswered_retention_days)
        st.retention_s = max(1, settings.unanswered_retention_days) * 86400
        return st


def record_answer(settings: Any, channel: str, question: str, province: str | None, ans: Any) -> None:
    """Edge hook after an answer: a ``found: false`` answer is kept for the report. Never raises."""
    if getattr(ans, "found", True):
        return
    try:
        plans = [f"{s.province}, {s.year}" for s in getattr(ans, "sources", [])[:5] if s.province]
        store_for(settings).add("not_found", channel, question, province, plans, reason_of(ans.answer))
    except Exception:  # noqa: BLE001 - the report is best effort; the user still gets the answer
        log.warning("could not record an unanswered question", exc_info=True)


async def record_channel_answer(runtime: Any, question: str, session_id: str, ans: Any) -> None:
    """Channels' common path: channel from the session id prefix ('tg:…', 'zalo:…'), scope from the session."""
    if getattr(ans, "found", True):
        return
    import asyncio

    def run() -> None:
        try:
            province = (runtime.sessions.get_meta(session_id) or {}).get("province")
            channel = {"tg": "telegram", "zalo": "zalo"}.get(session_id.split(":", 1)[0], "khác")
            record_answer(runtime.settings, channel, question, province, ans)
        except Exception:  # noqa: BLE001 - the report is best effort; the chat still gets its reply
            log.warning("could not record an unanswered channel question", exc_info=True)

    await asyncio.to_thread(run)


# ---- the report: similar questions grouped ---------------------------------------------------------------
def _words(text: str) -> set[str]:
    text = re.sub(r"\[[^\]]*\]", " ", text)  # placeholders of stripped personal data are not content
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in _STOP and len(w) > 1}


def similar(a: str, b: str, wa: set[str] | None = None, wb: set[str] | None = None) -> bool:
    """Folded-text similarity: shared content words (Jaccard), or near-identical folded strings."""
    wa, wb = wa if wa is not None else _words(a), wb if wb is not None else _words(b)
    if wa and wb and len(wa & wb) / len(wa | wb) >= SIMILAR:
        return True
    return SequenceMatcher(None, fold(a), fold(b)).ratio() >= 0.85


def group_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (newest first) -> groups of similar questions, most frequent first, with counts and scopes."""
    groups: list[dict[str, Any]] = []
    for r in rows:
        if r["kind"] == "helpful" or not r["question"]:
            continue
        w = _words(r["question"])
        g = next((g for g in groups if similar(r["question"], g["question"], w, g["_words"])), None)
        if g is None:
            g = {"question": r["question"], "_words": w, "count": 0, "kinds": {}, "channels": {}, "provinces": {},
                 "plans": {}, "reasons": {}, "variants": [], "last_at": r["at"], "ids": [], "_texts": {}}
            groups.append(g)
        g["count"] += 1
        g["ids"].append(r["id"])
        g["last_at"] = max(g["last_at"], r["at"])
        for key, value in (("kinds", r["kind"]), ("channels", r["channel"]), ("provinces", r["province"]),
                           ("reasons", r["reason"])):
            if value:
                g[key][value] = g[key].get(value, 0) + 1
        for p in filter(None, r["plans"].split("; ")):
            g["plans"][p] = g["plans"].get(p, 0) + 1
        g["_texts"][r["question"]] = g["_texts"].get(r["question"], 0) + 1
    for g in groups:
        g.pop("_words")
        texts = g.pop("_texts")
        # shown as: the most asked wording, written with diacritics if any was, then the longest
        ranked = sorted(texts, key=lambda t: (-texts[t], fold(t) == t.lower(), -len(t)))
        g["question"], g["variants"] = ranked[0], ranked[:5]
        g["last"] = local_time(g["last_at"])
    groups.sort(key=lambda g: (-g["count"], -g["last_at"]))
    return groups


def report(store: UnansweredStore) -> dict[str, Any]:
    rows = store.rows()
    counts = {k: sum(1 for r in rows if r["kind"] == k) for k in KINDS}
    return {"ok": True, "counts": counts, "retention_days": round(store.retention_s / 86400),
            "groups": group_rows(rows)}


CSV_COLUMNS = ["nhom", "so_lan_trong_nhom", "cau_hoi_dai_dien", "cau_hoi", "loai", "kenh", "tinh", "ke_hoach",
               "thoi_gian", "ly_do"]


def to_csv(store: UnansweredStore) -> str:
    """One line per recorded question with its group, local times; UTF-8 with BOM so Excel reads Vietnamese."""
    rows = store.rows()
    groups = group_rows(rows)
    by_id = {i: (n + 1, g) for n, g in enumerate(groups) for i in g["ids"]}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for r in rows:
        if r["id"] not in by_id:
            continue
        n, g = by_id[r["id"]]
        w.writerow([n, g["count"], _cell(g["question"]), _cell(r["question"]), KINDS[r["kind"]], r["channel"],
                    _cell(r["province"]), _cell(r["plans"]), local_time(r["at"]), _cell(r["reason"])])
    return "\ufeff" + out.getvalue()


def _cell(text: str) -> str:
    """No spreadsheet formulas from user text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
