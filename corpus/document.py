"""The common representation every loader produces: an ordered list of blocks.

A plan arrives as .txt, .md, .docx or .pdf; the parser must not care which. Loaders reduce each
format to paragraphs (one line of running text, possibly a heading) and tables (rows of cell
strings), in document order. Everything downstream works on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One line or paragraph of text. ``line`` is its 1-based position, for citations."""

    text: str
    line: int = 0


@dataclass
class Table:
    """A table as rows of cell strings (ragged rows allowed). ``line`` is where it starts."""

    rows: list[list[str]] = field(default_factory=list)
    line: int = 0


Block = Paragraph | Table


@dataclass
class Document:
    """A loaded file: its blocks plus the name it came from."""

    blocks: list[Block]
    source: str = ""
    notes: list[Paragraph] = field(default_factory=list)  # footnote bodies, out of the text's flow

    def text(self) -> str:
        """Plain text of the whole document (tables as tab-separated rows), for hashing and search."""
        out: list[str] = []
        for b in [*self.blocks, *self.notes]:
            if isinstance(b, Paragraph):
                out.append(b.text)
            else:
                out.extend("\t".join(r) for r in b.rows)
        return "\n".join(out)
