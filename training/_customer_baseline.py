"""A BG/NBD baseline the customer boosters can start from (LightGBM's ``init_score``).

On a purchase log whose customers buy and lapse the way BG/NBD assumes, the model's own
``bgnbd_expected_orders_365d`` column already ranks the customers about as well as the history
allows: the chance of an order is a smooth function of it. Trees rebuild a smooth function from
steps, one split at a time, and with a few thousand customers per cutoff the steps stay coarse
while the other columns add noise: a retail check's 30-day propensity model ranked at AUC
0.8636 against 0.8667 for the column alone, whatever the number of trees or the setting (the
best booster on the calibration rows had a log loss of 0.3353, a one-input logistic regression
on the column 0.3317).

``fit_baseline`` fits a small GLM on the training rows, on the log of the BG/NBD expected orders
(in the horizon and in a year) plus an indicator for customers without them (never bought): a
logistic regression for churn and propensity (the label's log-odds), a Tweedie regression with a
log link for value (log revenue). The booster is then fitted from that margin (``init_score``):
its trees learn only what the GLM misses, and early stopping stops them when they add nothing.
``CustomerModel`` tries every setting with and without it and keeps the lower calibration loss,
so a business whose history the GLM does not summarise keeps the plain booster.

For value, the GLM also reads the customer's long-run refund share (``SHARE_COLUMNS``:
``refund_share_total``, shrunk for short histories; see ``features._refunds``) as ``log(1 -
share)``, the log of the share of spend kept: net revenue is purchases times what is not sent
back, a product the trees rebuild only from many small steps (on a generated fashion log whose
heavy returners send back 40-70% of their spend, the boosters left them +12% to +31% high, +16%
to +26% even on their own training rows). A log without refunds has share 0 everywhere and the
term adds nothing.

Every score goes through ``Baseline.margin`` (raw scores, decision-path and TreeSHAP
contributions, the calibration), so batch scoring, the API, the reasons and the MLflow pyfunc all
see it: in the contributions each input's term (centred on its training mean) is credited to
its column and the rest to ``bias``, so they still sum to the raw score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BASELINE_COLUMNS", "SHARE_COLUMNS", "Baseline", "fit_baseline"]

BASELINE_COLUMNS = ("bgnbd_expected_orders", "bgnbd_expected_orders_365d")
"""Feature columns the baseline reads (``training._customer_bgnbd``), on a log scale."""

SHARE_COLUMNS = ("refund_share_total",)
"""Share columns the value baseline reads as ``log(1 - share)`` when the frame has them."""

_FLOOR = 1e-6
"""Expected orders below this are read as this (the log of a lapsed customer's ~0)."""
_SHARE_CAP = 0.99
"""Shares above this are read as this (``log(1 - share)`` stays finite)."""


@dataclass(frozen=True)
class Baseline:
    """A fitted GLM margin on the BG/NBD columns.

    Attributes:
        columns: the feature columns read, in order: the ``BASELINE_COLUMNS``, then the
            ``shares``.
        coef: one coefficient per BG/NBD column (on ``log(max(value, 1e-6))``), then one for
            the missing indicator (the row has no BG/NBD values: the customer never bought),
            then one per share column (on ``log(1 - min(share, 0.99))``, empty read as 0).
        intercept: the GLM's intercept.
        means: the training mean of each of the ``len(coef)`` inputs (missing read as 0), so
            each column's term is centred and the constant goes to ``bias``.
        shares: the share columns read (``SHARE_COLUMNS``; none for models saved before
            2026-12-06 and for churn and propensity).
    """

    columns: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    shares: tuple[str, ...] = ()

    def inputs(self, values: np.ndarray) -> np.ndarray:
        """``(n, len(coef))`` GLM inputs from the ``(n, len(columns))`` column values."""
        v = np.asarray(values, dtype=np.float64).reshape(len(values), len(self.columns))
        n_log = len(self.columns) - len(self.shares)
        lv, sv = v[:, :n_log], v[:, n_log:]
        missing = np.isnan(lv).any(axis=1)
        z = np.log(np.maximum(np.where(np.isnan(lv), 1.0, lv), _FLOOR))
        z[missing] = 0.0
        kept = np.log1p(-np.clip(np.where(np.isnan(sv), 0.0, sv), 0.0, _SHARE_CAP))
        return np.column_stack([z, missing.astype(np.float64), kept])

    def margin(self, values: np.ndarray) -> np.ndarray:
        """The GLM margin (log-odds or log revenue) of each row."""
        return self.intercept + self.inputs(values) @ np.asarray(self.coef)

    def terms(self, values: np.ndarray) -> tuple[np.ndarray, float]:
        """The margin split into ``(n, len(columns))`` centred per-column terms (the missing
        indicator's term goes with the first column) and the constant they sum with."""
        z = self.inputs(values) - np.asarray(self.means)
        parts = z * np.asarray(self.coef)
        n_log = len(self.columns) - len(self.shares)
        cols = np.column_stack([parts[:, :n_log], parts[:, n_log + 1:]])
        cols[:, 0] += parts[:, n_log]
        const = self.intercept + float(np.dot(self.coef, self.means))
        return cols, const


def fit_baseline(values: np.ndarray, y: np.ndarray, kind: str, *,
                 tweedie_power: float = 1.3, shares: tuple[str, ...] = ()) -> Baseline | None:
    """The baseline GLM fitted on ``values`` (``(n, len(BASELINE_COLUMNS) + len(shares))``) and
    labels ``y``; None when it cannot be fitted (one class, no revenue, or every row missing).

    Args:
        kind: ``classifier`` (logistic regression) or ``regressor`` (Tweedie, log link).
        tweedie_power: the variance power of the value model's objective.
        shares: share columns after the BG/NBD ones (``SHARE_COLUMNS``), read as
            ``log(1 - share)``.
    """
    from sklearn.linear_model import LogisticRegression, TweedieRegressor

    y = np.asarray(y, dtype=np.float64)
    n_in = len(BASELINE_COLUMNS) + 1 + len(shares)
    proto = Baseline(BASELINE_COLUMNS + shares, (0.0,) * n_in, 0.0, (0.0,) * n_in, shares)
    z = proto.inputs(values)
    if len(y) < 20 or z[:, len(BASELINE_COLUMNS)].all():
        return None
    if kind == "classifier":
        if len(np.unique(y)) < 2:
            return None
        glm = LogisticRegression(C=1.0, max_iter=1000).fit(z, y)
        coef, intercept = glm.coef_.ravel(), float(glm.intercept_[0])
    else:
        if not (y > 0).any():
            return None
        glm = TweedieRegressor(power=tweedie_power, link="log", alpha=1e-4,
                               max_iter=1000).fit(z, y)
        coef, intercept = np.asarray(glm.coef_).ravel(), float(glm.intercept_)
    if not (np.isfinite(coef).all() and np.isfinite(intercept)):
        return None
    return Baseline(BASELINE_COLUMNS + shares, tuple(map(float, coef)), intercept,
                    tuple(map(float, pd.DataFrame(z).mean().to_numpy())), shares)
