"""Notes on an imported purchase log as a whole that say the customer models cannot learn from it.

``single_order_note``: no customer has a second order (a marketplace's per-order buyer id
imported as the customer); ``common_last_day_note``: most repeat buyers' last order falls on the
data's last day (dates counted back from an export day); ``mixed_currency_note``: a column of
the export names two currencies or more, whose amounts the import sums as written.
``brain data import-orders`` and ``brain train`` print them (``serving._cli_customers``).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from ._contracts import problem_rows

__all__ = ["COMMON_LAST_DAY_SHARE", "CURRENCY_CODES", "SINGLE_ORDER_MIN_CUSTOMERS",
           "common_last_day_note", "mixed_currency_note", "single_order_note"]


SINGLE_ORDER_MIN_CUSTOMERS = 100
"""Fewest buying customers for ``single_order_note`` to speak: a handful of one-time buyers
is a small shop, not a sign of per-order ids."""


def single_order_note(events: pd.DataFrame, customer: str = "user_id") -> str | None:
    """The sentence for an events frame in which no customer has a second order, else None.

    A marketplace export names the buyer of each order twice: Olist's ``customer_id`` is a new
    id per order and ``customer_unique_id`` the person. Imported with the per-order id, every
    customer has exactly one order, so no customer ever buys again and the churn, propensity and
    value labels are all "no order": training then stopped with "only one label value ... Use a
    longer horizon or more customers" (churn, propensity) or a LightGBM traceback (value).
    Speaks only with at least ``SINGLE_ORDER_MIN_CUSTOMERS`` buying customers; a real
    marketplace with 97% one-time buyers still has its 3% who came back, and is not named.

    Args:
        events: an events frame (``user_id``, ``event_type``, optionally ``order_id``).
        customer: the name the customer column had in the user's file, for the sentence.
    """
    buys = events.loc[events["event_type"].astype("string") == "purchase"]
    if buys.empty:
        return None
    if "order_id" in buys.columns:  # an order of several categories is several events
        order = buys["order_id"].astype("string")
        order = order.fillna(pd.Series([f"event-{i}" for i in range(len(buys))],
                                       index=buys.index, dtype="string"))
    else:
        order = pd.Series(np.arange(len(buys)).astype(str), index=buys.index, dtype="string")
    per = order.groupby(buys["user_id"].astype("string"), observed=True).nunique()
    if len(per) < SINGLE_ORDER_MIN_CUSTOMERS or bool((per > 1).any()):
        return None
    return (f"every one of the {len(per):,} customers in '{customer}' has exactly one order: "
            "no customer bought twice, so the churn, propensity and value models have no "
            "repeat buying to learn from (every label would be 'no order'). If "
            f"'{customer}' identifies an order rather than a person (a marketplace's "
            "per-order buyer id, such as Olist's customer_id, whose person is "
            "customer_unique_id in olist_customers_dataset.csv), join the person's id to "
            "the lines and import with it")


COMMON_LAST_DAY_SHARE = 0.5
"""Share of repeat buyers whose last order is on the data's last day above which
``common_last_day_note`` speaks. A real log's customers lapse: on a check's generated grocery
chain 4.4% of 48,232 households had their last order on the export's last day (weekly shoppers
at most about 1 in 7); dates rebuilt backwards from each customer's last order put 100% there."""


def common_last_day_note(events: pd.DataFrame, customer: str = "user_id") -> str | None:
    """The sentence for a purchase log in which most repeat buyers' last order falls on the
    data's last day, else None.

    An export without dates (Instacart's ``days_since_prior_order``, counted from each
    customer's previous order and empty on the first) can only be given dates by counting back
    from one anchor per customer, usually the export day. Every customer's last order then
    lands on that day: no one lapsed, churn ("no order in the window") is 0 in every window
    once gaps are capped (Instacart caps them at 30 days), and training stopped with "only one
    label value ... Use a longer horizon or more customers". Speaks with at least
    ``SINGLE_ORDER_MIN_CUSTOMERS`` repeat buyers and more than ``COMMON_LAST_DAY_SHARE`` of
    them on the last day (a business whose every customer orders daily is named too: the
    sentence says when to ignore it).

    Args:
        events: an events frame (``user_id``, ``ts``, ``event_type``, optionally ``order_id``).
        customer: the name the customer column had in the user's file, for the sentence.
    """
    buys = events.loc[events["event_type"].astype("string") == "purchase", ["user_id", "ts"]]
    if buys.empty:
        return None
    day = buys["ts"].dt.normalize()
    end = day.max()
    if day.min() == end:
        return None
    by = day.groupby(buys["user_id"].astype("string"), observed=True)
    days = by.nunique()
    last = by.max()
    repeat = days > 1
    n = int(repeat.sum())
    on_end = int((last[repeat] == end).sum())
    if n < SINGLE_ORDER_MIN_CUSTOMERS or on_end <= COMMON_LAST_DAY_SHARE * n:
        return None
    gaps = pd.DataFrame({"u": buys["user_id"].astype("string"), "d": day}).drop_duplicates()
    gaps = gaps.sort_values(["u", "d"])
    gap = gaps["d"].diff().dt.days[gaps["u"].eq(gaps["u"].shift())]
    longest = int(gap.max()) if len(gap) else 0
    capped = ""
    if len(gap) and (gap == longest).mean() >= 0.02:
        capped = (f"; no gap between two orders is longer than {longest} days, and "
                  f"{(gap == longest).mean():.0%} are exactly {longest}: the gaps look capped, "
                  f"as Instacart caps days_since_prior_order at 30")
    return (f"{on_end:,} of the {n:,} customers in '{customer}' with orders on two days or more "
            f"({on_end / n:.0%}) have their last order on {end:%Y-%m-%d}, the last day of the "
            f"data{capped}. In a real log customers lapse and their last orders spread over "
            "the past (a weekly shopper is there about one day in seven). Dates counted back "
            "from each customer's last order (an export without dates, such as Instacart's "
            "days_since_prior_order counted from the export day) put every last order on one "
            "day and hide who lapsed: the churn and propensity labels then describe the "
            "anchor, not the customers, and scores of such a log cannot be checked against "
            "what happened. Fix: import the real order dates; if the export has none, these "
            "models cannot be trained on it (ignore this note only if nearly every customer "
            "really orders every day)")


CURRENCY_CODES = frozenset((
    "AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP",
    "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JPY", "KRW", "MAD", "MXN", "MYR",
    "NGN", "NOK", "NZD", "PEN", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SEK",
    "SGD", "THB", "TRY", "TWD", "UAH", "USD", "VND", "ZAR"))
"""ISO 4217 codes that ``mixed_currency_note`` recognises in a column of an order export."""


def mixed_currency_note(raw: pd.DataFrame, revenue: pd.Series, *,
                        skip: Collection[str | None] = (), source: str = "orders") -> str | None:
    """The sentence for an order export with a column naming two currencies or more, else None.

    A retailer with shops in several countries exports each line's amount in the shop's own
    currency beside a currency column (``EUR``, ``GBP``, ``USD``). The import reads only the
    columns it is given, so it summed 30 EUR and 30 GBP as 60 of one money without a word, and
    the value model, the refund shares and ``brain score value`` mixed them. A column is taken
    for a currency column when every filled cell, stripped and upper-cased, is an ISO 4217 code
    of ``CURRENCY_CODES`` and at least two codes occur.

    Args:
        raw: the export as read, one row per line.
        revenue: each imported line's revenue, indexed by ``raw``'s rows (lines left out, such
            as guest checkouts, are absent).
        skip: the columns the import already reads (a currency column is never one of them).
        source: the file name for the sentence.
    """
    for col in raw.columns:
        if col in skip or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        text = raw[col].astype("string").str.strip().str.upper()
        filled = text.dropna()
        filled = filled[filled != ""]
        if filled.empty or not filled.isin(CURRENCY_CODES).all() or filled.nunique() < 2:
            continue
        code = text.reindex(revenue.index)
        sales = revenue.clip(lower=0).groupby(code).sum().sort_values(ascending=False)
        lines = code.value_counts()
        total = float(sales.sum())
        parts = ", ".join(
            f"{c} {lines.get(c, 0):,} line{'' if lines.get(c, 0) == 1 else 's'}"
            + (f" ({sales[c] / total:.1%} of the purchase revenue)" if total > 0 else "")
            for c in sales.index)
        _, rows, _ = problem_rows((text.ne(str(sales.index[0])) & text.ne("")).fillna(False))
        return (f"{source}: column '{col}' holds {len(sales)} currencies ({parts}; first line "
                f"not in {sales.index[0]} at row {rows[0]:,}): the amounts are summed as written, "
                "not converted, so revenue, refunds and the value model mix them. Convert them "
                "with --fx rates.csv (columns currency,rate: how much of one base currency a "
                "unit is worth, e.g. GBP,1.17 and EUR,1; Python fx={...}), or before importing "
                f"(lines['amount'] = lines['price'] * lines['{col}'].map(rates)), or import "
                "each currency's lines on its own")
    return None
