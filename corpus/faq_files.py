"""Which uploaded files are FAQs, and reading any FAQ format: the one place that knows both the Markdown
reader (corpus.faq) and the table/docx readers (corpus.faq_tables), so neither imports the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpus import faq_tables
from corpus.faq import TABLE_EXTS, FaqFormatError, faq_kind, front_matter, parse_markdown_faq
from corpus.faq_tables import docx_looks_like_faq
from corpus.records import ParsedPlan
from corpus.vocab import Vocabulary


def is_faq(data: bytes, filename: str, overrides: dict[str, Any] | None = None) -> bool:
    """Is this upload an FAQ/guide? Tables always are; Markdown/text by its front matter; the admin may say so."""
    kind = (overrides or {}).get("kind")
    if kind:
        return kind == "faq"
    ext = Path(filename).suffix.lower()
    if ext in TABLE_EXTS:
        return True
    if ext in (".md", ".txt"):
        head = data[:4096].decode("utf-8-sig", errors="ignore")
        meta, _ = front_matter(head)
        return faq_kind(meta.get("kind")) is not None
    if ext == ".docx":
        return docx_looks_like_faq(data)
    return False


def parse_faq(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
              overrides: dict[str, Any] | None = None) -> ParsedPlan:
    """Any supported FAQ format -> ParsedPlan (kind "faq"); FaqFormatError / LoaderError when unreadable."""
    ext = Path(filename).suffix.lower()
    if ext in (".md", ".txt"):
        from corpus.loaders import decode_text

        return parse_markdown_faq(decode_text(data), doc_id, vocab, overrides)
    if ext == ".csv":
        return faq_tables.parse_csv(data, filename, doc_id, vocab, overrides)
    if ext == ".xlsx":
        return faq_tables.parse_xlsx(data, filename, doc_id, vocab, overrides)
    if ext == ".docx":
        return faq_tables.parse_docx_faq(data, filename, doc_id, vocab, overrides)
    raise FaqFormatError(f"Hỏi đáp dạng {ext} chưa được hỗ trợ: hãy dùng .md, .docx, .csv hoặc .xlsx.")


__all__ = ["is_faq", "parse_faq"]
