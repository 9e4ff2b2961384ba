"""Answers about the documents themselves: what plans the corpus holds, what a term means, what a plan
rests on, its number/date/signer, a document it cites, a contact phone."""

from __future__ import annotations

import re

from bot import compose
from bot.answerers.base import Ctx
from bot.query import Query
from bot.result import Result, found, refuse
from corpus.contacts import has_contact_phone
from corpus.records import Definition, Duty, LegalDoc, ParsedPlan, Passage, Task
from corpus.vocab import fold

_DOC_REF = re.compile(r"\b(Quyết định|Nghị quyết|Kế hoạch|Chỉ thị|Công văn|Nghị định|Thông tư|Tờ trình|Luật|Đề án|"
                      r"Chương trình|Công điện|Hướng dẫn)\b", re.I)


class CorpusListing:
    """'Hệ thống có kế hoạch của những tỉnh nào?': every plan in the corpus."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return "corpus" in q.intents and not q.agencies  # "Sở X lồng ghép vào những kế hoạch nào": not the corpus

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        plans = [pp.plan for pp in ctx.k.plans.values()]  # the whole corpus, whatever the conversation's scope
        if not plans:
            return refuse("Kho dữ liệu hiện chưa có kế hoạch nào.")
        lines = [f"Kho dữ liệu có {len(plans)} kế hoạch:"]
        for p in sorted(plans, key=lambda p: (p.province or "", p.year or 0)):
            title = f" — {p.title}" if p.title else ""
            lines.append(f"- {p.province or '(không rõ tỉnh)'} {p.year or ''}: {p.label()}{title}")
        return found(ctx.k, "\n".join(lines), plans)


def _definitions(pp: ParsedPlan) -> list[Definition]:
    return list(pp.definitions)


class Definitions:
    """'SIPAS là gì?': the expansion the plan itself writes, cited."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return "definition" in q.intents or (q.attribute in ("", "definition") and len(q.text.split()) <= 4)

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        plain = " " + " ".join(re.findall(r"[a-z0-9&]+", fold(q.text))) + " "
        short = len(plain.split()) <= 5
        hits: list[Definition] = []
        for pp in ctx.plans():
            for d in _definitions(pp):
                term = " ".join(re.findall(r"[a-z0-9&]+", fold(d.term)))
                if term and f" {term} " in plain and (short or _asked_term(plain, term)):
                    hits.append(d)
        if not hits:
            return None
        best_len = max(len(d.term) for d in hits)
        hits = [d for d in hits if len(d.term) == best_len]  # "PAR INDEX" over "PAR"
        seen: dict[str, list[Definition]] = {}
        for d in hits:
            seen.setdefault(fold(d.expansion), []).append(d)
        lines = []
        for group in seen.values():
            d = group[0]
            provs = ", ".join(dict.fromkeys(ctx.k.plans[x.doc_id].plan.province or "" for x in group))
            lines.append(f"{d.term} là {d.expansion} (theo kế hoạch của {provs}).")
        return found(ctx.k, "\n".join(lines), [g[0] for g in seen.values()])


def _asked_term(plain: str, term: str) -> bool:
    """'PAR INDEX là gì', 'viết tắt của SIPAS': the term is what is asked, not a word used on the way ("KH tuyên
    truyền CCHC … những chỉ số nào? Ghi rõ tên viết tắt" uses CCHC, it does not ask what it means)."""
    at = plain.find(f" {term} ")
    after, before = plain[at + len(term) + 2:][:40], plain[:at][-40:]
    if len(plain[:at].split()) > 4 and not re.search(r"(viet tat cua|ten day du cua|nghia cua)\s*$", before):
        return False  # "Chủ đề năm 2024 … của kế hoạch tuyên truyền CCHC là gì?" asks the theme, not CCHC
    return bool(re.match(r"\s*(la (gi|chi so gi|viet tat)|viet tat|nghia la|co nghia|la chu viet tat|ten day du|"
                         r"duoc hieu|dung de chi)", after)
                or re.search(r"(viet tat cua|ten day du cua|nghia cua|giai thich|khai niem)\s*(chu |tu )?$", before))


def _legal_docs(pp: ParsedPlan) -> list[LegalDoc]:
    docs = [d for d in pp.legal_docs if d.basis]
    if docs:
        return docs
    out = []  # plans parsed before legal documents were records: split the header's bases
    for b in pp.plan.legal_bases:
        for part in re.split(r";\s*", b):
            if _DOC_REF.search(part[:60]):
                out.append(LegalDoc(doc_id=pp.plan.doc_id, kind="", text=part.strip(" ."), where="Phần mở đầu"))
    return out


class LegalBasis:
    """'Kế hoạch căn cứ những văn bản nào?': the plan's whole list of bases, each with number and date."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return q.attribute == "legal" and bool(re.search(r"\bcan cu\b|dua tren|thuc hien theo|co so phap ly|"
                                                          r"(nhung|cac) van ban", q.folded)) \
            and not _names_specific_document(q)

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        cited = topic_reference(q, ctx)
        if cited is not None:
            return cited
        ids = ctx.doc_ids
        if len(ids) > 1 and not q.provinces:
            return None
        lines, recs = [], []
        for d in ids:
            pp = ctx.k.plans[d]
            docs = _legal_docs(pp)
            if not docs:
                continue
            lines.append(f"{compose.plan_tag(pp.plan)}{pp.plan.label()} căn cứ/thực hiện {len(docs)} văn bản:")
            lines += [f"- {compose.legal_doc_text(x)}" for x in docs]
            recs.append(docs[0] if pp.legal_docs else pp.plan)
        if not lines:
            return None
        return found(ctx.k, "\n".join(lines), recs)


_NUMBERED_REF = re.compile(r"\b\d{1,5}/\d{0,4}/?[A-ZĐ]{1,4}[-–][\wĐđ\-]+")


def topic_reference(q: Query, ctx: Ctx) -> Result | None:
    """'Việc trả kết quả qua bưu điện thực hiện theo quyết định nào?': the document the plan cites for that
    subject, not the plan's own list of bases."""
    if len(q.topic_terms) < 3 or re.search(r"\bcan cu\b|dua tren|co so phap ly", q.folded):
        return None  # "kế hoạch căn cứ …": the plan's own bases
    for c in ctx.candidates(q)[:3]:
        r = c.record
        text = r.text if isinstance(r, Passage | Duty) else r.content if isinstance(r, Task) else ""
        if c.coverage < 0.7 or not text:
            continue
        words = set(q.topic_words)
        sents = [s for s in re.split(r"(?<=[.;])\s+|\n+", text) if _NUMBERED_REF.search(s)]
        if not sents:
            continue
        best = max(sents, key=lambda s: len(words & set(re.findall(r"[a-z0-9]+", fold(s)))))
        return found(ctx.k, compose.plan_tag(ctx.k.plans[r.doc_id].plan) + compose.short(best.strip(), 500), [r],
                     [c.score])
    return None


def _other_numbers(q: Query, pp: ParsedPlan) -> list[str]:
    """The document numbers the question names that are not the plan's own ("Kế hoạch số 300/KH-UBND mà kế hoạch
    tuyên truyền thực hiện": a cited plan, though the question says "kế hoạch")."""
    own = (pp.plan.number or "").split("/")[0].strip()
    return [n for n in q.doc_numbers if n.split("/")[0] != own]


def _describes_another_document(q: Query, pp: ParsedPlan, cited: str) -> bool:
    """'Kế hoạch CCHC năm 2024 của tỉnh được ban hành tại quyết định số mấy?' asked of a communication plan: the
    words describe a document the plan cites (its title matches them clearly better than the plan's own)."""
    asked = set(re.findall(r"[a-z0-9]+", q.folded)) - _DOC_WORDS
    own = set(re.findall(r"[a-z0-9]+", fold(f"{pp.plan.title or ''} {pp.plan.province or ''}")))
    other = set(re.findall(r"[a-z0-9]+", fold(cited)))
    return len(asked & other) >= len(asked & own) + 2


# words any question about a document's number or date uses: they tell no document from another
_DOC_WORDS = set("ke hoach quyet dinh so may nao ngay ban hanh duoc tai theo cua tinh la gi khi luc bao gio".split())


def _names_specific_document(q: Query) -> bool:
    return bool(q.plan_ref and "/" in q.plan_ref and not _is_own_plan_ref(q))


def _is_own_plan_ref(q: Query) -> bool:
    return bool(re.search(r"ke hoach|kh-", fold(q.plan_ref + " " + q.text[:40])))


class PlanFacts:
    """Number, date, signer, or a cited document (Tờ trình, Quyết định …) the question describes."""

    def applies(self, q: Query, ctx: Ctx) -> bool:
        return q.attribute == "legal" or (bool(q.plan_ref) and not q.topic_terms and not q.agencies)

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        ids = ctx.doc_ids
        if len(ids) > 1 and not q.topic_terms and not q.plan_ref:
            return self._each_plan(q, ctx)  # "ai ký kế hoạch?" with no province: every plan, one line each
        if len(ids) != 1:
            if q.provinces or not q.topic_terms:
                return None
            cands = ctx.candidates(q)
            if not cands:
                return None
            ids = [cands[0].hit.unit.doc_id]
        pp = ctx.k.plans[ids[0]]
        others = _other_numbers(q, pp)
        refs = compose.document_references(pp, q.folded, q.topic_words, others)
        asks_number = re.search(r"so hieu|so may|so bao nhieu|ngay ban hanh|ban hanh ngay|ky ngay|ngay nao|"
                                r"ban hanh (khi nao|luc nao)", q.folded)
        if refs and (compose.asks_cited_document(q.folded) or others
                     or (asks_number and not q.doc_numbers and _describes_another_document(q, pp, refs[0][0]))):
            text, record = refs[0]
            extra = [r for _, r in refs[1:2] if r is not record]
            return found(ctx.k, f"{compose.plan_tag(pp.plan)}{text}", [record, *extra])
        if asks_number and not pp.plan.number and not pp.plan.date:
            text = (f"{compose.plan_tag(pp.plan)}Bản kế hoạch trong kho không ghi số hiệu và ngày ban hành "
                    f"(để trống trong văn bản).")
            if pp.plan.signer:
                text += f" Kế hoạch do {pp.plan.signer_title or ''} {pp.plan.signer} ký.".replace("  ", " ")
            return found(ctx.k, text, [pp.plan], found_flag=False)
        return found(ctx.k, compose.plan_facts(pp.plan, q.folded), [pp.plan])


    @staticmethod
    def _each_plan(q: Query, ctx: Ctx) -> Result | None:
        plans = [pp.plan for pp in ctx.plans()]
        lines = ["Câu hỏi chưa nêu tỉnh; thông tin của từng kế hoạch trong kho:"]
        lines += [f"- {compose.plan_tag(p)}{compose.plan_facts(p, q.folded)}" for p in plans]
        return found(ctx.k, "\n".join(lines), plans)


class Contact:
    def applies(self, q: Query, ctx: Ctx) -> bool:
        return "contact" in q.intents

    def answer(self, q: Query, ctx: Ctx) -> Result | None:
        for pp in ctx.plans():
            for p in pp.passages:
                if has_contact_phone(p.text):
                    sent = next((s for s in re.split(r"(?<=[.;])\s+|\n", p.text) if has_contact_phone(s)), p.text)
                    return found(ctx.k, f"{compose.plan_tag(pp.plan)}{sent.strip()}", [p])
        where = f" của {', '.join('tỉnh ' + p for p in q.provinces)}" if q.provinces else ""
        return refuse(f"Các kế hoạch{where} trong kho không ghi số điện thoại hay đầu mối liên hệ.")
