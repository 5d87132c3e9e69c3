"""Point-in-time user features: one row per user with any event strictly before the cutoff.

Only events with ``ts < cutoff`` are read, so no feature can see the cutoff day's future
(``tests/features/test_leakage.py`` checks every column). Each user's row depends only on that
user's events plus the vocabularies (categories, channels) and the calendar, so the computation can
run on any partition of users independently: pass the same ``Vocabulary`` to every partition (see
``user_features_partitioned``). Vectorised with numpy bincounts: about 1M users / 20M events in
well under a minute on 2 cores (benchmarks/features_scale.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._catalogue import WINDOWS

__all__ = ["Vocabulary", "partition_of", "user_features", "user_features_partitioned"]

_DAY = 86_400.0
# Window edges (days before the cutoff) for one bincount per event type.
_EDGES = np.array([7, 30, 60, 90, 180, 365], dtype=np.float64)
_VISIT_TYPES = ("visit", "page_view")


@dataclass(frozen=True)
class Vocabulary:
    """Category and channel values that get share columns, in column order."""

    categories: tuple[str, ...]
    channels: tuple[str, ...]

    @classmethod
    def from_events(cls, events: pd.DataFrame, cutoff: pd.Timestamp | None = None) -> Vocabulary:
        """Values seen in ``events`` (before ``cutoff`` when given), sorted."""
        ev = events if cutoff is None else events.loc[events["ts"] < pd.Timestamp(cutoff)]

        def values(col: str) -> tuple[str, ...]:
            if col not in ev.columns:
                return ()
            s = ev[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                codes = np.unique(s.cat.codes.to_numpy())
                return tuple(sorted(str(s.cat.categories[c]) for c in codes if c >= 0))
            return tuple(sorted(str(v) for v in s.dropna().unique()))

        return cls(values("category"), values("channel"))


def partition_of(user_id: pd.Series, n_partitions: int) -> np.ndarray:
    """Stable partition number of each user id (hash of its string form)."""
    h = pd.util.hash_pandas_object(user_id.astype(str), index=False).to_numpy()
    return (h % np.uint64(n_partitions)).astype(np.int64)


def _codes(s: pd.Series, vocab: tuple[str, ...]) -> np.ndarray:
    """Index of each value in ``vocab`` (-1 for missing or out-of-vocabulary)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        lookup = np.array([vocab.index(str(c)) if str(c) in vocab else -1
                           for c in s.cat.categories] + [-1], dtype=np.int64)
        return lookup[s.cat.codes.to_numpy().astype(np.int64)]
    return pd.Categorical(s.astype("string"), categories=list(vocab)).codes.astype(np.int64)


def _type_mask(et: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    if isinstance(et.dtype, pd.CategoricalDtype):
        hit = np.array([str(c) in names for c in et.cat.categories] + [False])
        return hit[et.cat.codes.to_numpy().astype(np.int64)]
    return et.isin(names).to_numpy()


def _share(counts: np.ndarray) -> np.ndarray:
    tot = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1), np.nan)


def _entropy(shares: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(shares > 0, -shares * np.log(shares), 0.0)
    out = t.sum(axis=1)
    out[np.isnan(shares).all(axis=1)] = np.nan
    return out


def _argmax_label(counts: np.ndarray, vocab: tuple[str, ...]) -> pd.Categorical:
    if not vocab:
        return pd.Categorical([None] * counts.shape[0])
    idx = counts.argmax(axis=1)
    codes = np.where(counts.sum(axis=1) > 0, idx, -1)
    return pd.Categorical.from_codes(codes, categories=list(vocab))


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
                  calendar: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of every user with an event before ``cutoff``, from events strictly before it.

    Args:
        events: frame under the events contract (``features.load_events``).
        cutoff: the as-of time; events at or after it are never read.
        vocabulary: category/channel values for share columns; default: those seen before the
            cutoff. Pass one vocabulary to every partition or cutoff for identical columns.
        calendar: optional calendar frame for the promotion-share features.

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
    f["refunds_total"] = np.bincount(codes[is_refund], minlength=n).astype(np.float64)
    f["refund_amount_total"] = refund_amt
    f["refund_rate"] = _div(f["refunds_total"], ordw[0])
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


def _orders(ev: pd.DataFrame, codes: np.ndarray, is_buy: np.ndarray, revenue: np.ndarray
            ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Mask of the first row of each order, and (user code, order value) per order.

    Rows sharing an ``order_id`` are line items of one order; without order ids each purchase
    row is an order.
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
    out: dict[str, object] = {}
    K, C = len(vocab.categories), len(vocab.channels)
    if "category" in ev.columns and K:
        cc = _codes(ev["category"], vocab.categories)
        ok = cc >= 0
        cat = np.bincount(codes[ok] * K + cc[ok], minlength=n * K).reshape(n, K).astype(float)
        okb = ok & is_buy
        pcat = np.bincount(codes[okb] * K + cc[okb], minlength=n * K).reshape(n, K).astype(float)
    else:
        cat = pcat = np.zeros((n, K))
    cs, ps = _share(cat), _share(pcat)
    out["category_count"] = (cat > 0).sum(axis=1).astype(np.float64)
    out["category_entropy"] = _entropy(cs)
    out["top_category"] = _argmax_label(cat, vocab.categories)
    out["top_purchase_category"] = _argmax_label(pcat, vocab.categories)
    chc = _codes(ev["channel"], vocab.channels) if C else np.full(len(ev), -1)
    okc = (chc >= 0) & is_visit
    ch = np.bincount(codes[okc] * C + chc[okc], minlength=n * C).reshape(n, C).astype(float) \
        if C else np.zeros((n, 0))
    chs = _share(ch)
    out["channel_count"] = (ch > 0).sum(axis=1).astype(np.float64)
    out["channel_entropy"] = _entropy(chs)
    out["top_channel"] = _argmax_label(ch, vocab.channels)
    for i, k in enumerate(vocab.categories):
        out[f"cat_share_{k}"] = cs[:, i]
    for i, k in enumerate(vocab.categories):
        out[f"purchase_cat_share_{k}"] = ps[:, i]
    for i, k in enumerate(vocab.channels):
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
    part = partition_of(events["user_id"], n_partitions)
    frames = [user_features(events.loc[part == p], cutoff, vocabulary=vocab, calendar=calendar)
              for p in range(n_partitions)]
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for c in ("top_category", "top_purchase_category", "top_channel", "acquisition_channel"):
        out[c] = out[c].astype("category")
    return out.sort_values("user_id").reset_index(drop=True)
