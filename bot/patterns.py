"""Question patterns (intents, topics, follow-up markers) loaded from ``corpus/data/intents.json``.

They are data so an admin can add a phrasing without touching code; each is matched on folded text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.vocab import DATA_DIR


@dataclass(frozen=True)
class Patterns:
    intents: dict[str, re.Pattern[str]]
    topics: dict[str, re.Pattern[str]]
    amount: re.Pattern[str]
    funding_source: re.Pattern[str]
    question_phrases: re.Pattern[str]
    refers_back: re.Pattern[str]
    elliptic: re.Pattern[str]
    partner_markers: str
    generic: frozenset[str]
    domain: re.Pattern[str]
    examples: dict[str, str]
    content_after: dict[str, frozenset[str]]
    list_noun: tuple[re.Pattern[str], ...] = ()  # 'những X nào': group 'noun' is X
    merger_locator: re.Pattern[str] | None = None  # 'nay thuộc' before a merged province's new name
    chat_words: dict[str, str] | None = None  # chat shorthand, folded: 'dc' -> 'duoc', 'ko' -> 'khong'
    chat_onsets: dict[str, str] | None = None  # chat spelling of a word's onset: 'fi' -> 'phi' (f -> ph)


def chat_spelling(word: str, known: Container[str], pt: Patterns) -> str | None:
    """A folded word written the chat way, as the word it stands for: shorthand ("dc" -> "duoc", "bn" -> "bao
    nhieu") or an onset ("fi" -> "phi" when "phi" is a known word and "fi" is not); None when it is neither."""
    if word in (pt.chat_words or {}):
        return (pt.chat_words or {})[word]
    for onset, spelled in (pt.chat_onsets or {}).items():
        if word.startswith(onset) and spelled + word[len(onset):] in known:
            return spelled + word[len(onset):]
    return None


@lru_cache(maxsize=4)
def load_patterns(path: str | None = None) -> Patterns:
    raw = json.loads(Path(path or DATA_DIR / "intents.json").read_text(encoding="utf-8"))
    return Patterns(
        intents={k: re.compile(v) for k, v in raw["intents"].items()},
        topics={k: re.compile(v) for k, v in raw["topics"].items()},
        amount=re.compile(raw["amount"]),
        funding_source=re.compile(raw["funding_source"]),
        question_phrases=re.compile(raw["question_phrases"]),
        refers_back=re.compile(raw["refers_back"]),
        elliptic=re.compile(raw["elliptic"]),
        partner_markers=raw["partner_markers"],
        generic=frozenset(raw["generic"].split()),
        domain=re.compile(raw["domain"]),
        examples=dict(raw.get("examples", {})),
        content_after={k: frozenset(v) for k, v in raw.get("content_after", {}).items() if not k.startswith("_")},
        list_noun=tuple(re.compile(x) for x in raw.get("list_noun", [])),
        merger_locator=re.compile(raw["merger_locator"]) if raw.get("merger_locator") else None,
        chat_words={k: v for k, v in raw.get("chat_words", {}).items() if not k.startswith("_")},
        chat_onsets={k: v for k, v in raw.get("chat_onsets", {}).items() if not k.startswith("_")},
    )
