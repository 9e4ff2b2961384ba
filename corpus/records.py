"""The records a plan is parsed into. Answers are composed from these, and cite them.

Each record carries a ``where`` (human-readable location such as "Phụ lục, mục 2.5" or
"IV. Tổ chức thực hiện, 3. Công an tỉnh") and the 1-based line it starts on.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Plan(BaseModel):
    doc_id: str
    kind: str = "plan"  # "plan" | "faq" (a "hướng dẫn / hỏi đáp" document, see corpus.faq)
    province: str | None = None
    year: int | None = None
    number: str | None = None
    date: str | None = None
    title: str | None = None
    doc_type: str = "Kế hoạch"
    issuing_body: str | None = None
    signer: str | None = None
    signer_title: str | None = None
    legal_bases: list[str] = Field(default_factory=list)
    appendix_total: int | None = None
    budget_total: int | None = None  # stated in the "Kinh phí" part ("tổng 850 triệu đồng"), when written
    funding: str = ""  # "nguồn ngân sách tỉnh", from the "Kinh phí" part
    contacts: list[str] = Field(default_factory=list)

    def label(self) -> str:
        """How an answer names the plan: 'Kế hoạch 101/KH-UBND ngày 02/4/2024'."""
        if self.kind == "faq":
            return f"{self.doc_type}: {self.title or self.doc_id}" + (f" (cập nhật {self.date})" if self.date else "")
        parts = [self.doc_type]
        if self.number:
            parts.append(self.number)
        if self.date:
            parts.append(f"ngày {self.date}")
        if not self.number and not self.date:
            bits = [b for b in (self.province, str(self.year) if self.year else None) if b]
            if bits:
                parts.append("tuyên truyền CCHC " + " ".join(bits))
        return " ".join(parts)


class Task(BaseModel):
    doc_id: str
    row: str
    content: str = ""
    product: str = ""
    lead: list[str] = Field(default_factory=list)
    coordinators: list[str] = Field(default_factory=list)
    lead_text: str = ""  # the cells as the plan writes them ("UBND các huyện, TP, TX"): what answers quote
    coordinators_text: str = ""
    timeline: str = ""
    budget: int | None = None
    note: str = ""
    group: str = ""
    line: int = 0
    group_label: str = ""  # the group row's own number ("I", "2") when rows are grouped
    group_budget: int | None = None  # the subtotal written on the group row (VND), not the grand total

    @property
    def where(self) -> str:
        return f"Phụ lục, mục {self.row}" if self.row else "Phụ lục"


class Duty(BaseModel):
    doc_id: str
    agency: str
    role: str  # "chủ trì" | "phối hợp" | "đề nghị"
    text: str
    coordinators: list[str] = Field(default_factory=list)
    where: str = ""
    line: int = 0


class Passage(BaseModel):
    doc_id: str
    heading: list[str] = Field(default_factory=list)
    text: str
    line: int = 0

    @property
    def where(self) -> str:
        return " › ".join(self.heading) if self.heading else "Phần mở đầu"


class Activity(BaseModel):
    """An activity, contest or event written in prose (no appendix row): what a Task is for a table.

    ``lead``/``coordinators`` are agency names; ``time``/``place``/``product``/``budget``/``funding`` are
    copied from the sentence when written there, else empty. One activity named in two agencies' blocks
    is one record with both roles.
    """

    doc_id: str
    name: str
    kind: str = "activity"  # "contest" | "event" | "activity"
    lead: list[str] = Field(default_factory=list)
    coordinators: list[str] = Field(default_factory=list)
    time: str = ""
    place: str = ""
    product: str = ""
    budget: int | None = None
    funding: str = ""
    text: str = ""  # the sentence(s) it was read from
    where: str = ""
    line: int = 0


class Definition(BaseModel):
    """A term the plan spells out: "Chỉ số hài lòng … (SIPAS)" -> term SIPAS, expansion "Chỉ số hài lòng …"."""

    doc_id: str
    term: str
    expansion: str
    where: str = ""
    line: int = 0


class LegalDoc(BaseModel):
    """One document the plan rests on or cites ("Căn cứ Quyết định số 1024/QĐ-UBND ngày …")."""

    doc_id: str
    kind: str  # "Quyết định", "Kế hoạch", "Nghị quyết", "Chỉ thị", "Công văn", "Luật", …
    number: str = ""
    date: str = ""
    issuer: str = ""
    title: str = ""
    text: str = ""  # the citation as written
    basis: bool = True  # listed among the plan's bases (Căn cứ/Thực hiện), not merely mentioned
    where: str = ""
    line: int = 0


class FaqRecord(BaseModel):
    """One question and the admin's answer (or one section of a short guide), from an FAQ document.

    ``scope`` is "toàn quốc" or a province name; ``updated`` is the date the answer was last checked
    (dd/mm/yyyy); ``links`` are the URLs the answer gives, shown to citizens as plain text.
    """

    doc_id: str
    question: str
    answer: str
    links: list[str] = Field(default_factory=list)
    scope: str = "toàn quốc"
    updated: str = ""
    number: int = 0  # 1-based position in the document
    line: int = 0

    @property
    def where(self) -> str:
        return f"câu {self.number}: {self.question}" if self.number else self.question


class ParsedPlan(BaseModel):
    plan: Plan
    tasks: list[Task] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    definitions: list[Definition] = Field(default_factory=list)
    legal_docs: list[LegalDoc] = Field(default_factory=list)
    faqs: list[FaqRecord] = Field(default_factory=list)  # only in FAQ documents (plan.kind == "faq")
    agency_blocks: int = 0
    warnings: list[str] = Field(default_factory=list)
