"""The long-run share of a customer's spend that came back as refunds, shrunk for short histories.

A heavy returner's refunds are lumpy: a 90- or 365-day window often holds none right before the
cutoff while the habit persists. ``refund_share_total`` reads the whole history instead:
refunded money / purchased money before the cutoff (each customer's ratio capped at 1), pulled
towards the base's share by ``K / (orders + K)``, empirical-Bayes style, so one returned order of
a new customer does not read as a habit:

    refund_share_total = (orders x own share + K x base share) / (orders + K)

The base share (money refunded / money purchased over every buyer) and ``K`` come from the
events before the cutoff (``RefundPrior.fit``): ``K = sigma^2 / tau^2`` from the method of
moments, regressing each buyer's squared distance from the base share on ``1 / orders``
(``E[(own - base)^2] = tau^2 + sigma^2 / orders``: ``tau^2`` the spread of customers' true
shares, ``sigma^2`` the noise of one order's). ``K`` is kept within ``[MIN_ORDERS,
MAX_ORDERS]`` and is ``DEFAULT_ORDERS`` when fewer than ``MIN_BUYERS`` customers have bought.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RefundPrior", "refund_share"]

DEFAULT_ORDERS = 2.0
MIN_ORDERS = 0.5
MAX_ORDERS = 50.0
MIN_BUYERS = 30


def _own_share(bought: np.ndarray, refunded: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(bought > 0, refunded / np.where(bought > 0, bought, 1), np.nan)
    return np.clip(own, 0.0, 1.0)


@dataclass(frozen=True)
class RefundPrior:
    """The base's refund share and how many orders it weighs, for ``refund_share_total``.

    Attributes:
        share: money refunded / money purchased over every customer who bought (0-1).
        orders: ``K``, the number of orders the base share counts as in a customer's shrunk
            share (a customer with ``K`` orders sits halfway between their own and the base's).
    """

    share: float
    orders: float

    @classmethod
    def fit(cls, bought: np.ndarray, refunded: np.ndarray, orders: np.ndarray) -> RefundPrior:
        """From per-customer purchased money, refunded money (positive) and order counts."""
        ok = (bought > 0) & (orders > 0)
        if not ok.any():
            return cls(0.0, DEFAULT_ORDERS)
        b, r, n = bought[ok], refunded[ok], orders[ok]
        base = float(np.clip(r.sum() / b.sum(), 0.0, 1.0))
        own = _own_share(b, r)
        inv = 1.0 / n
        if ok.sum() < MIN_BUYERS or base <= 0 or np.ptp(inv) == 0:
            return cls(base, DEFAULT_ORDERS)
        x = np.column_stack([np.ones(len(inv)), inv])
        tau2, sigma2 = np.linalg.lstsq(x, (own - base) ** 2, rcond=None)[0]
        if tau2 <= 0:  # no spread between customers beyond noise: the base share for all
            k = MAX_ORDERS
        elif sigma2 <= 0:
            k = MIN_ORDERS
        else:
            k = float(np.clip(sigma2 / tau2, MIN_ORDERS, MAX_ORDERS))
        return cls(base, float(k))


def refund_share(bought: np.ndarray, refunded: np.ndarray, orders: np.ndarray,
                 prior: RefundPrior) -> np.ndarray:
    """Each customer's shrunk long-run refund share. A customer with no purchased money (never
    bought, or free orders only) has no own share: the base's share, the same as every buyer's
    in a log without refunds, where the column is then one value for all and the trees ignore it.
    """
    paid = (bought > 0) & (orders > 0)
    own = np.where(paid, _own_share(bought, refunded), 0.0)
    w = np.where(paid, orders / (orders + prior.orders), 0.0)
    return w * own + (1 - w) * prior.share
