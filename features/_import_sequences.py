"""Time columns of an order export that count per customer: an order's place in the customer's
sequence (Instacart's ``order_number``: 1, 2, 3 for each customer) or the days since the
customer's previous order (``days_since_prior_order``, empty on each first order).

Neither is a date. Read as day numbers (``--day-origin``) the first puts every customer's first
order on day 1 and the next ones on the days after it; the second, with its empty cells filled,
gives dates that mean nothing. ``per_customer_time_problem`` names either before the column is
parsed, with what such an export can be used for. Documented in docs/data-contracts.md (an
export without dates or money); tests in tests/features/test_dateless_export.py.
"""

from __future__ import annotations

import pandas as pd

from ._contracts import Problem, problem_rows
from ._parse import _blank

__all__ = ["per_customer_time_problem"]

MIN_CUSTOMERS = 10
"""Fewest customers (with two orders or more) for a per-customer pattern to be named."""

SHARE = 0.9
"""Share of those customers that must follow the pattern: a real day-number log (dunnhumby's
DAY, counted from one day for everyone) has few customers whose days are exactly 1, 2, ... n."""

MAX_GAP_DAYS = 3660
"""Gaps longer than this (ten years) are not days since a previous order."""

_DOCS = "docs/data-contracts.md ('An export without dates or money')"


def _whole_numbers(text: pd.Series) -> pd.Series | None:
    """The numbers of a text column whose present values are all whole, not negative numbers
    ('3' or '3.0'); None otherwise (a column of dates, say: decided on its first 1,000 values
    before the whole column is read)."""
    head = text.dropna().head(1000)
    pattern = r"\d{1,6}(?:\.0+)?"
    if head.empty or not bool(head.str.fullmatch(pattern).all()):
        return None
    present = text.dropna()
    if not bool(present.str.fullmatch(pattern).all()):
        return None
    return pd.to_numeric(text, errors="coerce")


def per_customer_time_problem(raw: pd.DataFrame, time: str, customer: str,
                              order: str | None, day_origin: pd.Timestamp | None
                              ) -> Problem | None:
    """The problem of a ``time`` column that holds each customer's order sequence or the days
    since each customer's previous order, else None.

    Args:
        raw: the export as read, one row per order line.
        time, customer, order: the columns named as order time, customer id and order id.
        day_origin: the date of day 1 when ``--day-origin`` was given (the advice given to a
            column of day numbers, which such a column would follow to wrong dates).
    """
    col = raw[time]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return None
    text = col.astype("string").str.strip().mask(lambda s: s == "")
    num = _whole_numbers(text)
    if num is None:
        return None
    cust = raw[customer].astype("string").str.strip().mask(lambda s: s == "")
    keep = cust.notna().to_numpy()
    # without an order id, lines of one customer at the same value are one order
    ords = raw[order].astype("string").str.strip() if order is not None else text.fillna("")
    frame = pd.DataFrame({"c": cust, "o": ords, "v": num, "blank": _blank(col)})[keep]
    per_order = frame.groupby(["c", "o"], sort=False, observed=True, dropna=False).agg(
        v=("v", "first"), blank=("blank", "all")).reset_index()
    by = per_order.groupby("c", sort=False, observed=True)
    n_orders = by.size()
    many = n_orders >= 2
    if int(many.sum()) < MIN_CUSTOMERS:
        return None
    if not bool(frame["blank"].any()):
        return _sequence_problem(per_order, by, n_orders, many, time, day_origin)
    rows = problem_rows(_blank(col) & keep)[1]
    return _gap_problem(frame, by, many, time, order, rows)


def _sequence_problem(per_order: pd.DataFrame, by: pd.core.groupby.DataFrameGroupBy,
                      n_orders: pd.Series, many: pd.Series, time: str,
                      day_origin: pd.Timestamp | None) -> Problem | None:
    """Each customer's values are exactly 1 .. their number of orders, one per order."""
    stats = by["v"].agg(["min", "max", "nunique"])
    seq = (stats["min"] == 1) & (stats["max"] == stats["nunique"]) & (
        stats["nunique"] == n_orders)
    k, n = int(seq[many].sum()), int(many.sum())
    if k < SHARE * n:
        return None
    who = seq[many].index[0]
    shown = sorted(int(v) for v in per_order.loc[per_order["c"] == who, "v"])[:6]
    example = ", ".join(map(str, shown)) + (", ..." if len(shown) == 6 else "")
    then = (f"; read from --day-origin {day_origin:%Y-%m-%d} it would put every customer's "
            "first order on that day and the next ones on the days after it"
            if day_origin is not None else "")
    return Problem(
        time, "looks like each customer's order sequence (1, 2, 3 per customer), not days: "
        f"for {k:,} of the {n:,} customers with two orders or more its values are exactly 1 "
        f"to their number of orders (customer {who!r}: {example}){then}", 0,
        fix="give --time-col the column that holds each order's date (or a day number counted "
            "from one day for every customer, with --day-origin). An export that numbers each "
            "customer's orders without dates (Instacart's orders.csv: order_number, "
            "days_since_prior_order) cannot tell who lapsed, so churn, propensity and value "
            f"cannot be learned from it; {_DOCS} says what it can be used for")


def _gap_problem(frame: pd.DataFrame, by: pd.core.groupby.DataFrameGroupBy,
                 many: pd.Series, time: str, order: str | None,
                 rows: tuple[int, ...]) -> Problem | None:
    """Empty on exactly one order of each customer, days (0 .. ten years) elsewhere."""
    blanks = by["blank"].sum()
    once = blanks == 1 if order is not None else blanks >= 1
    k, n = int(once[many].sum()), int(many.sum())
    values = frame.loc[~frame["blank"].to_numpy(), "v"]
    if k < SHARE * n or values.empty or float(values.max()) > MAX_GAP_DAYS:
        return None
    lo, hi = int(values.min()), int(values.max())
    capped = ""
    top = float((values == hi).mean())
    if top >= 0.02:
        capped = f"; {top:.0%} are exactly {hi}, as if capped" + (
            " (Instacart caps it at 30)" if hi == 30 else "")
    where = "order" if order is not None else "order (lines at one value)"
    return Problem(
        time, f"is empty on exactly one {where} of each customer ({k:,} of the {n:,} customers "
        f"with two orders or more) and holds {lo} to {hi} elsewhere{capped}: it looks like the "
        "days since the customer's previous order (Instacart's days_since_prior_order, empty "
        "on each first order), a gap, not a date", int(frame["blank"].sum()), rows,
        fix="give --time-col the column that holds each order's date; filling the empty cells "
            "would not make dates. Dates can only be counted back from one anchor per customer "
            "(the export day), which puts every customer's last order on that day and hides "
            "who lapsed: import-orders does not do it, and churn and propensity trained on "
            f"such dates describe the anchor, not the customers; {_DOCS} says what such an "
            "export can be used for")
