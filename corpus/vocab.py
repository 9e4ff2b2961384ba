"""Domain vocabularies loaded from the editable JSON files in ``corpus/data``.

Province names (with the 1 July 2025 mergers), agency aliases and abbreviations are data, not
code: an admin adds a spelling by editing a file, not a regex.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

def nfc(text: str) -> str:
    """Unicode NFC: text from Word, PDF and phones mixes composed and decomposed accents."""
    return unicodedata.normalize("NFC", text)


def _slow_fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return text.replace("đ", "d")


# every precomposed Latin letter with marks (Latin-1 to Latin Extended Additional) -> its bare letter
_FOLD_TABLE = {cp: _slow_fold(chr(cp)) for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))
               if _slow_fold(chr(cp)) != chr(cp)}
_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-case, diacritics removed (đ -> d): 'Cơ quan chủ trì' -> 'co quan chu tri'.

    A translation table (linear, in C) instead of NFD plus a per-character category test: fold runs on
    every paragraph of every upload. Decomposed input keeps working: stray combining marks are removed.
    """
    out = text.lower().translate(_FOLD_TABLE)
    return _COMBINING.sub("", out) if _COMBINING.search(out) else out


@dataclass
class Vocabulary:
    provinces_old: list[str]
    merged_into: dict[str, str]  # old province -> province it belongs to since 2025-07-01
    members: dict[str, list[str]]  # new province -> old provinces
    province_aliases: dict[str, str]  # alias -> province
    agency_alias: dict[str, str]  # folded alias -> canonical
    agency_canonical: list[str]
    agency_starts: list[str]
    abbreviations: dict[str, str]
    synonyms: list[list[str]] = field(default_factory=list)
    descriptive_heads: list[str] = field(default_factory=list)  # "Trung tâm Hỗ trợ phát triển doanh nghiệp …"
    name_stops: list[str] = field(default_factory=list)  # lower-case words where such a name ends
    merger_date: str = "01/7/2025"
    not_initials: list[str] = field(default_factory=list)  # two capitals that are not a province ("KH" kế hoạch)
    unknown_agency_heads: list[str] = field(default_factory=list)  # heads that start an organisation's name
    _province_folded: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = set(self.provinces_old) | set(self.members)
        for name in names:
            self._province_folded[fold(name)] = name
        for alias, name in self.province_aliases.items():
            self._province_folded[fold(alias)] = name

    def province_names(self) -> dict[str, str]:
        """Folded spelling -> province name, for every name and alias known."""
        return dict(self._province_folded)

    def canonical_agency(self, name: str) -> str:
        """Map a spelling of an agency to its canonical name, or return it cleaned."""
        name = " ".join(nfc(name).split()).strip(" .;:,")
        key = fold(name)
        return self.agency_alias.get(key, name)


@lru_cache(maxsize=4)
def load_vocabulary(data_dir: str | None = None) -> Vocabulary:
    d = Path(data_dir) if data_dir else DATA_DIR
    prov = json.loads((d / "provinces.json").read_text(encoding="utf-8"))
    ag = json.loads((d / "agencies.json").read_text(encoding="utf-8"))
    ab = json.loads((d / "abbreviations.json").read_text(encoding="utf-8"))
    syn_file = d / "synonyms.json"
    synonyms = json.loads(syn_file.read_text(encoding="utf-8"))["groups"] if syn_file.exists() else []
    merged_into: dict[str, str] = {}
    for new, olds in prov["merged_2025"].items():
        for old in olds:
            if old != new:
                merged_into[old] = new
    alias_map: dict[str, str] = {}
    for canon, variants in ag["canonical"].items():
        alias_map[fold(canon)] = canon
        for v in variants:
            alias_map[fold(v)] = canon
    province_aliases = {a: p for p, al in prov.get("aliases", {}).items() for a in al}
    return Vocabulary(
        provinces_old=prov["old"],
        merged_into=merged_into,
        members={k: v for k, v in prov["merged_2025"].items()} | {u: [u] for u in prov["unchanged_2025"]},
        province_aliases=province_aliases,
        agency_alias=alias_map,
        agency_canonical=list(ag["canonical"]),
        agency_starts=ag["starts"],
        abbreviations={k: v for k, v in ab.items() if not k.startswith("_")},
        synonyms=synonyms,
        descriptive_heads=ag.get("descriptive_heads", []),
        name_stops=ag.get("name_stops", []),
        not_initials=prov.get("initials_not_provinces", []),
        unknown_agency_heads=ag.get("organisation_heads", []),
    )


@lru_cache(maxsize=4)
def prose_words(data_dir: str | None = None) -> dict:
    """Word lists for reading activities, definitions and cited documents in prose (``data/prose.json``)."""
    d = Path(data_dir) if data_dir else DATA_DIR
    return json.loads((d / "prose.json").read_text(encoding="utf-8"))
