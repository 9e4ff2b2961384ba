"""How an amount of money is written back to people: budgets are kept as integer VND in the records."""

from __future__ import annotations

import re

# a sum as plans write it in prose: "250 triệu đồng", "1.220.000.000 đồng"
MONEY = re.compile(r"\d[\d.,]*\s*(?:triệu|tỷ|nghìn|ngàn)?\s*đồng", re.I)


def vnd(amount: int | None) -> str:
    """'308.896.756 đồng' (Vietnamese thousands separators); '' when the plan gives no amount."""
    return f"{amount:,}".replace(",", ".") + " đồng" if amount is not None else ""
