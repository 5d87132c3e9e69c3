"""Uplift (heterogeneous treatment effect) learners for one control and several treatments, on
LightGBM or linear base models.

* ``TLearner`` fits one outcome model per arm; the uplift of treatment ``t`` is
  ``mu_t(x) - mu_control(x)``.
* ``XLearner`` (Kunzel et al. 2019) starts from the T-learner's outcome models, imputes each
  customer's effect (``y - mu_control(x)`` for treated, ``mu_t(x) - y`` for controls), regresses
  those on the features in each group and blends the two effect models with the propensity
  ``g``: ``tau(x) = g tau_control(x) + (1 - g) tau_treated(x)``. In a randomized experiment the
  propensity is the known treatment share, which is what we use.

Base models (``base``): "lightgbm" (gradient-boosted trees), "linear" (logistic regression for
a 0/1 outcome, ridge regression otherwise, on one-hot categories and standardised numbers; a
numeric gap takes the training median plus a missing flag) or "auto": for every treatment,
``cv_folds``-fold cross-validation on the training rows fits the same learner with each base
and scores each fold's held-out rows with the Qini coefficient. LightGBM, the more flexible
base, is kept only when its mean Qini beats the linear base's by more than the standard error
of their fold-by-fold difference (the "one standard error" rule of Hastie, Tibshirani and
Friedman, 2009, section 7.10: of two models the data cannot tell apart, take the simpler).
Effects that are close to linear in the features, or signals weak against the noise, favour
the linear model (on Hillstrom's e-mails it beats LightGBM); strongly non-linear effects
favour LightGBM. The choice, the mean cross-validated Qini of each base and the standard error
of their difference are kept in ``bases_``, ``base_cv_`` and ``base_cv_se_``. A base that gives
every customer of a fold the same uplift (LightGBM whose ``min_child_samples`` exceeds a small
arm: one leaf) ranks nobody: that fold has no Qini for it (``base_cv_constant_`` counts them),
and a base without a Qini in at least half of the folds is not chosen over one that has.

Inputs: a feature frame (numeric columns, plus string/categorical columns which LightGBM handles
natively with categories fixed at fit time), the arm label of every row and the outcome (0/1 for
classification models, any number otherwise). ``predict`` returns a frame with one column per
treatment holding the predicted uplift.

References:
    Kunzel, S. R., Sekhon, J. S., Bickel, P. J., Yu, B. (2019). Metalearners for estimating
    heterogeneous treatment effects using machine learning. PNAS 116(10), 4156-4165.
    Ke, G. et al. (2017). LightGBM: a highly efficient gradient boosting decision tree. NeurIPS.
    Hastie, T., Tibshirani, R., Friedman, J. (2009). The elements of statistical learning, 2nd
    ed., section 7.10 (cross-validation and the one-standard-error rule).
    Radcliffe, N. J. (2007). Using control groups to target on predicted lift. DMA Analytics
    Annual Journal (the Qini coefficient used to choose the base).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor

from experiments._errors import ExperimentInputError

__all__ = ["BASES", "DEFAULT_LGBM_PARAMS", "LinearOutcomeModel", "TLearner", "XLearner",
           "pick_base"]

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
Base = Literal["lightgbm", "linear", "auto"]
BASES: tuple[str, ...] = ("lightgbm", "linear")
DEFAULT_CV_FOLDS = 5


def pick_base(fold_qini: Mapping[str, Sequence[float]]) -> str:
    """The base to use from per-fold Qini scores of "lightgbm" and "linear": LightGBM only when
    its mean beats the linear base's by more than the standard error of the paired fold
    differences; folds where either score is missing are left out (LightGBM when none is
    left, the learner's long-standing base).

    A missing score is also how a fold where a base ranks nobody (the same uplift for every
    customer) is given: a base scored in at most half of the folds, and in fewer than the
    other base, is not chosen (a constant LightGBM had "won" with a Qini of exactly 0 over a
    linear base at -0.085 and went on to a holdout Qini of -0.07)."""
    n = {b: int(np.isfinite(np.asarray(fold_qini[b], dtype=np.float64)).sum()) for b in BASES}
    folds = max(len(fold_qini["lightgbm"]), len(fold_qini["linear"]))
    for b, other in (("lightgbm", "linear"), ("linear", "lightgbm")):
        if 2 * n[b] <= folds and n[b] < n[other]:
            return other
    d, se = _fold_differences(fold_qini)
    if d.size == 0:
        return "lightgbm"
    return "lightgbm" if float(d.mean()) > (se if d.size > 1 else 0.0) else "linear"


def _fold_differences(fold_qini: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, float]:
    """LightGBM's minus the linear base's Qini per fold where both are finite, and the
    standard error of their mean (NaN under two folds)."""
    lg = np.asarray(fold_qini["lightgbm"], dtype=np.float64)
    li = np.asarray(fold_qini["linear"], dtype=np.float64)
    d = (lg - li)[np.isfinite(lg) & np.isfinite(li)]
    return d, (float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan"))


class LinearOutcomeModel:
    """Logistic (0/1 outcome) or ridge regression on a learner's prepared feature frame.

    Categories (fixed at the learner's fit; a missing or unseen label) are one-hot encoded (all
    zeros for a missing label); numbers are standardised with the training mean and standard
    deviation, a gap or non-finite value taking the training median and, when the training rows
    had gaps, a missing flag. L2 penalty: scikit-learn's defaults (``C=1``, ``alpha=1``).
    """

    def __init__(self, classifier: bool, categories: Mapping[str, pd.Index],
                 random_state: int = 0) -> None:
        self.classifier = classifier
        self.categories = dict(categories)
        self.random_state = random_state

    def _design(self, X: pd.DataFrame, fitting: bool) -> np.ndarray:
        n = len(X)
        cols: list[np.ndarray] = []
        if fitting:
            self.median_: dict[str, float] = {}
            self.mean_: dict[str, float] = {}
            self.scale_: dict[str, float] = {}
            self.flagged_: set[str] = set()
        for c in X.columns:
            if c in self.categories:
                codes = np.asarray(X[c].cat.codes, dtype=np.int64)
                onehot = np.zeros((n, len(self.categories[c])))
                rows = np.flatnonzero(codes >= 0)
                onehot[rows, codes[rows]] = 1.0
                cols.append(onehot)
                continue
            v = np.asarray(X[c], dtype=np.float64)
            gap = ~np.isfinite(v)
            if fitting:
                med = float(np.median(v[~gap])) if (~gap).any() else 0.0
                filled = np.where(gap, med, v)
                sd = float(filled.std())
                self.median_[c], self.mean_[c] = med, float(filled.mean())
                self.scale_[c] = sd if sd > 0 else 1.0
                if gap.any():
                    self.flagged_.add(c)
            filled = np.where(gap, self.median_[c], v)
            cols.append(((filled - self.mean_[c]) / self.scale_[c])[:, None])
            if c in self.flagged_:
                cols.append(gap.astype(np.float64)[:, None])
        return np.hstack(cols) if cols else np.zeros((n, 0))

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike) -> LinearOutcomeModel:
        """Fit on prepared features ``X`` and outcomes ``y``."""
        from sklearn.linear_model import LogisticRegression, Ridge

        design = self._design(X, fitting=True)
        ya = np.asarray(y)
        # an arm (or a cross-validation fold of it) without a single conversion: scikit-learn's
        # logistic regression refuses one class; its probability is that class (as LightGBM's)
        self.constant_: float | None = (float(ya[0]) if self.classifier and len(ya)
                                        and np.unique(ya).size == 1 else None)
        if self.constant_ is not None:
            return self
        self.model_: LogisticRegression | Ridge = (
            LogisticRegression(max_iter=2000, random_state=self.random_state)
            if self.classifier else Ridge(alpha=1.0))
        self.model_.fit(design, ya)
        return self

    def predict_outcome(self, X: pd.DataFrame) -> np.ndarray:
        """P(y = 1) for a classifier, the predicted outcome otherwise."""
        design = self._design(X, fitting=False)
        constant = getattr(self, "constant_", None)
        if constant is not None:
            return np.full(len(X), float(constant), dtype=np.float64)
        if self.classifier:
            return np.asarray(self.model_.predict_proba(design), dtype=np.float64)[:, 1]
        return np.asarray(self.model_.predict(design), dtype=np.float64)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Same as ``predict_outcome`` (the regressor interface the X-learner uses)."""
        return self.predict_outcome(X)


OutcomeModel = LGBMClassifier | LGBMRegressor | LinearOutcomeModel


class _BaseLearner:
    """Shared fitting plumbing: feature typing, arm bookkeeping and model construction."""

    def __init__(self, control: str, *, outcome_type: OutcomeType = "auto",
                 params: Mapping[str, Any] | None = None, random_state: int = 0,
                 base: Base = "lightgbm", cv_folds: int = DEFAULT_CV_FOLDS) -> None:
        self.control = control
        self.outcome_type = outcome_type
        self.params = params
        self.random_state = random_state
        self.base = base
        self.cv_folds = cv_folds

    def _model(self, classifier: bool, base: str = "lightgbm") -> OutcomeModel:
        if base == "linear":
            return LinearOutcomeModel(classifier, self.categories_, self.random_state)
        params = {**DEFAULT_LGBM_PARAMS, **(self.params or {}), "random_state": self.random_state}
        return LGBMClassifier(**params) if classifier else LGBMRegressor(**params)

    def _base(self, treatment: str) -> str:
        # a learner pickled before base models existed has no bases_: it is LightGBM throughout
        return str(getattr(self, "bases_", {}).get(treatment, "lightgbm"))

    def _outcome_model(self, arm: str, base: str) -> OutcomeModel:
        models = getattr(self, "base_models_", None)
        if models is None:  # pickled before base models existed
            legacy: dict[str, OutcomeModel] = getattr(self, "outcome_models_")  # noqa: B009
            return legacy[arm]
        return models[base][arm]  # type: ignore[no-any-return]

    def _check_base(self) -> None:
        if self.base not in (*BASES, "auto"):
            raise ExperimentInputError(
                f"uplift learner: base must be 'lightgbm', 'linear' or 'auto'; received "
                f"{self.base!r}.")
        if self.base == "auto" and (not isinstance(self.cv_folds, int) or self.cv_folds < 2):
            raise ExperimentInputError(
                f"uplift learner: cv_folds must be an integer of at least 2; received "
                f"{self.cv_folds!r}.")

    def _choose_bases(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        """Set ``bases_`` (treatment -> base), ``base_cv_`` (treatment -> base -> mean
        out-of-fold Qini) and ``base_cv_se_`` (treatment -> standard error of the fold-by-fold
        LightGBM minus linear difference) and ``base_cv_constant_`` (treatment -> base -> folds
        where it gave every customer the same uplift, which have no Qini); the last three are
        empty unless ``base='auto'``."""
        self.base_cv_: dict[str, dict[str, float]] = {}
        self.base_cv_se_: dict[str, float] = {}
        self.base_cv_constant_: dict[str, dict[str, int]] = {}
        if self.base != "auto":
            self.bases_ = {a: str(self.base) for a in self.treatments_}
            return
        from sklearn.model_selection import StratifiedKFold

        from experiments._uplift_metrics import qini_coefficient

        strata = pd.Series(t) + ("|" + pd.Series(y).astype(str) if self.binary_ else "")
        if strata.value_counts().min() < self.cv_folds:
            strata = pd.Series(t)
        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
        scores: dict[str, dict[str, list[float]]] = {
            a: {b: [] for b in BASES} for a in self.treatments_}
        self.base_cv_constant_ = {a: dict.fromkeys(BASES, 0) for a in self.treatments_}
        for fit_rows, val_rows in folds.split(np.zeros(len(t)), strata):
            Xf = Xp.iloc[fit_rows].reset_index(drop=True)
            Xv = Xp.iloc[val_rows].reset_index(drop=True)
            for b in BASES:
                fold = self._fold_learner(b)
                fold._fit_prepared(Xf, t[fit_rows], y[fit_rows])
                for a in self.treatments_:
                    mask = np.isin(t[val_rows], [a, self.control])
                    arm = (t[val_rows][mask] == a).astype(int)
                    u = fold._uplift(Xv, a)[mask]
                    if u.size and float(np.ptp(u)) <= 1e-12 * max(1.0, float(np.abs(u).max())):
                        # the same uplift for everyone ranks nobody: no Qini (its 0 is not
                        # a score a ranking earned, and must not beat one that ranks)
                        self.base_cv_constant_[a][b] += 1
                        scores[a][b].append(float("nan"))
                        continue
                    q = qini_coefficient(y[val_rows][mask], u, arm)
                    scores[a][b].append(float(q))
        self.bases_ = {}
        for a in self.treatments_:
            means = {b: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
                     for b, v in scores[a].items()}
            self.base_cv_[a] = means
            self.base_cv_se_[a] = _fold_differences(scores[a])[1]
            self.bases_[a] = pick_base(scores[a])

    def _fold_learner(self, base: str) -> _BaseLearner:
        fold = type(self)(self.control, outcome_type=self.outcome_type, params=self.params,
                          random_state=self.random_state, base=base)  # type: ignore[arg-type]
        fold.feature_names_, fold.categories_ = self.feature_names_, self.categories_
        fold.binary_, fold.treatments_ = self.binary_, self.treatments_
        fold.bases_ = dict.fromkeys(self.treatments_, base)
        return fold

    def _fit_prepared(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

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
        self._check_base()
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

    def _outcome(self, model: OutcomeModel, X: pd.DataFrame) -> np.ndarray:
        if isinstance(model, LinearOutcomeModel):
            return model.predict_outcome(X)
        if isinstance(model, LGBMClassifier):
            proba = np.asarray(model.predict_proba(X), dtype=np.float64)
            return proba[:, 1]
        return np.asarray(model.predict(X), dtype=np.float64)

    def _fit_outcomes(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        """One outcome model per arm and base in use (control: every base a treatment uses)."""
        self.base_models_: dict[str, dict[str, OutcomeModel]] = {}
        for a in (self.control, *self.treatments_):
            mask = t == a
            bases = sorted(set(self.bases_.values())) if a == self.control else [self.bases_[a]]
            for b in bases:
                model = self._model(self.binary_, b)
                model.fit(Xp[mask], y[mask].astype(int) if self.binary_ else y[mask])
                self.base_models_.setdefault(b, {})[a] = model

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
    """Two-model (T-) learner: one outcome model per arm.

    Args:
        control: control arm label.
        outcome_type: "binary" (classifiers, uplift in probability), "continuous" or "auto".
        params: LightGBM settings overriding ``DEFAULT_LGBM_PARAMS``.
        random_state: seed of every model and of the cross-validation folds.
        base: "lightgbm", "linear" or "auto" (per treatment, the base with the higher
            cross-validated Qini on the rows given to ``fit``).
        cv_folds: folds of that cross-validation.
    """

    def fit(self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike) -> TLearner:
        """Fit outcome models; learned state: ``treatments_``, ``bases_``, ``base_cv_``,
        ``base_models_``, ..."""
        Xp, t, ya = self._split(X, treatment, y)
        self._choose_bases(Xp, t, ya)
        self._fit_prepared(Xp, t, ya)
        return self

    def _fit_prepared(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        self._fit_outcomes(Xp, t, y)

    def _uplift(self, Xp: pd.DataFrame, treatment: str) -> np.ndarray:
        base = self._base(treatment)
        return self._outcome(self._outcome_model(treatment, base), Xp) - self._outcome(
            self._outcome_model(self.control, base), Xp)


class XLearner(_BaseLearner):
    """X-learner (Kunzel et al. 2019) with the known propensity.

    Args:
        control: control arm label.
        outcome_type: "binary", "continuous" or "auto" (first-stage outcome models).
        params: LightGBM settings overriding ``DEFAULT_LGBM_PARAMS`` (both stages).
        random_state: seed of every model and of the cross-validation folds.
        base: "lightgbm", "linear" (both stages) or "auto" (per treatment, the base with the
            higher cross-validated Qini on the rows given to ``fit``).
        cv_folds: folds of that cross-validation.
    """

    def fit(self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike) -> XLearner:
        """Fit outcome models, then the two effect models per treatment."""
        Xp, t, ya = self._split(X, treatment, y)
        self._choose_bases(Xp, t, ya)
        self._fit_prepared(Xp, t, ya)
        return self

    def _fit_prepared(self, Xp: pd.DataFrame, t: np.ndarray, y: np.ndarray) -> None:
        self._fit_outcomes(Xp, t, y)
        ctrl = t == self.control
        self.effect_models_: dict[str, tuple[Any, Any]] = {}
        self.propensity_: dict[str, float] = {}
        for a in self.treatments_:
            base = self._base(a)
            trt = t == a
            mu_c = self._outcome(self._outcome_model(self.control, base), Xp)
            mu_t = self._outcome(self._outcome_model(a, base), Xp)
            tau_treated = self._model(False, base).fit(Xp[trt], y[trt] - mu_c[trt])
            tau_control = self._model(False, base).fit(Xp[ctrl], mu_t[ctrl] - y[ctrl])
            self.effect_models_[a] = (tau_control, tau_treated)
            self.propensity_[a] = float(trt.sum() / (trt.sum() + ctrl.sum()))

    def _uplift(self, Xp: pd.DataFrame, treatment: str) -> np.ndarray:
        tau_c, tau_t = self.effect_models_[treatment]
        g = self.propensity_[treatment]
        return g * np.asarray(tau_c.predict(Xp)) + (1 - g) * np.asarray(tau_t.predict(Xp))
