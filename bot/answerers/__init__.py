"""The ordered answerers: the first that applies and returns a Result answers the question."""

from __future__ import annotations

from bot.answerers.agencies import AbsentAgency, AgencyDuties, AgencyTasks, AggregateLeads
from bot.answerers.base import EXAMPLES, HELP, Answerer, Ctx
from bot.answerers.budget import BudgetWithoutFigures, FundingSource, GroupBudget, GroupList, TotalBudget
from bot.answerers.budget_lines import BudgetLines
from bot.answerers.documents import Contact, CorpusListing, Definitions, LegalBasis, PlanFacts
from bot.answerers.general import BestRecord, ProvinceList
from bot.answerers.sections import SectionList
from bot.patterns import load_patterns


def default_answerers() -> list[Answerer]:
    generic = load_patterns().generic
    return [CorpusListing(), Definitions(), AbsentAgency(), LegalBasis(), PlanFacts(), Contact(),
            GroupBudget(generic), GroupList(), TotalBudget(), FundingSource(), BudgetLines(), BudgetWithoutFigures(),
            AggregateLeads(), AgencyTasks(), AgencyDuties(), ProvinceList(), SectionList(), BestRecord()]


__all__ = ["EXAMPLES", "HELP", "Answerer", "Ctx", "default_answerers"]
