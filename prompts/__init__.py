"""The Vietnamese prompt templates of the LLM path (system.txt, answer.txt, condense.txt).

A package only so that the .txt files ship inside the wheel and load through importlib.resources
(bot/llm/prompts.py) both from the checkout and from an installed copy; edit the .txt files, not this.
"""
