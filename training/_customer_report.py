"""Result records of the customer models: how the rows were split in time and what ``fit`` did.

``CutoffSplit`` and ``CustomerFitReport`` are frozen: ``CustomerModel.fit`` builds one report per
fit (``model.report_``), logged to MLflow as ``fit_report.json``.

Guards (``model_guards``) that a fit must shout about, and that keep a model from becoming
champion (``CustomerFitReport.promotion_blockers``):

- suspected leakage: one feature alone nearly determines the validation label (single-feature
  ROC AUC, or its mirror 1 - AUC, >= ``LEAKAGE_THRESHOLD`` for classifiers; |Spearman| >= it for
  value). Such a column is usually an outcome recorded after the cutoff (``revenue_next_90d``).
  Promotion needs an explicit opt-in (``train_and_register(..., allow_suspected_leakage=True)``
  or promoting the version by hand). Features the event pipeline computed before the cutoff
  (``trusted``) are never suspected.
- no skill: Brier skill <= 0, or a 95% ROC AUC interval (Hanley & McNeil 1982) that contains
  0.5; value: Spearman <= 0. Never promoted.
- small validation: fewer than ``MIN_VALIDATION_ROWS`` rows (or fewer than
  ``MIN_VALIDATION_CLASS`` of either class): a warning, since the metrics are then noise.

References:
    Hanley, J. A., McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. Radiology 143(1), 29-36.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from training._customer_eval import ClassifierMetrics, ValueMetrics, top_fraction_lift

__all__ = [
    "LEAKAGE_THRESHOLD",
    "MIN_VALIDATION_CLASS",
    "MIN_VALIDATION_ROWS",
    "CustomerFitReport",
    "CutoffSplit",
    "GuardResult",
    "auc_interval",
    "model_guards",
    "one_class_gaps",
    "single_feature_strength",
    "validation_overlap",
]

LEAKAGE_THRESHOLD = 0.98
"""Single-feature AUC (or |Spearman| for value) at or above which a column is suspected leakage."""
MIN_VALIDATION_ROWS = 100
"""Fewer validation rows than this draw a warning."""
MIN_VALIDATION_CLASS = 10
"""Fewer validation positives (or negatives) than this draw a warning (classifiers)."""
_MAX_GUARD_ROWS = 50_000  # the leakage scan uses a seeded sample of at most this many rows


@dataclass(frozen=True)
class CutoffSplit:
    """Which rows trained, calibrated and validated the model.

    Attributes:
        scheme: ``"cutoffs"`` (K >= 3 distinct cutoffs), ``"last_cutoff_users"`` (K == 2: the
            last cutoff's customers halved) or ``"users"`` (one snapshot, 60/20/20 by customer).
        train_cutoffs: cutoffs (ISO dates) of the training rows.
        calibration_cutoffs: cutoffs of the calibration / early-stopping rows.
        validation_cutoffs: cutoffs of the validation rows.
        n_train: training rows.
        n_calibration: calibration rows.
        n_validation: validation rows.
    """

    scheme: str
    train_cutoffs: tuple[str, ...]
    calibration_cutoffs: tuple[str, ...]
    validation_cutoffs: tuple[str, ...]
    n_train: int
    n_calibration: int
    n_validation: int

    def cutoffs(self, validation: bool = True) -> list[pd.Timestamp]:
        """The distinct cutoffs of the training and calibration rows (and of the validation
        rows unless ``validation`` is false), in time order."""
        cuts = {*self.train_cutoffs, *self.calibration_cutoffs,
                *(self.validation_cutoffs if validation else ())}
        return sorted(pd.Timestamp(c) for c in cuts)


@dataclass(frozen=True)
class CustomerFitReport:
    """What ``CustomerModel.fit`` did and how well it validated.

    Attributes:
        task: ``churn``, ``propensity`` or ``value``.
        label_col: label column used.
        split: the time-based split.
        n_rows: rows received.
        n_missing_label: rows whose label was missing; they were not used (and are counted here).
        features: feature columns used, in model order.
        skipped_columns: columns that were not used as features, with the reason.
        best_iteration: number of trees chosen by early stopping on the calibration rows.
        calibration_method: ``isotonic``, ``sigmoid``, ``scale`` or ``none``.
        calibration_scores: Brier score (classifiers) or |aggregate bias| (value) of every
            calibration method tried, cross-fitted on the calibration rows (two halves); with
            ``calibration_windows``, also ``in_time_<method>`` and ``in_time_none``: the mean
            over each window after the first of the chosen shape, and of none, fitted on the
            windows before it.
        calibration_windows: the cutoffs of the labelled windows the calibration method was
            chosen on in time, oldest first (all scored by one booster fitted on the cutoffs
            before them); empty when it was chosen on the calibration rows alone.
        validation: metrics of the calibrated predictions on the validation rows.
        validation_uncalibrated: the same metrics before calibration.
        refit: whether the final booster was refitted on train + calibration rows.
        warnings: what ``model_guards`` found (leakage, no skill, small validation), one
            sentence each.
        suspected_leakage: ``{column: single-feature strength}`` of suspected leakage.
        no_skill: the model is no better than the base rate; it is never promoted.
        validation_active: the same metrics on the validation customers active in the
            ``horizon_days`` (90 when unknown) before their cutoff (``days_since_last_event``),
            when the frame has that column and both groups hold at least 50 rows: the
            customers a campaign can still reach. Long-gone customers are easy to call
            churned and lift the headline figures (grocery check: AUC 0.989 overall, 0.889
            among those who bought in the last 30 days). None otherwise.
        best_single_feature: the feature that alone orders the validation labels best and
            its strength (``single_feature_strength``: AUC read either way for classifiers,
            |Spearman| for value), the yardstick the model should beat (a gift-shop check's
            churn model, AUC 0.8336, lost to expected orders alone, 0.8361, and nothing said
            so). None when no feature could be measured.
        best_single_capture: for value, the share of the validation revenue in the 10% of
            customers ``best_single_feature`` ranks highest (``single_feature_capture``), beside
            the model's ``top_decile_capture``: Spearman over every customer mostly rewards
            telling buyers from non-buyers (69% spent nothing in a retail check, where the
            column's Spearman 0.577 beat the model's 0.562 while its top tenth held 61.8% of
            the revenue against the model's 72.0%). None for classifiers or when unmeasured.
        overlapping_validation: the training rows' label windows cover more than half of
            the validation window (``validation_overlap``): the validation metrics are
            flattered and the version is not promoted automatically.
        selection_cutoffs: when not all training cutoffs chose the trees (early stopping and
            ``AUTO_SETTINGS``), the ones that did: those whose label windows cover at most half
            of the calibration window (``selection_rows``). Empty: all training rows chose.
    """

    task: str
    label_col: str
    split: CutoffSplit
    n_rows: int
    n_missing_label: int
    features: tuple[str, ...]
    skipped_columns: dict[str, str]
    best_iteration: int
    calibration_method: str
    calibration_scores: dict[str, float]
    validation: ClassifierMetrics | ValueMetrics
    validation_uncalibrated: ClassifierMetrics | ValueMetrics
    refit: bool = field(default=False)
    warnings: tuple[str, ...] = ()
    suspected_leakage: dict[str, float] = field(default_factory=dict)
    no_skill: bool = False
    validation_active: ClassifierMetrics | ValueMetrics | None = None
    best_single_feature: tuple[str, float] | None = None
    best_single_capture: float | None = None
    overlapping_validation: bool = False
    selection_cutoffs: tuple[str, ...] = ()
    calibration_windows: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardResult:
    """What ``model_guards`` found.

    Attributes:
        suspected_leakage: ``{column: strength}`` of features that alone nearly determine the
            validation label (strength: max(AUC, 1 - AUC), or |Spearman| for value).
        no_skill: the model is no better than the base rate (see module docstring).
        warnings: one sentence per problem, for the console, the run tag and the fit report.
    """

    suspected_leakage: dict[str, float]
    no_skill: bool
    warnings: tuple[str, ...]


def _ranks(v: np.ndarray) -> np.ndarray:
    return stats.rankdata(v)


def _column_values(x_fit: pd.DataFrame, y_fit: np.ndarray, x_val: pd.DataFrame,
                   col: str) -> np.ndarray:
    """Column ``col`` of ``x_val`` as numbers: numeric columns as they are, categorical ones
    through their mean label on the ``x_fit`` rows (levels unseen there are missing)."""
    s = x_val[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        means = pd.Series(np.asarray(y_fit, dtype=float)).groupby(
            x_fit[col].astype(object).to_numpy(), dropna=True).mean()
        return s.astype(object).map(means).to_numpy(dtype=float, na_value=np.nan)
    return s.to_numpy(dtype=float, na_value=np.nan)


def single_feature_capture(x_fit: pd.DataFrame, y_fit: np.ndarray, x_val: pd.DataFrame,
                           y_val: np.ndarray, col: str, fraction: float = 0.1) -> float | None:
    """Share of the validation total of ``y_val`` in the ``fraction`` of rows column ``col``
    alone ranks highest, read in the direction that orders ``y_val`` upwards (Spearman sign;
    missing values ranked lowest; categorical columns through their mean label on the
    ``x_fit`` rows, as ``single_feature_strength``). None when it cannot be measured."""
    y_val = np.asarray(y_val, dtype=float)
    if col not in x_val.columns or y_val.sum() <= 0 or np.ptp(y_val) == 0:
        return None
    v = _column_values(x_fit, y_fit, x_val, col)
    if np.isnan(v).all():
        return None
    r = _ranks(np.where(np.isnan(v), -np.inf, v))
    sign = np.sign(np.corrcoef(r, _ranks(y_val))[0, 1]) if np.ptp(r) > 0 else 0.0
    if not np.isfinite(sign) or sign == 0:
        return None
    score = np.where(np.isnan(v), -np.inf, sign * np.nan_to_num(v, nan=0.0))
    return top_fraction_lift(y_val, score, fraction)[1]


def single_feature_strength(x_fit: pd.DataFrame, y_fit: np.ndarray, x_val: pd.DataFrame,
                            y_val: np.ndarray, kind: str, seed: int = 0) -> dict[str, float]:
    """How well each feature alone orders the validation labels.

    Classifiers: max(AUC, 1 - AUC) of the column as a score; value: |Spearman| with the revenue.
    Numeric columns are used as they are, categorical ones through their mean label on the
    ``x_fit`` rows (levels unseen there are missing). A missing value is ranked both below and
    above every number and the stronger reading is kept (a column that is missing exactly for
    the churners leaks as much as one holding the churn date).
    """
    y_val = np.asarray(y_val, dtype=float)
    if len(y_val) > _MAX_GUARD_ROWS:
        pick = np.sort(np.random.default_rng(seed).choice(len(y_val), _MAX_GUARD_ROWS,
                                                          replace=False))
        x_val, y_val = x_val.iloc[pick], y_val[pick]
    if np.ptp(y_val) == 0:
        return {}
    pos = y_val == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    ry = _ranks(y_val)
    out: dict[str, float] = {}
    for col in x_val.columns:
        v = _column_values(x_fit, y_fit, x_val, col)
        if np.isnan(v).all():
            continue
        best = 0.0
        for fill in (-np.inf, np.inf):
            r = _ranks(np.where(np.isnan(v), fill, v))
            if np.ptp(r) == 0:
                continue
            if kind == "classifier":
                auc = (r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
                best = max(best, auc, 1 - auc)
            else:
                best = max(best, abs(float(np.corrcoef(r, ry)[0, 1])))
        if best > 0:
            out[col] = float(best)
    return out


def auc_interval(auc: float, n_pos: int, n_neg: int, z: float = 1.96) -> tuple[float, float]:
    """Approximate 95% interval of a ROC AUC from its Hanley & McNeil (1982) standard error."""
    if n_pos < 1 or n_neg < 1 or not np.isfinite(auc):
        return float("nan"), float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg)
    se = float(np.sqrt(max(var, 0.0)))
    return auc - z * se, auc + z * se


def model_guards(validation: ClassifierMetrics | ValueMetrics, strength: dict[str, float],
                 gain: dict[str, float] | None = None,
                 trusted: Collection[str] = ()) -> GuardResult:
    """Warnings about leakage, no skill and a small validation (see module docstring).

    ``gain``: the model's split gain per feature. When the whole model reaches the leakage
    threshold (AUC or Spearman >= ``LEAKAGE_THRESHOLD``: near-certain knowledge of future
    behaviour) although no single column does, leaked columns usually work in combination
    (``revenue_next_90d`` with ``monthly_charges``): the feature with the largest gain is named.
    ``trusted``: features known to be computed before the cutoff (the event pipeline's); they
    are never suspected, and neither is a model that draws most of its split gain from them.
    """
    warnings: list[str] = []
    strength = {c: v for c, v in strength.items() if c not in trusted}
    suspect_gain = {c: g for c, g in (gain or {}).items() if c not in trusted}
    n = validation.n
    n_minor = (min(round(validation.base_rate * n), n - round(validation.base_rate * n))
               if isinstance(validation, ClassifierMetrics) else n)
    # on a tiny validation one column can rank a few dozen customers perfectly by chance (46
    # rows: a history feature reached AUC 0.98 in a model whose own AUC was 0.50); the
    # small-validation warning below says the metrics are noise, so no leakage is claimed
    if n < MIN_VALIDATION_ROWS or n_minor < MIN_VALIDATION_CLASS:
        strength = {}
    leaky = {c: v for c, v in sorted(strength.items(), key=lambda kv: -kv[1])
             if v >= LEAKAGE_THRESHOLD}
    what = "|Spearman|" if isinstance(validation, ValueMetrics) else "AUC"
    whole = (validation.spearman if isinstance(validation, ValueMetrics)
             else validation.roc_auc)
    suspect_share = sum(suspect_gain.values()) / max(sum((gain or {}).values()), 1e-300)
    if not leaky and gain and suspect_gain and suspect_share >= 0.5 \
            and whole >= LEAKAGE_THRESHOLD:
        top = max(suspect_gain, key=suspect_gain.__getitem__)
        share = gain[top] / max(sum(gain.values()), 1e-300)
        leaky = {top: float(strength.get(top, float("nan")))}
        warnings.append(
            f"suspected leakage: the model nearly determines the label (validation {what} "
            f"{whole:.4f} >= {LEAKAGE_THRESHOLD}); column {top!r} carries {share:.0%} of the "
            "split gain. If it (or another column) is known only after the cutoff, drop it from "
            "the input and retrain. Not promoted to champion without the opt-in "
            "(--allow-suspected-leakage)")
    for col, v in leaky.items():
        if v < LEAKAGE_THRESHOLD:  # the whole-model case above, already explained
            continue
        warnings.append(
            f"suspected leakage: column {col!r} alone gives validation {what} {v:.4f} "
            f"(>= {LEAKAGE_THRESHOLD}); if it is known only after the cutoff (an outcome such as "
            "revenue or activity in the label window), drop it from the input and retrain. "
            "Not promoted to champion without the opt-in (--allow-suspected-leakage)")
    no_skill = False
    if isinstance(validation, ClassifierMetrics):
        n_pos = round(validation.base_rate * n)
        lo, hi = auc_interval(validation.roc_auc, n_pos, n - n_pos)
        if not validation.brier_skill > 0:
            no_skill = True
            warnings.append(f"no skill: validation Brier skill is {validation.brier_skill:.4f} "
                            "(<= 0: no better than predicting the base rate for everyone)")
        if not lo > 0.5:
            no_skill = True
            warnings.append(f"no skill: validation ROC AUC {validation.roc_auc:.3f} has a 95% "
                            f"interval [{lo:.3f}, {hi:.3f}] that contains 0.5 (random ranking)")
        if n < MIN_VALIDATION_ROWS or min(n_pos, n - n_pos) < MIN_VALIDATION_CLASS:
            warnings.append(f"small validation: {n} rows ({n_pos} positives); the metrics are "
                            f"mostly noise below {MIN_VALIDATION_ROWS} rows and "
                            f"{MIN_VALIDATION_CLASS} of each class. Use more customers or "
                            "cutoffs")
    else:
        if not validation.spearman > 0:
            no_skill = True
            warnings.append(f"no skill: validation Spearman is {validation.spearman:.4f} (<= 0: "
                            "the predictions do not rank customers by revenue)")
        if n < MIN_VALIDATION_ROWS:
            warnings.append(f"small validation: {n} rows; the metrics are mostly noise below "
                            f"{MIN_VALIDATION_ROWS} rows. Use more customers or cutoffs")
    if no_skill:
        warnings.append("this model is never promoted to champion")
    return GuardResult(leaky, no_skill, tuple(warnings))


def validation_overlap(split: CutoffSplit, horizon_days: int | None) -> str | None:
    """A warning when the training labels cover more than half of the validation window.

    The rows of one customer at two cutoffs a few days apart have nearly the same features and,
    over windows that share most of their days, nearly the same label: a model fitted on the
    earlier ones has learned much of the outcome it is then validated on. On a wholesaler
    check (90-day churn, validation cutoff 2025-06-03), cutoffs 7 days apart read validation
    Brier 0.047 (AUC 0.972) where the real next quarter gave 0.077 (0.939), against 0.066 ->
    0.064 with the default 30 days, and the champion had moved to the 7-day version. None when
    the split is not in time, the horizon is unknown or the overlap is at most half.
    """
    if not horizon_days or not split.train_cutoffs or not split.validation_cutoffs:
        return None
    last_train = max(pd.Timestamp(c) for c in split.train_cutoffs)
    first_valid = min(pd.Timestamp(c) for c in split.validation_cutoffs)
    gap = int((first_valid - last_train).days)
    seen = int(horizon_days) - gap
    if 2 * seen <= int(horizon_days):
        return None
    k = 1 if split.scheme == "last_cutoff_users" else 2  # steps from the last training cutoff
    need = -(-int(horizon_days) // (2 * k))
    return (f"overlapping label windows: the last training cutoff {last_train.date()} is only "
            f"{gap} days before the validation cutoff {first_valid.date()}, so the "
            f"{horizon_days}-day training labels already cover {seen} of the validation "
            f"window's {horizon_days} days for the same customers: the validation metrics are "
            "flattered (the model has learned part of the outcomes it is judged on) and cannot "
            "be compared with an honest version's. Not promoted to champion automatically. "
            f"Fix: cutoffs at least {need} days apart (--step-days {need}), so the training "
            "labels cover at most half of the validation window; or make it the champion by "
            "hand with brain promote")


ONE_CLASS_GAP_CHANCE = 1e-6
"""How unlikely by chance the empty cells of a column all falling in one class must be before
``one_class_gaps`` names the column."""


def one_class_gaps(x: pd.DataFrame, y: np.ndarray, skip: Collection[str] = ()) -> list[str]:
    """Warnings for the classifier feature columns whose empty cells all hold one label.

    A CRM field filled in only once the outcome is known (a retention offer's answer asked of
    the customers who did not leave, a cancellation reason) is empty for one class only: that
    part of it is the label. Its single-feature AUC can stay far below the leakage threshold
    (a field empty for half of the stayers and filled for every churner reads 0.75) while the
    model leans on it, beats any honest model and fails on new customers, whose field is not
    yet filled. A column is named when the chance that its empty cells all fall in one class,
    given the label mix, is below ``ONE_CLASS_GAP_CHANCE`` (``share ** n``) and its filled
    cells hold both labels; ``skip`` (the event pipeline's own features, whose gaps have a
    meaning such as "has never ordered") is left out. A warning only: such a gap can be
    genuine (a field that exists only for a product the churners never bought).
    """
    y = np.asarray(y, dtype=float)
    pos = y == 1
    share1 = float(pos.mean()) if len(y) else 0.0
    out: list[str] = []
    for col in x.columns:
        if col in skip:
            continue
        empty = x[col].isna().to_numpy()
        n = int(empty.sum())
        if n == 0 or n == len(y) or len(np.unique(y[~empty])) < 2:
            continue
        ones = int(pos[empty].sum())
        if ones not in (0, n):
            continue
        label, share = (1, share1) if ones == n else (0, 1 - share1)
        if n * np.log(max(share, 1e-300)) >= np.log(ONE_CLASS_GAP_CHANCE):
            continue
        out.append(
            f"possible leakage: column {col!r} is empty in {n:,} rows ({n / len(y):.0%}) and "
            f"every one of them has label {label} (a chance below "
            f"{ONE_CLASS_GAP_CHANCE:g} with {share:.0%} of the rows at {label}); a field "
            "filled in only once the outcome is known (an answer to a retention offer, a "
            "cancellation reason) leaks it and is still empty for the customers you score. "
            "Drop it unless it is filled the same way before the outcome")
    return out
