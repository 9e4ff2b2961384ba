"""Optional LLM composer: an OpenAI-compatible model rephrases the extractive answer, verified before use.

Off unless ``CCHC_LLM_BASE_URL`` is set; see docs/llm.md.
"""

from bot.llm.assistant import LLMAssistant, LLMSettings, StreamFilter, compose_answer
from bot.llm.prompts import REFUSAL, PromptError, Prompts
from bot.llm.verify import Verdict, check

__all__ = ["REFUSAL", "LLMAssistant", "LLMSettings", "PromptError", "Prompts", "StreamFilter", "Verdict", "check",
           "compose_answer"]
