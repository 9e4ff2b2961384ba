"""The records a plan is parsed into. Answers are composed from these, and cite them.

Each record carries a ``where`` (human-readable location such as "Phụ lục, mục 2.5" or
"IV. Tổ chức thực hiện, 3. Công an tỉnh") and the 1-based line it starts on.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Plan(BaseModel):
    doc_id: str
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
    contacts: list[str] = Field(default_factory=list)

    def label(self) -> str:
        """How an answer names the plan: 'Kế hoạch 101/KH-UBND ngày 02/4/2024'."""
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
    timeline: str = ""
    budget: int | None = None
    note: str = ""
    group: str = ""
    line: int = 0

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


class ParsedPlan(BaseModel):
    plan: Plan
    tasks: list[Task] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    agency_blocks: int = 0
    warnings: list[str] = Field(default_factory=list)
