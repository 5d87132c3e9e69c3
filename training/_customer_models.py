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

Time-based validation (never a random split across time), by the number of distinct cutoffs K:

- K >= 3: train on all cutoffs but the last two, stop early and fit the calibrators on the
  second-to-last cutoff, measure everything on the last cutoff. Then (``refit=True``) refit the
  booster on all cutoffs but the last with the chosen number of trees and re-fit the chosen
  calibrator on the last cutoff, so the served model has seen the most recent labelled data and
  its probabilities are still calibrated on a later cutoff than it was trained on.
- K == 2: train on the first cutoff; the customers of the second are split in two halves by a
  seeded hash of ``user_id``: one half calibrates, the other validates.
- K == 1 (a snapshot): customers are split 60/20/20 into train/calibration/validation by a seeded
  hash of ``user_id`` (there is no time to leak across). With ``refit=True`` the booster is
  refitted on train + calibration and the calibrator on validation.

Calibration (``calibration="auto"``): for classifiers Platt scaling (logistic on the raw margin)
and isotonic regression are both fitted on the calibration cutoff and the one with the lower
Brier score on the validation cutoff is kept (both scores are recorded in ``report_``). For value,
a single multiplicative factor that makes the calibration cutoff's total prediction equal its
total actual revenue is kept if it lowers the validation aggregate bias.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from training._customer_baseline import BASELINE_COLUMNS, Baseline, fit_baseline
from training._customer_bgnbd import BGNBD_COLUMNS, BgNbdParams, bgnbd_features, fit_bgnbd
from training._customer_calibration import Calibrator as _Calibrator
from training._customer_columns import (
    DERIVED,
    DERIVED_VERSION,
    SHARE_PREFIXES,
    add_derived,
    as_float,
    outcome_dates,
    point_in_time,
    split_columns,
)
from training._customer_eval import (
    ClassifierMetrics,
    ValueMetrics,
    check_unique_rows,
    classifier_metrics,
    read_labels,
    value_metrics,
)
from training._customer_paths import PathTables, leaf_outputs, path_tables
from training._customer_reasons import (
    binary_features,
    feature_directions,
    identical_features,
    prior_directions,
)
from training._customer_report import (
    LEAKAGE_THRESHOLD,
    CustomerFitReport,
    CutoffSplit,
    model_guards,
    one_class_gaps,
    single_feature_capture,
    single_feature_strength,
    validation_overlap,
)

__all__ = [
    "DERIVED",
    "TASKS",
    "CustomerFitReport",
    "CustomerModel",
    "CutoffSplit",
    "Task",
    "add_derived",
    "row_keys",
]

_log = logging.getLogger(__name__)

Task = Literal["churn", "propensity", "value"]
TASKS: dict[str, str] = {
    "churn": "label_churn", "propensity": "label_purchase", "value": "label_value"}
"""Task name -> default label column."""

_LOG_LINK = frozenset({"tweedie", "poisson", "gamma"})
_IDENTITY = frozenset({"regression", "regression_l1", "huber", "fair", "quantile", "mape"})


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """A uint64 hash of each row's (``user_id``, ``cutoff``): the same customer snapshot gives
    the same key in any frame, whatever the dtypes the table was read with."""
    keys = pd.DataFrame({"user_id": frame["user_id"].astype(str).to_numpy()})
    if "cutoff" in frame.columns:
        keys["cutoff"] = pd.to_datetime(frame["cutoff"]).to_numpy().astype(
            "datetime64[D]").astype(np.int64)
    return pd.util.hash_pandas_object(keys, index=False).to_numpy()


def _user_hash(user_ids: pd.Series, seed: int) -> np.ndarray:
    """Deterministic uniform [0, 1) number per user id (stable across runs and machines)."""
    key = f"{seed:016d}"[-16:]
    h = pd.util.hash_pandas_object(user_ids.astype(str).reset_index(drop=True), index=False,
                                   hash_key=key).to_numpy()
    return (h >> np.uint64(11)).astype(np.float64) / float(2**53)


def _calibration_scores(methods: list[str], raw: np.ndarray, y: np.ndarray,
                        kind: str) -> dict[str, float]:
    """Per calibration method, its two-fold cross-fitted loss on the calibration rows: Brier
    score (classifiers) or |aggregate bias| (value), each half scored by a calibrator fitted on
    the other half (alternate rows). One method: no choice, no score needed (0)."""
    if len(methods) == 1:
        return {methods[0]: 0.0}
    halves = (np.arange(len(y)) % 2).astype(bool)
    split = [halves, ~halves]
    if kind == "classifier" and any(len(np.unique(y[h])) < 2 for h in split):
        split = [np.ones(len(y), bool)]  # too few of a class to halve: fitted and scored on all
    out: dict[str, float] = {}
    for m in methods:
        pred = np.empty(len(y))
        for fit_on in split:
            score_on = ~fit_on if len(split) == 2 else fit_on
            pred[score_on] = _Calibrator(m).fit(raw[fit_on], y[fit_on]).transform(
                raw[score_on], kind)
        out[m] = (float(np.mean((pred - y) ** 2)) if kind == "classifier" else
                  abs(float(pred.sum() / max(y.sum(), 1e-12) - 1)))
    return out


def selection_rows(data: pd.DataFrame, train: np.ndarray, calib: np.ndarray, y: np.ndarray,
                   horizon_days: int | None, kind: str) -> np.ndarray:
    """The training rows that choose the number of trees and the settings by early stopping
    on the calibration rows: those at cutoffs whose label windows cover at most half of the
    calibration window (at least ``horizon_days / 2`` before the calibration cutoff), as
    ``validation_overlap`` asks of the validation window; all training rows when no such
    cutoff exists (or it lacks a class or 20 rows), the horizon is unknown or the split is
    not by cutoffs.

    A customer's rows at cutoffs 30 days apart share features and most of a 90-day label:
    boosters fitted on them kept improving on the calibration cutoff while growing worse on
    the validation cutoff (retail check: 230 trees of 31 leaves, validation AUC 0.841 against
    0.8535 for the BG/NBD expected orders alone; chosen without the overlapping cutoff: 113
    trees of 7 leaves, 0.8535).
    """
    if not horizon_days or "cutoff" not in data.columns or not calib.any():
        return train
    cut = pd.to_datetime(data["cutoff"])
    first_calib = cut[calib].min()
    early = train & (cut <= first_calib - pd.Timedelta(days=-(-int(horizon_days) // 2))
                     ).to_numpy()
    if early.sum() < 20 or (kind == "classifier" and len(np.unique(y[early])) < 2):
        return train
    return early


# --------------------------------------------------------------------------------------- model


def _fold(text: pd.Index) -> pd.Index:
    return pd.Index(text.astype(str).str.strip().str.casefold())


def _fit_levels(values: pd.Series, what: str) -> list[str]:
    """A category column's levels at fit: spellings that differ only in case or surrounding
    spaces ('Month-to-month', 'month-to-month ') are one level, the most frequent spelling
    (a note says so), so the training rows of each spelling train the same level."""
    text = values.dropna().astype(str)
    counts = text.value_counts()
    if counts.empty:
        return []
    folded = _fold(pd.Index(counts.index))
    keep = pd.Series(counts.index, index=folded).groupby(level=0).first()  # most frequent
    merged = [(str(v), keep[f]) for v, f in zip(counts.index, folded, strict=True)
              if str(v) != keep[f]]
    if merged:
        shown = ", ".join(f"{v!r} as {k!r}" for v, k in merged[:3])
        more = f" and {len(merged) - 3} more" if len(merged) > 3 else ""
        n = int(counts[[v for v, _ in merged]].sum())
        _log.warning("%s: %d cells differ from a more frequent spelling only in case or spaces "
                     "and are read as it (%s%s)", what, n, shown, more)
    return sorted(keep.tolist())


_EXACT_FIRST_ROWS = 10_000
"""Up to this many values, ``level_codes`` looks up exact spellings before converting the
rest to text (large frames go straight to the text path, vectorised over distinct values)."""


def level_codes(levels: pd.Index, values: pd.Series) -> np.ndarray:
    """Codes of ``values`` among a model's category ``levels`` (-1: missing or unseen).

    A value that is not a level but equals exactly one level once case and surrounding spaces
    are ignored ('month-to-month' for 'Month-to-month') takes that level: a CRM export that
    changed its spelling must not score those customers as if the cell were empty.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories.astype(str))
        lookup = np.append(_level_lookup(levels, cats), -1)  # code -1 (missing) picks the -1
        return np.asarray(lookup[values.cat.codes.to_numpy()])
    if (levels.dtype == object or isinstance(levels.dtype, pd.StringDtype)) and (
            len(values) <= _EXACT_FIRST_ROWS):
        # exact spellings by hash lookup first, the rest as below (one live row spent ~1 ms
        # per categorical column in the conversion to text)
        try:
            codes = levels.get_indexer(values.to_numpy(dtype=object))
        except TypeError:  # an unhashable cell (a JSON list or object): unseen, as text
            return _text_codes(levels, values)
        rest = (codes < 0) & values.notna().to_numpy()
        if rest.any():
            codes[rest] = _text_codes(levels, values[rest])
        return codes.astype(np.int64)
    return _text_codes(levels, values)


def _text_codes(levels: pd.Index, values: pd.Series) -> np.ndarray:
    """``level_codes`` of ``values`` read as text."""
    text = values.astype("string")
    uniq = pd.Index(text.dropna().unique().astype(str))
    lookup = pd.Series(_level_lookup(levels, uniq), index=uniq)
    codes = text.map(lookup).astype("Float64").fillna(-1).to_numpy(dtype=np.float64)
    return codes.astype(np.int64)


def _level_lookup(levels: pd.Index, values: pd.Index) -> np.ndarray:
    """``levels.get_indexer(values)``, with the case- and space-blind fallback."""
    codes = levels.get_indexer(values)
    miss = codes < 0
    if miss.any() and len(levels):
        folded = _fold(levels)
        unique = ~folded.duplicated(keep=False)  # a fold two levels share stays unseen
        table = pd.Series(np.flatnonzero(unique), index=folded[unique])
        codes[miss] = table.reindex(_fold(values[miss])).fillna(-1).to_numpy().astype(int)
    return codes


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
            many zeros; ``"regression"`` is squared error).
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
    derived_version_: int = 1
    """Definition of the derived features the model was fitted on (``RATE_FLOOR_DAYS``): fit
    sets the current one; models pickled before it existed read 1, their definition."""
    baseline_: Baseline | None = None
    """The GLM margin the booster was fitted from (``training._customer_baseline``); None: the
    plain booster (and every model pickled before it existed)."""

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
            codes = level_codes(levels, frame[col])  # unseen levels -> -1 (missing)
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
                levels = pd.Index(self.levels_[col])
                codes = level_codes(levels, s)
                out[:, j] = np.where(codes >= 0, codes, np.nan)
            else:
                out[:, j] = as_float(s)
        return out

    def _labels(self, frame: pd.DataFrame, label_col: str) -> pd.Series:
        return read_labels(frame, label_col, self.kind, self.task)

    def _split(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        n = len(frame)
        if "cutoff" in frame.columns and frame["cutoff"].nunique() >= 2:
            cut = pd.to_datetime(frame["cutoff"])
            levels = np.sort(cut.unique())
            if len(levels) >= 3:
                train = (cut < levels[-2]).to_numpy()
                calib = (cut == levels[-2]).to_numpy()
                return train, calib, (cut == levels[-1]).to_numpy(), "cutoffs"
            last = (cut == levels[-1]).to_numpy()
            h = _user_hash(frame["user_id"], self.seed) if "user_id" in frame else (
                np.random.default_rng(self.seed).random(n))
            return ~last, last & (h < 0.5), last & (h >= 0.5), "last_cutoff_users"
        h = _user_hash(frame["user_id"], self.seed) if "user_id" in frame else (
            np.random.default_rng(self.seed).random(n))
        return h < 0.6, (h >= 0.6) & (h < 0.8), h >= 0.8, "users"

    def _train(self, x: pd.DataFrame, y: np.ndarray, rounds: int,
               valid: tuple[pd.DataFrame, np.ndarray] | None) -> lgb.Booster:
        dtrain = lgb.Dataset(x, y, init_score=self._offset(x),
                             categorical_feature=self.categorical_ or "auto", free_raw_data=True)
        callbacks: list[Callable[..., Any]] = []
        valid_sets: list[lgb.Dataset] = []
        if valid is not None:
            valid_sets = [lgb.Dataset(valid[0], valid[1], init_score=self._offset(valid[0]),
                                      reference=dtrain)]
            callbacks.append(lgb.early_stopping(50, verbose=False))
        return lgb.train(self._params(), dtrain, num_boost_round=rounds,
                         valid_sets=valid_sets, callbacks=callbacks)

    def _fit_settings(self, x: pd.DataFrame, y: np.ndarray,
                      valid: tuple[pd.DataFrame, np.ndarray],
                      baselines: tuple[Baseline | None, ...] = (None,),
                      ) -> tuple[lgb.Booster, dict[str, float], list[float]]:
        """Each candidate setting fitted from each of ``baselines`` with early stopping on
        ``valid``; the booster and setting with the lowest loss there (ties to the earlier;
        ``settings_["baseline"]`` 1 when it starts from a baseline, which is left as
        ``baseline_``), and every loss (settings in order, each from every baseline)."""
        best: tuple[lgb.Booster, dict[str, float], Baseline | None] | None = None
        best_loss = np.inf
        losses: list[float] = []
        for cand in self._candidate_settings():
            for base in baselines:
                self.settings_, self.baseline_ = cand, base
                booster = self._train(x, y, self._rounds(cand), valid)
                loss = self._selection_loss(booster, valid)
                losses.append(loss)
                if best is None or loss < best_loss:  # NaN never wins over a number
                    best, best_loss = (booster, cand, base), (loss if np.isfinite(loss)
                                                              else np.inf)
        assert best is not None
        self.baseline_ = best[2]
        chosen = dict(best[1])
        if len(baselines) > 1 or baselines[0] is not None:
            chosen["baseline"] = float(best[2] is not None)
        return best[0], chosen, losses

    def _selection_loss(self, booster: lgb.Booster,
                        valid: tuple[pd.DataFrame, np.ndarray]) -> float:
        """The loss a candidate is chosen on: classifiers' log loss on ``valid`` after Platt
        scaling fitted there (the served probabilities are recalibrated on these rows, so a
        level the training cutoffs set differently must not decide: a booster started from
        the baseline's level had won on raw log loss and ranked worse), value's objective
        loss at the early-stopping iteration."""
        if self.kind != "classifier":
            scores = booster.best_score.get("valid_0") or {}
            return float(next(iter(scores.values()))) if scores else float("nan")
        y = np.asarray(valid[1], dtype=float)
        raw = self._raw(booster, valid[0])
        p = _Calibrator("sigmoid").fit(raw, y).transform(raw, "classifier")
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def _baseline_candidates(self, x: pd.DataFrame, y: np.ndarray
                             ) -> tuple[Baseline | None, ...]:
        """The baselines to try (``baseline``): the plain booster and/or the BG/NBD GLM
        fitted on ``x``, ``y``; the plain one alone without BG/NBD columns or with an
        objective whose link the GLM does not share."""
        if self.baseline is False or not set(BASELINE_COLUMNS) <= set(x.columns):
            return (None,)
        objective = str(self._params()["objective"])
        if self.kind == "regressor" and objective not in _LOG_LINK:
            return (None,)
        power = 1.0 if objective == "poisson" else 2.0 if objective == "gamma" else 1.3
        base = fit_baseline(x[list(BASELINE_COLUMNS)].to_numpy(dtype=np.float64), y,
                            self.kind, tweedie_power=power)
        if base is None:
            return (None,)
        return (base,) if self.baseline else (None, base)

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

    def _metrics(self, y: np.ndarray, pred: np.ndarray) -> ClassifierMetrics | ValueMetrics:
        return classifier_metrics(y, pred) if self.kind == "classifier" else value_metrics(y, pred)

    # ------------------------------------------------------------------ fit
    def _label_record(self, frame: pd.DataFrame, label_col: str) -> dict[str, object]:
        """The label definition to record (``labels_``): the frame's own mark (``attrs
        ["labels"]``, set by ``features.build_training_set``) checked against the settings."""
        marked = frame.attrs.get("labels") or {}
        h_frame, no_visit_frame = marked.get("horizon_days"), marked.get("churn_needs_no_visit")
        if h_frame is not None and self.horizon_days is not None and \
                int(h_frame) != int(self.horizon_days):
            raise ValueError(f"CustomerModel({self.task}, horizon_days={self.horizon_days}): the "
                             f"frame's labels were built over {h_frame}-day windows "
                             "(build_training_set); pass horizon_days=" f"{h_frame}")
        if no_visit_frame is not None and self.churn_needs_no_visit is not None and \
                bool(no_visit_frame) != bool(self.churn_needs_no_visit) and \
                self.task == "churn" and label_col == "label_churn":
            raise ValueError(f"CustomerModel(churn, churn_needs_no_visit="
                             f"{self.churn_needs_no_visit}): the frame's label_churn was built "
                             f"with churn_needs_no_visit={bool(no_visit_frame)} "
                             "(build_training_set); pass the same rule")
        horizon = self.horizon_days
        rule = None
        if self.task == "churn" and label_col == "label_churn" and (
                horizon is not None or no_visit_frame is not None):
            no_visit = (self.churn_needs_no_visit if self.churn_needs_no_visit is not None
                        else bool(no_visit_frame))
            rule = "no_order_no_visit" if no_visit else "no_order"
        return {"task": self.task, "label_col": label_col,
                "horizon_days": None if horizon is None else int(horizon), "churn_rule": rule}

    def fit(self, frame: pd.DataFrame) -> CustomerModel:
        """Fit on a stacked feature+label frame (see module docstring); returns ``self``."""
        label_col = self._validate_task()
        if label_col not in frame.columns:
            raise ValueError(f"CustomerModel({self.task}): label column {label_col!r} is missing; "
                             f"received columns {list(frame.columns)[:20]}. Pass label_col= "
                             "(CLI: --label-col) naming the column that holds the label.")
        self.labels_ = self._label_record(frame, label_col)
        for attr in ("features_", "input_features_", "bgnbd_params_"):
            self.__dict__.pop(attr, None)  # a refit starts from nothing (see ``augment``)
        check_unique_rows(frame, self.task)
        y_all = self._labels(frame, label_col)
        keep = y_all.notna().to_numpy()
        n_missing = int((~keep).sum())
        if n_missing:
            # the CLI shows this line once (it had printed a second note of its own)
            _log.warning("CustomerModel(%s): %s of %s rows have no label (%r empty) and are "
                         "not used", self.task, f"{n_missing:,}", f"{len(frame):,}", label_col)
        data = frame.loc[keep].reset_index(drop=True)
        self.derived_version_ = DERIVED_VERSION
        if self.derive:
            data = add_derived(data, self.derived_version_)
        train, calib, valid, scheme = self._split(data)
        self.bgnbd_params_: BgNbdParams | None = None
        if self.bgnbd and set(BGNBD_COLUMNS) <= set(data.columns):
            try:
                self.bgnbd_params_ = fit_bgnbd(data.loc[train], seed=self.seed)
            except ValueError as exc:  # too few buyers: go on without the two features
                _log.warning("CustomerModel(%s): BG/NBD features skipped (%s)", self.task, exc)
            data = self.augment(data)
        y = y_all[keep].to_numpy()
        numeric, categorical, skipped = split_columns(data, label_col, self.exclude)
        skipped = outcome_dates(data, y, skipped, self.kind, LEAKAGE_THRESHOLD)
        if not numeric and not categorical:
            raise ValueError(f"CustomerModel({self.task}): no feature columns found; received "
                             f"columns {list(frame.columns)}. Add numeric or text feature columns.")
        self.numeric_, self.categorical_ = numeric, categorical
        self.features_ = numeric + categorical
        # Columns a scoring frame must carry (derived features are recomputed from them).
        self.input_features_ = [c for c in self.features_ if c in frame.columns]
        self.levels_ = {c: _fit_levels(data[c], f"CustomerModel({self.task}): column {c!r}")
                        for c in categorical}
        x = self._matrix(data)
        # Typical values for reason sentences ("high (142 vs typical 35)").
        self.typical_ = {c: float(np.nanmedian(x[c].to_numpy())) if x[c].notna().any()
                         else float("nan") for c in numeric}

        for name, mask in (("training", train), ("calibration", calib), ("validation", valid)):
            if mask.sum() < 20:
                raise ValueError(f"CustomerModel({self.task}): the {name} part of the {scheme} "
                                 f"split has {int(mask.sum())} rows; at least 20 are needed. "
                                 "Provide more customers or more cutoffs.")
        if self.kind == "classifier":
            for name, mask in (("training", train), ("calibration", calib)):
                if len(np.unique(y[mask])) < 2:
                    raise ValueError(f"CustomerModel({self.task}): the {name} rows have only one "
                                     f"label value ({y[mask][0]:.0f}); both 0 and 1 are needed. "
                                     "Use a longer horizon or more customers.")

        # the trees are chosen by boosters fitted on the training cutoffs whose labels cover at
        # most half of the calibration window (``selection_rows``), then refitted on them all
        select = selection_rows(data, train, calib, y, self.horizon_days, self.kind)
        booster, self.settings_, self.settings_losses_ = self._fit_settings(
            x[select], y[select], (x[calib], y[calib]),
            self._baseline_candidates(x[select], y[select]))
        best = int(booster.best_iteration or booster.current_iteration())
        if select.sum() < train.sum():
            booster = self._train(x[train], y[train], best, None)
        raw_cal, raw_val = self._raw(booster, x[calib]), self._raw(booster, x[valid])

        kind = self.kind
        if kind == "classifier":
            methods = ["isotonic", "sigmoid"] if self.calibration == "auto" else [self.calibration]
        else:
            methods = ["scale", "none"] if self.calibration == "auto" else [self.calibration]
        # the method is chosen on the calibration rows (two halves, each scored by a calibrator
        # fitted on the other), not on the validation rows whose metrics are reported and
        # decide promotion (choosing there had flattered them: the better of two on those rows)
        scores = _calibration_scores(methods, raw_cal, y[calib], kind)
        method = min(scores, key=scores.__getitem__)
        fitted = {method: _Calibrator(method).fit(raw_cal, y[calib])}
        validation = self._metrics(y[valid], fitted[method].transform(raw_val, kind))
        validation_active = None
        if "days_since_last_event" in data.columns:
            recent = (pd.to_numeric(data["days_since_last_event"], errors="coerce")
                      <= (self.horizon_days or 90)).to_numpy()[valid]
            if min(recent.sum(), (~recent).sum()) >= 50:
                validation_active = self._metrics(
                    y[valid][recent], fitted[method].transform(raw_val[recent], kind))
        uncalibrated = self._metrics(y[valid], _Calibrator("none").transform(raw_val, kind))

        do_refit = self.refit and scheme != "last_cutoff_users"
        if do_refit:
            fit_rows = train | calib
            booster = self._train(x[fit_rows], y[fit_rows], best, None)
            calibrator = _Calibrator(method).fit(self._raw(booster, x[valid]), y[valid])
        else:
            calibrator = fitted[method]

        def cutoffs(mask: np.ndarray) -> tuple[str, ...]:
            if "cutoff" not in data.columns:
                return ()
            return tuple(str(pd.Timestamp(c).date())
                         for c in np.sort(pd.to_datetime(data.loc[mask, "cutoff"]).unique()))

        gain = booster.feature_importance(importance_type="gain")
        strength = single_feature_strength(x[train], y[train], x[valid], y[valid], kind,
                                           seed=self.seed)
        guards = model_guards(validation, strength,
                              dict(zip(self.features_, map(float, gain), strict=True)),
                              trusted=point_in_time(frame, self.features_))
        best_single = (max(strength.items(), key=lambda kv: kv[1]) if strength else None)
        best_capture = (single_feature_capture(x[train], y[train], x[valid], y[valid],
                                               best_single[0])
                        if best_single is not None and kind != "classifier" else None)
        split = CutoffSplit(scheme, cutoffs(train), cutoffs(calib), cutoffs(valid),
                            int(train.sum()), int(calib.sum()), int(valid.sum()))
        overlap = validation_overlap(split, self.horizon_days)
        warnings = guards.warnings + ((overlap,) if overlap else ())
        if kind == "classifier":
            warnings += tuple(one_class_gaps(
                x, y, skip={*point_in_time(frame, self.features_), *guards.suspected_leakage}))
        for text in warnings:
            _log.warning("%s: %s", self.task, text)
        self.booster_ = booster
        self.calibrator_ = calibrator
        # per numeric feature: does a higher value raise (+1) or lower (-1) its contribution?
        # (decision-path credits, as the reasons use; TreeSHAP took 16 s on the demo's churn)
        rows = np.flatnonzero((train | calib) if do_refit else train)
        rows = np.random.default_rng(self.seed).permutation(rows)[:5_000]
        contrib = self.path_contributions(data.iloc[rows])[self.features_].to_numpy()
        self.directions_ = prior_directions(self.task, feature_directions(
            contrib, x.iloc[rows], numeric))
        # columns that are copies of another here (purchase-only log: last activity = last
        # purchase) give one reason, not two with one value
        self.same_as_ = identical_features(x.iloc[rows], numeric)
        # 0/1 columns of a table ("SeniorCitizen: yes", not "is high (1 vs typical 0)"); a
        # model saved before this reads none (its reasons as they were)
        self.binary_ = binary_features(x, numeric)
        # Rows (user_id, cutoff) the served model was fitted or calibrated on: a later champion
        # comparison leaves them out (``training._customer_mlflow``).
        self.fitted_rows_ = np.unique(row_keys(data)) if "user_id" in data.columns else None
        self.label_col_ = label_col
        self.best_iteration_ = best
        self.report_ = CustomerFitReport(
            task=self.task,
            label_col=label_col,
            split=split,
            n_rows=len(frame),
            n_missing_label=n_missing,
            features=tuple(self.features_),
            skipped_columns=skipped,
            best_iteration=best,
            calibration_method=method,
            calibration_scores=scores,
            validation=validation,
            validation_uncalibrated=uncalibrated,
            refit=do_refit,
            warnings=warnings,
            suspected_leakage=guards.suspected_leakage,
            no_skill=guards.no_skill,
            validation_active=validation_active,
            best_single_feature=best_single,
            best_single_capture=best_capture,
            overlapping_validation=overlap is not None,
            selection_cutoffs=cutoffs(select) if select.sum() < train.sum() else (),
        )
        # Kept for plots: validation labels and predictions of the honest (pre-refit) model.
        self.validation_frame_ = pd.DataFrame({
            "y": y[valid],
            "pred": fitted[method].transform(raw_val, kind),
            "pred_uncalibrated": _Calibrator("none").transform(raw_val, kind),
        })
        return self

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise RuntimeError(f"CustomerModel({self.task}) is not fitted; call fit(frame) first")

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated LightGBM output: log-odds for classifiers, revenue for value."""
        self._check_fitted()
        return self._raw(self.booster_, self._array(frame))

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the label (classifiers) or predicted revenue (value)."""
        return self.score_from_raw(self.raw_score(frame))

    def score_from_raw(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated scores from ``raw_score`` output."""
        out = self.calibrator_.transform(raw, self.kind)
        return np.clip(out, 0.0, 1.0) if self.kind == "classifier" else np.maximum(out, 0.0)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` array of calibrated P(label = 0), P(label = 1); classifiers only."""
        if self.kind != "classifier":
            raise TypeError(f"CustomerModel({self.task}): predict_proba is for churn/propensity; "
                            "use predict() or score() for value")
        p = self.score(frame)
        return np.column_stack([1 - p, p])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Class labels at probability 0.5 (classifiers) or predicted revenue (value)."""
        s = self.score(frame)
        return (s >= 0.5).astype(int) if self.kind == "classifier" else s

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-customer feature contributions (LightGBM ``pred_contrib``) plus ``bias``.

        Contributions are on the raw scale (log-odds for classifiers, the objective's link scale
        for value) and sum to the raw score.
        """
        self._check_fitted()
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

    def path_contributions(self, frame: pd.DataFrame, block: int = 16_384) -> pd.DataFrame:
        """Fast per-customer contributions by decision path (Saabas), same layout as above.

        Each split on a customer's path credits its feature with the change in node value it
        causes; per tree the credits sum to leaf value minus root value, so the row total plus
        ``bias`` equals the raw score, like ``contributions``. About 10-20x cheaper than TreeSHAP
        (O(trees x depth) per customer), at the price of ignoring feature interactions' order.
        """
        tables = self.path_tables()
        arr = self._array(frame)
        _, contrib = leaf_outputs(self.booster_, arr, tables, block=block)
        assert contrib is not None
        const = self._offset_contributions(arr, contrib)
        res = pd.DataFrame(contrib, columns=self.features_, index=frame.index)
        res["bias"] = tables.bias + const
        return res

    def path_score(self, frame: pd.DataFrame, block: int = 16_384
                   ) -> tuple[np.ndarray, np.ndarray]:
        """``score(frame)`` and the decision-path contributions ``(n, len(features_))`` from one
        pass over the trees. Classifier scores are bit-identical to ``score``; value scores
        apply the log link with numpy instead of LightGBM (equal to ~1e-15 relative)."""
        tables = self.path_tables()
        arr = self._array(frame)
        raw, contrib = leaf_outputs(self.booster_, arr, tables, block=block)
        offset = self._offset(arr)
        if offset is not None:  # the margin the booster was fitted from
            assert contrib is not None
            raw = raw + offset
            self._offset_contributions(arr, contrib)
        if self.kind == "regressor" and self._params()["objective"] in _LOG_LINK:
            raw = np.exp(raw)
        elif self.kind == "regressor" and self._params()["objective"] not in _IDENTITY:
            raw = self.raw_score(frame)  # unknown link: let LightGBM apply it
        return self.score_from_raw(raw), contrib  # type: ignore[return-value]

    def path_score_only(self, frame: pd.DataFrame) -> np.ndarray:
        """``path_score(frame)[0]`` without the contributions, at the cost of ``score``: the
        margin LightGBM sums is the paths' sum to the bit, and a log link is applied by numpy
        as there (``score`` lets LightGBM apply it: ~1e-15 relative apart). For answers that
        must equal the snapshot score cache's (scored with ``path_score``) to the last digit."""
        if self.kind == "regressor" and self._params()["objective"] in _LOG_LINK:
            self._check_fitted()
            arr = self._array(frame)
            margin = np.asarray(self.booster_.predict(arr, raw_score=True), dtype=float)
            offset = self._offset(arr)
            raw = np.exp(margin if offset is None else margin + offset)
            return self.score_from_raw(raw)
        return self.score(frame)

    def importance(self) -> pd.Series:
        """Total split gain per feature, largest first."""
        self._check_fitted()
        gain = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.features_, name="gain").sort_values(ascending=False)
