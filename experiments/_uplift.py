"""Uplift (heterogeneous treatment effect) learners on LightGBM for one control and several
treatments.

* ``TLearner`` fits one outcome model per arm; the uplift of treatment ``t`` is
  ``mu_t(x) - mu_control(x)``.
* ``XLearner`` (Kunzel et al. 2019) starts from the T-learner's outcome models, imputes each
  customer's effect (``y - mu_control(x)`` for treated, ``mu_t(x) - y`` for controls), regresses
  those on the features in each group and blends the two effect models with the propensity
  ``g``: ``tau(x) = g tau_control(x) + (1 - g) tau_treated(x)``. In a randomized experiment the
  propensity is the known treatment share, which is what we use.

Inputs: a feature frame (numeric columns, plus string/categorical columns which LightGBM handles
natively with categories fixed at fit time), the arm label of every row and the outcome (0/1 for
classification models, any number otherwise). ``predict`` returns a frame with one column per
treatment holding the predicted uplift.

References:
    Kunzel, S. R., Sekhon, J. S., Bickel, P. J., Yu, B. (2019). Metalearners for estimating
    heterogeneous treatment effects using machine learning. PNAS 116(10), 4156-4165.
    Ke, G. et al. (2017). LightGBM: a highly efficient gradient boosting decision tree. NeurIPS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor

from experiments._errors import ExperimentInputError

__all__ = ["DEFAULT_LGBM_PARAMS", "TLearner", "XLearner"]

DEFAULT_LGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 200,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 2,
    "verbose": -1,
}

OutcomeType = Literal["auto", "binary", "continuous"]


class _BaseLearner:
    """Shared fitting plumbing: feature typing, arm bookkeeping and model construction."""

    def __init__(self, control: str, *, outcome_type: OutcomeType = "auto",
                 params: Mapping[str, Any] | None = None, random_state: int = 0) -> None:
        self.control = control
        self.outcome_type = outcome_type
        self.params = params
        self.random_state = random_state

    def _model(self, classifier: bool) -> LGBMClassifier | LGBMRegressor:
        params = {**DEFAULT_LGBM_PARAMS, **(self.params or {}), "random_state": self.random_state}
        return LGBMClassifier(**params) if classifier else LGBMRegressor(**params)

    def _prepare(self, X: pd.DataFrame, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ExperimentInputError(
                f"uplift learner: X must be a pandas DataFrame; received {type(X).__name__}."
            )
        if fitting:
            self.feature_names_ = [str(c) for c in X.columns]
            self.categories_ = {
                str(c): pd.Index(sorted(X[c].dropna().astype(str).unique()))
                for c in X.columns
                if not pd.api.types.is_numeric_dtype(X[c]) or isinstance(X[c].dtype,
                                                                         pd.CategoricalDtype)
            }
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ExperimentInputError(
                f"uplift learner: feature columns {missing} are missing; the model was fitted on "
                f"{self.feature_names_}."
            )
        out = pd.DataFrame(index=X.index)
        for c in self.feature_names_:
            if c in self.categories_:
                # a label never seen at fit is a missing value; cleared here, as pandas 3.1
                # warns about (and will refuse) values outside the categories
                text = X[c].astype("string").astype(object)
                out[c] = pd.Categorical(text.where(text.isin(self.categories_[c])),
                                        categories=self.categories_[c])
            else:
                out[c] = pd.to_numeric(X[c], errors="coerce").astype("float64")
        return out.reset_index(drop=True)

    def _split(self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike
               ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        t = np.asarray(pd.Series(treatment).astype(str))
        ya = np.asarray(y, dtype=np.float64)
        if not (len(X) == t.size == ya.size):
            raise ExperimentInputError(
                f"uplift learner: X, treatment and y must have the same length; received "
                f"{len(X)}, {t.size}, {ya.size}."
            )
        if not np.isfinite(ya).all():
            raise ExperimentInputError(
                f"uplift learner: y has {int((~np.isfinite(ya)).sum())} missing or non-finite "
                "values. Fix: fill or filter them explicitly."
            )
        arms = sorted(set(t.tolist()))
        if self.control not in arms or len(arms) < 2:
            raise ExperimentInputError(
                f"uplift learner: need control {self.control!r} and at least one treatment; "
                f"received arms {arms}."
            )
        self.treatments_ = tuple(a for a in arms if a != self.control)
        binary = bool(np.isin(ya, (0.0, 1.0)).all())
        if self.outcome_type == "binary" and not binary:
            raise ExperimentInputError("uplift learner: outcome_type='binary' needs 0/1 outcomes.")
        self.binary_ = binary if self.outcome_type == "auto" else self.outcome_type == "binary"
        for a in arms:
            if (t == a).sum() < 50:
                raise ExperimentInputError(
                    f"uplift learner: arm {a!r} has {(t == a).sum()} rows; need at least 50."
                )
        return self._prepare(X, fitting=True), t, ya

    def _outcome(self, model: LGBMClassifier | LGBMRegressor, X: pd.DataFrame) -> np.ndarray:
        if isinstance(model, LGBMClassifier):
            proba = np.asarray(model.predict_proba(X), dtype=np.float64)
            return proba[:, 1]
        return np.asarray(model.predict(X), dtype=np.float64)

    def _fit_outcomes(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        self.outcome_models_ = {}
        for a in (self.control, *self.treatments_):
            mask = t == a
            model = self._model(self.binary_)
            model.fit(Xp[mask], y[mask].astype(int) if self.binary_ else y[mask])
            self.outcome_models_[a] = model

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Predicted uplift of every treatment over control: one column per treatment label."""
        if not hasattr(self, "treatments_"):
            raise ExperimentInputError("uplift learner: call fit before predict.")
        Xp = self._prepare(X, fitting=False)
        out = {a: self._uplift(Xp, a) for a in self.treatments_}
        return pd.DataFrame(out, index=X.index)

    def predict_uplift(self, X: pd.DataFrame, treatment: str | None = None) -> np.ndarray:
        """Predicted uplift of one treatment (the only one when ``None``)."""
        if treatment is None:
            if len(self.treatments_) != 1:
                raise ExperimentInputError(
                    f"uplift learner: several treatments {list(self.treatments_)}; name one."
                )
            treatment = self.treatments_[0]
        if treatment not in self.treatments_:
            raise ExperimentInputError(
                f"uplift learner: unknown treatment {treatment!r}; fitted on "
                f"{list(self.treatments_)}."
            )
        return self._uplift(self._prepare(X, fitting=False), treatment)

    def _uplift(self, Xp: pd.DataFrame, treatment: str) -> np.ndarray:
        raise NotImplementedError


class TLearner(_BaseLearner):
    """Two-model (T-) learner: one LightGBM outcome model per arm.

    Args:
        control: control arm label.
        outcome_type: "binary" (classifiers, uplift in probability), "continuous" or "auto".
        params: LightGBM settings overriding ``DEFAULT_LGBM_PARAMS``.
        random_state: seed of every LightGBM model.
    """

    def fit(self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike) -> TLearner:
        """Fit outcome models; learned state: ``treatments_``, ``outcome_models_``, ..."""
        Xp, t, ya = self._split(X, treatment, y)
        self._fit_outcomes(Xp, t, ya)
        return self

    def _uplift(self, Xp: pd.DataFrame, treatment: str) -> np.ndarray:
        return self._outcome(self.outcome_models_[treatment], Xp) - self._outcome(
            self.outcome_models_[self.control], Xp)


class XLearner(_BaseLearner):
    """X-learner (Kunzel et al. 2019) with LightGBM base models and the known propensity.

    Args:
        control: control arm label.
        outcome_type: "binary", "continuous" or "auto" (first-stage outcome models).
        params: LightGBM settings overriding ``DEFAULT_LGBM_PARAMS`` (both stages).
        random_state: seed of every LightGBM model.
    """

    def fit(self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike) -> XLearner:
        """Fit outcome models, then the two effect models per treatment."""
        Xp, t, ya = self._split(X, treatment, y)
        self._fit_outcomes(Xp, t, ya)
        ctrl = t == self.control
        mu_c = self._outcome(self.outcome_models_[self.control], Xp)
        self.effect_models_: dict[str, tuple[LGBMRegressor, LGBMRegressor]] = {}
        self.propensity_: dict[str, float] = {}
        for a in self.treatments_:
            trt = t == a
            mu_t = self._outcome(self.outcome_models_[a], Xp)
            tau_treated = self._model(False).fit(Xp[trt], ya[trt] - mu_c[trt])
            tau_control = self._model(False).fit(Xp[ctrl], mu_t[ctrl] - ya[ctrl])
            self.effect_models_[a] = (tau_control, tau_treated)
            self.propensity_[a] = float(trt.sum() / (trt.sum() + ctrl.sum()))
        return self

    def _uplift(self, Xp: pd.DataFrame, treatment: str) -> np.ndarray:
        tau_c, tau_t = self.effect_models_[treatment]
        g = self.propensity_[treatment]
        return g * np.asarray(tau_c.predict(Xp)) + (1 - g) * np.asarray(tau_t.predict(Xp))
