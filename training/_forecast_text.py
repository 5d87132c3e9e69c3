"""How forecasting messages write things: a list cut after its first items, a period.

Every note and error of the forecasters, the backtest and the CLI names series and periods
this way, so one message reads like the next.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["listed", "period_text"]


def listed(items: list[str], first: int = 5) -> str:
    """The first ``first`` items joined by commas, then "and N more" when there are more."""
    more = f" and {len(items) - first} more" if len(items) > first else ""
    return ", ".join(items[:first]) + more


def period_text(ds: Any) -> str:
    """A period as people write it: the date for a day, date and time for an hour."""
    t = pd.Timestamp(ds)
    if t == t.normalize():
        return str(t.date())
    whole_minute = t.second == 0 and t.microsecond == 0
    return t.strftime("%Y-%m-%d %H:%M" if whole_minute else "%Y-%m-%d %H:%M:%S")
