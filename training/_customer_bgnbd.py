"""A small BG/NBD model (Fader, Hardie and Lee 2005) used as *features* for the LightGBM models.

The beta-geometric / negative-binomial model summarises each buyer by (x, t_x, T): repeat orders,
days from first to last order, days from first order to the cutoff. Fitted by maximum likelihood
on the training rows (no labels are used), it gives two smooth features that trees find hard to
build from the raw columns: the probability the customer is still "alive" and the expected number
of orders in the next ``t`` days. Customers who never bought get missing values.

Inputs come from ``features.user_features`` columns: ``orders_total`` (x = orders - 1),
``days_since_first_purchase`` (T) and ``days_since_last_purchase`` (t_x = T - recency).

References:
    Fader, P. S., Hardie, B. G. S., Lee, K. L. (2005). "Counting your customers" the easy way:
    an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["BGNBD_COLUMNS", "BgNbdParams", "bgnbd_features", "fit_bgnbd"]

BGNBD_COLUMNS = ("orders_total", "days_since_first_purchase", "days_since_last_purchase")
"""Feature columns the BG/NBD features need."""


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters (time unit: days).

    Attributes:
        r: shape of the gamma distribution of purchase rates.
        alpha: scale of the gamma distribution of purchase rates.
        a: first shape of the beta distribution of the dropout probability.
        b: second shape of the beta distribution of the dropout probability.
    """

    r: float
    alpha: float
    a: float
    b: float


def _summaries(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    orders = pd.to_numeric(frame["orders_total"], errors="coerce").to_numpy(dtype=float)
    T = pd.to_numeric(frame["days_since_first_purchase"], errors="coerce").to_numpy(dtype=float)
    rec = pd.to_numeric(frame["days_since_last_purchase"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(orders) & np.isfinite(T) & np.isfinite(rec) & (orders >= 1) & (T > 0)
    x = np.where(ok, orders - 1, 0.0)
    t_x = np.where(ok, np.clip(T - rec, 0, None), 0.0)
    return x, t_x, np.where(ok, T, 1.0), ok


def _neg_ll(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    r, alpha, a, b = np.exp(log_params)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
          - special.gammaln(a + b + x))
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x),
                      -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return float(-ll.sum() / len(x))


def fit_bgnbd(frame: pd.DataFrame, max_rows: int = 200_000, seed: int = 0) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters from the buyers in ``frame`` (``BGNBD_COLUMNS``).

    At most ``max_rows`` buyers (a seeded sample) are used; the likelihood is smooth in four
    parameters, so a sample estimates them well.
    """
    missing = [c for c in BGNBD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"fit_bgnbd: the frame lacks {missing}; received "
                         f"{list(frame.columns)[:10]}")
    x, t_x, T, ok = _summaries(frame)
    idx = np.flatnonzero(ok)
    if idx.size < 20:
        raise ValueError(f"fit_bgnbd: needs at least 20 buyers; received {idx.size}")
    if idx.size > max_rows:
        idx = np.random.default_rng(seed).choice(idx, max_rows, replace=False)
    res = optimize.minimize(_neg_ll, np.log([0.5, 10.0, 1.0, 2.0]),
                            args=(x[idx], t_x[idx], T[idx]), method="L-BFGS-B",
                            bounds=[(-8, 8)] * 4)
    r, alpha, a, b = np.exp(res.x)
    return BgNbdParams(float(r), float(alpha), float(a), float(b))


def bgnbd_features(params: BgNbdParams, frame: pd.DataFrame, horizon_days: float
                   ) -> pd.DataFrame:
    """``bgnbd_p_alive``, ``bgnbd_expected_orders`` (next ``horizon_days``) and
    ``bgnbd_expected_orders_365d`` (next year, the long-run value of the buying pattern)."""
    x, t_x, T, ok = _summaries(frame)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b

    def expected(t: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
            num = (a + b + x - 1) / (a - 1) * (
                1 - hyp * ((alpha + T) / (alpha + T + t)) ** (r + x))
            out = num / denom
        return np.where(ok & np.isfinite(out), out, np.nan)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = ((alpha + T) / (alpha + t_x)) ** (r + x)
        denom = 1.0 + np.where(x > 0, a / (b + x - 1) * ratio, 0.0)
    return pd.DataFrame({
        "bgnbd_p_alive": np.where(ok, 1.0 / denom, np.nan),
        "bgnbd_expected_orders": expected(float(horizon_days)),
        "bgnbd_expected_orders_365d": expected(365.0),
    }, index=frame.index)
