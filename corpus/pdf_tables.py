"""Recover tables from positioned PDF text, so PDF plans give the parser real table rows.

A table is recognised by its header line ("STT | Nội dung | ... | Cơ quan chủ trì | ..."): the
header's cells give the columns. If the table is drawn with borders (most exported plans), the
ruling lines decide exactly which text is inside the table and where each row ends; otherwise
rows start when the STT column gets text or the vertical gap is larger than wrapped-line spacing.
A header repeated on a later page continues the table and is kept as a row, as in the .txt files.
Only header keywords are used: no plan-specific strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.columns import is_stt, is_task_header, map_columns, names_task_column
from corpus.document import Block, Paragraph, Table
from corpus.inline import clean_inline

_CHAR_EM = 0.5  # rough average glyph width in ems, for layouts without ruling lines


@dataclass(eq=False)
class Frag:
    """A piece of text as pypdf emitted it: start position (points, y up) and font size."""

    x: float
    y: float
    text: str
    size: float

    @property
    def end(self) -> float:
        return self.x + len(self.text.strip()) * self.size * _CHAR_EM


@dataclass(eq=False)
class Line:
    """Fragments sharing a baseline on one page, left to right."""

    page: int
    y: float
    frags: list[Frag] = field(default_factory=list)

    @property
    def text(self) -> str:
        return clean_inline("".join(f.text for f in self.frags))

    @property
    def size(self) -> float:
        return max(f.size for f in self.frags)


@dataclass
class Rules:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) ruling segments of one page."""

    h: list[tuple[float, float, float]] = field(default_factory=list)
    v: list[tuple[float, float, float]] = field(default_factory=list)

    def add_segments(self, segs: list[tuple[float, float, float, float]], box: bool = False) -> None:
        """Keep axis-aligned pieces; ``box`` segments are thin filled rectangles (x0, y0, x1, y1)."""
        for x0, y0, x1, y1 in segs:
            if box and x1 - x0 <= 2.5:
                x0 = x1 = (x0 + x1) / 2
            elif box:
                y0 = y1 = (y0 + y1) / 2
            if abs(y1 - y0) <= 1 and abs(x1 - x0) >= 3:
                self.h.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
            elif abs(x1 - x0) <= 1 and abs(y1 - y0) >= 3:
                self.v.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def crosses(self, ln: Line, left: float) -> bool:
        """Is this line's baseline crossed by a vertical rule at or right of ``left``?"""
        return any(y0 - 0.5 <= ln.y <= y1 + 0.5 and x >= left for x, y0, y1 in self.v)

    def splits(self, upper: Line, lower: Line) -> bool:
        """Is there any horizontal rule between two lines?"""
        return any(lower.y < y < upper.y and x1 - x0 >= 10 for y, x0, x1 in self.h)

    def between(self, upper: Line, lower: Line, bounds: list[float]) -> bool:
        """Is there a row border between two lines? It must start at a column boundary."""
        return any(
            lower.y < y < upper.y and any(x0 <= b + 1.5 and x1 >= b + 6 for b in bounds)
            for y, x0, x1 in self.h
        )


@dataclass
class _Grid:
    header_x: list[float]
    bounds: list[float]  # left boundary of each column
    ruled: bool
    size: float

    def column(self, x: float) -> int:
        return max((i for i, b in enumerate(self.bounds) if b <= x + 0.5), default=0)

    def cell_column(self, f: Frag, rules: Rules) -> int:
        """Column of the cell holding ``f``: the nearest rule on its left marks the cell's start,
        so text centred in a merged cell still lands in the merge's first column."""
        if self.ruled:
            walls = [x for x, y0, y1 in rules.v if y0 - 0.5 <= f.y <= y1 + 0.5 and x <= f.x + 1]
            if walls:
                return self.column(max(walls) + 1)
        return self.column(f.x)


@dataclass
class Header:
    """A detected table header: one cell per column and how many visual lines it spans."""

    cells: list[Frag]
    lines: int
    ruled: bool


def find_header(lines: list[Line], i: int, rules: list[Rules]) -> Header | None:
    """The header if line ``i`` starts one: STT leftmost, >= 3 columns, a task-table keyword."""
    ln = lines[i]
    page_rules = rules[ln.page]
    ruled = page_rules.crosses(ln, float("-inf"))
    band = [ln]
    if ruled:  # the header row is everything down to the next row border (cells may be centred)
        for nxt in lines[i + 1 : i + 8]:
            if nxt.page != ln.page or page_rules.splits(band[-1], nxt):
                break
            band.append(nxt)
    cells = _cluster(sorted((f for b in band for f in b.frags), key=lambda f: f.x), ln, page_rules, ruled)
    if len(cells) < 3:
        return None
    if not is_stt(cells[0].text) and not (ruled and _named_columns(cells)):
        return None  # without STT leftmost, only a ruled grid whose header names the task columns
    text, prev = " ".join(b.text for b in band), band[-1]
    for nxt in [] if ruled else lines[i + 1 : i + 4]:  # unruled header cells may wrap
        if nxt.page != ln.page or prev.y - nxt.y > 1.8 * ln.size:
            break
        text, prev = f"{text} {nxt.text}", nxt
    return Header(cells, len(band), ruled) if names_task_column(text) else None


def _named_columns(cells: list[Frag]) -> bool:
    """A header naming what a task table holds ("Nội dung", "Cơ quan chủ trì", …) in at least 3 cells."""
    cols = map_columns([c.text for c in cells])
    return is_task_header(cols) and len(cols) >= 3


def _cluster(frags: list[Frag], ln: Line, rules: Rules, ruled: bool) -> list[Frag]:
    """Header pieces grouped into columns: between the same rules, or touching each other."""
    walls = sorted(x for x, y0, y1 in rules.v if y0 - 0.5 <= ln.y <= y1 + 0.5) if ruled else []
    groups: list[list[Frag]] = []
    for f in frags:
        last = groups[-1] if groups else None
        if last is not None and (
            sum(x <= f.x + 0.5 for x in walls) == sum(x <= last[0].x + 0.5 for x in walls)
            if ruled
            else f.x < max(g.end for g in last) + 0.3 * f.size
        ):
            last.append(f)
        else:
            groups.append([f])
    return [
        Frag(g[0].x, ln.y, " ".join(f.text.strip() for f in sorted(g, key=lambda f: -f.y)), g[0].size)
        for g in groups
    ]


def _make_grid(header: Header, ln: Line, rules: Rules) -> _Grid:
    """Column boundaries: the rule left of each header cell, else between header texts."""
    cells = header.cells
    bounds: list[float] = []
    for i, f in enumerate(cells):
        if header.ruled:
            left = [x for x, y0, y1 in rules.v if y0 - 0.5 <= ln.y <= y1 + 0.5 and x <= f.x + 1]
            b = max(left, default=f.x - 2)
        elif i == 0:
            b = f.x - 2
        else:  # text may be centred: the boundary lies between the previous text's end and this
            gap_start = min(cells[i - 1].end, f.x)
            b = min(f.x - 1, gap_start + 0.3 * (f.x - gap_start))
        bounds.append(max(b, bounds[-1] + 1) if bounds else b)
    return _Grid(header_x=[f.x for f in cells], bounds=bounds, ruled=header.ruled, size=ln.size)


def _fits(ln: Line, prev: Line, grid: _Grid, rules: Rules) -> bool:
    """Does this line continue the table (rather than being the text after it)?"""
    if any(f.x < grid.bounds[0] - 2 for f in ln.frags):
        return False
    if grid.ruled:
        return rules.crosses(ln, grid.bounds[0] - 2)
    if abs(ln.size - grid.size) > 1 or (ln.page == prev.page and prev.y - ln.y > 3.5 * grid.size):
        return False
    last = len(grid.bounds) - 1
    cols = [grid.column(f.x) for f in ln.frags]
    # text reaching well into the next column's text does not belong to a single cell
    over = [c for f, c in zip(ln.frags, cols, strict=True) if c < last and f.end > _limit(f, grid, c + 1)]
    if not over:
        return True
    # a group row: one text spanning the first columns, maybe a total in the last column
    wide = ln.frags[cols.index(over[0])]
    return over == [0] and all(c in (0, last) for c in cols) and wide.end < _limit(wide, grid, last)


def _limit(f: Frag, grid: _Grid, col: int) -> float:
    """How far right ``f`` may plausibly end before reaching column ``col`` (widths are guesses)."""
    return grid.header_x[col] + 0.25 * (f.end - f.x) + f.size


def _wraps(ln: Line, grid: _Grid, right: float) -> bool:
    """Did the first-column text of ``ln`` fill its cell, so the next line continues it?"""
    first = [f for f in ln.frags if grid.column(f.x) == 0]
    return bool(first) and first[-1].end >= first[0].x + 0.65 * (right - first[0].x)


def _join(parts: list[str]) -> str:
    """Wrapped cell lines joined with spaces, except after a word-internal hyphen ("II-|III")."""
    out = ""
    for p in parts:
        p = p.strip()
        glue = "" if re.search(r"\w-$", out) else " "
        out = f"{out}{glue}{p}" if out else p
    return clean_inline(out)


def _read_table(lines: list[Line], i: int, header: Header, rules: list[Rules]) -> tuple[Table, int]:
    """Rows of the table whose header is line ``i``; returns the table and the next line index."""
    grid = _make_grid(header, lines[i], rules[lines[i].page])
    members = [(ln, k == 0) for k, ln in enumerate(lines[i : i + header.lines])]
    j = i + header.lines
    while j < len(lines):
        ln, prev = lines[j], members[-1][0]
        repeat = find_header(lines, j, rules)
        if repeat is not None:
            again = [f.x for f in repeat.cells]
            if len(again) != len(grid.header_x) or any(
                abs(a - b) > 3 for a, b in zip(again, grid.header_x, strict=True)
            ):
                break  # a different table starts here
            members.extend((x, k == 0) for k, x in enumerate(lines[j : j + repeat.lines]))
            j += repeat.lines
            continue
        if not _fits(ln, prev, grid, rules[ln.page]):
            break
        members.append((ln, False))
        j += 1
    gaps = [a.y - b.y for (a, _), (b, _) in zip(members, members[1:], strict=False) if a.page == b.page]
    gaps = [g for g in gaps if g >= 0.6 * grid.size]
    pitch = min(gaps) if gaps and min(gaps) <= 1.7 * grid.size else 1.2 * grid.size
    rows: list[list[list[str]]] = []
    prev_ln: Line | None = None
    col0_right = grid.header_x[-1]  # where text in the first column of the current row may reach
    for ln, is_header in members:
        placed: dict[int, list[str]] = {}
        for f in ln.frags:
            placed.setdefault(grid.cell_column(f, rules[ln.page]), []).append(f.text)
        if prev_ln is None or is_header or ln.page != prev_ln.page:
            new_row = True
        elif grid.ruled:
            new_row = rules[ln.page].between(prev_ln, ln, grid.bounds)
        else:  # no borders: an STT starts a row unless the first column was just wrapping
            gap = prev_ln.y - ln.y > 1.3 * pitch + 0.5
            new_row = gap or (0 in placed and not _wraps(prev_ln, grid, col0_right))
        if new_row:
            rows.append([[] for _ in grid.bounds])
            spans = len(grid.header_x) > 1 and any(
                grid.column(f.x) == 0 and f.end > _limit(f, grid, 1) for f in ln.frags
            )
            col0_right = grid.header_x[-1 if spans else min(1, len(grid.header_x) - 1)]
        for col, texts in placed.items():
            rows[-1][col].append("".join(texts))
        prev_ln = ln
    return Table(rows=[[_join(c) for c in row] for row in rows], line=i + 1), j


def build_blocks(lines: list[Line], rules: list[Rules]) -> list[Block]:
    """Lines in reading order -> Paragraphs (wrapped lines re-joined), Table where a table header is found."""
    blocks: list[Block] = []
    wrap = _Wrap(lines)
    prev: Line | None = None
    i = 0
    while i < len(lines):
        header = find_header(lines, i, rules)
        if header is not None:
            table, i = _read_table(lines, i, header, rules)
            blocks.append(table)
            prev = None
            continue
        ln = lines[i]
        text = ln.text
        if text:
            last = blocks[-1] if blocks else None
            if prev is not None and isinstance(last, Paragraph) and wrap.continues(prev, ln, last.text, text):
                blocks[-1] = Paragraph(text=f"{last.text} {text}", line=last.line)
            else:
                blocks.append(Paragraph(text=text, line=i + 1))
            prev = ln
        i += 1
    return blocks


_NEW_ITEM = re.compile(r"^(?:[a-zđ][).]|\d{1,2}(?:\.\d{1,2})*[.)]|[IVXL]{1,5}[.\-–]|[-+•–*]|Điều\s+\d|"
                       r"(?:Căn cứ|Thực hiện|Theo đề nghị|Nơi nhận|Trên đây)\b)\s*")


_NUMBERED_HEAD = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[IVXL]{1,5})[.)]\s")


class _Wrap:
    """Whether a PDF line continues the paragraph above: the line above ran to the right margin without
    ending its sentence, and this one starts at the left margin, in the same font, without a list mark.

    The text repair in :mod:`corpus.structure` only joins a line starting in lower case; a wrap right
    before "Sở Nội vụ" or "Cổng Thông tin" needs the geometry, which only the PDF has.
    """

    def __init__(self, lines: list[Line]) -> None:
        starts = sorted(round(ln.frags[0].x) for ln in lines if ln.frags)
        ends = sorted(ln.frags[-1].end for ln in lines if ln.frags)
        self.left = starts[len(starts) // 10] if starts else 0.0
        self.right = ends[int(len(ends) * 0.9)] if ends else 0.0

    def continues(self, upper: Line, lower: Line, upper_text: str, lower_text: str) -> bool:
        if not upper.frags or not lower.frags or upper_text.endswith(tuple(".:;!?")):
            return False
        heading = lower_text.isupper() and len(lower_text.split()) > 1
        # "13. Đề nghị Ủy ban … tỉnh" filling one line, then its duty: a numbered heading is not wrapped text
        heading = heading or (upper_text == upper.text and bool(_NUMBERED_HEAD.match(upper_text))
                              and lower_text[:1].isupper())
        if abs(upper.size - lower.size) > 0.5 or _NEW_ITEM.match(lower_text) or heading:
            return False
        if upper.page == lower.page and not 0 < upper.y - lower.y <= 1.8 * upper.size:
            return False
        width = self.right - self.left
        full = upper.frags[-1].end >= self.left + 0.8 * width
        return full and abs(lower.frags[0].x - self.left) <= 3
