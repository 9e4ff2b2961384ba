"""Follow-up questions: "Thời gian thực hiện khi nào?" after "Ai chủ trì cuộc thi … ở Hà Tĩnh?".

A follow-up that names no topic borrows the previous question's topic; one that names no province
borrows the previous province; "Còn ở Vĩnh Long thì sao?" repeats the previous question for the
new province. Pure: strings in, string out.
"""

from __future__ import annotations

import re

from bot.understand import INTENTS, understand
from corpus.vocab import Vocabulary, fold

_ELLIPTIC = re.compile(r"^(con|vay|the|thi|va)\b|thi sao\??$|the nao\??$|ra sao\??$|nhu the nao\??$")


def condense(question: str, history: list[str], vocab: Vocabulary, lexicon: dict[str, str]) -> str:
    """A standalone question for retrieval, built from the question and the previous ones."""
    if not history:
        return question
    prev = history[-1]
    q = understand(question, vocab, lexicon)
    p = understand(prev, vocab, lexicon)
    folded = fold(question).strip()
    elliptic = bool(_ELLIPTIC.search(folded))
    if elliptic and not q.intents and (q.provinces or q.agencies):
        # "Còn ở Vĩnh Long thì sao?": same question, other province/agency
        base = prev
        for old in p.provinces:
            base = re.sub(re.escape(old), "", base, flags=re.I)
        extra = " ".join([*(f"ở {x}" for x in q.provinces)])
        return f"{base.strip()} {extra}".strip()
    standalone = question
    if not q.topic_terms and not q.agencies and (p.topic_terms or p.agencies):
        # keep the previous question's subject, drop its question words
        subject = _subject(prev)
        standalone = f"{question.rstrip('?')} — {subject}"
    if not q.provinces and p.provinces:
        standalone = f"{standalone} (tỉnh {', '.join(p.provinces)})"
    return standalone


def _subject(question: str) -> str:
    """The previous question without its interrogative part."""
    text = question.rstrip("?")
    for rx in INTENTS.values():
        m = re.search(rx, fold(text))
        if m:
            text = text[: m.start()] + text[m.end():]
    return " ".join(text.split())
