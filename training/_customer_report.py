"""Result records of the customer models: how the rows were split in time and what ``fit`` did.

``CutoffSplit`` and ``CustomerFitReport`` are frozen: ``CustomerModel.fit`` builds one report per
fit (``model.report_``), logged to MLflow as ``fit_report.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from training._customer_eval import ClassifierMetrics, ValueMetrics

__all__ = ["CustomerFitReport", "CutoffSplit"]


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
        calibration_scores: validation Brier score (classifiers) or |aggregate bias| (value) of
            every calibration method tried.
        validation: metrics of the calibrated predictions on the validation rows.
        validation_uncalibrated: the same metrics before calibration.
        refit: whether the final booster was refitted on train + calibration rows.
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
