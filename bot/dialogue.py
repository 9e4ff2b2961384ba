"""Follow-ups as slot filling: what a message states always wins; only the slots it leaves empty are
inherited from the previous turn.

"Thời gian thực hiện khi nào?" after "Ai chủ trì cuộc thi … ở Hà Tĩnh?" inherits the topic and the
province; "kinh phí tuyên truyền CCHC Kiên Giang 2024" names its own province, so it is a new
question and inherits nothing; "Còn Vĩnh Long thì sao?" repeats the previous question for Vĩnh Long;
"cơ quan đó" is the agency the previous answer named. Pure: queries in, query out.
"""

from __future__ import annotations

from dataclasses import replace

from bot.query import Query


def resolve(q: Query, prev: Query | None, prev_agency: str = "") -> Query:
    """The message's query with its empty slots filled from the previous turn (and marked inherited)."""
    if prev is None:
        return q
    out = replace(q, inherited=[])
    names_new_scope = bool(q.provinces or q.plan_ref) and (
        set(q.provinces) != set(prev.provinces) or (q.plan_ref and q.plan_ref != prev.plan_ref))
    has_own_subject = bool(q.topic_terms or q.agencies or q.row)
    # "Vĩnh Long?", "thế còn ở Trà Vinh", "2023?": a message that only names a province or a year asks the
    # previous question again there
    bare_scope = bool(q.provinces or q.year) and not (q.topic_terms or q.agencies or q.attribute or q.plan_ref)
    if (q.elliptic or bare_scope) and not q.attribute and (q.provinces or q.agencies or q.year or q.topic_terms):
        # "Còn ở Vĩnh Long thì sao?" / "còn Sở Tư pháp?": the previous question with these slots replaced
        base = replace(prev, text=q.text, inherited=[])
        for slot in ("provinces", "year", "plan_ref", "date_ref"):
            if getattr(q, slot):
                setattr(base, slot, getattr(q, slot))
            else:
                base.inherited.append(slot)
        if q.agencies:
            base.agencies, base.subject, base.partners = q.agencies, q.subject, q.partners
        if q.topic_terms and not q.agencies:
            base.topic_terms, base.synonym_terms = q.topic_terms, q.synonym_terms
            base.search_text = q.search_text
        base.inherited += ["attribute", "topic"]
        return base
    if names_new_scope and not q.refers_back:
        return out  # a new province or plan: a new question, nothing carried over
    if not q.provinces and not q.plan_ref and (prev.provinces or prev.plan_ref):
        out.provinces, out.plan_ref = list(prev.provinces), prev.plan_ref
        if q.year is None:
            out.year = prev.year
        out.inherited.append("provinces")
    if q.refers_back and not q.agencies and prev_agency and _mentions_agency_back(q):
        out.agencies, out.subject = [prev_agency], prev_agency
        out.inherited.append("subject")
    if not has_own_subject and not out.agencies and (prev.topic_terms or prev.agencies or prev.row):
        out.topic_terms, out.synonym_terms = list(prev.topic_terms), set(prev.synonym_terms)
        out.topics = q.topics | prev.topics
        out.row = prev.row
        if not q.attribute or q.attribute == prev.attribute:
            out.agencies, out.subject, out.partners = list(prev.agencies), prev.subject, list(prev.partners)
        out.search_text = f"{q.search_text} {_subject_text(prev)}"
        out.in_domain = out.in_domain or prev.in_domain
        out.inherited.append("topic")
    return out


def _mentions_agency_back(q: Query) -> bool:
    return any(w in q.folded for w in ("co quan do", "don vi do", "so do", "co quan nay", "don vi nay", "so nay",
                                       "co quan tren", "don vi tren"))


def _subject_text(prev: Query) -> str:
    """The previous question's topic as search words (its question words dropped)."""
    return " ".join(t.replace("_", " ") for t in prev.topic_terms) or prev.search_text


def standalone_text(q: Query) -> str:
    """A readable standalone question for the LLM composer and the session history."""
    extra = []
    if "topic" in q.inherited and q.topic_terms:
        extra.append(" ".join(dict.fromkeys(w for t in q.topic_terms for w in t.split("_"))))
    if "provinces" in q.inherited and q.provinces:
        extra.append("tỉnh " + ", ".join(q.provinces))
    if "subject" in q.inherited and q.subject:
        extra.append(q.subject)
    return f"{q.text.rstrip('?')} ({'; '.join(extra)})" if extra else q.text
