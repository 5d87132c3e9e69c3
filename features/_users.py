"""Point-in-time user features: one row per user with any event strictly before the cutoff.

Only events with ``ts < cutoff`` are read, so no feature can see the cutoff day's future
(``tests/features/test_leakage.py`` checks every column). Each user's row depends only on that
user's events plus the vocabularies (categories, channels: which values get share columns, the
rest pooled into ``other``), the base's refund share (``refund_prior``, the one column that
reads the whole base: ``refund_share_total``) and the calendar, so the computation can run on
any partition of users independently: pass the same ``Vocabulary`` and ``RefundPrior`` to every
partition (see ``user_features_partitioned``). Vectorised with numpy bincounts: about 1M users /
20M events in well under a minute on 2 cores (benchmarks/features_scale.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._baskets import basket_trends
from ._catalogue import MAX_CATEGORIES, MAX_CHANNELS, WINDOWS
from ._refunds import RefundPrior, refund_share

__all__ = ["Vocabulary", "partition_of", "refund_prior", "user_features",
           "user_features_partitioned"]

_DAY = 86_400.0
# Window edges (days before the cutoff) for one bincount per event type.
_EDGES = np.array([7, 30, 60, 90, 180, 365], dtype=np.float64)
_VISIT_TYPES = ("visit", "page_view")
_DENSE_CELLS = 20_000_000  # user x value counts up to this size are a dense matrix


_OTHER = "other"
_log = logging.getLogger("features.users")


@dataclass(frozen=True)
class Vocabulary:
    """Category and channel values that get share columns, in column order.

    With ``other_categories`` (``other_channels``) every value outside ``categories``
    (``channels``) counts in one pooled ``other`` share column, placed last; without it such
    values get no share column. ``from_events`` keeps the most frequent values and pools the rest.
    """

    categories: tuple[str, ...]
    channels: tuple[str, ...]
    other_categories: bool = False
    other_channels: bool = False

    @property
    def category_columns(self) -> tuple[str, ...]:
        """Names after ``cat_share_`` / ``purchase_cat_share_``, in column order."""
        return self.categories + ((_OTHER,) if self.other_categories else ())

    @property
    def channel_columns(self) -> tuple[str, ...]:
        """Names after ``ch_share_``, in column order."""
        return self.channels + ((_OTHER,) if self.other_channels else ())

    @classmethod
    def from_events(cls, events: pd.DataFrame, cutoff: pd.Timestamp | None = None, *,
                    max_categories: int | None = MAX_CATEGORIES,
                    max_channels: int | None = MAX_CHANNELS) -> Vocabulary:
        """Values seen in ``events`` (before ``cutoff`` when given), sorted.

        When a column has more than ``max_categories`` (``max_channels``) distinct values, only
        that many, those with the most events (ties by name), get their own share column; the
        rest are pooled into ``other`` and a note is logged (logger ``features.users``).
        ``None`` keeps every value.
        """
        ev = events if cutoff is None else events.loc[events["ts"] < pd.Timestamp(cutoff)]
        cats, other_cats = _top_values(ev, "category", max_categories, "max_categories",
                                       cutoff)
        chans, other_chans = _top_values(ev, "channel", max_channels, "max_channels", cutoff)
        return cls(cats, chans, other_cats, other_chans)

    @classmethod
    def from_columns(cls, columns: Iterable[str]) -> Vocabulary:
        """The vocabulary that produced these feature columns (e.g. a trained model's), so new
        features line up with them."""
        cols = list(columns)
        cats = [c[len("cat_share_"):] for c in cols if c.startswith("cat_share_")]
        chans = [c[len("ch_share_"):] for c in cols if c.startswith("ch_share_")]
        return cls(tuple(c for c in cats if c != _OTHER), tuple(c for c in chans if c != _OTHER),
                   _OTHER in cats, _OTHER in chans)


def _top_values(ev: pd.DataFrame, col: str, cap: int | None, option: str,
                cutoff: pd.Timestamp | None) -> tuple[tuple[str, ...], bool]:
    """Sorted values of ``col`` that get share columns, and whether the rest are pooled."""
    if col not in ev.columns:
        return (), False
    s = ev[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        n = np.bincount(codes[codes >= 0], minlength=len(s.cat.categories))
        counts = pd.Series(n, index=[str(c) for c in s.cat.categories])
        counts = counts[counts > 0].groupby(level=0).sum()
    else:
        counts = s.dropna().astype(str).value_counts()
    if cap is None or len(counts) <= cap:
        return tuple(sorted(counts.index)), False
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [k for k, _ in order if k != _OTHER][:cap]
    pooled = int(counts.sum() - counts[kept].sum())
    when = "" if cutoff is None else f" before {pd.Timestamp(cutoff).date()}"
    _log.warning(f"{col}: {len(counts):,} distinct values{when}; the {cap} with most events "
                 f"get their own share columns, the other {len(counts) - len(kept):,} "
                 f"({pooled / counts.sum():.1%} of events with a {col}) are pooled into "
                 f"'{_OTHER}'. Change with {option}= in features.Vocabulary.from_events")
    return tuple(sorted(kept)), True


def partition_of(user_id: pd.Series, n_partitions: int) -> np.ndarray:
    """Stable partition number of each user id (hash of its string form)."""
    h = pd.util.hash_pandas_object(user_id.astype(str), index=False).to_numpy()
    return (h % np.uint64(n_partitions)).astype(np.int64)


def _codes(s: pd.Series, vocab: tuple[str, ...], other: bool = False) -> np.ndarray:
    """Index of each value in ``vocab``; values outside it get ``len(vocab)`` (the pooled
    ``other`` slot) when ``other``, else -1; missing values get -1."""
    miss = len(vocab) if other else -1
    pos = {v: i for i, v in enumerate(vocab)}
    if isinstance(s.dtype, pd.CategoricalDtype):
        lookup = np.array([pos.get(str(c), miss) for c in s.cat.categories] + [-1],
                          dtype=np.int64)
        return lookup[s.cat.codes.to_numpy().astype(np.int64)]
    # an index lookup: a Categorical built from values outside its categories is deprecated
    # (pandas 3.1 warns, a later pandas raises)
    out = pd.Index(list(vocab), dtype=object).get_indexer(s.astype("string")).astype(np.int64)
    if other:
        out[(out < 0) & s.notna().to_numpy()] = miss
    return out


def _value_codes(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Code of every value in the sorted list of distinct values (-1 for missing), and that
    list: no vocabulary involved, and codes order like names (ties break the same everywhere)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        names = [str(c) for c in s.cat.categories]
        rank = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"))
        raw = s.cat.codes.to_numpy().astype(np.int64)
        return np.where(raw >= 0, rank[raw], -1), sorted(names)
    codes, uniques = pd.factorize(s.astype("string"), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


@dataclass(frozen=True)
class _Mix:
    """One user's mix over every value of a column: distinct values, entropy, most frequent."""

    count: np.ndarray
    entropy: np.ndarray
    top: pd.Categorical


def _mix_stats(values: pd.Series, codes: np.ndarray, n: int, mask: np.ndarray,
               labels: tuple[str, ...], other: bool) -> _Mix:
    """Distinct values and entropy (nats) over every value (uncapped); the most frequent value
    (ties: first by name) as one of ``labels``, or ``other`` when it was pooled."""
    vc, names = _value_codes(values)
    ok = mask & (vc >= 0)
    width = max(len(names), 1)
    if n * width <= _DENSE_CELLS:  # a (user x value) matrix: no sort needed
        mat = np.bincount(codes[ok] * width + vc[ok], minlength=n * width).reshape(n, width)
        tot = mat.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = mat / tot[:, None]
            ent = np.where(mat > 0, -p * np.log(np.where(mat > 0, p, 1)), 0.0).sum(axis=1)
        ent[tot == 0] = np.nan
        user = np.flatnonzero(tot > 0)
        val = mat[user].argmax(axis=1)  # first maximum: ties by name
        count = (mat > 0).sum(axis=1).astype(np.float64)
    else:
        key, cnt = np.unique(codes[ok] * width + vc[ok], return_counts=True)
        users, vals = key // width, key % width
        tot = np.bincount(users, weights=cnt, minlength=n).astype(np.float64)
        p = cnt / tot[users]
        ent = np.bincount(users, weights=-p * np.log(p), minlength=n).astype(np.float64)
        ent[tot == 0] = np.nan
        best = np.lexsort((vals, -cnt, users))
        first = best[np.r_[True, users[best][1:] != users[best][:-1]]] if len(best) else best
        user, val = users[first], vals[first]
        count = np.bincount(users, minlength=n).astype(np.float64)
    pos = {v: i for i, v in enumerate(labels)}
    miss = pos.get(_OTHER, -1) if other else -1
    to_label = np.array([pos.get(v, miss) for v in names] + [-1], dtype=np.int64)
    top = np.full(n, -1, dtype=np.int64)
    top[user] = to_label[val]
    return _Mix(count, ent, pd.Categorical.from_codes(top, categories=list(labels)))


def _type_mask(et: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    if isinstance(et.dtype, pd.CategoricalDtype):
        hit = np.array([str(c) in names for c in et.cat.categories] + [False])
        return hit[et.cat.codes.to_numpy().astype(np.int64)]
    return et.isin(names).to_numpy()


def _share(counts: np.ndarray) -> np.ndarray:
    tot = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1), np.nan)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _promo_days(calendar: pd.DataFrame | None) -> np.ndarray | None:
    if calendar is None or calendar.empty:
        return None
    days = [pd.date_range(r.start, r.end, freq="D") for r in calendar.itertuples()]
    return np.unique(np.concatenate([d.to_numpy() for d in days]).astype("datetime64[D]"))


def user_features(events: pd.DataFrame, cutoff: str | pd.Timestamp, *,
                  vocabulary: Vocabulary | None = None,
                  calendar: pd.DataFrame | None = None,
                  refund_base: RefundPrior | None = None) -> pd.DataFrame:
    """Features of every user with an event before ``cutoff``, from events strictly before it.

    Args:
        events: frame under the events contract (``features.load_events``).
        cutoff: the as-of time; events at or after it are never read.
        vocabulary: category/channel values for share columns; default:
            ``Vocabulary.from_events(events, cutoff)`` (the 20 most frequent of each before the
            cutoff, the rest pooled into ``other``). Pass one vocabulary to every partition or
            cutoff for identical columns; ``Vocabulary.from_columns`` rebuilds a model's.
        calendar: optional calendar frame for the promotion-share features.
        refund_base: the base's refund share for ``refund_share_total``; default:
            ``refund_prior(events, cutoff)`` (every customer in ``events`` before the cutoff).
            Pass one to every partition for identical rows.

    Returns:
        One row per user: ``user_id``, ``cutoff`` and the columns of ``features.CATALOGUE``.
    """
    cutoff = pd.Timestamp(cutoff)
    ts_all = events["ts"].to_numpy()
    if len(ts_all) and bool((ts_all[1:] >= ts_all[:-1]).all()):
        ev = events.iloc[: int(np.searchsorted(ts_all, cutoff.to_datetime64(), side="left"))]
    else:
        ev = events.loc[events["ts"].to_numpy() < cutoff.to_datetime64()]
    vocab = vocabulary or Vocabulary.from_events(ev)
    codes, uniques = pd.factorize(ev["user_id"], sort=True)
    n = len(uniques)
    ts = ev["ts"].to_numpy()
    age = (cutoff.to_datetime64() - ts) / np.timedelta64(1, "s") / _DAY  # > 0 days before
    bucket = np.searchsorted(_EDGES, age, side="right")  # 0:[0,7) 1:[7,30) ... 6:>=365
    nb = len(_EDGES) + 1
    et = ev["event_type"]
    is_visit = _type_mask(et, _VISIT_TYPES)
    is_cart = _type_mask(et, ("add_to_cart",))
    is_buy = _type_mask(et, ("purchase",))
    is_refund = _type_mask(et, ("refund",))
    revenue = ev["revenue"].to_numpy(dtype=np.float64)

    def by_bucket(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        key = codes[mask] * nb + bucket[mask]
        w = None if weights is None else weights[mask]
        return np.bincount(key, weights=w, minlength=n * nb).reshape(n, nb).astype(np.float64)

    def windows(mat: np.ndarray) -> dict[int, np.ndarray]:
        cum = np.cumsum(mat, axis=1)  # cum[:, i] = events younger than _EDGES[i]
        return {w: cum[:, int(np.searchsorted(_EDGES, w))] for w in WINDOWS} | {
            0: cum[:, -1], 60: cum[:, 2]}

    def last_age(mask: np.ndarray, first: bool = False) -> np.ndarray:
        out = np.full(n, -np.inf if first else np.inf)
        (np.maximum if first else np.minimum).at(out, codes[mask], age[mask])
        out[np.isinf(out)] = np.nan
        return out

    orders_mask, order_value = _orders(ev, codes, is_buy, revenue)
    vis = windows(by_bucket(is_visit))
    car = windows(by_bucket(is_cart))
    ordw = windows(by_bucket(orders_mask))
    rev = windows(by_bucket(is_buy, revenue))
    refund_amt = np.bincount(codes[is_refund], weights=-revenue[is_refund], minlength=n)
    f: dict[str, Any] = {"user_id": uniques, "cutoff": np.repeat(cutoff.to_datetime64(), n)}
    f["tenure_days"] = last_age(np.ones(len(ev), bool), first=True)
    f["days_since_last_event"] = last_age(np.ones(len(ev), bool))
    f["days_since_last_visit"] = last_age(is_visit)
    f["days_since_last_cart"] = last_age(is_cart)
    f["days_since_last_purchase"] = last_age(is_buy)
    f["days_since_first_purchase"] = last_age(is_buy, first=True)
    f["events_total"] = np.bincount(codes, minlength=n).astype(np.float64)
    f["visits_total"], f["carts_total"] = vis[0], car[0]
    f["orders_total"] = ordw[0]
    f["revenue_total"] = rev[0] - refund_amt
    for w in WINDOWS:
        f[f"visits_{w}d"], f[f"carts_{w}d"] = vis[w], car[w]
        f[f"orders_{w}d"], f[f"revenue_{w}d"] = ordw[w], rev[w]
    f["visits_prev_30d"] = vis[60] - vis[30]
    f["visits_prev_90d"] = vis[180] - vis[90]
    f["orders_prev_30d"] = ordw[60] - ordw[30]
    f["orders_prev_90d"] = ordw[180] - ordw[90]
    f["revenue_prev_90d"] = rev[180] - rev[90]
    day = np.floor(age).astype(np.int64)
    recent = day < 90
    seen = np.zeros(n * 90, dtype=bool)  # (user, day) had an event
    seen[codes[recent] * 90 + day[recent]] = True
    seen_days = seen.reshape(n, 90)
    for w in (7, 30, 90):
        f[f"active_days_{w}d"] = seen_days[:, :w].sum(axis=1).astype(np.float64)
    vw = is_visit & (day < 84)
    weeks = np.zeros(n * 12, dtype=bool)
    weeks[codes[vw] * 12 + day[vw] // 7] = True
    f["active_weeks_12w"] = weeks.reshape(n, 12).sum(axis=1).astype(np.float64)
    prev30 = f["visits_prev_30d"]
    f["visit_trend_30d"] = (vis[30] + 1) / (prev30 + 1)
    f["visit_trend_7v30"] = _div(vis[7] * 30 / 7, vis[30])
    f["visit_drop_50"] = ((prev30 >= 2) & (vis[30] <= 0.5 * prev30)).astype(np.float64)
    f["visit_trend_90d"] = (vis[90] + 1) / (f["visits_prev_90d"] + 1)
    f["order_trend_90d"] = (ordw[90] + 1) / (f["orders_prev_90d"] + 1)
    f["revenue_trend_90d"] = (rev[90] + 1) / (f["revenue_prev_90d"] + 1)
    if "category" in ev.columns:  # line-level logs only (features._baskets)
        f.update(basket_trends(ev, codes, n, bucket, is_buy, orders_mask, revenue,
                               f["tenure_days"]))
    f["aov"] = _div(rev[0], ordw[0])
    f["aov_365d"] = _div(rev[365], ordw[365])
    mx = np.zeros(n)
    np.maximum.at(mx, order_value[0], order_value[1])
    f["max_order_value"] = mx
    span = f["days_since_first_purchase"] - f["days_since_last_purchase"]
    f["mean_days_between_orders"] = _div(span, ordw[0] - 1)
    f["purchase_overdue_ratio"] = _div(f["days_since_last_purchase"],
                                       f["mean_days_between_orders"])
    f["mean_days_between_visits"] = _div(f["tenure_days"], vis[0])
    f["conversion_rate"] = _div(ordw[0], vis[0])
    f["cart_conversion_rate"] = _div(ordw[0], car[0])
    f["abandoned_carts_30d"] = np.maximum(car[30] - ordw[30], 0)
    f["revenue_per_visit"] = _div(rev[0], vis[0])
    f["recent_revenue_share"] = _div(rev[90], rev[365])
    refunds_mask, _ = _orders(ev, codes, is_refund, revenue)  # a refund's lines count once
    f["refunds_total"] = np.bincount(codes[refunds_mask], minlength=n).astype(np.float64)
    f["refund_amount_total"] = refund_amt
    refw = windows(by_bucket(is_refund, -revenue))  # positive amounts
    f["refund_amount_90d"], f["refund_amount_365d"] = refw[90], refw[365]
    f["refund_rate"] = _div(f["refunds_total"], ordw[0])
    bought, n_orders = _bought(codes, n, is_buy, orders_mask, revenue)
    prior = refund_base or RefundPrior.fit(bought, refund_amt, n_orders)
    f["refund_share_total"] = refund_share(bought, refund_amt, n_orders, prior)
    f.update(_time_of_day(ev, codes, is_visit, vis[0], n))
    f["visits_per_active_day_90d"] = _div(vis[90], f["active_days_90d"])
    recent30 = age < 30
    for name, t in (("email_opens_30d", "email_open"), ("email_clicks_30d", "email_click")):
        m = _type_mask(et, (t,)) & recent30
        f[name] = np.bincount(codes[m], minlength=n).astype(np.float64)
    f.update(_promo(ts, codes, is_visit, orders_mask, calendar, n, vis[0], ordw[0]))
    f.update(_mix(ev, codes, n, vocab, is_visit, is_buy))
    f["acquisition_channel"] = _acquisition(ev, codes, n)
    return pd.DataFrame(f)


def _bought(codes: np.ndarray, n: int, is_buy: np.ndarray, orders_mask: np.ndarray,
            revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each user's purchased money and number of orders (the refund share's inputs)."""
    bought = np.bincount(codes[is_buy], weights=revenue[is_buy], minlength=n)
    return bought, np.bincount(codes[orders_mask], minlength=n).astype(np.float64)


def refund_prior(events: pd.DataFrame, cutoff: str | pd.Timestamp) -> RefundPrior:
    """The base's refund share and its weight in orders (``features._refunds``) from every
    user's events before ``cutoff``: what ``user_features`` uses by default for
    ``refund_share_total``; ``user_features_partitioned`` computes it once for every partition.
    """
    ev = events.loc[events["ts"].to_numpy() < pd.Timestamp(cutoff).to_datetime64()]
    codes, uniques = pd.factorize(ev["user_id"], sort=True)
    n = len(uniques)
    is_buy = _type_mask(ev["event_type"], ("purchase",))
    is_refund = _type_mask(ev["event_type"], ("refund",))
    revenue = ev["revenue"].to_numpy(dtype=np.float64)
    orders_mask, _ = _orders(ev, codes, is_buy, revenue)
    bought, n_orders = _bought(codes, n, is_buy, orders_mask, revenue)
    refunded = np.bincount(codes[is_refund], weights=-revenue[is_refund], minlength=n)
    return RefundPrior.fit(bought, refunded, n_orders)


def _orders(ev: pd.DataFrame, codes: np.ndarray, is_buy: np.ndarray, revenue: np.ndarray
            ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Mask of the first row of each order, and (user code, order value) per order.

    Rows (of ``is_buy``: purchases, or refunds) sharing an ``order_id`` are line items of one
    order; without order ids each row is an order.
    """
    buy_idx = np.flatnonzero(is_buy)
    if "order_id" in ev.columns and ev["order_id"].iloc[buy_idx].notna().any():
        oid = ev["order_id"].iloc[buy_idx]
        key = pd.DataFrame({"u": codes[buy_idx], "o": oid.astype("string").fillna(
            pd.Series(buy_idx.astype(str), index=oid.index).radd("row:")).to_numpy()})
        first = ~key.duplicated().to_numpy()
        grp = key.groupby(["u", "o"], sort=False)
        vals = pd.Series(revenue[buy_idx], index=key.index).groupby(
            [key["u"], key["o"]], sort=False).sum()
        ucodes = grp.size().index.get_level_values(0).to_numpy()
        mask = np.zeros(len(ev), bool)
        mask[buy_idx[first]] = True
        return mask, (ucodes.astype(np.int64), vals.to_numpy())
    return is_buy, (codes[buy_idx], revenue[buy_idx])


def _time_of_day(ev: pd.DataFrame, codes: np.ndarray, is_visit: np.ndarray, visits: np.ndarray,
                 n: int) -> dict[str, np.ndarray]:
    ts = ev["ts"].to_numpy()[is_visit]
    c = codes[is_visit]
    days = ts.astype("datetime64[D]")
    hour = ((ts - days) / np.timedelta64(1, "h")).astype(np.int64)
    dow = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    out = {}
    for name, m in (("weekend_visit_share", dow >= 5), ("night_visit_share", hour < 6),
                    ("evening_visit_share", hour >= 18)):
        out[name] = _div(np.bincount(c[m], minlength=n).astype(np.float64), visits)
    return out


def _promo(ts: np.ndarray, codes: np.ndarray, is_visit: np.ndarray, orders: np.ndarray,
           calendar: pd.DataFrame | None, n: int, visits: np.ndarray, n_orders: np.ndarray
           ) -> dict[str, np.ndarray]:
    promo = _promo_days(calendar)
    if promo is None:
        return {"promo_order_share": np.full(n, np.nan), "promo_visit_share": np.full(n, np.nan)}
    in_promo = np.isin(ts.astype("datetime64[D]"), promo)
    return {
        "promo_order_share": _div(np.bincount(codes[in_promo & orders], minlength=n)
                                  .astype(np.float64), n_orders),
        "promo_visit_share": _div(np.bincount(codes[in_promo & is_visit], minlength=n)
                                  .astype(np.float64), visits),
    }


def _mix(ev: pd.DataFrame, codes: np.ndarray, n: int, vocab: Vocabulary, is_visit: np.ndarray,
         is_buy: np.ndarray) -> dict[str, object]:
    """Category and channel mix: counts, entropies and the top value over every value; shares
    over the vocabulary (values outside it pooled into ``other`` when the vocabulary says so)."""
    out: dict[str, object] = {}
    cat_cols, ch_cols = vocab.category_columns, vocab.channel_columns

    def shares(cc: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
        ok = mask & (cc >= 0)
        return _share(np.bincount(codes[ok] * k + cc[ok], minlength=n * k).reshape(n, k)
                      .astype(np.float64))

    everything = np.ones(len(ev), bool)
    if "category" in ev.columns:
        cat, other = ev["category"], vocab.other_categories
        mix = _mix_stats(cat, codes, n, everything, cat_cols, other)
        bought = _mix_stats(cat, codes, n, is_buy, cat_cols, other)
        cc = _codes(cat, vocab.categories, other)
        cs, ps = shares(cc, everything, len(cat_cols)), shares(cc, is_buy, len(cat_cols))
        out["category_count"], out["category_entropy"] = mix.count, mix.entropy
        out["top_category"], out["top_purchase_category"] = mix.top, bought.top
    else:
        cs = ps = np.full((n, len(cat_cols)), np.nan)
        out["category_count"], out["category_entropy"] = np.zeros(n), np.full(n, np.nan)
        none = pd.Categorical.from_codes(np.full(n, -1), categories=list(cat_cols))
        out["top_category"], out["top_purchase_category"] = none, none
    chan = _mix_stats(ev["channel"], codes, n, is_visit, ch_cols, vocab.other_channels)
    out["channel_count"], out["channel_entropy"] = chan.count, chan.entropy
    out["top_channel"] = chan.top
    chs = shares(_codes(ev["channel"], vocab.channels, vocab.other_channels), is_visit,
                 len(ch_cols))
    for i, k in enumerate(cat_cols):
        out[f"cat_share_{k}"] = cs[:, i]
    for i, k in enumerate(cat_cols):
        out[f"purchase_cat_share_{k}"] = ps[:, i]
    for i, k in enumerate(ch_cols):
        out[f"ch_share_{k}"] = chs[:, i]
    return out


def _acquisition(ev: pd.DataFrame, codes: np.ndarray, n: int) -> pd.Categorical:
    """First known acquisition channel of each user (events are in time order)."""
    if "acquisition_channel" not in ev.columns:
        return pd.Categorical([None] * n)
    s = ev["acquisition_channel"]
    cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    vcodes = cat.cat.codes.to_numpy()
    idx = np.flatnonzero(vcodes >= 0)
    big = np.iinfo(np.int64).max
    first = np.full(n, big)
    np.minimum.at(first, codes[idx], idx)
    out = np.full(n, -1, dtype=np.int64)
    has = first < big
    out[has] = vcodes[first[has]]
    return pd.Categorical.from_codes(out, categories=[str(c) for c in cat.cat.categories])


def user_features_partitioned(events: pd.DataFrame, cutoff: str | pd.Timestamp,
                              n_partitions: int, *, calendar: pd.DataFrame | None = None
                              ) -> pd.DataFrame:
    """``user_features`` computed partition by partition (hash of user_id) and concatenated.

    Gives the same rows as one call on all users: the shape a Dask ``map_partitions`` will take.
    """
    vocab = Vocabulary.from_events(events, cutoff)
    base = refund_prior(events, cutoff)
    part = partition_of(events["user_id"], n_partitions)
    frames = [user_features(events.loc[part == p], cutoff, vocabulary=vocab, calendar=calendar,
                            refund_base=base)
              for p in range(n_partitions)]
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for c in ("top_category", "top_purchase_category", "top_channel", "acquisition_channel"):
        out[c] = out[c].astype("category")
    return out.sort_values("user_id").reset_index(drop=True)
