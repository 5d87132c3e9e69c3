"""Calibration of the customer models' raw LightGBM output.

Classifiers: Platt scaling (``sigmoid``: a logistic regression on the raw margin) or isotonic
regression, fitted on a later cutoff than the booster was trained on. Value: ``scale``, one
multiplicative factor that makes the calibration rows' total prediction equal their total actual
revenue. ``none`` is the logistic link (classifiers) or the identity (value).

References:
    Platt, J. (1999). Probabilistic outputs for support vector machines and comparisons to
    regularized likelihood methods.
    Zadrozny, B., Elkan, C. (2002). Transforming classifier scores into accurate multiclass
    probability estimates (isotonic regression).
"""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

__all__ = ["Calibrator"]


class Calibrator:
    """Maps a raw LightGBM margin (or value) to a calibrated probability (or value)."""

    def __init__(self, method: str) -> None:
        """``method``: ``isotonic``, ``sigmoid``, ``scale`` or ``none``."""
        self.method = method
        self.model_: IsotonicRegression | LogisticRegression | None = None
        self.factor_ = 1.0

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        """Learn the mapping from raw outputs ``raw`` to labels ``y``; returns ``self``."""
        if self.method == "isotonic":
            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        elif self.method == "sigmoid":
            self.model_ = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        elif self.method == "scale":
            total = float(raw.sum())
            self.factor_ = float(y.sum()) / total if total > 0 else 1.0
        return self

    def transform(self, raw: np.ndarray, task_kind: str) -> np.ndarray:
        """Calibrated probabilities (``task_kind="classifier"``) or values of ``raw``."""
        if self.method == "isotonic":
            return np.asarray(self.model_.predict(raw), dtype=float)  # type: ignore[union-attr]
        if self.method == "sigmoid":
            return self.model_.predict_proba(raw.reshape(-1, 1))[:, 1]  # type: ignore[union-attr]
        if self.method == "scale":
            return raw * self.factor_
        return 1.0 / (1.0 + np.exp(-raw)) if task_kind == "classifier" else raw
