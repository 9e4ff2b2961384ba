"""The second document kind, "hướng dẫn / hỏi đáp": an FAQ or short guide an admin keeps beside the plans.

Formats (the spec is docs/faq.md): Markdown with a front matter (``kind: hoi-dap``), .docx with
question headings, and CSV/XLSX tables (:mod:`corpus.faq_tables`). Each becomes a ``ParsedPlan`` whose
``plan.kind`` is "faq" and whose ``faqs`` hold the records, so the corpus store, the admin flow
(preview, confirm, withdraw, audit) and the incremental index treat it like any other document.
Pure: bytes in, records or a Vietnamese error out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from corpus.errors import NotAPlanError
from corpus.records import FaqRecord, ParsedPlan, Plan
from corpus.vocab import Vocabulary, fold, nfc

NATIONAL = "toàn quốc"
TABLE_EXTS = (".csv", ".xlsx")
KIND_NAMES = {"hoi-dap": "Hỏi đáp", "huong-dan": "Hướng dẫn"}
_KIND_ALIASES = {"hoi-dap": "hoi-dap", "hoi dap": "hoi-dap", "faq": "hoi-dap", "huong-dan": "huong-dan",
                 "huong dan": "huong-dan", "guide": "huong-dan"}
_URL = re.compile(r"https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


class FaqFormatError(NotAPlanError):
    """The file was meant as an FAQ/guide but holds no usable question and answer."""


def faq_kind(value: str | None) -> str | None:
    """'hỏi đáp', 'faq', 'hoi-dap' -> 'hoi-dap'; 'hướng dẫn', 'guide' -> 'huong-dan'; anything else None."""
    return _KIND_ALIASES.get(" ".join(fold(value or "").replace("_", "-").split()))


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """``---`` … ``---`` at the top: (key -> value, index of the first body line). Values lose ``# comments``."""
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip() != "---":
        return {}, 0
    meta: dict[str, str] = {}
    for j in range(i + 1, len(lines)):
        line = lines[j]
        if line.strip() == "---":
            return meta, j + 1
        key, sep, value = line.partition(":")
        if sep and key.strip():
            value = re.sub(r"\s+#.*$", "", value).strip().strip("\"'")
            meta[fold(key.strip()).replace(" ", "_")] = value
    return {}, 0  # no closing line: not a front matter


def norm_date(value: Any) -> str:
    """'2026-11-15', '15/11/2026', a datetime -> '15/11/2026'; unreadable -> ''."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    text = str(value or "").strip()
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return f"{int(m.group(3)):02d}/{int(m.group(2)):02d}/{m.group(1)}"
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
    if m:
        return f"{int(m.group(1)):02d}/{int(m.group(2)):02d}/{m.group(3)}"
    return ""


def norm_scope(value: Any, vocab: Vocabulary) -> str | None:
    """'toàn quốc' (or empty) -> 'toàn quốc'; a known province spelling -> its name; unknown -> None."""
    raw = " ".join(str(value or "").split())
    key = fold(raw)
    if not key or key in ("toan quoc", "ca nuoc", "quoc gia", "national", "tat ca"):
        return NATIONAL
    key = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", key).strip()
    return vocab.province_names().get(key)


def plain_links(text: str) -> tuple[str, list[str]]:
    """Markdown links become 'text (url)'; returns the text and its URLs in order (each once)."""
    text = _MD_LINK.sub(lambda m: m.group(1) if m.group(2) in m.group(1) else f"{m.group(1)} ({m.group(2)})", text)
    return text, list(dict.fromkeys(_URL.findall(text)))


def split_links(value: Any) -> list[str]:
    """A table cell with one or more links separated by whitespace or ';'."""
    return [x for x in re.split(r"[\s;,]+", str(value or "")) if re.match(r"https?://", x)]


def _clean_answer(lines: list[str]) -> str:
    out: list[str] = []
    for raw in lines:
        line = re.sub(r"^\s*#{3,6}\s*", "", raw.rstrip())
        line = re.sub(r"(\*\*|__)", "", line)
        if line.strip() or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def parse_markdown_faq(text: str, doc_id: str, vocab: Vocabulary,
                       overrides: dict[str, Any] | None = None) -> ParsedPlan:
    """Markdown: front matter, then one record per ``## `` heading (answer = everything until the next)."""
    text = nfc(text.replace("\r\n", "\n"))
    meta, start = front_matter(text)
    lines = text.split("\n")
    title = meta.get("title", "")
    records: list[tuple[str, list[str], int]] = []
    for n, line in enumerate(lines[start:], start=start + 1):
        if re.match(r"^##\s+\S", line) and not line.startswith("###"):
            records.append((line[2:].strip().strip("#").strip(), [], n))
        elif re.match(r"^#\s+\S", line) and not records:
            title = title or line[1:].strip()
        elif records:
            records[-1][1].append(line)
    items = [(q, _clean_answer(body), n) for q, body, n in records]
    return build_parsed(items, doc_id, vocab, meta | {"title": title}, overrides)


def build_parsed(items: list[tuple[str, str, int]] | list[dict[str, Any]], doc_id: str, vocab: Vocabulary,
                 meta: dict[str, Any], overrides: dict[str, Any] | None = None,
                 source: str = "") -> ParsedPlan:
    """Records + document metadata -> ParsedPlan (kind "faq"); per-row scope/date/links win over the document's."""
    ov = overrides or {}
    warnings: list[str] = []
    kind = faq_kind(meta.get("kind")) or "hoi-dap"
    doc_scope_raw = ov.get("province") or meta.get("scope") or meta.get("pham_vi") or NATIONAL
    doc_scope = norm_scope(doc_scope_raw, vocab)
    if doc_scope is None:
        warnings.append(f"Phạm vi “{doc_scope_raw}” không phải tên tỉnh đã biết: coi là toàn quốc.")
        doc_scope = NATIONAL
    updated = norm_date(meta.get("updated") or meta.get("cap_nhat") or "")
    faqs: list[FaqRecord] = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, dict):
            row: dict[str, Any] = item
        else:
            q_text, a_text, line_no = cast(tuple[str, str, int], item)
            row = {"question": q_text, "answer": a_text, "line": line_no}
        question = " ".join(str(row.get("question") or "").split())
        answer, links = plain_links(str(row.get("answer") or "").strip())
        if not question or not answer:
            warnings.append(f"Mục {i} (dòng {row.get('line', 0)}) thiếu câu hỏi hoặc câu trả lời: bỏ qua.")
            continue
        links = list(dict.fromkeys([*links, *row.get("links", [])]))
        scope = doc_scope
        if row.get("scope"):
            scope = norm_scope(row["scope"], vocab) or doc_scope
            if norm_scope(row["scope"], vocab) is None:
                warnings.append(f"Mục {i}: phạm vi “{row['scope']}” không phải tên tỉnh đã biết.")
        faqs.append(FaqRecord(doc_id=doc_id, question=question, answer=answer, links=links, scope=scope,
                              updated=norm_date(row.get("updated")) or updated, number=len(faqs) + 1,
                              line=int(row.get("line") or 0)))
    if not faqs:
        raise FaqFormatError(
            f"Tệp {source or 'hỏi đáp'} không có câu hỏi và câu trả lời nào đọc được. Markdown: mỗi câu hỏi là một "
            "dòng “## …?” và câu trả lời ở các dòng sau; Word: câu hỏi là Heading 2; CSV/XLSX: cột “câu hỏi” và "
            "“trả lời”.")
    dates = sorted({f.updated for f in faqs if f.updated}, key=lambda d: d.split("/")[::-1])
    date = updated or (dates[-1] if dates else "")
    if not date:
        warnings.append("Không có ngày cập nhật (updated / Cập nhật: …): câu trả lời sẽ không ghi ngày.")
    scopes = {f.scope for f in faqs}
    province = next(iter(scopes)) if len(scopes) == 1 and NATIONAL not in scopes else None
    title = " ".join(str(meta.get("title") or "").split()) or f"{KIND_NAMES[kind]} {source}".strip()
    if str(meta.get("example", "")).strip().lower() in ("true", "yes", "1", "có"):
        warnings.append("Đây là tài liệu VÍ DỤ đi kèm mã nguồn: hãy thay bằng hỏi đáp của tỉnh.")
    plan = Plan(doc_id=doc_id, kind="faq", doc_type=KIND_NAMES[kind], title=title, province=province,
                year=int(date[-4:]) if date else None, date=date or None,
                issuing_body=str(meta.get("issuer") or meta.get("don_vi") or "") or None)
    return ParsedPlan(plan=plan, faqs=faqs, warnings=warnings)

