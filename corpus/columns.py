"""What an appendix (task table) header is: the words naming each column, in one place.

Both readers of tables use it: ``corpus.appendix`` (tables from .txt/.md/.docx) and ``corpus.pdf_tables``
(tables recovered from positioned PDF text), so a header word added here is understood by both.
"""

from __future__ import annotations

from corpus.vocab import fold

COLUMNS = {
    "stt": ("stt", "tt", "so tt"),
    "content": ("noi dung", "nhiem vu", "hoat dong", "ten nhiem vu"),
    "product": ("san pham", "hinh thuc", "ket qua"),
    "lead": ("chu tri", "don vi thuc hien", "co quan thuc hien"),
    "coord": ("phoi hop",),
    "time": ("thoi gian", "tien do", "thoi han"),
    "funding": ("nguon kinh phi", "nguon von", "nguon ngan sach"),  # before "budget": "Nguồn kinh phí" is no sum
    "budget": ("kinh phi", "du toan", "so tien"),
    "note": ("ghi chu",),
}
_STT = {w.replace(" ", "") for w in COLUMNS["stt"]}


def _folded(cell: str) -> str:
    return " ".join(fold(cell).split())


def is_stt(cell: str) -> bool:
    """The row-number column's header: 'STT', 'TT', 'Số TT' (a trailing dot or missing space allowed)."""
    return _folded(cell).rstrip(".").replace(" ", "") in _STT


def map_columns(row: list[str]) -> dict[str, int]:
    """Column kind -> index, for the cells of a header row (the first cell naming a kind wins)."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(row):
        f = _folded(cell)
        if not f:
            continue
        for key, words in COLUMNS.items():
            if key in cols:
                continue
            if key == "stt":
                if is_stt(cell):
                    cols[key] = i
                    break
            elif any(w in f for w in words):
                cols[key] = i
                break
    return cols


def is_task_header(cols: dict[str, int]) -> bool:
    """A header names a task table when it has the lead agency and the content (or product) columns."""
    return "lead" in cols and ("content" in cols or "product" in cols)


def names_task_column(text: str) -> bool:
    """Some header text names the task or the lead agency column (a header split over lines or cells)."""
    f = _folded(text)
    return any(w in f for w in (*COLUMNS["content"], *COLUMNS["lead"]))
