"""Reasons, tiers and the early-warning flag that go beside every customer score.

Reasons: LightGBM's built-in per-row contributions (``pred_contrib``, TreeSHAP values on the raw
scale) are ranked and the ``top`` features that push the score *up* (towards churn for churn,
towards buying for propensity, towards more revenue for value) become sentences a marketer can
read, e.g. ``"days since last purchase is high (142 vs typical 35)"`` (a value shown equal to
the typical one reads ``"... is at the typical level (10)"``, one within 10% of it ``"... is
slightly high (0.88 vs typical 0.86)"``). Names come from
``REASON_NAMES`` (hand-written for the common features), then the feature catalogue, then the
column name with underscores turned into spaces (bring-your-own columns).

Tiers (thresholds on calibrated probabilities, so they mean the same thing for every retailer):

- churn: ``high`` if P(churn) >= 0.70, ``medium`` if >= 0.40, else ``low``;
- propensity: ``hot`` if P(purchase) >= 0.50, ``warm`` if >= 0.20, else ``cold``;
- value (revenue is in the retailer's currency, so tiers are by rank among the scored customers):
  ``top`` = highest 10%, ``high`` = next 20%, ``medium`` = next 30%, ``low`` = the rest, and
  ``low`` too for anyone predicted under a tenth of the median of the top 60%
  (``TierRule.floor``).

Early warning: ``visit_drop_50`` (visits in the last 30 days fell by 50% or more against the 30
days before, with at least 2 visits before) is reported as ``early_warning`` beside the score.
It comes from the feature column ``visit_drop_50`` when present, else from ``visits_30d`` and
``visits_prev_30d``. A customer with no visit at all (every customer of a purchase-only event
log) is judged by the same rule on orders (``orders_30d``, ``orders_prev_30d``), and
``early_warning_basis`` says so; input that cannot tell gets missing values (never a silent
``False``).

Reasons of the lowest tier (``down=``) name what keeps the score low instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from training._customer_columns import DERIVED, SHARE_PREFIXES, as_float

__all__ = [
    "REASON_NAMES",
    "TIERS",
    "TierRule",
    "assign_tiers",
    "disengaged_sign",
    "early_warning",
    "early_warning_chance",
    "early_warning_with_basis",
    "feature_directions",
    "identical_features",
    "missing_meaning",
    "prior_directions",
    "reason_label",
    "reasons_from_array",
    "top_reasons",
]


@dataclass(frozen=True)
class TierRule:
    """How scores map to tiers.

    Attributes:
        labels: tier names from the highest scores to the lowest.
        thresholds: lower bounds of every tier but the last, highest first. For ``kind="prob"``
            they are probabilities; for ``kind="rank"`` cumulative shares of customers ranked by
            score (0.1 = the top 10%).
        kind: ``"prob"`` (absolute thresholds) or ``"rank"`` (shares of the scored population).
        floor: for ``kind="rank"``, scores below this share of the median score of the
            customers ranked above the lowest tier go to the lowest tier whatever their rank
            (0 = none): when many customers are worth next to nothing, ranks alone would call
            some of them 'medium'. (A share of the mean was tried: a few wholesale accounts
            lifted it so far that the 'medium' tier came out empty.)
    """

    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    kind: str = "prob"
    floor: float = 0.0


TIERS: dict[str, TierRule] = {
    "churn": TierRule(("high", "medium", "low"), (0.70, 0.40)),
    "propensity": TierRule(("hot", "warm", "cold"), (0.50, 0.20)),
    "value": TierRule(("top", "high", "medium", "low"), (0.10, 0.30, 0.60), kind="rank",
                      floor=0.10),
}
"""Default tier rule per task (documented in docs/customers.md)."""

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
    "category_count": "number of categories used",
    "category_entropy": "spread of activity across categories",
    "channel_count": "number of channels used",
    "channel_entropy": "spread of visits across channels",
    "email_opens_30d": "email opens (last 30 days)",
    "email_clicks_30d": "email clicks (last 30 days)",
    "promo_order_share": "share of orders on promotion days",
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
    for prefix, phrase in (("purchase_cat_share_", "share of orders in "),
                           ("cat_share_", "share of activity in "),
                           ("ch_share_", "share of visits via ")):
        if column.startswith(prefix):
            return phrase + column[len(prefix):]
    return column.replace("_", " ").strip()


_TINY = 1e-3
"""Values smaller than this (in absolute value) are shown as 0."""
_AT_TYPICAL_WEIGHT = 1e-9
"""Rank weight of a value shown at the typical level: after any informative reason."""

def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if np.isnan(x):
            return "none"
        x = 0.0 if abs(x) < _TINY else x  # p_alive 1.3e-16 reads "0", not scientific notation
        return f"{x:.0f}" if abs(x) >= 10 or x.is_integer() else f"{x:.2g}"
    return str(v)


def top_reasons(contrib: pd.DataFrame, features: pd.DataFrame, typical: dict[str, float],
                top: int = 3, down: np.ndarray | None = None,
                directions: dict[str, int] | None = None,
                same_as: dict[str, str] | None = None) -> pd.DataFrame:
    """Top ``top`` features pushing each customer's score up, as sentences.

    Args:
        contrib: per-row contributions with one column per feature (a ``bias`` column is
            ignored), as ``CustomerModel.contributions`` returns.
        features: the same rows' feature values (columns named like ``contrib``'s).
        typical: typical (median) value per numeric feature, for "high/low vs typical".
        top: number of reasons per customer.
        down: optional boolean per row: for these rows (the lowest tier) the reasons are the
            features pushing the score *down*, i.e. what keeps it low.
        directions: per numeric feature, +1 when higher values push the score up, -1 when
            they push it down (``feature_directions``); a feature whose "high/low vs typical"
            would contradict its push on a row is not given as that row's reason.
        same_as: features credited to another that held the same values at fit (see
            ``reasons_from_array``).

    Returns:
        Frame with the same index and columns ``reason_1`` .. ``reason_<top>`` (missing when
        fewer features push the score that way).
    """
    cols = [c for c in contrib.columns if c != "bias"]
    return reasons_from_array(contrib[cols].to_numpy(dtype=float), cols, features, typical,
                              top=top, index=contrib.index, down=down, directions=directions,
                              same_as=same_as)


def reasons_from_array(contrib: np.ndarray, columns: list[str], features: pd.DataFrame,
                       typical: dict[str, float], top: int = 3,
                       index: pd.Index | None = None,
                       down: np.ndarray | None = None,
                       directions: dict[str, int] | None = None,
                       same_as: dict[str, str] | None = None,
                       disengaged: int = 0,
                       binary: Collection[str] = ()) -> pd.DataFrame:
    """``top_reasons`` on an ``(n, len(columns))`` contribution array (no ``bias`` column).

    ``disengaged``: the sign of the score push a less engaged customer gets (+1 churn, -1
    propensity and value; ``disengaged_sign``), so an empty feature meaning "has never ordered"
    is never a reason for the other way (see ``_drop_contradictions``).

    ``same_as`` maps a feature to another that held the same values on every training row
    (``identical_features``; days since the last activity and since the last purchase in a
    purchase-only log): its contribution is credited to that one, so the two never appear as
    two reasons with one value.

    ``binary``: 0/1 columns of a customer table (the model's ``binary_``,
    ``binary_features``), whose reasons read "SeniorCitizen: yes" / "SeniorCitizen: no".

    Vectorised: the ``top`` largest contributions come from a partial sort, and each sentence is
    formatted once per distinct (feature, displayed value, high/low) and then gathered, so a
    million customers take seconds. Ties between equal contributions go to the earlier column.
    Rows where ``down`` holds get the features pushing their score down (see ``top_reasons``).
    """
    c = np.asarray(contrib, dtype=float)
    if same_as:
        c = c.copy()
        pos = {col: j for j, col in enumerate(columns)}
        for dup, keep in same_as.items():
            if dup in pos and keep in pos:
                c[:, pos[keep]] += c[:, pos[dup]]
                c[:, pos[dup]] = 0.0
    c = _merge_same_sentences(c, columns, features)
    if directions or disengaged:
        c = _drop_contradictions(c, columns, features, typical, directions or {}, disengaged)
    if down is not None:
        c = np.where(np.asarray(down, dtype=bool)[:, None], -c, c)
    index = features.index if index is None else index
    out = pd.DataFrame(index=index)
    k = min(top, len(columns))
    if not len(c) or k == 0:
        for j in range(top):
            out[f"reason_{j + 1}"] = pd.Series(pd.NA, index=index, dtype="string")
        return out
    order = _top_k(c, k)
    rows_all = np.arange(len(c))
    cache: dict[int, tuple[np.ndarray, list[str]]] = {}
    for j in range(top):
        codes = np.full(len(c), -1, dtype=np.int64)
        texts: list[str] = []
        if j < k:
            idx = order[:, j]
            pos = c[rows_all, idx] > 0
            for f in np.unique(idx[pos]):
                rows = np.flatnonzero(pos & (idx == f))
                if f not in cache:
                    cache[f] = _sentences(columns[f], features[columns[f]], typical, binary)
                local, sentences = cache[f]
                codes[rows] = local[rows] + len(texts)
                texts.extend(sentences)
        table = pd.array(texts, dtype="string")
        out[f"reason_{j + 1}"] = table.take(codes, allow_fill=True) if len(table) else (
            pd.array([pd.NA] * len(c), dtype="string"))
    return out


def _window_chains() -> tuple[tuple[str, str], ...]:
    """(longer, shorter) window pairs of one count: ``orders_total``, ``orders_365d``, ...,
    ``orders_7d`` (likewise visits, carts, revenue)."""
    from features._catalogue import WINDOWS

    pairs = []
    for base in ("orders", "revenue", "visits", "carts", "refund_amount"):
        chain = [f"{base}_total", *(f"{base}_{w}d" for w in sorted(WINDOWS, reverse=True))]
        pairs += [(chain[i], chain[j]) for j in range(1, len(chain)) for i in range(j)]
    return tuple(pairs)


ROW_ALIASES: tuple[tuple[str, str], ...] = (
    ("days_since_last_purchase", "days_since_last_event"),
    ("days_since_last_visit", "days_since_last_event"),
    ("days_since_last_cart", "days_since_last_event"),
    ("days_since_last_visit", "days_since_last_cart"),
    ("aov", "aov_365d"),
    *_window_chains(),
)
"""Feature pairs that say the same thing for a customer whose two values read the same (the
last activity was the last purchase; every order of the year fell in the last 90 days): the
second one's push is credited to the first there, the longest window of a count keeping it.
``purchase_cat_share_<category>`` and ``cat_share_<category>`` are such a pair too (added per
model, as their names follow the data): a grocery check had "share of activity in Drinks is
high (0.14 vs typical 0.12)" beside "share of orders in Drinks is high (0.14 ...)" for 79
churn and 164 value customers.
A check's churn scores had "days since last activity is high (416 vs typical 43)" beside
"days since last visit is high (416 ...)" for 378 of 4,912 customers (the two differed by
hours), and a value answer "total spend is high (983)" beside "revenue (last 365 days) is high
(983)". A retailer check (2026-12-05) had "average order value is high (78 vs typical 24)"
beside "average order value (last year) is high (78 ...)" for 79 value and 19 churn customers
of 3,281 (every order in the last year); money refunded over its windows is a chain too."""


SAME_QUANTITY: tuple[tuple[str, str], ...] = (
    ("bgnbd_expected_orders", "bgnbd_expected_orders_365d"),
)
"""Feature pairs that measure one quantity over two spans: the second one's push is always
credited to the first (a gift-shop check had "expected orders ... is low" and "expected orders
next year ... is low" as two of three reasons for 4,761 of 7,715 customers)."""


def _merge_same_sentences(c: np.ndarray, columns: list[str], features: pd.DataFrame
                          ) -> np.ndarray:
    """``c`` with, row by row, the push of a feature that would repeat another's sentence
    credited to that one: a ``SAME_QUANTITY`` pair (expected orders over the model's horizon
    and over a year), equal values of a ``ROW_ALIASES`` pair ("days since last purchase is
    high (40)" and "days since last activity is high (40)"), and empty features whose missing
    meaning reads the same ("has never ordered" twice for a refund-only customer)."""
    pos = {col: j for j, col in enumerate(columns)}

    def values(col: str) -> np.ndarray:
        return as_float(features[col])

    pairs: list[tuple[str, str, np.ndarray]] = [
        (keep, drop, np.ones(len(features), bool)) for keep, drop in SAME_QUANTITY
        if keep in pos and drop in pos]
    moved: dict[str, np.ndarray] = {}  # rows whose push a column already gave away
    # a category's share of orders and of all activity (named after the data's vocabulary):
    # the same number for a customer whose events in it were all orders (a loyalty-card log,
    # where refunds alone tell them apart, so they are not merged at fit)
    share_pairs = [(col, "cat_share_" + col.removeprefix("purchase_cat_share_"))
                   for col in columns if col.startswith("purchase_cat_share_")]
    aliases = [(keep, drop) for keep, drop in (*ROW_ALIASES, *share_pairs)
               if keep in pos and drop in pos and keep in features and drop in features]
    used = list(dict.fromkeys(col for pair in aliases for col in pair))
    # the values as shown: for a few rows all columns in one call (``_display_key`` is
    # element-wise), for a batch one column at a time (see ``_BLOCK_ROWS``)
    if used and len(features) <= _BLOCK_ROWS:
        keys = _display_key(np.column_stack([values(col) for col in used]))
        shown = {col: keys[:, i] for i, col in enumerate(used)}
    else:
        shown = {col: _display_key(values(col)) for col in used}
    none = np.zeros(len(features), bool)
    for keep, drop in aliases:
        a, b = shown[keep], shown[drop]
        rows = (a == b) & ~moved.get(drop, none) & ~moved.get(keep, none)  # NaN != NaN
        if rows.any():
            pairs.append((keep, drop, rows))
            moved[drop] = moved.get(drop, none) | rows
    by_text: dict[str, list[str]] = {}
    for col in columns:
        meaning = missing_meaning(col)
        if meaning is not None and col in features:
            by_text.setdefault(meaning, []).append(col)
    for cols in by_text.values():
        empty = {col: np.isnan(values(col)) for col in cols}
        for i, keep in enumerate(cols):
            pairs.extend((keep, drop, empty[keep] & empty[drop]) for drop in cols[i + 1:])
    # a meaning that implies another ("has never ordered" implies "fewer than two orders so
    # far"): where both are empty, the implied one's push goes to the wider one
    for wide, implied in IMPLIED_MEANINGS.items():
        for text in implied:
            for keep in by_text.get(wide, [])[:1]:
                pairs.extend((keep, drop, np.isnan(values(keep)) & np.isnan(values(drop)))
                             for drop in by_text.get(text, []))
    if not any(rows.any() for _, _, rows in pairs):
        return c
    c = c.copy()
    for keep, drop, rows in pairs:
        j, k = pos[keep], pos[drop]
        c[rows, j] += c[rows, k]
        c[rows, k] = 0.0
    return c


def _drop_contradictions(c: np.ndarray, columns: list[str], features: pd.DataFrame,
                         typical: dict[str, float], directions: dict[str, int],
                         disengaged: int = 0) -> np.ndarray:
    """``c`` with 0 where a feature's sentence would contradict its push, and values shown at
    the typical level ranked last.

    A feature that raises the score when high (direction +1) but pushes this row's score down
    while its value reads "high vs typical" (the trees' reference is the mean prediction, not
    the median customer: among many long-gone customers a recent buyer's 0.99 chance of being
    active lowers churn risk although the median customer's is 1) would read as a risk named
    as the reason it is low. Such cells are left out.

    A value shown at the typical level explains little ("... is at the typical level (1)" was
    the first reason of 80% of a grocery chain's low-risk households), so such cells rank after
    every other feature pushing the same way: given only when nothing else is.

    An empty cell with a meaning (``missing_meaning``: "has never ordered", "no visit
    recorded") describes a less engaged customer; ``disengaged`` is the sign of the push such a
    customer gets (+1 churn, -1 propensity and value, 0 unknown), and a cell pushing the other
    way is left out ("has never ordered" had been a reason for a high value 437 times in a
    seasonal retailer's check: true of the trees against the average customer, read by a
    marketer as nonsense).
    """
    out = c.copy()
    cols = [(j, col) for j, col in enumerate(columns)
            if col in features.columns and not np.isnan(typical.get(col, float("nan")))]
    # columns in blocks: the same arithmetic as one column at a time (``_display_key`` is
    # element-wise), a handful of numpy calls per block instead of per column (one live row
    # spent ~10 ms here column by column)
    width = _BLOCK if len(c) <= _BLOCK_ROWS else 1
    for start in range(0, len(cols), width):
        block = cols[start:start + width]
        js = [j for j, _ in block]
        v = np.column_stack([as_float(features[col]) for _, col in block])
        t = np.array([typical[col] for _, col in block], dtype=float)
        side = np.sign(_display_key(v) - _display_key(t)[None, :])
        sign = np.sign(c[:, js])
        sub = np.where(side == 0, c[:, js] * _AT_TYPICAL_WEIGHT, c[:, js])
        d = np.array([directions.get(col, 0) for _, col in block], dtype=float)
        sub[np.nan_to_num(side) * d[None, :] * sign < 0] = 0.0
        if disengaged:
            meant = np.array([missing_meaning(col) is not None for _, col in block])
            sub[np.isnan(v) & meant[None, :] & (sign == -disengaged)] = 0.0
        out[:, js] = sub
    return out


_BLOCK, _BLOCK_ROWS = 32, 2_000
"""Feature columns ``_drop_contradictions`` handles at once for up to ``_BLOCK_ROWS`` rows (a
live request: numpy calls per column dominate); longer frames go one column at a time (a block
of a 250,000-row batch made scoring a million customers' reasons 15% slower)."""


ENGAGEMENT_SIGN: dict[str, int] = {
    **{f"{kind}_{w}d": 1 for kind in ("visits", "carts", "orders", "revenue")
       for w in (7, 30, 90, 180, 365)},
    **{f"active_days_{w}d": 1 for w in (7, 30, 90)},
    "active_weeks_12w": 1, "orders_total": 1, "events_total": 1, "visits_total": 1,
    "visit_trend_30d": 1, "visit_trend_7v30": 1,
    "visit_trend_90d": 1, "order_trend_90d": 1, "revenue_trend_90d": 1,
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

IMPLIED_MEANINGS: dict[str, tuple[str, ...]] = {
    "has never ordered": ("fewer than two orders so far (no usual gap between orders)",
                          "no order in the last year", "no spend in the last year"),
    "no visit recorded": ("no visit in the last 30 days",),
}
"""Missing meanings that say what another already says for the same customer: one reason, not
"has never ordered" beside "fewer than two orders so far (no usual gap between orders)" (two of
the three reasons of 9,715 of 194,893 customers of a 200,000-user synthetic shop)."""

_MISSING_PREFIXES: tuple[tuple[str, str], ...] = (
    ("purchase_cat_share_", "has never ordered"),
    ("ch_share_", "no visit recorded"),
)


def missing_meaning(column: str) -> str | None:
    """What an empty value of a pipeline feature means (``MISSING_MEANING``), else None.

    Every such meaning describes a less engaged customer (no order, no visit, no activity):
    ``_drop_contradictions`` never gives one as a reason for a higher purchase chance or value,
    or a lower churn risk."""
    if column in MISSING_MEANING:
        return MISSING_MEANING[column]
    for prefix, text in _MISSING_PREFIXES:
        if column.startswith(prefix):
            return text
    return None


def disengaged_sign(task: str) -> int:
    """The sign of the score push a less engaged customer gets: +1 for churn, -1 otherwise."""
    return 1 if task == "churn" else -1


def prior_directions(task: str, learned: dict[str, int]) -> dict[str, int]:
    """``learned`` with the engagement meaning in place of the data's direction wherever a
    feature has one (``ENGAGEMENT_SIGN``): a churn score rises as engagement falls, a
    propensity or value score with it. Features of mixed meaning keep the learned direction.

    Without it, "revenue (last 90 days) is high (22 vs typical 0)" was given as a reason for a
    0.87 churn risk (a new one-off buyer, whose recent revenue the trees credit in interaction
    with the single order): true of the trees, a contradiction to a marketer. Filling in only
    the open (0) directions still let "orders (last 90 days) is high (2 vs typical 0)" through
    for 8 high- or medium-risk customers of a gift-shop check, where the data's direction for
    the feature had come out the other way.
    """
    sign = -1 if task == "churn" else 1
    return {col: sign * ENGAGEMENT_SIGN[col] if col in ENGAGEMENT_SIGN else d
            for col, d in learned.items()}


def feature_directions(contrib: np.ndarray, x: pd.DataFrame, numeric: list[str],
                       min_rho: float = 0.3) -> dict[str, int]:
    """Per numeric column of ``x``: +1 when its contribution rises with its value (Spearman
    rho >= ``min_rho`` on these rows), -1 when it falls, 0 otherwise (non-monotone, constant
    or mostly missing). ``contrib`` has one column per column of ``x``, in order."""
    out: dict[str, int] = {}
    for j, col in enumerate(x.columns):
        if col not in numeric:
            continue
        v = as_float(x[col])
        ok = np.isfinite(v)
        if ok.sum() < 50 or np.ptp(v[ok]) == 0 or np.ptp(contrib[ok, j]) == 0:
            out[col] = 0
            continue
        rho = float(pd.Series(v[ok]).corr(pd.Series(contrib[ok, j]), method="spearman"))
        out[col] = int(np.sign(rho)) if abs(rho) >= min_rho else 0
    return out


_POOLED = frozenset({"top_category", "top_purchase_category", "top_channel"})
"""Text features whose value 'other' stands for the pooled less frequent values."""


def binary_features(x: pd.DataFrame, numeric: list[str]) -> tuple[str, ...]:
    """Numeric columns of a customer's own table that hold only 0 and 1 (both) at fit, such as
    a Telco export's ``SeniorCitizen``: their reasons read "SeniorCitizen: yes" / "...: no",
    not "SeniorCitizen is high (1 vs typical 0)". Columns of the event pipeline (counts in a
    window, shares, the flags of ``FLAG_SENTENCES``) are never binary here: an
    ``orders_7d`` of only 0 and 1 in a small shop is still a count."""
    from features._catalogue import CATALOGUE

    out = []
    for col in numeric:
        if (col in REASON_NAMES or col in CATALOGUE or col in FLAG_SENTENCES
                or _WINDOW.match(col) or col.startswith(SHARE_PREFIXES) or col in DERIVED):
            continue
        v = as_float(x[col])
        seen = np.unique(v[~np.isnan(v)])
        if len(seen) == 2 and seen[0] == 0 and seen[1] == 1:
            out.append(col)
    return tuple(out)


def identical_features(x: pd.DataFrame, numeric: list[str]) -> dict[str, str]:
    """Numeric columns of ``x`` equal to an earlier one on every row (missing cells in the same
    rows), mapped to that earlier column. The model runs it on the (up to 5,000) sampled
    training rows its directions are learned on."""
    first: dict[bytes, str] = {}
    out: dict[str, str] = {}
    for col in x.columns:
        if col not in numeric:
            continue
        v = as_float(x[col])
        key = np.where(np.isnan(v), np.inf, v).tobytes()
        if key in first:
            out[col] = first[key]
        else:
            first[key] = col
    return out


def _top_k(c: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` largest values, largest first (ties: lower index)."""
    if k < c.shape[1]:
        part = np.argpartition(-c, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(c.shape[1]), c.shape).copy()
    vals = np.take_along_axis(c, part, axis=1)
    o = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, o, axis=1)


def _display_key(v: np.ndarray) -> np.ndarray:
    """The value ``_fmt`` displays: whole numbers from 10 up, two significant digits below.

    Element-wise; a 2-D array is taken column by column as far as the shortcut for whole
    numbers goes (a block with one column of amounts had sent every count column through the
    rounding below: scoring a million customers' reasons took 15% longer)."""
    if v.ndim != 2:
        return _display_key_1d(v)
    with np.errstate(invalid="ignore"):
        whole = np.all(~np.isfinite(v) | (v == np.round(v)), axis=0)
    out = np.where(np.abs(v) < _TINY, 0.0, v)  # the whole-number columns' keys
    if not whole.all():
        out[:, ~whole] = _display_key_1d(v[:, ~whole])
    return out


def _display_key_1d(v: np.ndarray) -> np.ndarray:
    finite = v[np.isfinite(v)]
    if np.array_equal(finite, np.round(finite)):  # counts: whole numbers show as they are
        return np.where(np.abs(v) < _TINY, 0.0, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(v)))
        digits = np.clip(np.where(np.isfinite(mag), 1 - mag, 0), 0, 300).astype(int)
    small = np.abs(v) < 10
    out = np.where(small, v, np.round(v))
    out = np.where(np.abs(v) < _TINY, 0.0, out)
    # np.round(v, d) per element, in one pass: numpy rounds as rint(v * 10**d) / 10**d, and
    # 10**d is exact here (d <= 4: smaller values show as 0)
    sel = small & np.isfinite(v) & (np.abs(v) >= _TINY)
    scale = _POW10[np.minimum(digits, len(_POW10) - 1)]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(sel, np.rint(v * scale) / scale, out)


_POW10 = 10.0 ** np.arange(23)
"""Exact powers of ten (10**22 is the largest a float holds exactly)."""


def _near(value: float, typical: float) -> str:
    """``"slightly "`` for a value within 10% of a non-zero typical value (0.88 vs 0.86: the
    trees split near the median, so the feature counts, but "high" alone overstates it)."""
    return "slightly " if typical != 0 and abs(value - typical) < 0.1 * abs(typical) else ""


def _sentences(name: str, values: pd.Series, typical: dict[str, float],
               binary: Collection[str] = ()) -> tuple[np.ndarray, list[str]]:
    """Per row, a code into the returned list of distinct sentences for feature ``name``
    (``binary``: 0/1 columns, read "name: yes" / "name: no"; ``binary_features``)."""
    label = reason_label(name)
    t = typical.get(name, float("nan"))
    if not np.isnan(t):  # a numeric feature; text cells at scoring (``'unknown'``) are unknown
        v = as_float(values)
        codes, uniques = pd.factorize(_display_key(v))
        shown_t = float(_display_key(np.array([t], dtype=float))[0])
        tfmt = _fmt(float(t))
        flag = FLAG_SENTENCES.get(name) or (
            (f"{label}: yes", f"{label}: no") if name in binary else None)
        texts = [flag[0] if flag and u == 1 else flag[1] if flag and u == 0 else
                 f"{label} is at the typical level ({_fmt(float(u))})" if u == shown_t else
                 f"{label} is {_near(u, shown_t)}{'high' if u > shown_t else 'low'} "
                 f"({_fmt(float(u))} vs typical {tfmt})" for u in uniques]
        missing = missing_meaning(name) or f"{label} is unknown"
        return np.where(codes >= 0, codes, len(uniques)), [*texts, missing]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    pooled = name in _POOLED  # 'other' there is the pool of the less frequent values
    texts = [f"{label}: a less common one (not among the most frequent)"
             if pooled and u == "other" else f"{label}: {_fmt(u)}"
             for u in np.asarray(uniques, dtype=object)]
    missing = f"{label}: not given, or a value new to the model"
    return np.where(codes >= 0, codes, len(texts)), [*texts, missing]


def assign_tiers(scores: np.ndarray, rule: TierRule,
                 reference: np.ndarray | None = None) -> pd.Categorical:
    """Tier of every score under ``rule`` (ordered categorical, highest tier first).

    A rank rule ranks the scores among ``reference`` (default: among themselves): a score's
    share is the fraction of the reference scoring strictly higher, so ties share a tier, and
    the floor is read from the reference too. A request's few rows are then tiered as they are
    in the whole population, never among themselves (one row would always be 'top')."""
    s = np.asarray(scores, dtype=float)
    n_tiers = len(rule.labels)
    if len(rule.thresholds) != n_tiers - 1:
        raise ValueError(f"TierRule: {n_tiers} labels need {n_tiers - 1} thresholds; received "
                         f"{len(rule.thresholds)}")
    if rule.kind == "rank":
        ref = _sorted_finite(s if reference is None else reference)
        if not len(ref):  # no population to place the rows in: rank them among themselves
            ref = _sorted_finite(s)
        cuts = np.asarray(rule.thresholds)

        def codes(x: np.ndarray) -> np.ndarray:
            share = (len(ref) - np.searchsorted(ref, x, side="right")) / max(len(ref), 1)
            return np.where(np.isnan(x), n_tiers - 1, np.searchsorted(cuts, share, side="right"))

        code = codes(s)
        # the reference above the lowest tier is a suffix of the sorted reference: find where
        # it starts by bisection (a request's rows against a million customers cost O(log n))
        lo, hi = 0, len(ref)
        while lo < hi:
            mid = (lo + hi) // 2
            if codes(ref[mid:mid + 1])[0] < n_tiers - 1:
                hi = mid
            else:
                lo = mid + 1
        above = ref[lo:]
        if rule.floor > 0 and len(above):
            middle = (float(above[(len(above) - 1) // 2]) + float(above[len(above) // 2])) / 2
            with np.errstate(invalid="ignore"):
                code = np.where(s < rule.floor * middle, n_tiers - 1, code)
    elif rule.kind == "prob":
        # thresholds are decreasing lower bounds: count how many a score falls below.
        code = (s[:, None] < np.asarray(rule.thresholds)[None, :]).sum(axis=1)
    else:
        raise ValueError(f"TierRule.kind must be 'prob' or 'rank'; received {rule.kind!r}")
    return pd.Categorical.from_codes(code.astype(int), categories=list(rule.labels),
                                     ordered=True)


def _sorted_finite(values: np.ndarray) -> np.ndarray:
    """``values``' finite entries in ascending order (no copy when they already are)."""
    v = np.asarray(values, dtype=float)
    if len(v) and np.isfinite(v).all() and (v[1:] >= v[:-1]).all():
        return v
    return np.sort(v[np.isfinite(v)])


def _drop_50(features: pd.DataFrame, now_col: str, before_col: str
             ) -> tuple[pd.Series, pd.Series]:
    """(flag, unknown): ``now_col`` at most half of ``before_col``, which is at least 2."""
    now = pd.to_numeric(features[now_col], errors="coerce")
    before = pd.to_numeric(features[before_col], errors="coerce")
    return (before >= 2) & (now <= 0.5 * before), now.isna() | before.isna()


def early_warning_chance(features: pd.DataFrame, basis: pd.Series,
                         flag: pd.Series) -> pd.Series:
    """For each flagged row, how often a customer whose rate did not change would fall this far.

    The last 30 days' count ``now`` against the 30 days before ``before``: with one steady
    rate, ``now`` given ``now + before`` is Binomial(now + before, 1/2), so the chance is
    P(X <= now) (the conditional test of two Poisson counts; both windows are noisy). 0 of 2
    reads 0.25, 1 of 5 0.19, 0 of 5 0.03. Light visitors are flagged by chance often: a
    check's visit log with constant rates had 17% flagged; ``brain score`` counts the flags
    below 0.05. ``basis`` and ``flag`` are ``early_warning_with_basis``'s. Missing where the
    row is not flagged, ``basis`` names no count columns (a table with only ``visit_drop_50``)
    or the counts are not whole non-negative numbers.
    """
    out = pd.Series(np.nan, index=features.index, dtype="Float64")
    for what in ("visits", "orders"):
        cols = (f"{what}_30d", f"{what}_prev_30d")
        sel = basis.eq(what).fillna(False).to_numpy()
        if not sel.any() or not set(cols) <= set(features.columns):
            continue
        now = pd.to_numeric(features[cols[0]], errors="coerce").to_numpy(dtype=float)[sel]
        before = pd.to_numeric(features[cols[1]], errors="coerce").to_numpy(dtype=float)[sel]
        counts = np.isfinite(now + before) & (now >= 0) & (before >= 0)
        with np.errstate(invalid="ignore"):
            counts &= (now == np.round(now)) & (before == np.round(before))
            chance = stats.binom.cdf(now, now + before, 0.5)
        flagged = flag.fillna(False).to_numpy(dtype=bool)[sel] & counts
        out.iloc[np.flatnonzero(sel)] = np.where(flagged, chance, np.nan)
    return out.mask(out.isna())


def early_warning(features: pd.DataFrame) -> pd.Series:
    """The 'visit frequency fell by 50% or more' flag per row, always a nullable boolean.

    Uses ``visit_drop_50`` when present, else ``visits_30d`` and ``visits_prev_30d`` with the
    same rule (at least 2 visits in the 30 days before the last 30, and the last 30 days at most
    half of that). A customer with no visit recorded at all (``visits_total`` is 0: every
    customer of a purchase-only event log) is judged on orders instead, by the same rule on
    ``orders_30d`` and ``orders_prev_30d`` (``early_warning_basis`` says which). Missing
    (``pd.NA``, never ``False``) where the input cannot tell. Decided row by row, so a
    customer's flag does not depend on who else is scored with it.
    """
    return early_warning_with_basis(features)[0]


def early_warning_with_basis(features: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``early_warning`` and, per row, what it was judged on: 'visits', 'orders' or NA."""
    cols = set(features.columns)
    flag = pd.Series(False, index=features.index)
    unknown = pd.Series(True, index=features.index)
    has_visits = True
    if "visit_drop_50" in cols:
        v = pd.to_numeric(features["visit_drop_50"], errors="coerce")
        flag, unknown = v > 0, v.isna()
    elif {"visits_30d", "visits_prev_30d"} <= cols:
        flag, unknown = _drop_50(features, "visits_30d", "visits_prev_30d")
    else:
        has_visits = False
    on_orders = pd.Series(not has_visits, index=features.index)
    if "visits_total" in cols:
        on_orders = pd.to_numeric(features["visits_total"], errors="coerce").fillna(0).eq(0)
    if {"orders_30d", "orders_prev_30d"} <= cols:
        o_flag, o_unknown = _drop_50(features, "orders_30d", "orders_prev_30d")
        flag = flag.where(~on_orders, o_flag)
        unknown = unknown.where(~on_orders, o_unknown)
    else:
        unknown = unknown | on_orders
    basis = pd.Series(np.where(on_orders, "orders", "visits"), index=features.index,
                      dtype="string").mask(unknown)
    return flag.astype("boolean").mask(unknown), basis
