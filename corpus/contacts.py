"""What a Vietnamese phone number looks like, in one place: plans' contact lines and citizens' messages.

The parser keeps a plan's contact lines (a label such as "Số điện thoại:" followed by a number), the
contact answerer finds them again in passages, and the privacy filter removes numbers people typed.
"""

from __future__ import annotations

import re

# 0 (a landline's area code may sit in brackets) or +84/84, then 9–10 more digits grouped by spaces, dots or dashes
PHONE_NUMBER = r"(?:\+?84[ .-]?|\(?0)(?:\d\)?[ .-]?){8,9}\d"
# a number on its own: not part of a longer number or of an amount such as "1.005.896.756"
PHONE = re.compile(rf"(?<![\d.,]){PHONE_NUMBER}(?![\d]|[.,]\d)")
# a contact line in a plan: "Số điện thoại: 02703 836 904", "ĐT: (0239) 3855 123", "Hotline 1900 …"
LABELLED_PHONE = re.compile(rf"\b(?:Số điện thoại|điện thoại|ĐT|Hotline)\s*:?\s*({PHONE_NUMBER})(?!\d)", re.I)


def has_contact_phone(text: str) -> bool:
    """Does this text give a phone number to contact (a label, then the number)?"""
    return LABELLED_PHONE.search(text) is not None
