"""Personal data stripped from what citizens typed before anything is kept (pure functions).

The unanswered-questions report keeps the question, not the person: e-mail addresses, phone numbers
and ID numbers (CCCD: 12 digits, CMND: 9 digits) are replaced by a placeholder. Budgets written
with thousands separators ("1.005.896.756") are not numbers of a person and stay.
"""

from __future__ import annotations

import re

from corpus.contacts import PHONE as phone_number  # Vietnamese phones: one definition for plans and people

EMAIL = "[email]"
PHONE = "[số điện thoại]"
ID_NUMBER = "[số giấy tờ]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
# 12-digit CCCD, possibly grouped "001 234 567 890" (checked before phones: both start with 0)
_CCCD = re.compile(r"(?<![\d.,])\d{3}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}(?![\d]|[.,]\d)")
# 9-digit CMND, written without separators
_CMND = re.compile(r"(?<![\d.,])\d{9}(?![\d]|[.,]\d)")


def strip_pii(text: str) -> str:
    """The text with e-mails, phone numbers and ID numbers replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text or "")
    text = _CCCD.sub(ID_NUMBER, text)
    text = phone_number.sub(PHONE, text)
    text = _CMND.sub(ID_NUMBER, text)
    return text
