"""Basket trends: how a customer's last month of orders compares with the 11 months before.

A household moving its shopping to a competitor often keeps coming for weeks while its baskets
shrink: fewer items, fewer departments, less money per basket, less money a month. Visit and
order counts (``visit_trend_30d``, ``order_trend_90d``) only fall late in such a switch; these
columns see it earlier. Each compares the orders of the last 30 days with those of days 30-365
before the cutoff (``features._users`` buckets: the caller passes each event's bucket), from
events before the cutoff only (``tests/features/test_leakage.py``).

Only events with a ``category`` column get these columns (a loyalty or order-line log with a
department per line): on CDNOW (orders without categories) every variant tried made the
benchmark worse (value bias -4.61% to -13% .. -23%, Brier 0.1587 to 0.1591 .. 0.1593), so a
log without categories keeps the columns it had. There is no items-per-basket column: an
order export imported by ``brain data import-orders`` holds one event per category of an order
(its lines of one category merged), so lines per order were the categories per order again, a
second column and a second reason saying the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["basket_trends"]

_RECENT = 2  # buckets 0 and 1: [0, 7) and [7, 30) days before the cutoff
_YEAR = 6  # buckets 2 .. 5: [30, 365) days before the cutoff
_EARLIER_DAYS = 335.0


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((a >= 0) & (b > 0), a / np.where(b > 0, b, 1), np.nan)


def _windows(key_user: np.ndarray, key_bucket: np.ndarray, n: int,
             weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per user: the sum over the last 30 days and over days 30-365."""
    keep = key_bucket < _YEAR
    recent = key_bucket < _RECENT
    w = None if weights is None else weights[recent & keep]
    r = np.bincount(key_user[recent & keep], weights=w, minlength=n).astype(np.float64)
    e_mask = keep & ~recent
    w = None if weights is None else weights[e_mask]
    e = np.bincount(key_user[e_mask], weights=w, minlength=n).astype(np.float64)
    return r, e


def _order_codes(ev: pd.DataFrame, buy_idx: np.ndarray) -> np.ndarray:
    """An order number for each purchase row: rows sharing an ``order_id`` share it (the caller
    tells users apart); without an order id a row is its own order."""
    if "order_id" not in ev.columns:
        return np.arange(len(buy_idx), dtype=np.int64)
    oc = pd.factorize(ev["order_id"].iloc[buy_idx])[0].astype(np.int64)
    missing = oc < 0
    oc[missing] = oc.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    return oc


def basket_trends(ev: pd.DataFrame, codes: np.ndarray, n: int, bucket: np.ndarray,
                  is_buy: np.ndarray, orders_mask: np.ndarray, revenue: np.ndarray,
                  tenure: np.ndarray) -> dict[str, np.ndarray]:
    """The basket-trend columns (``features._catalogue``) of each of the ``n`` users.

    ``orders_mask`` marks the first row of each order (``features._users._orders``),
    ``bucket`` each event's window bucket, ``tenure`` days since each user's first event (a
    customer of 4 months has 3 earlier months, not 11: at least one is counted). A trend is
    empty without an order in the last 30 days or in days 30-365;
    ``basket_categories_trend_30d`` is also empty without categories.
    """
    buy = np.flatnonzero(is_buy)
    u, b = codes[buy], bucket[buy]
    spend_r, spend_e = _windows(u, b, n, revenue[buy])
    first = np.flatnonzero(orders_mask)
    orders_r, orders_e = _windows(codes[first], bucket[first], n)
    out = {
        "order_value_trend_30d": _ratio(_ratio(spend_r, orders_r), _ratio(spend_e, orders_e)),
        "revenue_trend_30d": _ratio(spend_r, spend_e * 30.0 / np.clip(
            tenure - 30.0, 30.0, _EARLIER_DAYS)),
    }
    cats = np.full(n, np.nan)
    if len(buy):
        cat = pd.factorize(ev["category"].iloc[buy])[0].astype(np.int64)
        ok = cat >= 0
        # one number per (order, user, category): ids below 2**63 for any realistic size
        pair = (_order_codes(ev, buy)[ok] * n + u[ok]) * (int(cat.max(initial=0)) + 1) + cat[ok]
        _, at = np.unique(pair, return_index=True)  # one row per (order, category)
        rows = np.flatnonzero(ok)[at]
        cr, ce = _windows(u[rows], b[rows], n)
        cats = _ratio(_ratio(cr, orders_r), _ratio(ce, orders_e))
    out["basket_categories_trend_30d"] = cats
    return out
