"""What a customer feature means in a marketer's words, for the reasons beside a score
(``training._customer_reasons``): its name (``reason_label``: ``REASON_NAMES``, windows such as
``revenue_next_90d``, category and channel shares, else the column name), the sentences of a 0/1
flag (``FLAG_SENTENCES``), what its empty value says about the customer (``missing_meaning``,
``IMPLIED_MEANINGS``) and which side of it is the more engaged customer (``ENGAGEMENT_SIGN``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

__all__ = [
    "BUYING_PATTERN",
    "DISSATISFACTION",
    "ENGAGEMENT_SIGN",
    "FLAG_SENTENCES",
    "IMPLIED_MEANINGS",
    "LEGACY_PERCENT",
    "MISSING_MEANING",
    "PERCENT_SHARES",
    "RATIO_PARTS",
    "REASON_NAMES",
    "SHARE_TOLERANCE",
    "ZERO_MEANINGS",
    "missing_meaning",
    "ratio_sentence",
    "reason_label",
    "zero_without_orders",
]


REASON_NAMES: dict[str, str] = {
    "tenure_days": "days as a customer",
    "days_since_last_event": "days since last activity",
    "days_since_last_visit": "days since last visit",
    "days_since_last_cart": "days since last add-to-cart",
    "days_since_last_purchase": "days since last purchase",
    "days_since_first_purchase": "days since first purchase",
    "events_total": "total activity",
    "visits_total": "total visits",
    "orders_total": "number of orders",
    "revenue_total": "total spend",
    "visits_prev_30d": "visits in the month before last",
    "visits_prev_90d": "visits 3-6 months ago",
    "orders_prev_90d": "orders 3-6 months ago",
    "revenue_prev_90d": "spend 3-6 months ago",
    "active_weeks_12w": "active weeks of the last 12",
    "visit_trend_30d": "visit trend (last month vs month before)",
    "visit_trend_7v30": "visit trend (last week vs last month)",
    "visit_drop_50": "visits halved in the last month",
    "visit_trend_90d": "visit trend (last 3 months vs 3 before)",
    "order_trend_90d": "order trend (last 3 months vs 3 before)",
    "revenue_trend_90d": "spend trend (last 3 months vs 3 before)",
    "revenue_trend_30d": "spend last month vs the months before",
    "order_value_trend_30d": "spend per basket last month vs the months before",
    "basket_categories_trend_30d": "categories per basket last month vs the months before",
    "aov": "average order value",
    "aov_365d": "average order value (last year)",
    "max_order_value": "largest order",
    "mean_days_between_orders": "usual days between orders",
    "purchase_overdue_ratio": "time since last order vs usual gap",
    "mean_days_between_visits": "usual days between visits",
    "conversion_rate": "orders per visit",
    "cart_conversion_rate": "orders per add-to-cart",
    "abandoned_carts_30d": "abandoned carts (last 30 days)",
    "revenue_per_visit": "spend per visit",
    "recent_revenue_share": "share of last year's spend in the last 3 months",
    "refund_rate": "refunds per order",
    "refunds_total": "number of refunds",
    "refund_amount_total": "money refunded (all time)",
    "refund_share_total": "share of spend returned (all time)",
    "category_count": "number of categories used",
    "category_entropy": "spread of activity across categories",
    "channel_count": "number of channels used",
    "channel_entropy": "spread of visits across channels",
    "email_opens_30d": "email opens (last 30 days)",
    "email_clicks_30d": "email clicks (last 30 days)",
    "promo_order_share": "share of orders on promotion days",
    "promo_visit_share": "share of visits on promotion days",
    "weekend_visit_share": "share of visits at weekends",
    "night_visit_share": "share of visits at night (0-6h)",
    "evening_visit_share": "share of visits in the evening (18-24h)",
    "acquisition_channel": "acquisition channel",
    "top_channel": "main channel",
    "top_category": "main category",
    "purchase_span_days": "days between first and last order",
    "order_rate_30d": "orders per month since first order",
    "recency_share": "share of customer life since last order",
    "bgnbd_p_alive": "chance the customer is still active (buying pattern)",
    "bgnbd_expected_orders": "expected orders from the buying pattern",
    "bgnbd_expected_orders_365d": "expected orders next year from the buying pattern",
}
"""Feature column -> short phrase used in reasons."""


FLAG_SENTENCES: dict[str, tuple[str, str]] = {
    "visit_drop_50": ("visits halved in the last month (early warning)",
                      "visits did not halve in the last month"),
}
"""0/1 flag features -> (sentence when 1, sentence when 0): a flag is not "high" or "low" (a
check's propensity scores read "visits halved in the last month is high (1 vs typical 0)" for
68 cold customers)."""


_WINDOW = re.compile(r"^(?P<what>[a-z_]+?)_(?P<n>\d+)(?P<u>[dw])$")


_WHEN = {"next": "next {n} {unit}", "future": "next {n} {unit}", "ahead": "next {n} {unit}",
         "last": "last {n} {unit}", "past": "last {n} {unit}", "first": "first {n} {unit}",
         "prev": "the {n} {unit} before the last {n}",
         "previous": "the {n} {unit} before the last {n}"}
"""Last word before a window suffix that says which window it is (``revenue_next_90d``)."""


def reason_label(column: str) -> str:
    """Marketer-readable phrase for a feature column (see module docstring for the order)."""
    if column in REASON_NAMES:
        return REASON_NAMES[column]
    m = _WINDOW.match(column)
    if m:
        unit = "days" if m["u"] == "d" else "weeks"
        what, _, when = m["what"].rpartition("_")
        if not what and when in _WHEN:  # next_30d
            return _WHEN[when].format(n=m["n"], unit=unit)
        if not (what and when in _WHEN):
            what, when = m["what"], "last"
        return f"{what.replace('_', ' ')} ({_WHEN[when].format(n=m['n'], unit=unit)})"
    if column.startswith("days_since_"):  # a table's date read as days since (since
        return "days since " + column[len("days_since_"):]  # 2026-12-07): its column's name
    for prefix, phrase in (("purchase_cat_share_", "share of orders in "),
                           ("cat_share_", "share of activity in "),
                           ("ch_share_", "share of visits via ")):
        if column.startswith(prefix):
            return phrase + column[len(prefix):]
    return column.replace("_", " ").strip()


ENGAGEMENT_SIGN: dict[str, int] = {
    **{f"{kind}_{w}d": 1 for kind in ("visits", "carts", "orders", "revenue")
       for w in (7, 30, 90, 180, 365)},
    **{f"active_days_{w}d": 1 for w in (7, 30, 90)},
    "active_weeks_12w": 1, "orders_total": 1, "events_total": 1, "visits_total": 1,
    "visit_trend_30d": 1, "visit_trend_7v30": 1,
    "visit_trend_90d": 1, "order_trend_90d": 1, "revenue_trend_90d": 1,
    "revenue_trend_30d": 1, "order_value_trend_30d": 1,
    "basket_categories_trend_30d": 1,
    "recent_revenue_share": 1, "email_opens_30d": 1, "email_clicks_30d": 1,
    "bgnbd_p_alive": 1, "bgnbd_expected_orders": 1, "bgnbd_expected_orders_365d": 1,
    # buying what one puts in the cart is engagement ("orders per add-to-cart is high" had
    # been the first churn reason of 137 high- or medium-risk customers in a check)
    "cart_conversion_rate": 1, "conversion_rate": 1,
    "carts_total": 1, "revenue_total": 1,
    # orders per month since the first order is engagement, the share of the customer's life
    # since the last order its lack ("orders per month since first order is high (1.4 vs
    # typical 0.33)" had been a churn reason of 91 high- or medium-risk customers in a check)
    "order_rate_30d": 1, "recency_share": -1, "mean_days_between_visits": -1,
    "days_since_last_event": -1, "days_since_last_visit": -1, "days_since_last_cart": -1,
    "days_since_last_purchase": -1, "purchase_overdue_ratio": -1, "visit_drop_50": -1,
    "mean_days_between_orders": -1,
}
"""Pipeline features whose meaning has a side: +1 when a higher value means a more engaged
customer (recent orders, visits, expected orders), -1 when a less engaged one (days since the
last order, an overdue gap). Features of mixed meaning (tenure, order value, mixes) are absent."""


BUYING_PATTERN: tuple[str, ...] = ("bgnbd_p_alive", "bgnbd_expected_orders",
                                   "bgnbd_expected_orders_365d")
"""BG/NBD features, never a reason for a customer with one order (``orders_total`` 1): the model
takes a customer without a repeat order to be active (its dropout follows a repeat), so a
one-order customer of 500 days ago read "expected orders from the buying pattern is low (2.1 vs
typical 2.5)" and "chance the customer is still active is high (1 ...)" in a refill pharmacy's
check (2026-12-06): right for the model, read by a marketer as orders to come. The features
stay in the model; such rows get their other reasons (days since the last order, one order)."""


DISSATISFACTION: frozenset[str] = frozenset({"refund_rate", "refund_share_total"})
"""Pipeline features whose higher value means a less satisfied customer (refunds per order, the
share of spend returned): never a reason for a lower churn risk when high, nor for a higher one
when low. Only churn reads them so: a propensity or value model keeps the data's direction
(returners of a fashion shop are its heavy buyers), and the refund counts and amounts, which
grow with orders, keep it everywhere. "refunds per order is high (0.095 vs typical 0)" had been
what kept a loyal pharmacy customer's churn risk low in a check (2026-12-06)."""


_NO_BASKETS = "no order in the last 30 days, or none in the 11 months before"

MISSING_MEANING: dict[str, str] = {
    "mean_days_between_orders": "fewer than two orders so far (no usual gap between orders)",
    "purchase_overdue_ratio": "fewer than two orders so far (no usual gap between orders)",
    "days_since_last_purchase": "has never ordered",
    "days_since_first_purchase": "has never ordered",
    "aov": "has never ordered",
    "aov_365d": "no order in the last year",
    "days_since_last_visit": "no visit recorded",
    "days_since_last_cart": "has never added to cart",
    "bgnbd_p_alive": "has never ordered",
    "bgnbd_expected_orders": "has never ordered",
    "bgnbd_expected_orders_365d": "has never ordered",
    "recent_revenue_share": "no spend in the last year",
    "revenue_trend_30d": "no spend before the last 30 days",
    "order_value_trend_30d": _NO_BASKETS,
    "basket_categories_trend_30d": _NO_BASKETS,
    "visit_trend_7v30": "no visit in the last 30 days",
    "mean_days_between_visits": "no visit recorded",
    "conversion_rate": "no visit recorded",
    "revenue_per_visit": "no visit recorded",
    "cart_conversion_rate": "has never added to cart",
    "refund_rate": "has never ordered",
    "visits_per_active_day_90d": "no activity in the last 90 days",
    "purchase_span_days": "has never ordered",
    "order_rate_30d": "has never ordered",
    "recency_share": "has never ordered",
    "promo_order_share": "has never ordered",
    "promo_visit_share": "no visit recorded",
    "night_visit_share": "no visit recorded",
    "weekend_visit_share": "no visit recorded",
}
"""What an empty pipeline feature means, said as a reason ("usual days between orders is
unknown" was a top reason for one-off buyers). Columns by prefix: ``_MISSING_PREFIXES``."""


ZERO_MEANINGS: dict[str, tuple[str, str]] = {
    "purchase_span_days": ("one order so far", "all orders on one day"),
}
"""Pipeline features whose value 0 says what the customer did, as (with ``orders_total`` of 1
or less, with more): "days between first and last order is low (0 vs typical 59)" had been a
churn reason of 1,273 customers of a gift retailer check, and a reason for a high value of a
new one-order customer. Like an empty value's meaning it describes a less engaged customer,
so it is never a reason for a higher value or purchase chance or a lower churn risk."""


PERCENT_SHARES: frozenset[str] = frozenset({
    "refund_share_total", "recent_revenue_share", "recency_share", "promo_order_share",
    "promo_visit_share", "weekend_visit_share", "night_visit_share", "evening_visit_share"})
"""Shares the event pipeline makes (each between 0 and 1 by construction), read as percentages
("24% vs typical 0.2%", "88% vs typical 86%"), each within ``SHARE_TOLERANCE`` of the typical
share at the typical level (ranked after every other reason); the category and channel mix
columns (``SHARE_PREFIXES``) are such shares too. The rates "orders per visit", "orders per
add-to-cart" and "refunds per order" are not shares (a customer can have more orders than
visits) and keep their numbers. A model records the columns it reads so at fit
(``CustomerModel.percent_``, ``training._customer_reasons.percent_features``); a model saved
before reads ``LEGACY_PERCENT`` only."""

LEGACY_PERCENT: tuple[str, ...] = ("refund_share_total",)
"""The percentages of a model saved before ``CustomerModel.percent_`` existed (2026-12-06)."""

SHARE_TOLERANCE = 0.01
"""A share read as a percentage within this of the typical share (one percentage point) reads
at the typical level: "share of spend returned (all time) is low (0.0016 vs typical 0.0025)"
had been among the value reasons of 1,637 of 4,326 customers of a gift retailer check, for
differences a marketer reads as none."""


IMPLIED_MEANINGS: dict[str, tuple[str, ...]] = {
    "has never ordered": ("fewer than two orders so far (no usual gap between orders)",
                          "no order in the last year", "no spend in the last year"),
    "no visit recorded": ("no visit in the last 30 days",),
}
"""Missing meanings that say what another already says for the same customer: one reason, not
"has never ordered" beside "fewer than two orders so far (no usual gap between orders)" (two of
the three reasons of 9,715 of 194,893 customers of a 200,000-user synthetic shop)."""


_ZERO_WITHOUT_ORDERS = re.compile(r"(orders|revenue)_(total|\d+d|prev_\d+d)")
_ZERO_WITHOUT_ORDERS_NAMED = frozenset({"conversion_rate", "cart_conversion_rate",
                                        "revenue_per_visit", "max_order_value"})


def zero_without_orders(column: str) -> bool:
    """Whether 0 in ``column`` is what "has never ordered" already says: order counts and
    revenue over any window or in total, orders per visit or add-to-cart, spend per visit, the
    largest order. Beside "has never ordered" such a column had been a second reason reading
    the same ("orders per visit is low (0 vs typical 0.03)": 1,100 of the 3,323 such customers
    of the demo's churn scores on 2026-12-07)."""
    return column in _ZERO_WITHOUT_ORDERS_NAMED or bool(_ZERO_WITHOUT_ORDERS.fullmatch(column))


_MISSING_PREFIXES: tuple[tuple[str, str], ...] = (
    ("purchase_cat_share_", "has never ordered"),
    ("ch_share_", "no visit recorded"),
)


def missing_meaning(column: str) -> str | None:
    """What an empty value of a pipeline feature means (``MISSING_MEANING``), else None.

    Every such meaning describes a less engaged customer (no order, no visit, no activity):
    ``_drop_contradictions`` (``training._customer_reasons``) never gives one as a reason for a
    higher purchase chance or value, or a lower churn risk."""
    if column in MISSING_MEANING:
        return MISSING_MEANING[column]
    for prefix, text in _MISSING_PREFIXES:
        if column.startswith(prefix):
            return text
    return None


RATIO_PARTS: dict[str, tuple[str, str, str]] = {
    "revenue_trend_90d": ("trend", "revenue_90d", "revenue_prev_90d"),
    "order_trend_90d": ("trend", "orders_90d", "orders_prev_90d"),
    "visit_trend_90d": ("trend", "visits_90d", "visits_prev_90d"),
    "visit_trend_30d": ("trend", "visits_30d", "visits_prev_30d"),
    "visit_trend_7v30": ("pace", "visits_7d", "visits_30d"),
    "purchase_overdue_ratio": ("overdue", "days_since_last_purchase",
                               "mean_days_between_orders"),
    **dict.fromkeys(("revenue_trend_30d", "order_value_trend_30d",
                     "basket_categories_trend_30d"), ("change", "", "")),
}
"""Ratio features (docs/features.md) -> (kind, numerator column, denominator column). Their
reasons say the two amounts, not the ratio against a typical ratio: "spend trend (last 3
months vs 3 before) is high (107 vs typical 1)" (a new customer's (106 + 1) / (0 + 1)) was a
reason for about 340 customers per model of a grocery check; it reads "spend: 106 in the last 3
months, none in the 3 before". ``trend``: (recent + 1) / (before + 1); ``pace``: the last 7
days' visits x 30/7 over the last 30 days'; ``overdue``: days since the last order over the
usual gap between orders; ``change``: the last month against the months before (the basket
trends, ``features._baskets``), said as "categories per basket in the last month at 45% of the level
of the 11 months before" ("categories per basket last month vs the months before is low (0.45 vs
typical 1)" before)."""


_CHANGE_WORDS: dict[str, tuple[str, str]] = {
    "revenue_trend_30d": ("spend", "the monthly average of the months before"),
    "order_value_trend_30d": ("spend per basket", "the level of the 11 months before"),
    "basket_categories_trend_30d": ("categories per basket", "the level of the 11 months before"),
}


_TREND_WORDS: dict[str, tuple[str, str, str]] = {
    "revenue_trend_90d": ("spend", "the last 3 months", "the 3 before"),
    "order_trend_90d": ("orders", "the last 3 months", "the 3 before"),
    "visit_trend_90d": ("visits", "the last 3 months", "the 3 before"),
    "visit_trend_30d": ("visits", "the last 30 days", "the 30 before"),
}


def _times(r: float) -> str:
    """A ratio as a marketer reads it: ``2.5x``, ``107x``, ``40%`` (below 1)."""
    if r < 1:
        pct = 100 * r
        return "under 1%" if pct < 1 else f"{pct:.0f}%"
    return f"{r:.0f}x" if r >= 10 else f"{r:.2g}x"


def _rel(r: float, same: str = "about the same as") -> str:
    """How one amount compares with another: ``2.5x``, ``40% of``, or ``same`` within 10%."""
    if abs(r - 1) < 0.1:
        return same
    return f"{_times(r)} of" if r < 1 else _times(r)


def _typically(t: float) -> str:
    """The typical ratio, said only when it is not about 1 (flat, or on the usual gap: a
    grocery model's typical 1.1 for the overdue ratio adds nothing a marketer reads)."""
    return "" if np.isnan(t) or abs(t - 1) < 0.25 else f"; typically {_times(t)}"


def ratio_sentence(name: str, ratio: float, typical: float, num: float | None = None,
                   den: float | None = None, fmt: Callable[[float], str] = str) -> str:
    """The reason sentence of a ``RATIO_PARTS`` feature: with its two amounts ``num`` and
    ``den`` (when the scored frame has them), else with the ratio alone, said as "Nx" or
    "N% of" the other amount (``fmt`` formats an amount)."""
    kind = RATIO_PARTS[name][0]
    extra = _typically(typical)
    a = float("nan") if num is None else float(num)
    b = float("nan") if den is None else float(den)
    parts = not (np.isnan(a) or np.isnan(b))
    if kind == "change":
        what, before = _CHANGE_WORDS[name]
        return f"{what} in the last month at {_rel(ratio, 'about')} {before}{extra}"
    if kind == "trend":
        what, recent, before = _TREND_WORDS[name]
        if not parts:  # the ratio alone counts 1 on each side: a large one, little before
            tail = ", which had little or none" if ratio >= 10 else ""
            return f"{what} in {recent} was {_rel(ratio)} {before}{tail}{extra}"
        if a <= 0 and b <= 0:
            return f"{what}: none in {recent} or {before}{extra}"
        if b <= 0:
            return f"{what}: {fmt(a)} in {recent}, none in {before}{extra}"
        if a <= 0:
            return f"{what}: none in {recent}, after {fmt(b)} in {before}{extra}"
        return f"{what} in {recent} was {_rel(a / b)} {before} ({fmt(a)} vs {fmt(b)}){extra}"
    if kind == "pace":
        counts = f" ({fmt(a)} of {fmt(b)})" if parts else ""
        return (f"visits in the last 7 days at {_rel(ratio, 'about')} the pace of the last "
                f"30{counts}{extra}")
    # overdue: days since the last order over the usual gap between orders
    gap = f"{_rel(ratio)} the usual gap between orders"
    if parts:
        return f"last order {fmt(a)} days ago, {gap} ({fmt(b)} days){extra}"
    return f"time since last order is {gap}{extra}"
