"""Synthetic corpora for the scale benchmark: the five bundled plans rewritten for other provinces and years.

Each generated plan keeps one seed's layout (five layouts: numbered blocks, appendix tables, prose duties) and
gets its own province, year, plan number, leading agencies and budget figures, so every unit text differs from
every other plan's (no embedding is shared by accident). Deterministic: plan ``i`` is always the same text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = {"000_84eb34714b428acf": ("Tiền Giang", "2024"), "001_4c71ade8d3617029": ("Kiên Giang", "2024"),
         "002_525e336b753c34f2": ("Hà Tĩnh", "2024"), "003_2be5e5626b2fea28": ("Vĩnh Long", "2024"),
         "004_a94b06a593058be0": ("Trà Vinh", "2023")}
AGENCIES = ["Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Y tế", "Sở Công Thương", "Sở Xây dựng",
            "Sở Giáo dục và Đào tạo", "Sở Khoa học và Công nghệ"]
_MONEY = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b")
_NUMBER = re.compile(r"Số:\s*\d*\s*/")


def provinces() -> list[str]:
    data = json.loads((ROOT / "corpus" / "data" / "provinces.json").read_text(encoding="utf-8"))
    return [p for p in data["old"] if p not in {prov for prov, _ in SEEDS.values()}]


def plan_text(i: int) -> tuple[str, str, int]:
    """Plan ``i``: (text, province, year)."""
    seed_id = list(SEEDS)[i % len(SEEDS)]
    seed_province, seed_year = SEEDS[seed_id]
    names = provinces()
    # the k-th plan of a layout: each (layout, province, year) once, so no two plans are the same text
    k = i // len(SEEDS)
    province = names[k % len(names)]
    year = 2024 - k // len(names)
    text = (ROOT / "corpus" / "plans" / f"{seed_id}.txt").read_text(encoding="utf-8")
    text = text.replace(seed_province, province).replace(seed_year, str(year))
    text = _NUMBER.sub(f"Số: {100 + i}/", text, count=1)
    shift = i % len(AGENCIES)  # a different agency leads the same duties in each plan
    marks = {a: f"\x00{k}\x00" for k, a in enumerate(AGENCIES)}
    for a, m in marks.items():
        text = text.replace(a, m)
    for k, m in enumerate(marks.values()):
        text = text.replace(m, AGENCIES[(k + shift) % len(AGENCIES)])
    factor = 1 + (i % 97) / 100 + i / 10_000

    def money(m: re.Match[str]) -> str:
        v = int(int(m.group(0).replace(".", "")) * factor)
        return f"{v:,}".replace(",", ".")

    return _MONEY.sub(money, text), province, year


def write_corpus(uploads: Path, n_generated: int, start: int = 0) -> list[str]:
    """Write plans ``start`` … ``start + n_generated - 1`` as uploads; returns their document ids."""
    uploads.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(start, start + n_generated):
        text, _, _ = plan_text(i)
        doc_id = f"gen-{i:04d}"
        (uploads / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        (uploads / f"{doc_id}.meta.json").write_text(json.dumps({"filename": f"{doc_id}.txt", "uploaded_by": "bench"}),
                                                     encoding="utf-8")
        ids.append(doc_id)
    return ids
