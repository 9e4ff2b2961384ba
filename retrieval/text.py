"""Vietnamese text handling for search.

People type without diacritics ("co quan nao chu tri"), with old tone placement (hoá), and with
abbreviations (CCHC, Sở TT&TT). Everything is compared in a folded form (no diacritics, lower
case); abbreviations are expanded from the vocabulary so "CCHC" meets "cải cách hành chính".
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.vocab import Vocabulary, fold, nfc

_WORD = re.compile(r"[0-9a-z]+(?:[./-][0-9a-z]+)*")

# function words that carry no topic (folded); kept short on purpose
STOPWORDS = frozenset(
    """va cac cua la o nao gi ai cho voi trong tren duoc co nhung nay do theo ve khi thi se da dang
    mot nhu de tai tu den ra vao boi hay hoac thuoc nhieu bao nhieu sao the nhe a oi u khong can
    ke hoach tinh nam""".split()
)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


@lru_cache(maxsize=8)
def _abbr_patterns(items: tuple[tuple[str, str], ...]) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for abbr, full in sorted(items, key=lambda x: -len(x[0])):
        out.append((re.compile(r"(?<![\w&])" + re.escape(abbr) + r"(?![\w&])"), full))
    return out


def expand_abbreviations(text: str, vocab: Vocabulary) -> str:
    """Append the full form of every abbreviation found (the original stays, for exact matches)."""
    extra: list[str] = []
    for rx, full in _abbr_patterns(tuple(vocab.abbreviations.items())):
        if rx.search(text):
            extra.append(full)
    # unaccented abbreviations ("cchc", "tthc") typed in lower case
    folded_words = set(_WORD.findall(fold(text)))
    for abbr, full in vocab.abbreviations.items():
        key = fold(abbr).replace(" ", "")
        if key.isalnum() and key in folded_words and full not in extra:
            extra.append(full)
    return text if not extra else f"{text} ({'; '.join(extra)})"


def bigrams(words: list[str]) -> list[str]:
    """Adjacent syllables joined ("muc", "tieu" -> "muc_tieu"): Vietnamese words are often two syllables."""
    return [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def word_set(folded: str) -> set[str]:
    """The syllables and bigrams of a folded text: what topic units are matched against."""
    seq = re.findall(r"[a-z0-9]+", folded)
    return set(seq) | set(bigrams(seq))


def syllables(text: str) -> list[str]:
    return _WORD.findall(fold(nfc(text)))


def terms(text: str) -> list[str]:
    """Index terms: content syllables plus adjacent-syllable bigrams (Vietnamese words are often two)."""
    syl = syllables(text)
    out = [s for s in syl if s not in STOPWORDS]
    out += [b for b in bigrams(syl) if not all(p in STOPWORDS for p in b.split("_"))]
    return out


def segmented_terms(text: str) -> list[str]:
    """Compound words found by underthesea's segmenter (accented text only), folded."""
    if not has_diacritics(text):
        return []
    from underthesea import word_tokenize

    words = word_tokenize(nfc(text))
    return ["_".join(syllables(w)) for w in words if " " in w and len(syllables(w)) > 2]


def index_terms(text: str, vocab: Vocabulary, segment: bool = True) -> list[str]:
    expanded = expand_abbreviations(text, vocab)
    out = terms(expanded)
    if segment:
        out += segmented_terms(expanded)
    return out
