"""Reasons that go beside every customer score, and the feature directions they are checked
against.

Reasons: LightGBM's built-in per-row contributions (``pred_contrib``, TreeSHAP values on the raw
scale) are ranked and the ``top`` features that push the score *up* (towards churn for churn,
towards buying for propensity, towards more revenue for value) become sentences a marketer can
read, e.g. ``"days since last purchase is high (142 vs typical 35)"`` (a value shown equal to
the typical one reads ``"... is at the typical level (10)"``, one within 10% of it ``"... is
slightly high (0.88 vs typical 0.86)"``). Names come from ``reason_label``
(``training._customer_meanings``: ``REASON_NAMES``, hand-written for the common features, then
the feature catalogue, then the column name with underscores turned into spaces for
bring-your-own columns); the sentences themselves are ``training._customer_sentences``.

Reasons of the lowest tier (``down=``) name what keeps the score low instead. A row of another
tier that no feature pushes up (its score is below the model's average customer's: a medium churn
risk of 0.42 where the average customer's is 0.73, a medium value below the mean of a skewed
revenue) gets what holds its score down, each sentence starting with ``held_down_prefix`` (such
rows had no reason at all). The tiers and the early-warning flag beside the score are in
``training._customer_tiers``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from training._customer_columns import as_float
from training._customer_meanings import (
    BUYING_PATTERN,
    DISSATISFACTION,
    ENGAGEMENT_SIGN,
    IMPLIED_MEANINGS,
    LEGACY_PERCENT,
    RATIO_PARTS,
    SHARE_TOLERANCE,
    ZERO_MEANINGS,
    missing_meaning,
    zero_without_orders,
)
from training._customer_readings import binary_features, percent_features
from training._customer_sentences import display_key, feature_sentences

__all__ = [
    "binary_features",
    "disengaged_sign",
    "feature_directions",
    "held_down_prefix",
    "identical_features",
    "percent_features",
    "prior_directions",
    "reasons_from_array",
    "top_reasons",
]


_AT_TYPICAL_WEIGHT = 1e-9
"""Rank weight of a value shown at the typical level: after any informative reason."""

def top_reasons(contrib: pd.DataFrame, features: pd.DataFrame, typical: dict[str, float],
                top: int = 3, down: np.ndarray | None = None,
                directions: dict[str, int] | None = None,
                same_as: dict[str, str] | None = None,
                percent: Collection[str] | None = None) -> pd.DataFrame:
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
        percent: features read as percentages (``reasons_from_array``).

    Returns:
        Frame with the same index and columns ``reason_1`` .. ``reason_<top>`` (missing when
        fewer features push the score that way).
    """
    cols = [c for c in contrib.columns if c != "bias"]
    return reasons_from_array(contrib[cols].to_numpy(dtype=float), cols, features, typical,
                              top=top, index=contrib.index, down=down, directions=directions,
                              same_as=same_as, percent=percent)


def reasons_from_array(contrib: np.ndarray, columns: list[str], features: pd.DataFrame,
                       typical: dict[str, float], top: int = 3,
                       index: pd.Index | None = None,
                       down: np.ndarray | None = None,
                       directions: dict[str, int] | None = None,
                       same_as: dict[str, str] | None = None,
                       disengaged: int = 0,
                       binary: Collection[str] = (),
                       held_down: str = "",
                       percent: Collection[str] | None = None) -> pd.DataFrame:
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

    ``percent``: shares read as percentages, within ``SHARE_TOLERANCE`` of the typical share at
    the typical level (the model's ``percent_``, ``percent_features``); None: ``LEGACY_PERCENT``
    (a model saved before the model recorded them).

    Vectorised: the ``top`` largest contributions come from a partial sort, and each sentence is
    formatted once per distinct (feature, displayed value, high/low) and then gathered, so a
    million customers take seconds. Ties between equal contributions go to the earlier column.
    Rows where ``down`` holds get the features pushing their score down (see ``top_reasons``).

    ``held_down``: when given, every other row that no feature pushes up (after the checks
    above) gets the features pushing its score down too, each sentence starting with this text
    (``held_down_prefix``), so the reader knows they explain the other way; without it such a
    row has no reason (a table model's medium churn tier, below the average customer's risk,
    had empty reasons).
    """
    c = np.asarray(contrib, dtype=float)
    if same_as:
        c = c.copy(order="K")
        pos = {col: j for j, col in enumerate(columns)}
        for dup, keep in same_as.items():
            if dup in pos and keep in pos:
                c[:, pos[keep]] += c[:, pos[dup]]
                c[:, pos[dup]] = 0.0
    shares = frozenset(LEGACY_PERCENT if percent is None else percent)
    c = _merge_same_sentences(c, columns, features)
    c = _no_pattern_for_one_order(c, columns, features)
    if directions or disengaged:
        c = _drop_contradictions(c, columns, features, typical, directions or {}, disengaged,
                                 shares)
    held = np.zeros(len(c), dtype=bool)
    if held_down and len(c):
        held = np.asarray(~(c > 0).any(axis=1), dtype=bool)
        if down is not None:
            held &= ~np.asarray(down, dtype=bool)
        down = held if down is None else np.asarray(down, dtype=bool) | held
    if down is not None:
        c = np.where(np.asarray(down, dtype=bool)[:, None], -c, c)
    index = features.index if index is None else index
    out = pd.DataFrame(index=index)
    k = min(top, len(columns))
    if not len(c) or k == 0:
        for j in range(top):
            out[f"reason_{j + 1}"] = pd.Series(pd.NA, index=index, dtype="string")
        return out
    c = np.ascontiguousarray(c)  # the ranking works row by row
    order = _top_k(c, k)
    rows_all = np.arange(len(c))
    # rows whose j-th reason is a positive contribution: a feature's sentences are written for
    # the rows that name it only (a ratio's sentence per distinct amounts had been written for
    # all 1M rows: 11 s for one feature)
    named = c[rows_all[:, None], order[:, :k]] > 0
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
                    mine = np.flatnonzero(((order[:, :k] == f) & named).any(axis=1))
                    # only the columns its sentences read (the whole frame's rows had been
                    # copied for every feature named)
                    need = [col for col in dict.fromkeys(
                        (columns[f], "orders_total", *RATIO_PARTS.get(columns[f], ("",) * 3)[1:]))
                        if col in features.columns]
                    sub = features[need].iloc[mine]
                    part, sentences = feature_sentences(columns[f], sub[columns[f]], typical,
                                                        binary, frame=sub, percent=shares)
                    local = np.zeros(len(c), dtype=np.int64)
                    local[mine] = part
                    cache[f] = (local, sentences)
                local, sentences = cache[f]
                codes[rows] = local[rows] + len(texts)
                texts.extend(sentences)
        table = pd.array(texts, dtype="string")
        out[f"reason_{j + 1}"] = table.take(codes, allow_fill=True) if len(table) else (
            pd.array([pd.NA] * len(c), dtype="string"))
    if held.any():
        for col in out.columns:
            cells = out[col].iloc[np.flatnonzero(held)]
            out.iloc[np.flatnonzero(held), out.columns.get_loc(col)] = held_down + cells
    return out


def held_down_prefix(task: str) -> str:
    """The start of a reason that says what holds a score down, for a row of a tier above the
    lowest that no feature pushes up (``reasons_from_array``'s ``held_down``)."""
    what = {"churn": "risk", "propensity": "chance", "value": "value"}.get(task, "score")
    return f"lowers the {what}: "


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
    ("days_since_first_purchase", "tenure_days"),
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
    # the values as shown: for a few rows all columns in one call (``display_key`` is
    # element-wise), for a batch one column at a time (see ``_BLOCK_ROWS``)
    if used and len(features) <= _BLOCK_ROWS:
        keys = display_key(np.column_stack([values(col) for col in used]))
        shown = {col: keys[:, i] for i, col in enumerate(used)}
    else:
        shown = {col: display_key(values(col)) for col in used}
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
    # likewise an order count, revenue or order rate at 0 beside "has never ordered" (where its
    # column is empty): the same fact, one reason
    for keep in by_text.get("has never ordered", [])[:1]:
        never = np.isnan(values(keep))
        if never.any():
            pairs.extend((keep, col, never & (values(col) == 0)) for col in columns
                         if col != keep and col in features and zero_without_orders(col))
    pairs = [(keep, drop, rows) for keep, drop, rows in pairs if rows.any()]
    if not pairs:
        return c
    # column by column on a column-major copy: each pair reads and writes two contiguous
    # columns (masked assignments on a row-major batch's strided columns had taken a quarter
    # of a million customers' reasons)
    c = np.array(c, order="F")
    for keep, drop, rows in pairs:
        j, k = pos[keep], pos[drop]
        np.add(c[:, j], c[:, k], out=c[:, j], where=rows)
        np.copyto(c[:, k], 0.0, where=rows)
    return c


def _no_pattern_for_one_order(c: np.ndarray, columns: list[str],
                              features: pd.DataFrame) -> np.ndarray:
    """``c`` with 0 in the ``BUYING_PATTERN`` columns of rows with one order: BG/NBD takes a
    customer without a repeat order to be active, and its numbers read as orders to come."""
    js = [j for j, col in enumerate(columns) if col in BUYING_PATTERN]
    if not js or "orders_total" not in features.columns:
        return c
    one = as_float(features["orders_total"]) == 1
    if not one.any():
        return c
    c = np.array(c, dtype=float)
    c[np.ix_(one, js)] = 0.0
    return c


def _drop_contradictions(c: np.ndarray, columns: list[str], features: pd.DataFrame,
                         typical: dict[str, float], directions: dict[str, int],
                         disengaged: int = 0, percent: Collection[str] = ()) -> np.ndarray:
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
    out = np.array(c, order="F")  # columns contiguous: the loop below works per column
    cols = [(j, col) for j, col in enumerate(columns)
            if col in features.columns and not np.isnan(typical.get(col, float("nan")))]
    # columns in blocks: the same arithmetic as one column at a time (``display_key`` is
    # element-wise), a handful of numpy calls per block instead of per column (one live row
    # spent ~10 ms here column by column)
    width = _BLOCK if len(c) <= _BLOCK_ROWS else 1
    for start in range(0, len(cols), width):
        block = cols[start:start + width]
        js = [j for j, _ in block]
        v = np.column_stack([as_float(features[col]) for _, col in block])
        t = np.array([typical[col] for _, col in block], dtype=float)
        key = display_key(v)
        side = np.sign(key - display_key(t)[None, :])
        shares = [i for i, (_, col) in enumerate(block) if col in percent]
        if shares:  # within a point of the typical share: at the typical level, tested on
            # the value as its sentence shows it (``_share_sentences`` rounds to 3 places)
            near = np.abs(np.round(v[:, shares], 3) - t[None, shares]) < SHARE_TOLERANCE
            side[:, shares] = np.where(near, 0.0, side[:, shares])
        cur = out[:, js]
        sign = np.sign(cur)
        sub = np.where(side == 0, cur * _AT_TYPICAL_WEIGHT, cur)
        d = np.array([directions.get(col, 0) for _, col in block], dtype=float)
        sub[np.nan_to_num(side) * d[None, :] * sign < 0] = 0.0
        if disengaged:
            meant = np.array([missing_meaning(col) is not None for _, col in block])
            sub[np.isnan(v) & meant[None, :] & (sign == -disengaged)] = 0.0
            zero = np.array([col in ZERO_MEANINGS for _, col in block])
            sub[(key == 0) & zero[None, :] & (sign == -disengaged)] = 0.0
        out[:, js] = sub
    return out


_BLOCK, _BLOCK_ROWS = 32, 2_000
"""Feature columns ``_drop_contradictions`` handles at once for up to ``_BLOCK_ROWS`` rows (a
live request: numpy calls per column dominate); longer frames go one column at a time (a block
of a 250,000-row batch made scoring a million customers' reasons 15% slower)."""


def disengaged_sign(task: str) -> int:
    """The sign of the score push a less engaged customer gets: +1 for churn, -1 otherwise."""
    return 1 if task == "churn" else -1


def prior_directions(task: str, learned: dict[str, int]) -> dict[str, int]:
    """``learned`` with the engagement meaning in place of the data's direction wherever a
    feature has one (``ENGAGEMENT_SIGN``): a churn score rises as engagement falls, a
    propensity or value score with it. Features of mixed meaning keep the learned direction;
    those of dissatisfaction (``DISSATISFACTION``: refunds per order) raise a churn risk.

    Without it, "revenue (last 90 days) is high (22 vs typical 0)" was given as a reason for a
    0.87 churn risk (a new one-off buyer, whose recent revenue the trees credit in interaction
    with the single order): true of the trees, a contradiction to a marketer. Filling in only
    the open (0) directions still let "orders (last 90 days) is high (2 vs typical 0)" through
    for 8 high- or medium-risk customers of a gift-shop check, where the data's direction for
    the feature had come out the other way.
    """
    sign = -1 if task == "churn" else 1
    return {col: sign * ENGAGEMENT_SIGN[col] if col in ENGAGEMENT_SIGN
            else 1 if task == "churn" and col in DISSATISFACTION else d
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

