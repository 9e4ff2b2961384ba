"""Document -> ParsedPlan: the one entry point of the plan parser.

Never raises on odd input: what cannot be placed becomes a warning, so an admin sees it.
"""

from __future__ import annotations

from corpus.activities import activities_from_outline
from corpus.appendix import parse_tables
from corpus.definitions import definitions_in
from corpus.document import Document, Paragraph
from corpus.duties import duties_from_part, duties_from_sentences, is_implementation_part
from corpus.facts import read_facts
from corpus.header import detect_plan, missing_metadata
from corpus.legal import legal_in
from corpus.records import Duty, ParsedPlan, Passage
from corpus.structure import Outline, build_outline
from corpus.vocab import Vocabulary, fold, load_vocabulary

PASSAGE_CHARS = 1200


def parse_document(doc: Document, doc_id: str, vocab: Vocabulary | None = None,
                   overrides: dict | None = None) -> ParsedPlan:
    vocab = vocab or load_vocabulary()
    warnings: list[str] = []
    outline = build_outline(doc)
    plan = detect_plan(doc_id, outline, vocab, warnings)
    for key, value in (overrides or {}).items():
        if value is not None and hasattr(plan, key):
            setattr(plan, key, value)
    if plan.province and not plan.issuing_body:
        plan.issuing_body = f"Ủy ban nhân dân tỉnh {plan.province}"
    warnings.extend(missing_metadata(plan))
    tasks, total = parse_tables(outline.tables, doc_id, vocab, warnings)
    plan.appendix_total = total
    duties: list[Duty] = []
    blocks = 0
    passages = _passages(outline, doc_id)
    for part in outline.parts:
        if is_implementation_part(part):
            d, n, _closing = duties_from_part(part, doc_id, vocab)
            duties.extend(d)
            blocks += n
    for p in passages:
        if "to chuc thuc hien" in _fold_heading(p):
            continue
        duties.extend(duties_from_sentences(p.text, p.where, p.line, doc_id, vocab))
    activities = activities_from_outline(outline, doc_id, vocab)
    located = _located(outline)
    definitions = definitions_in([(p, w) for p, w, _h in located], doc_id)
    legal_docs = [d for d in legal_in(located, doc_id) if not plan.number or d.number != plan.number]
    _plan_budget(plan, outline)
    if not outline.parts:
        warnings.append("Không tìm thấy các phần đánh số La Mã (I., II., …): văn bản có thể không phải kế hoạch.")
    if not blocks:
        warnings.append("Không tìm thấy mục 'Tổ chức thực hiện' với các khối nhiệm vụ của từng cơ quan.")
    return ParsedPlan(plan=plan, tasks=tasks, duties=duties, passages=passages, activities=activities,
                      definitions=definitions, legal_docs=legal_docs, agency_blocks=blocks, warnings=warnings)


def _located(outline: Outline) -> list[tuple[Paragraph, str, bool]]:
    """Every paragraph with where it sits and whether it is in the header (where bases are listed).

    A decision that attaches its plan has two headers: the decision's (preamble) and the plan's, which
    the outline keeps with the decision's closing; both list bases.
    """
    out = [(p, "Phần mở đầu", True) for p in outline.preamble]
    out += [(p, "Phần mở đầu", True) for p in outline.closing]
    for part in outline.parts:
        out += [(p, part.heading, False) for p in part.intro]
        for item in part.items:
            where = f"{part.heading} › {item.number}. {item.text[:60]}"
            out.append((Paragraph(text=item.text, line=item.line), where, False))
            out += [(p, where, False) for p in item.body]
    out += [(p, "Phụ lục", False) for p in outline.appendix]
    out += [(p, "Chú thích", False) for p in outline.notes]
    return out


def _plan_budget(plan, outline: Outline) -> None:  # noqa: ANN001
    """The plan-wide budget and funding written in its "Kinh phí" part ("tổng 850 triệu đồng", "nguồn …")."""
    for part in outline.parts:
        if "kinh phi" not in fold(part.title):
            continue
        paras = part.intro + [Paragraph(text=i.text, line=i.line) for i in part.items]
        paras += [p for i in part.items for p in i.body]
        facts = read_facts("\n".join(p.text for p in paras))
        plan.budget_total = facts.budget
        plan.funding = facts.funding
        return


def _fold_heading(p: Passage) -> str:
    return fold(" ".join(p.heading))


def _passages(outline: Outline, doc_id: str) -> list[Passage]:
    out: list[Passage] = []

    def emit(heading: list[str], paras: list[Paragraph]) -> None:
        buf: list[str] = []
        start = paras[0].line if paras else 0
        size = 0
        for p in paras:
            if buf and size + len(p.text) > PASSAGE_CHARS:
                out.append(Passage(doc_id=doc_id, heading=heading, text="\n".join(buf), line=start))
                buf, size, start = [], 0, p.line
            buf.append(p.text)
            size += len(p.text)
        if buf:
            out.append(Passage(doc_id=doc_id, heading=heading, text="\n".join(buf), line=start))

    emit([], outline.preamble)
    for part in outline.parts:
        if part.intro:
            emit([part.heading], part.intro)
        for item in part.items:
            title = item.text if len(item.text) <= 90 else item.text[:90].rsplit(" ", 1)[0] + "…"
            paras = [Paragraph(text=item.text, line=item.line), *item.body]
            emit([part.heading, f"{item.number}. {title}"], paras)
        if not part.intro and not part.items:
            emit([part.heading], [Paragraph(text=part.title, line=part.line)])
    if outline.appendix:
        emit(["Phụ lục"], outline.appendix)
    for note in outline.notes:  # one passage each: a footnote cites one document ("Công văn số 228/SNV-…")
        emit(["Chú thích"], [note])
    return out
