"""Churn, purchase-propensity and customer-value models: LightGBM on stacked point-in-time features.

Input frame (one row per (user_id, cutoff), as ``features._labels.build_training_set`` returns, or
a bring-your-own table with one row per customer):

- ``user_id`` (string): customer identifier.
- ``cutoff`` (datetime64, optional): the point in time the features describe. A table without it
  (a CRM snapshot) is one cutoff.
- feature columns: every other column except ``label_*``. Numeric and boolean columns are used as
  numbers, string/categorical columns as LightGBM categoricals (levels learned at fit; unseen
  levels become missing). Datetime columns are not features and are reported as skipped.
- the label column: ``label_churn`` (0/1), ``label_purchase`` (0/1) or ``label_value`` (revenue
  in the horizon, >= 0), or any column named with ``label_col``.

How it is fitted (the split in time, the settings, the calibration): ``training._customer_fit``;
the category levels: ``training._customer_levels``.
"""

from __future__ import annotations

from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from training._customer_baseline import Baseline
from training._customer_bgnbd import BGNBD_COLUMNS, BgNbdParams, bgnbd_features
from training._customer_calibration import Calibrator as _Calibrator
from training._customer_columns import (
    DERIVED,
    SHARE_PREFIXES,
    add_derived,
    as_float,
)
from training._customer_dates import DAYS_PREFIX, add_days_since
from training._customer_eval import read_labels
from training._customer_fit import LOG_LINK, fit_model, split_rows
from training._customer_levels import model_level_codes
from training._customer_paths import PATH_BLOCK, PathTables, leaf_outputs, path_tables
from training._customer_report import CustomerFitReport, CutoffSplit

__all__ = [
    "DERIVED",
    "TASKS",
    "CustomerFitReport",
    "CustomerModel",
    "CutoffSplit",
    "Task",
    "add_derived",
]

Task = Literal["churn", "propensity", "value"]
TASKS: dict[str, str] = {
    "churn": "label_churn", "propensity": "label_purchase", "value": "label_value"}
"""Task name -> default label column."""

_IDENTITY = frozenset({"regression", "regression_l1", "huber", "fair", "quantile", "mape"})

AUTO_SETTINGS: tuple[dict[str, float], ...] = (
    {"num_leaves": 31, "min_child_samples": 50, "learning_rate": 0.05, "colsample": 0.9},
    {"num_leaves": 7, "min_child_samples": 100, "learning_rate": 0.03, "colsample": 0.5},
    {"num_leaves": 4, "min_child_samples": 200, "learning_rate": 0.02, "colsample": 0.9},
)
"""Complexity settings tried by default, from the richest to the most cautious: many rows
favour the first; a wide table with few positives (a check's CRM export: 20,000 rows, 3%
churners, 140 of 150 columns noise) the last (AUC 0.687 with the first against 0.737; an L2
logistic regression reached 0.740)."""


class CustomerModel:
    """LightGBM churn / propensity classifier or customer-value regressor with calibration.

    Args:
        task: ``"churn"``, ``"propensity"`` or ``"value"``.
        label_col: label column; default ``label_churn`` / ``label_purchase`` / ``label_value``.
        calibration: ``"auto"`` (measure and keep the best), ``"isotonic"``, ``"sigmoid"``,
            ``"scale"`` (value only) or ``"none"``.
        refit: refit the booster on all but the validation rows after validation (see module doc).
        n_estimators: maximum number of trees at learning rate 0.05 (early stopping picks
            fewer; a slower rate in ``AUTO_SETTINGS`` gets proportionally more).
        learning_rate, num_leaves, min_child_samples, colsample: LightGBM settings. All four
            None (the default): each of ``AUTO_SETTINGS`` is fitted with early stopping on the
            calibration rows and the one with the lowest loss there is kept (``settings_``);
            any of them given: that one setting, with the first of ``AUTO_SETTINGS`` for the
            rest.
        reg_lambda, subsample: LightGBM settings.
        value_objective: LightGBM objective of the value model (``"tweedie"`` suits revenue with
            many zeros; ``"regression"`` is squared error; ``"gamma"`` needs revenue above 0
            in every row, e.g. buyers only, and is refused with a message otherwise).
        exclude: columns never used as features (ids other than ``user_id``, free text).
        bgnbd: add BG/NBD P(alive) and expected orders in the horizon as features when the
            event-pipeline columns are present (``training._customer_bgnbd``).
        derive: add the ``DERIVED`` features when their input columns are present.
        horizon_days: length of the label window the labels were built with (metadata kept
            with the model; batch scoring uses it to extend purchase horizons). None if unknown.
        churn_needs_no_visit: the churn rule the ``label_churn`` column was built with (True:
            no order and no visit in the window; False: no order). None (the default): as the
            frame says (``features.build_training_set`` marks it in ``attrs["labels"]``), else
            no order. Fit records the label definition as ``labels_`` (task, label column,
            window, churn rule; ``training._customer_labels``), which the champion comparison
            and ``brain score``'s check against what happened read.
        seed: seed of LightGBM and of the customer hash used by snapshot splits.
        monotone: optional ``{feature: +1 or -1}``: the score may only rise (+1) or fall (-1)
            with that feature, all else equal (LightGBM monotone constraints; features not
            named, or not present, are unconstrained). Domain knowledge such as "more recent
            buyers buy more" that keeps small data from learning noise.
        baseline: start the boosters from a GLM on the BG/NBD expected orders (LightGBM's
            ``init_score``; ``training._customer_baseline``): None (the default) tries every
            setting with and without it and keeps the lower calibration loss (``baseline_``,
            ``settings_["baseline"]``); True always (when the BG/NBD columns are there and the
            objective is binary or has a log link); False never.
        n_jobs: LightGBM threads (default 1: on a shared 2-core machine OpenMP threads spin and
            run ~10x slower than one thread; raise it on a dedicated machine).
    """

    id_col_: str | None = None
    """A customer table's own id column (set by ``train_and_register(..., id_col=...)``; None
    for event features): the logged pyfunc takes the table under that name."""
    decimal_comma_: tuple[str, ...] = ()
    """Number columns of a customer table read with ',' as the decimal mark at fit (a
    ';'-separated file: ``features.infer_table_types``' ``attrs["decimal_comma_columns"]``):
    text cells of these columns read so at scoring in ``brain score --table``, the pyfunc and
    the API's live rows alike ('19,19' is 19.19, '1,234' 1.234). A model saved before it
    existed records none: its text cells read as the scoring file's separator says."""
    kept_columns_: tuple[str, ...] = ()
    """Table columns the user kept as features although the identifier rules would have left
    them out (``brain train --keep-column``); they are ordinary features of ``numeric_`` or
    ``categorical_``, so every scoring path reads them. A model saved before it existed (or
    trained without the option) has none."""
    derived_version_: int = 1
    """Definition of the derived features the model was fitted on (``RATE_FLOOR_DAYS``): fit
    sets the current one; models pickled before it existed read 1, their definition."""
    baseline_: Baseline | None = None
    """The GLM margin the booster was fitted from (``training._customer_baseline``); None: the
    plain booster (and every model pickled before it existed)."""

    date_days_: tuple[str, ...] = ()
    """Date columns read as ``days_since_<col>`` from the snapshot date
    (``training._customer_dates``); models fitted before 2026-12-07 have none."""
    date_formats_: dict[str, str] = {}  # noqa: RUF012
    """The format each of ``date_days_`` was read with at fit (``"%d/%m/%Y"``, ``"ISO8601"``:
    ``features.infer_table_types``' ``attrs["date_formats"]``): text cells of these columns
    read with it at scoring (``features.parse_table_dates``), so a table whose days are all 12
    or less reads in the training's day/month order; a model saved before it existed, or fitted
    on a frame of dates, has none."""
    date_days_max_: dict[str, float] = {}  # noqa: RUF012
    """The most days since each of ``date_days_`` among the rows fitted on (since 2026-12-07;
    none before): ``brain score --table`` warns when most of a table's rows lie past it."""
    empty_shares_: dict[str, float] = {}  # noqa: RUF012
    """Share of empty (missing) cells of each category column in the table fitted on; scoring
    a table whose share differs a lot gets a note (``training._customer_scoring.
    empty_share_note``). A model saved before 2026-12-07 has none."""

    # learned by ``fit`` (``training._customer_fit.fit_model``); absent before it
    labels_: dict[str, object]  # the label definition (task, column, window, churn rule)
    label_col_: str
    bgnbd_params_: BgNbdParams | None
    numeric_: list[str]
    categorical_: list[str]
    features_: list[str]  # numeric_ + categorical_, the booster's columns in order
    input_features_: list[str]  # the columns a scoring frame must carry
    levels_: dict[str, list[str]]  # category levels per categorical column
    yes_no_: dict[str, tuple[str, str]] = {}  # noqa: RUF012
    """Category columns of yes/no written several ways, with the (yes, no) levels every yes/no
    spelling reads as (``training._customer_levels.yes_no_spellings``); a model saved before
    2026-12-06 has none and reads its own levels."""
    typical_: dict[str, float]  # median per numeric feature, for reason sentences
    settings_: dict[str, float]
    settings_losses_: list[float]
    best_iteration_: int
    booster_: lgb.Booster
    calibrator_: _Calibrator
    directions_: dict[str, int]
    same_as_: dict[str, str]
    binary_: tuple[str, ...]
    percent_: tuple[str, ...]  # numeric features read as percentages (``percent_features``)
    fitted_rows_: np.ndarray | None  # ``row_keys`` of the rows fitted or calibrated on
    fitted_values_: np.ndarray | None  # a table model's: ``row_value_keys`` of those rows
    fitted_values_dates_: bool = False
    """Whether ``fitted_values_`` hash the date columns (``date_days_``) too: models fitted
    since 2026-12-07 (``training._customer_fit.value_key_dates``)."""
    fitted_asof_: tuple[str, ...] | None = None
    """The snapshot dates ('YYYY-MM-DD', from ``--asof``) of the rows fitted on, for a table
    model without a ``cutoff`` column that reads date columns as days since them; None for
    others and for models fitted before 2026-12-08. The in-sample note counts a row scored at
    another date as another snapshot, as another ``cutoff`` is (``table_in_sample_note``)."""
    report_: CustomerFitReport
    validation_frame_: pd.DataFrame

    def __init__(
        self,
        task: Task = "churn",
        *,
        label_col: str | None = None,
        calibration: str = "auto",
        refit: bool = True,
        n_estimators: int = 600,
        learning_rate: float | None = None,
        num_leaves: int | None = None,
        min_child_samples: int | None = None,
        reg_lambda: float = 1.0,
        subsample: float = 0.8,
        colsample: float | None = None,
        value_objective: str = "tweedie",
        exclude: tuple[str, ...] = (),
        derive: bool = True,
        bgnbd: bool = True,
        horizon_days: int | None = None,
        churn_needs_no_visit: bool | None = None,
        seed: int = 0,
        monotone: dict[str, int] | None = None,
        baseline: bool | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.task = task
        self.label_col = label_col
        self.calibration = calibration
        self.refit = refit
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample = colsample
        self.value_objective = value_objective
        self.exclude = exclude
        self.derive = derive
        self.bgnbd = bgnbd
        self.horizon_days = horizon_days
        self.churn_needs_no_visit = churn_needs_no_visit
        self.seed = seed
        self.monotone = monotone
        self.baseline = baseline
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ helpers
    @property
    def kind(self) -> str:
        """``classifier`` for churn/propensity, ``regressor`` for value."""
        return "regressor" if self.task == "value" else "classifier"

    def _candidate_settings(self) -> list[dict[str, float]]:
        """``AUTO_SETTINGS`` when no complexity setting is given, else the one given (the
        first of ``AUTO_SETTINGS`` filling the rest)."""
        given = {"learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                 "min_child_samples": self.min_child_samples, "colsample": self.colsample}
        if all(v is None for v in given.values()):
            return [dict(c) for c in AUTO_SETTINGS]
        return [{**AUTO_SETTINGS[0], **{k: v for k, v in given.items() if v is not None}}]

    def _settings(self) -> dict[str, float]:
        """The settings the booster is (being) fitted with."""
        return getattr(self, "settings_", None) or self._candidate_settings()[0]

    def _rounds(self, settings: dict[str, float]) -> int:
        """Most trees for ``settings``: ``n_estimators`` at rate 0.05, more at a slower one
        when the rate was chosen automatically."""
        if self.learning_rate is not None:
            return self.n_estimators
        return round(self.n_estimators * 0.05 / float(settings["learning_rate"]))

    def _params(self) -> dict[str, object]:
        objective = "binary" if self.kind == "classifier" else self.value_objective
        chosen = self._settings()
        params: dict[str, object] = {
            "objective": objective,
            "learning_rate": float(chosen["learning_rate"]),
            "num_leaves": int(chosen["num_leaves"]),
            "min_child_samples": int(chosen["min_child_samples"]),
            "lambda_l2": self.reg_lambda,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": float(chosen["colsample"]),
            "seed": self.seed,
            "deterministic": True,
            "num_threads": self.n_jobs,
            "verbose": -1,
            "max_bin": 127,
            "force_col_wise": True,
        }
        if objective == "tweedie":
            params["tweedie_variance_power"] = 1.3
        if self.monotone and hasattr(self, "features_"):
            bad = {k: v for k, v in self.monotone.items() if v not in (-1, 0, 1)}
            if bad:
                raise ValueError(f"CustomerModel: monotone directions must be -1, 0 or +1; "
                                 f"received {bad}")
            params["monotone_constraints"] = [int(self.monotone.get(c, 0))
                                              for c in self.features_]
            params["monotone_constraints_method"] = "advanced"
        return params

    def augment(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` plus the derived and BG/NBD feature columns it lacks (a copy if changed).

        On a fitted model, vocabulary share columns (``SHARE_PREFIXES``) the frame lacks are 0
        (a category nobody used has share 0) and any other missing input column is an error
        that says which input the model was trained on.
        """
        if hasattr(self, "features_"):
            missing = [c for c in self.features_ if c not in frame.columns]
            shares = [c for c in missing if c.startswith(SHARE_PREFIXES)]
            received = list(frame.columns)
            if shares:
                frame = frame.assign(**dict.fromkeys(shares, 0.0))
            self._check_inputs(frame, received)
        dates = getattr(self, "date_days_", ())
        if dates and not all(DAYS_PREFIX + c in frame.columns for c in dates):
            frame = add_days_since(frame, list(dates), self.task,
                                   str(frame.attrs.get("source", "table")),
                                   getattr(self, "date_formats_", None) or {})
        if self.derive:  # as the model was fitted (models from before version 2 have no attribute)
            frame = add_derived(frame, self.derived_version_)
        params = getattr(self, "bgnbd_params_", None)
        if params is not None and "bgnbd_p_alive" not in frame.columns:
            # side by side by position: a repeated index (one customer asked twice) would
            # multiply the rows in a join on the index
            extra = bgnbd_features(params, frame, float(self.horizon_days or 90))
            frame = pd.concat([frame, extra.set_axis(frame.index)], axis=1)
        return frame

    def _validate_task(self) -> str:
        if self.task not in TASKS:
            raise ValueError(f"CustomerModel: task must be one of {sorted(TASKS)}; "
                             f"received {self.task!r}")
        allowed = {"auto", "none", "isotonic", "sigmoid"} if self.kind == "classifier" else {
            "auto", "none", "scale"}
        if self.calibration not in allowed:
            raise ValueError(f"CustomerModel: calibration for task {self.task!r} must be one of "
                             f"{sorted(allowed)}; received {self.calibration!r}")
        return self.label_col or TASKS[self.task]

    def _check_inputs(self, frame: pd.DataFrame, received: list[str]) -> None:
        """Raise when ``frame`` lacks input columns the model needs, naming the input type."""
        need = list(getattr(self, "input_features_", []))
        if getattr(self, "bgnbd_params_", None) is not None:
            need += [c for c in BGNBD_COLUMNS if c not in need]
        missing = [c for c in need if c not in frame.columns]
        if not missing:
            return
        def more(items: list[str], k: int) -> str:
            return f"{items[:k]}" + (f" and {len(items) - k} more" if len(items) > k else "")

        if set(BGNBD_COLUMNS) <= set(need):
            trained = (f"this model was trained on event features (`brain train {self.task} "
                       "--events/--data`)")
            fix = (f"score it with `brain score {self.task} --events FILE --asof DATE` (or --data)"
                   f", or score with a model trained on this table's layout (`brain train "
                   f"{self.task} --table` keeps the event champion and prints the `--model "
                   "models:/NAME/VERSION` that scores with the new version)")
        else:
            trained = f"this model was trained on a table with columns {more(need, 12)}"
            fix = ("give the table the same feature columns as at training (names are "
                   "case-sensitive), or retrain on this table's layout")

            def key(text: str) -> str:
                return "".join(ch for ch in str(text).lower() if ch.isalnum())

            # an export that spells a column another way ('Monthly Charges' for
            # 'MonthlyCharges'): name the rename, as the events contract does
            spare = {key(c): str(c) for c in received if c not in need}
            renames = [(spare[key(c)], c) for c in missing if key(c) in spare]
            if renames:
                fix = ("rename " + ", ".join(f"{got!r} to {want!r}" for got, want in renames)
                       + "; " + fix)
        raise ValueError(f"CustomerModel({self.task}): {trained}; the input lacks "
                         f"{len(missing)} of them: {more(missing, 10)}; received columns "
                         f"{more(received, 12)}. Fix: {fix}.")

    def _check_columns(self, frame: pd.DataFrame) -> None:
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            raise ValueError(f"CustomerModel({self.task}): the frame lacks feature columns "
                             f"{missing[:10]} that the model was trained on; received columns "
                             f"{list(frame.columns)[:20]}. Build features with the same pipeline "
                             "(or the same table layout) as at training.")

    def _matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Feature matrix in model order with the categorical levels learned at fit."""
        frame = self.augment(frame)
        self._check_columns(frame)
        cols: dict[str, object] = {}
        for col in self.numeric_:
            cols[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        for col in self.categorical_:
            levels = pd.Index(self.levels_[col])
            codes = model_level_codes(self, col, frame[col])  # unseen levels -> -1 (missing)
            cols[col] = pd.Categorical.from_codes(codes, categories=levels)
        return pd.DataFrame(cols, index=frame.index)[self.features_]

    def _array(self, frame: pd.DataFrame) -> np.ndarray:
        """``_matrix`` as a float array for prediction (categoricals as level codes, missing and
        unseen levels as NaN), without building a DataFrame: the numbers LightGBM derives from
        ``_matrix``'s frame, several times faster for millions of rows."""
        frame = self.augment(frame)
        self._check_columns(frame)
        out = np.empty((len(frame), len(self.features_)), dtype=np.float64, order="F")
        for j, col in enumerate(self.features_):
            s = frame[col]
            if col in self.levels_:
                codes = model_level_codes(self, col, s)
                out[:, j] = np.where(codes >= 0, codes, np.nan)
            else:
                out[:, j] = as_float(s)
        return out

    def _labels(self, frame: pd.DataFrame, label_col: str) -> pd.Series:
        return read_labels(frame, label_col, self.kind, self.task)

    def _split(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Training, calibration and validation rows and the scheme (``split_rows``)."""
        return split_rows(frame, self.seed)

    def _offset(self, x: pd.DataFrame | np.ndarray) -> np.ndarray | None:
        """The baseline margin of the rows of a ``_matrix`` frame or ``_array`` (None
        without a baseline)."""
        base = self.baseline_
        if base is None:
            return None
        return base.margin(self._baseline_values(x))

    def _baseline_values(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        assert self.baseline_ is not None
        idx = [self.features_.index(c) for c in self.baseline_.columns]
        if isinstance(x, pd.DataFrame):
            return x.iloc[:, idx].to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(x, dtype=np.float64)[:, idx]

    def _offset_contributions(self, x: pd.DataFrame | np.ndarray, contrib: np.ndarray
                              ) -> float:
        """Add the baseline's per-column terms to ``contrib`` (in place) and return the
        constant that goes to ``bias`` (0 without a baseline)."""
        if self.baseline_ is None:
            return 0.0
        cols, const = self.baseline_.terms(self._baseline_values(x))
        for j, c in enumerate(self.baseline_.columns):
            contrib[:, self.features_.index(c)] += cols[:, j]
        return const

    def _raw(self, booster: lgb.Booster, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        # Classifiers work on the margin (log-odds); value on the response scale.
        offset = self._offset(x)
        if offset is None:
            return np.asarray(booster.predict(x, raw_score=self.kind == "classifier"),
                              dtype=float)
        margin = np.asarray(booster.predict(x, raw_score=True), dtype=float) + offset
        return margin if self.kind == "classifier" else np.exp(margin)  # log link only

    # ------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame) -> CustomerModel:
        """Fit on a stacked feature+label frame (see ``training._customer_fit``); returns
        ``self``."""
        return fit_model(self, frame)

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise RuntimeError(f"CustomerModel({self.task}) is not fitted; call fit(frame) first")

    def _check_empty(self, frame: pd.DataFrame, allow_empty_columns: bool) -> None:
        """The empty-column check of every scoring method (``training._customer_empty``):
        ``EmptyColumnsError`` when ``frame`` has ``EMPTY_CHECK_ROWS`` rows or more and a number
        column the model learned from has no value in any row, unless
        ``allow_empty_columns``."""
        if not allow_empty_columns:
            from ._customer_empty import check_empty_columns

            check_empty_columns(self, frame, name="the frame",
                                option="pass allow_empty_columns=True")

    def raw_score(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False
                  ) -> np.ndarray:
        """Uncalibrated LightGBM output: log-odds for classifiers, revenue for value (the
        empty-column check of ``score``; until 2026-12-07 only ``score``, ``predict`` and
        ``predict_proba`` made it)."""
        self._check_fitted()
        self._check_empty(frame, allow_empty_columns)
        return self._raw(self.booster_, self._array(frame))

    def score(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False) -> np.ndarray:
        """Calibrated probability of the label (classifiers) or predicted revenue (value).

        A frame of ``EMPTY_CHECK_ROWS`` rows or more in which a number column the model learned
        from has no value in any row raises ``EmptyColumnsError`` naming the column
        (``training._customer_empty``), as ``brain score --table``, the pyfunc and the API
        do: every customer would be scored as if the value were unknown. Pass
        ``allow_empty_columns=True`` to score anyway (and from callers that checked already).
        Until 2026-12-07 this method scored such a frame without a word."""
        self._check_fitted()
        self._check_empty(frame, allow_empty_columns)
        return self.score_from_raw(self.raw_score(frame, allow_empty_columns=True))

    def score_from_raw(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated scores from ``raw_score`` output."""
        out = self.calibrator_.transform(raw, self.kind)
        return np.clip(out, 0.0, 1.0) if self.kind == "classifier" else np.maximum(out, 0.0)

    def predict_proba(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False
                      ) -> np.ndarray:
        """``(n, 2)`` array of calibrated P(label = 0), P(label = 1); classifiers only (the
        empty-column check of ``score``)."""
        if self.kind != "classifier":
            raise TypeError(f"CustomerModel({self.task}): predict_proba is for churn/propensity; "
                            "use predict() or score() for value")
        p = self.score(frame, allow_empty_columns=allow_empty_columns)
        return np.column_stack([1 - p, p])

    def predict(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False) -> np.ndarray:
        """Class labels at probability 0.5 (classifiers) or predicted revenue (value) (the
        empty-column check of ``score``)."""
        s = self.score(frame, allow_empty_columns=allow_empty_columns)
        return (s >= 0.5).astype(int) if self.kind == "classifier" else s

    def contributions(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False
                      ) -> pd.DataFrame:
        """Per-customer feature contributions (LightGBM ``pred_contrib``) plus ``bias``.

        Contributions are on the raw scale (log-odds for classifiers, the objective's link scale
        for value) and sum to the raw score. The empty-column check of ``score``: the reasons
        of a column empty in every row would explain scores made as if it were unknown.
        """
        self._check_fitted()
        self._check_empty(frame, allow_empty_columns)
        arr = self._array(frame)
        contrib = np.array(self.booster_.predict(arr, pred_contrib=True), dtype=np.float64)
        contrib[:, -1] += self._offset_contributions(arr, contrib[:, :-1])
        return pd.DataFrame(contrib, columns=[*self.features_, "bias"], index=frame.index)

    def path_tables(self) -> PathTables:
        """Decision-path credits of every leaf (``training._customer_paths``), cached."""
        self._check_fitted()
        cached = getattr(self, "_path_cache", None)
        if cached is None or cached[0] is not self.booster_:
            cached = (self.booster_, path_tables(self.booster_, len(self.features_)))
            self._path_cache = cached
        return cached[1]

    def path_contributions(self, frame: pd.DataFrame, block: int = PATH_BLOCK, *,
                           allow_empty_columns: bool = False) -> pd.DataFrame:
        """Fast per-customer contributions by decision path (Saabas), same layout as above.

        Each split on a customer's path credits its feature with the change in node value it
        causes; per tree the credits sum to leaf value minus root value, so the row total plus
        ``bias`` equals the raw score, like ``contributions``. About 10-20x cheaper than TreeSHAP
        (O(trees x depth) per customer), at the price of ignoring feature interactions' order.
        The empty-column check of ``score``.
        """
        tables = self.path_tables()
        self._check_empty(frame, allow_empty_columns)
        arr = self._array(frame)
        _, contrib = leaf_outputs(self.booster_, arr, tables, block=block)
        assert contrib is not None
        const = self._offset_contributions(arr, contrib)
        res = pd.DataFrame(contrib, columns=self.features_, index=frame.index)
        res["bias"] = tables.bias + const
        return res

    def path_score(self, frame: pd.DataFrame, block: int = PATH_BLOCK, *,
                   allow_empty_columns: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``score(frame)`` and the decision-path contributions ``(n, len(features_))`` from one
        pass over the trees. Classifier scores are bit-identical to ``score``; value scores
        apply the log link with numpy instead of LightGBM (equal to ~1e-15 relative). The
        empty-column check of ``score``."""
        tables = self.path_tables()
        self._check_empty(frame, allow_empty_columns)
        arr = self._array(frame)
        raw, contrib = leaf_outputs(self.booster_, arr, tables, block=block)
        offset = self._offset(arr)
        if offset is not None:  # the margin the booster was fitted from
            assert contrib is not None
            raw = raw + offset
            self._offset_contributions(arr, contrib)
        if self.kind == "regressor" and self._params()["objective"] in LOG_LINK:
            raw = np.exp(raw)
        elif self.kind == "regressor" and self._params()["objective"] not in _IDENTITY:
            raw = self.raw_score(frame, allow_empty_columns=True)  # checked above
        return self.score_from_raw(raw), contrib  # type: ignore[return-value]

    def path_score_only(self, frame: pd.DataFrame, *, allow_empty_columns: bool = False
                        ) -> np.ndarray:
        """``path_score(frame)[0]`` without the contributions, at the cost of ``score``: the
        margin LightGBM sums is the paths' sum to the bit, and a log link is applied by numpy
        as there (``score`` lets LightGBM apply it: ~1e-15 relative apart). For answers that
        must equal the snapshot score cache's (scored with ``path_score``) to the last digit.
        The empty-column check of ``score``."""
        self._check_fitted()
        self._check_empty(frame, allow_empty_columns)
        if self.kind == "regressor" and self._params()["objective"] in LOG_LINK:
            arr = self._array(frame)
            margin = np.asarray(self.booster_.predict(arr, raw_score=True), dtype=float)
            offset = self._offset(arr)
            raw = np.exp(margin if offset is None else margin + offset)
            return self.score_from_raw(raw)
        return self.score(frame, allow_empty_columns=True)  # checked above

    def importance(self) -> pd.Series:
        """Total split gain per feature, largest first."""
        self._check_fitted()
        gain = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.features_, name="gain").sort_values(ascending=False)
