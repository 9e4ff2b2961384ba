"""Appendix tables -> Task records (what a header is: ``corpus.columns``).

Real appendices are messy: the header repeats after each page break, a cell continues in the next
row, group rows carry subtotals ("2. Đài Phát thanh ... 308.896.756"), sub-rows have no STT and
inherit the row above, a total row closes the table. Columns are found by their header words, so
any column order or subset works.
"""

from __future__ import annotations

import re

from corpus.agencies import split_agencies
from corpus.columns import is_task_header, map_columns
from corpus.document import Table
from corpus.records import Task
from corpus.vocab import Vocabulary, fold

_NUM = re.compile(r"^\s*((?:\d{1,2}(?:\.\d{1,2})*)|[IVX]{1,4})\s*[.)]?\s*(.*)$")
_MONEY = re.compile(r"^\s*(\d{1,3}(?:[.,\s]\d{3})+|\d+[.,]\d{1,2}|\d+)\s*(?:đồng|đ|vnđ|vnd)?\s*$", re.I)
_MONEY_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(triệu|tỷ)\s*(?:đồng)?\s*$", re.I)


def find_header(table: Table) -> tuple[int, dict[str, int]] | None:
    """The (last) header row index and column map, if this table looks like a task appendix.

    A two-level header ("Cơ quan thực hiện" over "Chủ trì | Phối hợp") is read column by column, the
    lower row's word winning where it has one, so the sub-columns do not merge into the cell on their left.
    """
    for idx, row in enumerate(table.rows[:4]):
        cols = map_columns(row)
        if is_task_header(cols):
            merged = _two_level(row, table.rows[idx + 1] if idx + 1 < len(table.rows) else [])
            if merged is not None:
                return idx + 1, map_columns(merged)
            return idx, cols
    return None


def header_rows(table: Table, idx: int) -> list[list[str]]:
    """The rows making up the header ending at ``idx`` (one, or two for a two-level header)."""
    if idx > 0 and _two_level(table.rows[idx - 1], table.rows[idx]) is not None:
        return [table.rows[idx - 1], table.rows[idx]]
    return [table.rows[idx]]


def _two_level(upper: list[str], lower: list[str]) -> list[str] | None:
    filled = [i for i, c in enumerate(lower) if c.strip()]
    if not filled or 0 in filled:
        return None
    sub = map_columns(lower)
    if len(sub) != len(filled) or not set(sub) & {"lead", "coord", "time", "budget", "product"}:
        return None
    width = max(len(upper), len(lower))
    return [(lower[i] if i < len(lower) and lower[i].strip() else (upper[i] if i < len(upper) else ""))
            for i in range(width)]


def money_unit(header_cell: str) -> int:
    """The multiplier a budget column's header declares: '(triệu đồng)' -> 1,000,000."""
    f = fold(header_cell)
    if "ty dong" in f or "ty vnd" in f:
        return 1_000_000_000
    if "trieu" in f:
        return 1_000_000
    if "nghin" in f or "ngan dong" in f:
        return 1_000
    return 1


def parse_money(text: str, unit: int = 1) -> int | None:
    t = text.strip()
    m = _MONEY.match(t)
    if m:
        digits = m.group(1)
        if re.fullmatch(r"\d+[.,]\d{1,2}", digits):  # "1,5" (million): only meaningful with a unit
            return int(round(float(digits.replace(",", ".")) * unit)) if unit > 1 else None
        return int(re.sub(r"\D", "", digits)) * unit
    m = _MONEY_UNIT.match(t)
    if m:
        value = float(m.group(1).replace(",", "."))
        return int(round(value * (1_000_000 if m.group(2).lower() == "triệu" else 1_000_000_000)))
    return None


def _cell(row: list[str], cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return row[i].strip() if i is not None and i < len(row) else ""


def _is_header_repeat(row: list[str], header: list[str]) -> bool:
    a = [fold(c).strip() for c in row if c.strip()]
    b = [fold(c).strip() for c in header if c.strip()]
    return bool(a) and a == b


def _starts_continuation(row: list[str]) -> bool:
    first = next((c.strip() for c in row if c.strip()), "")
    return bool(first) and (first[0].islower() or first[0] in ",;)(")


class _Builder:
    def __init__(self, doc_id: str, vocab: Vocabulary, warnings: list[str]) -> None:
        self.doc_id, self.vocab, self.warnings = doc_id, vocab, warnings
        self.spellings: dict[str, list[str]] = {}  # canonical agency -> its folded spellings
        for alias, canon in vocab.agency_alias.items():
            self.spellings.setdefault(canon, []).append(alias)
        self.tasks: list[Task] = []
        self.raw: list[dict[str, str]] = []  # cell text per task, for merging continuations
        self.total: int | None = None
        self.group, self.label = "", ""
        self.group_label = ""  # "I"
        self.group_budget: int | None = None  # the group's subtotal as written on its row
        self.unit = 1  # "Kinh phí (triệu đồng)" in the header: cells are in millions

    def add(self, fields: dict[str, str], row_label: str, line: int) -> None:
        self.raw.append(fields)
        self.tasks.append(self._task(fields, row_label, line))

    def merge(self, fields: dict[str, str]) -> None:
        raw = self.raw[-1]
        for k, v in fields.items():
            if v:
                head = raw.get(k, "")
                raw[k] = f"{head}{v}" if head.endswith(("/", "-")) else f"{head} {v}".strip()  # "Quý III/" + "2025"
        self.tasks[-1] = self._task(raw, self.tasks[-1].row, self.tasks[-1].line)

    def _task(self, f: dict[str, str], row: str, line: int) -> Task:
        f = _split_roles(f)
        budget_text = f.get("budget", "")
        budget = parse_money(budget_text, self.unit) if budget_text else None
        funding = f"Nguồn kinh phí: {f['funding'].strip()}" if f.get("funding", "").strip() else ""
        notes = [n for n in (f.get("note", ""), budget_text if budget is None else "", funding) if n]
        lead = split_agencies(f.get("lead", ""), self.vocab)
        coordinators = split_agencies(f.get("coord", ""), self.vocab)
        return Task(
            doc_id=self.doc_id, row=row, content=f.get("content", ""), product=f.get("product", ""),
            lead=lead, coordinators=coordinators,
            lead_text=_as_written(f.get("lead", ""), lead, self.spellings),
            coordinators_text=_as_written(f.get("coord", ""), coordinators, self.spellings),
            timeline=f.get("time", ""), budget=budget, note="; ".join(notes), group=self.group, line=line,
            group_label=self.group_label, group_budget=self.group_budget,
        )


_ROLE = re.compile(r"\(\s*(chủ trì|phối hợp)\s*\)", re.I)


def _split_roles(f: dict[str, str]) -> dict[str, str]:
    """One "Cơ quan thực hiện" cell for both roles: "Công an tỉnh (chủ trì); Sở Tư pháp, BHXH tỉnh (phối hợp)"
    -> lead "Công an tỉnh", partners "Sở Tư pháp, BHXH tỉnh" (a partner column, if any, keeps its own)."""
    cell = f.get("lead", "")
    marks = list(_ROLE.finditer(cell))
    if not marks:
        return f
    roles: dict[str, list[str]] = {"chủ trì": [], "phối hợp": []}
    start = 0
    for m in marks:
        roles[m.group(1).lower()].append(cell[start:m.start()].strip(" ;,.-\n"))
        start = m.end()
    if not roles["chủ trì"]:
        return f
    out = dict(f, lead="; ".join(x for x in roles["chủ trì"] if x))
    partners = "; ".join(x for x in roles["phối hợp"] if x)
    if partners:
        out["coord"] = f"{f['coord']}; {partners}" if f.get("coord") else partners
    return out


def _as_written(cell: str, agencies: list[str], spellings: dict[str, list[str]]) -> str:
    """A lead/partner cell on one line, bullets and breaks turned into commas, when it names every agency it was
    read as by one of its spellings ("UBND các huyện, TP, TX"); empty when it groups them ("Các Sở: Nội vụ, Tư
    pháp" names no "Sở Nội vụ") or is too long to quote, and the canonical names are shown instead."""
    parts = [re.sub(r"^[-+•*]\s*", "", x).strip(" ;,.") for x in re.split(r"\n|;\s+|\s+-\s+", cell)]
    text = " ".join(", ".join(p for p in parts if p).split())
    if not text or len(text) > 240:
        return ""
    folded = fold(text)
    for a in agencies:
        if fold(a) not in folded and not any(s in folded for s in spellings.get(a, []) if len(s) > 3):
            return ""
    return text


def parse_tables(
    tables: list[Table], doc_id: str, vocab: Vocabulary, warnings: list[str]
) -> tuple[list[Task], int | None]:
    b = _Builder(doc_id, vocab, warnings)
    header: list[str] | None = None
    repeats: list[list[str]] = []
    cols: dict[str, int] = {}
    for table in tables:
        found = find_header(table)
        start = 0
        if found:
            hidx, cols = found
            levels = header_rows(table, hidx)
            header, start = levels[-1], hidx + 1
            repeats = levels
            if "budget" in cols:
                b.unit = max(money_unit(r[cols["budget"]]) for r in levels if cols["budget"] < len(r))
        elif header is None or len(table.rows[0]) < len(cols):
            continue  # not an appendix and no earlier header to continue
        after_header = True
        for offset, row in enumerate(table.rows[start:], start=start):
            line = table.line + offset
            if header is not None and any(_is_header_repeat(row, h) for h in repeats):
                after_header = True
                continue
            if not any(c.strip() for c in row):
                continue
            _row(b, row, cols, after_header, line)
            after_header = False
    if b.total is not None and b.tasks:
        s = sum(t.budget or 0 for t in b.tasks)
        if s != b.total:
            warnings.append(f"Tổng kinh phí các dòng ({s:,}) khác dòng tổng cộng ({b.total:,}).".replace(",", "."))
    return b.tasks, b.total


def _row(b: _Builder, row: list[str], cols: dict[str, int], after_header: bool, line: int) -> None:
    fields = {k: _cell(row, cols, k) for k in cols if k != "stt"}
    stt = _cell(row, cols, "stt") if "stt" in cols else ""
    first = fold(next((c for c in row if c.strip()), "")).strip()
    if first in ("cong", "cong:", "cong nhom", "tieu ket"):  # a group's subtotal row: not the grand total
        return
    if first.startswith("tong") and len(first) < 200:
        money = parse_money(fields.get("budget", ""), b.unit) or _money_in(first)
        if money:
            b.total = money
        return
    m = _NUM.match(stt) if stt else None
    if stt and not m:
        # text in the STT column: a group title without a number
        m = None
        fields["content"] = (stt + " " + fields.get("content", "")).strip()
        stt = ""
    detail = any(fields.get(k) for k in ("lead", "coord", "time", "product"))
    if m and not detail:
        name = (m.group(2) or fields.get("content", "")).strip()
        b.group, b.label, b.group_label = name, m.group(1), m.group(1)
        b.group_budget = parse_money(fields.get("budget", ""), b.unit) if fields.get("budget") else None
        return
    if m:
        label = m.group(1)
        if m.group(2) and not fields.get("content"):
            fields["content"] = m.group(2)
        b.label = label
        b.add(fields, label, line)
        return
    # no STT: a continuation of the row cut by a page break, or a sub-row of the row above
    if b.tasks and after_header and _starts_continuation(row):
        b.merge(fields)
        return
    if b.tasks and not fields.get("content") and not fields.get("lead"):
        b.merge(fields)  # no task and no lead, only a cell's tail ("huyện", "2025"): the row above, cut by a page
        return
    if not detail and not fields.get("content"):
        if b.tasks:
            b.merge(fields)
        else:
            b.warnings.append(f"Dòng phụ lục không xác định được (dòng {line}).")
        return
    if b.tasks and b.tasks[-1].row == b.label:
        prev = b.raw[-1]
        for k in ("content", "lead", "coord"):
            if not fields.get(k) and prev.get(k) and k == "content":
                fields[k] = prev[k]
    b.add(fields, b.label or str(len(b.tasks) + 1), line)


def _money_in(text: str) -> int | None:
    found = re.findall(r"\d{1,3}(?:[.,]\d{3}){2,}", text)
    return int(re.sub(r"\D", "", found[-1])) if found else None
