"""What answering produces: the Answer plus the records it rests on (for an LLM composer) and the
entity it named (for "cơ quan đó" in the next turn). Built from records only, so every answer cites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot import compose
from bot.answer import Answer, Source
from bot.knowledge import Knowledge, Record
from corpus.records import Plan, Task


@dataclass
class ContextItem:
    """A retrieved record with a short id, for an LLM composer to read and cite."""

    id: str
    record: Record
    text: str
    source: Source


@dataclass
class Result:
    answer: Answer
    question: str = ""  # the standalone question actually answered
    context: list[ContextItem] = field(default_factory=list)
    entity: str = ""  # the agency the answer names first
    widened: bool = False  # answered beyond the scope inherited from the conversation
    coverage: float = 1.0  # share of the question's topic the record carries (the general path's best guess < 1)


def plan_of(k: Knowledge, r: Record) -> Plan:
    return r if isinstance(r, Plan) else k.plans[r.doc_id].plan


def _quote(k: Knowledge, r: Record) -> str:
    if isinstance(r, Task):
        return compose.task_cells(r)
    return (getattr(r, "text", None) or getattr(r, "content", None) or getattr(r, "expansion", None)
            or plan_of(k, r).title or "")


def source_of(k: Knowledge, r: Record, score: float) -> Source:
    plan = plan_of(k, r)
    return Source(document=plan.label(), province=plan.province, year=plan.year, section=compose.section_of(r),
                  quote=compose.short(_quote(k, r), compose.MAX_QUOTE), score=round(float(score), 3))


def context_text(k: Knowledge, r: Record) -> str:
    plan = plan_of(k, r)
    head = f"{plan.label()} — {plan.province}, {plan.year} — {compose.section_of(r)}"
    return f"{head}\n{compose.record_text(r)}"


def found(k: Knowledge, text: str, records: Sequence[Record], scores: list[float] | None = None,
          entity: str = "", found_flag: bool = True) -> Result:
    """Answer text + one merger note + the citation line; sources deduplicated by (plan, section)."""
    sources: list[Source] = []
    seen = set()
    all_sources = []
    for i, r in enumerate(records):
        score = scores[i] if scores and i < len(scores) else 1.0 / (i + 1)
        s = source_of(k, r, score)
        all_sources.append(s)
        key = (plan_of(k, r).doc_id, s.section)
        if key not in seen:
            seen.add(key)
            sources.append(s)
    notes = []
    plans_named = list(dict.fromkeys(plan_of(k, r).doc_id for r in records))
    for doc_id in plans_named[:3]:
        note = compose.merger_note(k.plans[doc_id].plan, k.vocab)
        if note and note not in notes:
            notes.append(note)
    cite = "Nguồn: " + "; ".join(f"{s.document} ({s.province}, {s.year}), {s.section}" for s in sources[:2])
    first, _, rest = text.partition("\n")  # the merger note right under the first line, where it is read
    if first.rstrip().endswith(":"):  # … unless that line opens a list
        body = "\n".join([text, *notes, cite])
    else:
        body = "\n".join([first, *notes, *([rest] if rest else []), cite])
    ctx = [ContextItem(id=f"R{i + 1}", record=r, text=context_text(k, r), source=s)
           for i, (r, s) in enumerate(zip(records, all_sources, strict=False))]
    return Result(answer=Answer(answer=body, found=found_flag, sources=sources[:5]), context=ctx, entity=entity)


def refuse(text: str) -> Result:
    return Result(answer=Answer(answer=text, found=False, sources=[]))
