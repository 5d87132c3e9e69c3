"""Past-spend baseline of the customer-value model: boosting starts from each customer's own rate.

A value model with a log link (Tweedie, Poisson, Gamma) predicts ``exp(f(x))``. Trees average
their leaves over many customers, so a handful of accounts that spend 100x the rest (wholesale
buyers, offices ordering for a team) share leaves with heavy retail customers and are predicted
far below their steady spend: a check's grocery log under-predicted its 0.4% wholesale accounts
by 32% while retail was over-predicted by 8%.

With the baseline, the booster learns a correction to an offset instead (a GLM offset, passed to
LightGBM as ``init_score``)::

    value = exp(log(baseline) + f(x)),
    baseline = horizon x (revenue_90d / 90 + revenue_365d / 365) / 2 + floor

so a customer who keeps spending at the past year's and quarter's rate is predicted at that rate
unless the features say otherwise, however rare such spenders are. ``floor`` (5% of the mean
training label) keeps customers with no past revenue finite; the trees learn how far above it
they land. Measured on held-out periods (see docs/customers.md): the grocery log's wholesale bias
-32.3% -> -10.0% and retail +7.6% -> -0.9% (MAE -27%); CDNOW's 273-day value Spearman 0.4262 ->
0.4387, aggregate bias +2.8% -> +0.4%.

Contributions (reasons) stay additive on the log scale: the offset's deviation from its training
mean is credited to the two revenue columns in proportion to their share of the rate, and the mean
goes to ``bias``, so a customer's contributions still sum to the log of the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BASELINE_COLUMNS", "SpendBaseline"]

BASELINE_COLUMNS: tuple[tuple[str, int], ...] = (("revenue_90d", 90), ("revenue_365d", 365))
"""Revenue columns of the event pipeline the baseline averages, with the days each spans."""

FLOOR_SHARE = 0.05
"""The floor as a share of the mean training label."""


def _columns(x: pd.DataFrame | np.ndarray, features: list[str]) -> list[np.ndarray]:
    out = []
    for name, _ in BASELINE_COLUMNS:
        if isinstance(x, pd.DataFrame):
            col = pd.to_numeric(x[name], errors="coerce").to_numpy(dtype=float)
        else:
            col = np.asarray(x[:, features.index(name)], dtype=float)
        out.append(np.clip(np.nan_to_num(col, nan=0.0), 0.0, None))  # refunds: no negative rate
    return out


@dataclass(frozen=True)
class SpendBaseline:
    """Offset of a log-link value model (see module docstring).

    Attributes:
        horizon_days: days of the label window (the rate is scaled to it).
        floor: added to every baseline, in the label's currency.
        center: mean log baseline of the training rows (credited to ``bias``).
    """

    horizon_days: float
    floor: float
    center: float

    @staticmethod
    def applies(features: list[str]) -> bool:
        """True when the model's features include every ``BASELINE_COLUMNS`` column."""
        return all(name in features for name, _ in BASELINE_COLUMNS)

    @classmethod
    def fit(cls, x: pd.DataFrame, y: np.ndarray, horizon_days: float) -> SpendBaseline:
        """Floor from the training labels ``y``, center from the training rows ``x``."""
        floor = FLOOR_SHARE * float(np.mean(y))
        if not floor > 0:
            raise ValueError("SpendBaseline: the training labels sum to 0; no revenue to model")
        first = cls(float(horizon_days), floor, 0.0)
        return cls(first.horizon_days, floor, float(np.mean(first.log_offset(x, list(x.columns)))))

    def _rates(self, x: pd.DataFrame | np.ndarray, features: list[str]) -> list[np.ndarray]:
        cols = _columns(x, features)
        share = 1.0 / len(cols)
        return [share * c / days for c, (_, days) in zip(cols, BASELINE_COLUMNS, strict=True)]

    def log_offset(self, x: pd.DataFrame | np.ndarray, features: list[str]) -> np.ndarray:
        """``log(baseline)`` per row of ``x`` (a frame, or a matrix in ``features`` order)."""
        rate = np.sum(self._rates(x, features), axis=0)
        return np.log(self.horizon_days * rate + self.floor)

    def credit(self, x: pd.DataFrame | np.ndarray, features: list[str]) -> np.ndarray:
        """``(n, len(features))`` contributions of the offset beyond ``center``: each revenue
        column gets its share of the rate (equal shares for a customer with no past revenue)."""
        rates = self._rates(x, features)
        total = np.sum(rates, axis=0)
        extra = self.log_offset(x, features) - self.center
        out = np.zeros((len(extra), len(features)))
        for rate, (name, _) in zip(rates, BASELINE_COLUMNS, strict=True):
            share = np.divide(rate, total, out=np.full_like(total, 1.0 / len(rates)),
                              where=total > 0)
            out[:, features.index(name)] = extra * share
        return out
