"""How a ``CustomerModel`` is fitted: the split in time, the settings and baseline chosen by early
stopping, the calibrator, the guards and the fit report (``CustomerModel.fit`` runs ``fit_model``).

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
or isotonic regression; for value, a single multiplicative factor that makes the total
prediction equal the total actual revenue, or none. Each is scored on the calibration rows,
each half by a calibrator fitted on the other half, and the lower Brier score (value:
|aggregate bias|) wins; with four cutoffs or more, whether to calibrate at all is then checked
in time (``_check_windows``, ``training._customer_calibration.choose_calibration``): the
method fitted on one labelled window must improve the next, or none is kept. The winner is
fitted on the calibration rows (the served model's on the validation rows); every score is
recorded in ``report_``. The validation rows choose nothing: their metrics are the ones
reported and compared for promotion.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from training._customer_baseline import (
    BASELINE_COLUMNS,
    SHARE_COLUMNS,
    Baseline,
    fit_baseline,
)
from training._customer_bgnbd import BGNBD_COLUMNS, fit_bgnbd
from training._customer_calibration import CALIBRATION_WINDOWS, choose_calibration
from training._customer_calibration import Calibrator as _Calibrator
from training._customer_columns import (
    DERIVED_VERSION,
    add_derived,
    outcome_dates,
    point_in_time,
    split_columns,
)
from training._customer_dates import (
    DAYS_PREFIX,
    NO_SNAPSHOT_REASON,
    _as_dates,
    date_candidates,
    days_since,
    snapshot_dates,
)
from training._customer_eval import (
    ClassifierMetrics,
    ValueMetrics,
    check_unique_rows,
    classifier_metrics,
    value_metrics,
)
from training._customer_levels import fit_levels, read_yes_no, yes_no_spellings
from training._customer_reasons import (
    binary_features,
    feature_directions,
    identical_features,
    percent_features,
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

if TYPE_CHECKING:
    from training._customer_models import CustomerModel

__all__ = ["LOG_LINK", "fit_model", "row_keys", "seen_rows", "selection_rows", "split_rows"]

_log = logging.getLogger("training._customer_models")  # the customer model's own logger

LOG_LINK = frozenset({"tweedie", "poisson", "gamma"})
"""Value objectives with a log link (the BG/NBD baseline's margin and path scores use it)."""


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """A uint64 hash of each row's (``user_id``, ``cutoff``): the same customer snapshot gives
    the same key in any frame, whatever the dtypes the table was read with."""
    keys = pd.DataFrame({"user_id": frame["user_id"].astype(str).to_numpy()})
    if "cutoff" in frame.columns:
        keys["cutoff"] = pd.to_datetime(frame["cutoff"]).to_numpy().astype(
            "datetime64[D]").astype(np.int64)
    return pd.util.hash_pandas_object(keys, index=False).to_numpy()


def value_key_dates(model: CustomerModel) -> dict[str, str | None]:
    """The date columns ``row_value_keys`` hashes for ``model`` (its ``date_days_`` with their
    formats); none for a model fitted before they were hashed (``fitted_values_dates_``
    False: its recorded keys lack them)."""
    if not getattr(model, "fitted_values_dates_", False):
        return {}
    formats = getattr(model, "date_formats_", None) or {}
    return {c: formats.get(c) for c in getattr(model, "date_days_", ())}


def seen_rows(frame: pd.DataFrame, seen: np.ndarray,
              keys: Callable[[pd.DataFrame], np.ndarray] = row_keys) -> np.ndarray:
    """Per row of ``frame``, whether its key (``keys``: ``row_keys``, or ``row_value_keys``
    with a model's columns) is among ``seen``, a model's recorded rows.

    A row whose id is an integer (``'12345'``) is also looked up as ``'12345.0'``: a model
    trained before 2026-12-06 on a table whose ids were written so hashed its rows under that
    text, and the table's ids read ``'12345'`` since (``features.table_ids``). Every reader of
    the recorded rows goes through here (the in-sample note, the customers a model knows, the
    champion comparison): the comparison had called a retrain on the same table a model of
    "other customers (0 of 500 in common)", and never compared it."""
    known = np.isin(keys(frame), seen)
    ids = frame["user_id"].astype(str)
    retry = ids.str.fullmatch(r"-?\d+").fillna(False).to_numpy() & ~known
    if retry.any():
        again = frame.loc[retry].assign(user_id=ids[retry] + ".0")
        known[retry] = np.isin(keys(again), seen)
    return known


def row_value_keys(frame: pd.DataFrame, numeric: list[str], categorical: list[str],
                   dates: dict[str, str | None] | None = None) -> np.ndarray:
    """``row_keys`` with the row's values of ``numeric`` and ``categorical`` hashed in: the
    same customer snapshot with the same values gives the same key whatever the dtypes it was
    read with (numbers as floats, categories as text, empty cells alike); a later snapshot of
    the same customer, whose values moved, another. Columns ``frame`` lacks count as empty.

    ``dates``: the date columns a model reads as days since the snapshot (``date_days_``,
    with the format each was read with at fit, ``date_formats_``), hashed as their days
    whether they arrive as dates (at fit) or as text (at scoring). Until 2026-12-07 they were
    left out: a later export of the same customers whose plan and counts had not moved but
    whose last purchase had was called in-sample."""
    # one frame built at once: a column added at a time warns "highly fragmented" past 100
    # columns (a loyalty log's 107 features), an error under the tests' warning filter
    cols: dict[str, object] = {"row": row_keys(frame)}
    for col, fmt in (dates or {}).items():
        cols[f"date:{col}"] = (_date_text(frame[col], col, fmt) if col in frame.columns
                               else "\x00")
    for col in numeric:
        cols[col] = (pd.to_numeric(frame[col], errors="coerce").astype("float64").to_numpy()
                     if col in frame.columns else np.nan)
    for col in categorical:
        cols[col] = (frame[col].astype("string").fillna("\x00").to_numpy(dtype=object)
                     if col in frame.columns else "\x00")
    return pd.util.hash_pandas_object(pd.DataFrame(cols), index=False).to_numpy()


def _date_text(values: pd.Series, col: str, fmt: str | None) -> np.ndarray:
    """A date column's days as 'YYYY-MM-DD' text (missing or unreadable: '\x00'), read as
    scoring reads it (``training._customer_dates``)."""
    try:
        days = _as_dates(values, col, "table", fmt)
    except ValueError:  # a cell that is no date: scoring stops on it with its own error
        try:
            days = pd.to_datetime(values, errors="coerce", format="mixed")
        except ValueError:  # offsets mixed with plain times: pandas wants utc=True
            days = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
    return pd.Series(days).dt.strftime("%Y-%m-%d").fillna("\x00").to_numpy(dtype=object)


def _user_hash(user_ids: pd.Series, seed: int) -> np.ndarray:
    """Deterministic uniform [0, 1) number per user id (stable across runs and machines)."""
    key = f"{seed:016d}"[-16:]
    h = pd.util.hash_pandas_object(user_ids.astype(str).reset_index(drop=True), index=False,
                                   hash_key=key).to_numpy()
    return (h >> np.uint64(11)).astype(np.float64) / float(2**53)


def _check_windows(model: CustomerModel, data: pd.DataFrame, x: pd.DataFrame, y: np.ndarray,
                   train: np.ndarray, calib: np.ndarray, rounds: int
                   ) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[str, ...]]:
    """The labelled windows the calibration method is chosen on in time, oldest first
    (``(raw, y)`` each), and their cutoffs: the calibration cutoff and up to
    ``CALIBRATION_WINDOWS - 1`` training cutoffs before it, all scored by one booster of
    ``rounds`` trees (the chosen settings) fitted on the cutoffs before the earliest of them
    only, which has at least 20 rows (and both classes, or some revenue). One booster for all,
    so a calibrator fitted on one window is checked on the next through the margins it was
    fitted to. Empty without two such windows (a table without cutoffs, three cutoffs or
    fewer)."""
    if "cutoff" not in data.columns:
        return [], ()
    cut = pd.to_datetime(data["cutoff"])
    earlier = np.sort(cut[train].unique())
    for first in earlier[1:][-(CALIBRATION_WINDOWS - 1):]:
        before = train & (cut < first).to_numpy()
        learnable = (len(np.unique(y[before])) == 2 if model.kind == "classifier"
                     else bool((y[before] > 0).any()))
        if before.sum() >= 20 and learnable:
            break
    else:
        return [], ()
    booster = _train(model, x[before], y[before], rounds, None)
    rows = [(cut == c).to_numpy() for c in earlier[earlier >= first]] + [calib]
    names = [str(pd.Timestamp(c).date()) for c in earlier[earlier >= first]]
    names += [str(pd.Timestamp(c).date()) for c in np.sort(cut[calib].unique())]
    return [(model._raw(booster, x[r]), y[r]) for r in rows], tuple(names)


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


def split_rows(frame: pd.DataFrame, seed: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Training, calibration and validation rows of ``frame`` and the name of the scheme
    (see the module docstring); ``seed`` seeds the customer hash."""
    n = len(frame)
    if "cutoff" in frame.columns and frame["cutoff"].nunique() >= 2:
        cut = pd.to_datetime(frame["cutoff"])
        levels = np.sort(cut.unique())
        if len(levels) >= 3:
            train = (cut < levels[-2]).to_numpy()
            calib = (cut == levels[-2]).to_numpy()
            return train, calib, (cut == levels[-1]).to_numpy(), "cutoffs"
        last = (cut == levels[-1]).to_numpy()
        h = _user_hash(frame["user_id"], seed) if "user_id" in frame else (
            np.random.default_rng(seed).random(n))
        return ~last, last & (h < 0.5), last & (h >= 0.5), "last_cutoff_users"
    h = _user_hash(frame["user_id"], seed) if "user_id" in frame else (
        np.random.default_rng(seed).random(n))
    return h < 0.6, (h >= 0.6) & (h < 0.8), h >= 0.8, "users"


def _train(model: CustomerModel, x: pd.DataFrame, y: np.ndarray, rounds: int,
           valid: tuple[pd.DataFrame, np.ndarray] | None) -> lgb.Booster:
    dtrain = lgb.Dataset(x, y, init_score=model._offset(x),
                         categorical_feature=model.categorical_ or "auto", free_raw_data=True)
    callbacks: list[Callable[..., Any]] = []
    valid_sets: list[lgb.Dataset] = []
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], valid[1], init_score=model._offset(valid[0]),
                                  reference=dtrain)]
        callbacks.append(lgb.early_stopping(50, verbose=False))
    return lgb.train(model._params(), dtrain, num_boost_round=rounds,
                     valid_sets=valid_sets, callbacks=callbacks)


def _fit_settings(model: CustomerModel, x: pd.DataFrame, y: np.ndarray,
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
    for cand in model._candidate_settings():
        for base in baselines:
            model.settings_, model.baseline_ = cand, base
            booster = _train(model, x, y, model._rounds(cand), valid)
            loss = _selection_loss(model, booster, valid)
            losses.append(loss)
            if best is None or loss < best_loss:  # NaN never wins over a number
                best, best_loss = (booster, cand, base), (loss if np.isfinite(loss)
                                                          else np.inf)
    assert best is not None
    model.baseline_ = best[2]
    chosen = dict(best[1])
    if len(baselines) > 1 or baselines[0] is not None:
        chosen["baseline"] = float(best[2] is not None)
    return best[0], chosen, losses


def _selection_loss(model: CustomerModel, booster: lgb.Booster,
                    valid: tuple[pd.DataFrame, np.ndarray]) -> float:
    """The loss a candidate is chosen on: classifiers' log loss on ``valid`` after Platt
    scaling fitted there (the served probabilities are recalibrated on these rows, so a
    level the training cutoffs set differently must not decide: a booster started from
    the baseline's level had won on raw log loss and ranked worse), value's objective
    loss at the early-stopping iteration."""
    if model.kind != "classifier":
        scores = booster.best_score.get("valid_0") or {}
        return float(next(iter(scores.values()))) if scores else float("nan")
    y = np.asarray(valid[1], dtype=float)
    raw = model._raw(booster, valid[0])
    p = _Calibrator("sigmoid").fit(raw, y).transform(raw, "classifier")
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _baseline_candidates(model: CustomerModel, x: pd.DataFrame, y: np.ndarray
                         ) -> tuple[Baseline | None, ...]:
    """The baselines to try (``baseline``): the plain booster and/or the BG/NBD GLM
    fitted on ``x``, ``y``; the plain one alone without BG/NBD columns or with an
    objective whose link the GLM does not share."""
    if model.baseline is False or not set(BASELINE_COLUMNS) <= set(x.columns):
        return (None,)
    objective = str(model._params()["objective"])
    if model.kind == "regressor" and objective not in LOG_LINK:
        return (None,)
    power = 1.0 if objective == "poisson" else 2.0 if objective == "gamma" else 1.3
    shares = tuple(c for c in SHARE_COLUMNS if c in x.columns) if model.kind == "regressor" \
        else ()
    base = fit_baseline(x[list(BASELINE_COLUMNS + shares)].to_numpy(dtype=np.float64), y,
                        model.kind, tweedie_power=power, shares=shares)
    if base is None:
        return (None,)
    return (base,) if model.baseline else (None, base)


def _metrics(kind: str, y: np.ndarray, pred: np.ndarray) -> ClassifierMetrics | ValueMetrics:
    return classifier_metrics(y, pred) if kind == "classifier" else value_metrics(y, pred)


def _label_record(model: CustomerModel, frame: pd.DataFrame, label_col: str) -> dict[str, object]:
    """The label definition to record (``labels_``): the frame's own mark (``attrs
    ["labels"]``, set by ``features.build_training_set``) checked against the settings."""
    marked = frame.attrs.get("labels") or {}
    h_frame, no_visit_frame = marked.get("horizon_days"), marked.get("churn_needs_no_visit")
    if h_frame is not None and model.horizon_days is not None and \
            int(h_frame) != int(model.horizon_days):
        raise ValueError(f"CustomerModel({model.task}, horizon_days={model.horizon_days}): the "
                         f"frame's labels were built over {h_frame}-day windows "
                         "(build_training_set); pass horizon_days=" f"{h_frame}")
    if no_visit_frame is not None and model.churn_needs_no_visit is not None and \
            bool(no_visit_frame) != bool(model.churn_needs_no_visit) and \
            model.task == "churn" and label_col == "label_churn":
        raise ValueError(f"CustomerModel(churn, churn_needs_no_visit="
                         f"{model.churn_needs_no_visit}): the frame's label_churn was built "
                         f"with churn_needs_no_visit={bool(no_visit_frame)} "
                         "(build_training_set); pass the same rule")
    horizon = model.horizon_days
    rule = None
    if model.task == "churn" and label_col == "label_churn" and (
            horizon is not None or no_visit_frame is not None):
        no_visit = (model.churn_needs_no_visit if model.churn_needs_no_visit is not None
                    else bool(no_visit_frame))
        rule = "no_order_no_visit" if no_visit else "no_order"
    return {"task": model.task, "label_col": label_col,
            "horizon_days": None if horizon is None else int(horizon), "churn_rule": rule}


def _date_features(model: CustomerModel, frame: pd.DataFrame, keep: np.ndarray,
                   data: pd.DataFrame, numeric: list[str], skipped: dict[str, str]
                   ) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """The date columns as ``days_since_<col>`` features when the table says when it was
    taken (``training._customer_dates``), recorded in ``model.date_days_``; without a
    snapshot date they stay out with a reason naming --asof."""
    model.date_days_, model.date_formats_, model.date_days_max_ = (), {}, {}
    dates = date_candidates(data, skipped)
    if not dates:
        return data, numeric, skipped
    if snapshot_dates(data) is None:
        return data, numeric, {**skipped, **dict.fromkeys(dates, NO_SNAPSHOT_REASON)}
    # on the whole table, so the leak note counts its rows as the file does
    days, notes = days_since(frame, dates, str(frame.attrs.get("source", "table")))
    for note in notes.values():
        _log.warning("CustomerModel(%s): %s", model.task, note)
    days = days.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    data = pd.concat([data.drop(columns=[c for c in days.columns if c in data.columns]), days],
                     axis=1)
    data.attrs = dict(frame.attrs)
    model.date_days_ = tuple(dates)
    # the most days since each date among the rows fitted on: scoring names a table past them
    model.date_days_max_ = {c: float(np.nanmax(v)) for c in dates
                            if (v := days[DAYS_PREFIX + c].to_numpy(dtype=float)).size
                            and not np.isnan(v).all()}
    # how each was read (day-first '%d/%m/%Y', ...): scoring reads its text cells the same way
    # (a table of days all 12 or less had been 'ambiguous' at scoring)
    read = frame.attrs.get("date_formats", {})
    model.date_formats_ = {c: str(read[c]) for c in dates if c in read}
    _log.warning("CustomerModel(%s): date columns read as days since the row's snapshot date "
                 "(%s): %s", model.task, "its cutoff" if "cutoff" in data.columns else "--asof",
                 ", ".join(f"{c} as {DAYS_PREFIX}{c}" for c in dates))
    return (data, [*numeric, *days.columns],
            {c: why for c, why in skipped.items() if c not in dates})


def fit_model(model: CustomerModel, frame: pd.DataFrame) -> CustomerModel:
    """``CustomerModel.fit``: fit ``model`` on a stacked feature+label frame (see the module
    docstring); returns ``model``."""
    label_col = model._validate_task()
    if label_col not in frame.columns:
        raise ValueError(f"CustomerModel({model.task}): label column {label_col!r} is missing; "
                         f"received columns {list(frame.columns)[:20]}. Pass label_col= "
                         "(CLI: --label-col) naming the column that holds the label.")
    model.labels_ = _label_record(model, frame, label_col)
    for attr in ("features_", "input_features_", "bgnbd_params_", "date_days_"):
        model.__dict__.pop(attr, None)  # a refit starts from nothing (see ``augment``)
    check_unique_rows(frame, model.task)
    y_all = model._labels(frame, label_col)
    keep = y_all.notna().to_numpy()
    n_missing = int((~keep).sum())
    if n_missing:
        # the CLI shows this line once (it had printed a second note of its own)
        _log.warning("CustomerModel(%s): %s of %s rows have no label (%r empty) and are "
                     "not used", model.task, f"{n_missing:,}", f"{len(frame):,}", label_col)
    data = frame.loc[keep].reset_index(drop=True)
    if model.kind == "regressor" and model.value_objective == "gamma":
        n_zero = int((y_all[keep].to_numpy() <= 0).sum())
        if n_zero:
            raise ValueError(
                f"CustomerModel({model.task}, value_objective='gamma'): the gamma objective "
                f"needs a {label_col!r} above 0 in every row; {n_zero:,} of {len(data):,} "
                f"rows have {label_col} 0 (customers who spent nothing in the window). Fix: "
                "use value_objective='tweedie' (the default, made for revenue with many "
                f"zeros), or fit the gamma model on the buyers only ({label_col} > 0).")
    model.derived_version_ = DERIVED_VERSION
    if model.derive:
        data = add_derived(data, model.derived_version_)
    train, calib, valid, scheme = split_rows(data, model.seed)
    model.bgnbd_params_ = None
    if model.bgnbd and set(BGNBD_COLUMNS) <= set(data.columns):
        try:
            model.bgnbd_params_ = fit_bgnbd(data.loc[train], seed=model.seed)
        except ValueError as exc:  # too few buyers: go on without the two features
            _log.warning("CustomerModel(%s): BG/NBD features skipped (%s)", model.task, exc)
        data = model.augment(data)
    y = y_all[keep].to_numpy()
    numeric, categorical, skipped = split_columns(data, label_col, model.exclude)
    skipped = outcome_dates(data, y, skipped, model.kind, LEAKAGE_THRESHOLD)
    data, numeric, skipped = _date_features(model, frame, keep, data, numeric, skipped)
    if not numeric and not categorical:
        raise ValueError(f"CustomerModel({model.task}): no feature columns found; received "
                         f"columns {list(frame.columns)}. Add numeric or text feature columns.")
    model.numeric_, model.categorical_ = numeric, categorical
    # a ';' table's number columns, read with ',' as the decimal mark: every scoring path
    # reads their text cells so (the pyfunc and the API had read '19,19' as missing)
    comma = set(frame.attrs.get("decimal_comma_columns", ()))
    model.decimal_comma_ = tuple(c for c in numeric if c in comma)
    model.features_ = numeric + categorical
    # Columns a scoring frame must carry (derived features are recomputed from them).
    model.input_features_ = [*(c for c in model.features_ if c in frame.columns),
                             *model.date_days_]
    # a column of yes/no written several ways ('yes', 'Y', 'true' / 'no', 'N'): one yes and
    # one no (until 2026-12-06 'Y' and 'N' were levels of their own: "Auto Renew: N")
    model.yes_no_ = {}
    for c in categorical:
        pair = yes_no_spellings(data[c], f"CustomerModel({model.task}): column {c!r}")
        if pair is not None:
            model.yes_no_[c] = pair
    # the share of empty cells of each category column (the table's rows, as its note counts):
    # scoring a table whose share differs a lot says so (a broken export)
    model.empty_shares_ = {c: float(frame[c].isna().mean()) if c in frame.columns and len(frame)
                           else 0.0 for c in categorical}
    model.levels_ = {c: fit_levels(read_yes_no(data[c], model.yes_no_[c])
                                   if c in model.yes_no_ else data[c],
                                   f"CustomerModel({model.task}): column {c!r}")
                    for c in categorical}
    x = model._matrix(data)
    # Typical values for reason sentences ("high (142 vs typical 35)").
    model.typical_ = {c: float(np.nanmedian(x[c].to_numpy())) if x[c].notna().any()
                     else float("nan") for c in numeric}

    for name, mask in (("training", train), ("calibration", calib), ("validation", valid)):
        if mask.sum() < 20:
            raise ValueError(f"CustomerModel({model.task}): the {name} part of the {scheme} "
                             f"split has {int(mask.sum())} rows; at least 20 are needed. "
                             "Provide more customers or more cutoffs.")
    if model.kind == "classifier":
        for name, mask in (("training", train), ("calibration", calib)):
            if len(np.unique(y[mask])) < 2:
                raise ValueError(f"CustomerModel({model.task}): the {name} rows have only one "
                                 f"label value ({y[mask][0]:.0f}); both 0 and 1 are needed. "
                                 "Use a longer horizon or more customers.")
    else:  # a Tweedie booster on all-zero labels stopped in LightGBM ("sum of labels is zero")
        for name, mask in (("training", train), ("calibration", calib)):
            if not (y[mask] > 0).any():
                raise ValueError(f"CustomerModel({model.task}): the {name} rows' "
                                 f"{label_col} is 0 for every one of the {int(mask.sum()):,} "
                                 "rows: no customer spent anything in the window, so there is "
                                 "no value to learn. Use a longer horizon or more customers "
                                 "(with events: do customers in the file ever buy twice?).")

    # the trees are chosen by boosters fitted on the training cutoffs whose labels cover at
    # most half of the calibration window (``selection_rows``), then refitted on them all
    select = selection_rows(data, train, calib, y, model.horizon_days, model.kind)
    booster, model.settings_, model.settings_losses_ = _fit_settings(
        model, x[select], y[select], (x[calib], y[calib]),
        _baseline_candidates(model, x[select], y[select]))
    best = int(booster.best_iteration or booster.current_iteration())
    if select.sum() < train.sum():
        booster = _train(model, x[train], y[train], best, None)
    raw_cal, raw_val = model._raw(booster, x[calib]), model._raw(booster, x[valid])

    kind = model.kind
    if kind == "classifier":
        methods = ["isotonic", "sigmoid"] if model.calibration == "auto" else [model.calibration]
    else:
        methods = ["scale", "none"] if model.calibration == "auto" else [model.calibration]
    # the method is chosen on the calibration windows (several: each fitted on the earlier and
    # scored on the next, so a season's level that does not carry over loses; one: two
    # halves, each scored by a calibrator fitted on the other), never on the validation rows
    # whose metrics are reported and decide promotion (choosing there had flattered them)
    # (a method named by the caller is kept: nothing to choose, no window to check)
    windows, window_cuts = (_check_windows(model, data, x, y, train, calib, best)
                            if len(methods) > 1 else ([], ()))
    method, scores = choose_calibration(methods, windows or [(raw_cal, y[calib])], kind)
    fitted = {method: _Calibrator(method).fit(raw_cal, y[calib])}
    validation = _metrics(model.kind, y[valid], fitted[method].transform(raw_val, kind))
    validation_active = None
    if "days_since_last_event" in data.columns:
        recent = (pd.to_numeric(data["days_since_last_event"], errors="coerce")
                  <= (model.horizon_days or 90)).to_numpy()[valid]
        if min(recent.sum(), (~recent).sum()) >= 50:
            validation_active = _metrics(
                kind, y[valid][recent], fitted[method].transform(raw_val[recent], kind))
    uncalibrated = _metrics(model.kind, y[valid], _Calibrator("none").transform(raw_val, kind))

    do_refit = model.refit and scheme != "last_cutoff_users"
    if do_refit:
        fit_rows = train | calib
        booster = _train(model, x[fit_rows], y[fit_rows], best, None)
        calibrator = _Calibrator(method).fit(model._raw(booster, x[valid]), y[valid])
    else:
        calibrator = fitted[method]

    def cutoffs(mask: np.ndarray) -> tuple[str, ...]:
        if "cutoff" not in data.columns:
            return ()
        return tuple(str(pd.Timestamp(c).date())
                     for c in np.sort(pd.to_datetime(data.loc[mask, "cutoff"]).unique()))

    gain = booster.feature_importance(importance_type="gain")
    strength = single_feature_strength(x[train], y[train], x[valid], y[valid], kind,
                                       seed=model.seed)
    guards = model_guards(validation, strength,
                          dict(zip(model.features_, map(float, gain), strict=True)),
                          trusted=point_in_time(frame, model.features_))
    best_single = (max(strength.items(), key=lambda kv: kv[1]) if strength else None)
    best_capture = (single_feature_capture(x[train], y[train], x[valid], y[valid], best_single[0])
                    if best_single is not None and kind != "classifier" else None)
    split = CutoffSplit(scheme, cutoffs(train), cutoffs(calib), cutoffs(valid),
                        int(train.sum()), int(calib.sum()), int(valid.sum()))
    overlap = validation_overlap(split, model.horizon_days)
    warnings = guards.warnings + ((overlap,) if overlap else ())
    if kind == "classifier":
        warnings += tuple(one_class_gaps(
            x, y, skip={*point_in_time(frame, model.features_), *guards.suspected_leakage}))
    for text in warnings:
        _log.warning("%s: %s", model.task, text)
    model.booster_ = booster
    model.calibrator_ = calibrator
    # per numeric feature: does a higher value raise (+1) or lower (-1) its contribution?
    # (decision-path credits, as the reasons use; TreeSHAP took 16 s on the demo's churn)
    rows = np.flatnonzero((train | calib) if do_refit else train)
    rows = np.random.default_rng(model.seed).permutation(rows)[:5_000]
    contrib = model.path_contributions(data.iloc[rows], allow_empty_columns=True)[
        model.features_].to_numpy()
    model.directions_ = prior_directions(model.task, feature_directions(
        contrib, x.iloc[rows], numeric))
    # columns that are copies of another here (purchase-only log: last activity = last
    # purchase) give one reason, not two with one value
    model.same_as_ = identical_features(x.iloc[rows], numeric)
    # 0/1 columns of a table ("SeniorCitizen: yes", not "is high (1 vs typical 0)"); a
    # model saved before this reads none (its reasons as they were)
    model.binary_ = binary_features(x, numeric)
    # shares read as percentages: the pipeline's, and a table's only when its name says so
    # and every value lies in [0, 1]; a model saved before reads the refund share only
    model.percent_ = percent_features(x, numeric)
    # Rows (user_id, cutoff) the served model was fitted or calibrated on: a later champion
    # comparison leaves them out (``training._customer_mlflow``).
    model.fitted_rows_ = np.unique(row_keys(data)) if "user_id" in data.columns else None
    # and of a customer table (no label window), those rows with their values: a later
    # snapshot of the same customers (same ids, moved values, no cutoff column) is not the
    # rows it learned, and had been called in-sample (``table_in_sample_note``)
    inputs = set(model.input_features_)
    model.fitted_values_dates_ = True  # the keys hash the date columns (value_key_dates)
    # the --asof its date columns were counted from: the same cells scored at another date
    # are another snapshot (days since moved), not the rows it learned (a dormant customer's
    # unchanged row in a later export had been called in-sample); recorded only, the fit
    # does not read it
    snaps = (snapshot_dates(data) if model.date_days_ and "cutoff" not in data.columns
             and model.horizon_days is None else None)
    model.fitted_asof_ = (None if snaps is None else
                          tuple(sorted({f"{d:%Y-%m-%d}" for d in snaps.dropna()})))
    model.fitted_values_ = (np.unique(row_value_keys(
        data, [c for c in model.numeric_ if c in inputs],
        [c for c in model.categorical_ if c in inputs], value_key_dates(model)))
        if "user_id" in data.columns and model.horizon_days is None else None)
    model.label_col_ = label_col
    model.best_iteration_ = best
    model.report_ = CustomerFitReport(
        task=model.task,
        label_col=label_col,
        split=split,
        n_rows=len(frame),
        n_missing_label=n_missing,
        features=tuple(model.features_),
        skipped_columns=skipped,
        best_iteration=best,
        calibration_method=method,
        calibration_scores=scores,
        calibration_windows=window_cuts,
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
    model.validation_frame_ = pd.DataFrame({
        "y": y[valid],
        "pred": fitted[method].transform(raw_val, kind),
        "pred_uncalibrated": _Calibrator("none").transform(raw_val, kind),
    })
    _kept_and_read(model, skipped)
    return model


def _kept_and_read(model: CustomerModel, skipped: dict[str, str]) -> None:
    """``kept_columns_`` (``brain train --keep-column``) reduced to the columns the model reads;
    one it does not read (a date column without a snapshot date, a column left out as an
    outcome) is named with why, as it had been recorded as kept while never read."""
    kept = tuple(getattr(model, "kept_columns_", ()) or ())
    read = set(model.input_features_)
    for col in (c for c in kept if c not in read):
        why = skipped.get(col) or ("excluded" if col in model.exclude else "not a feature")
        _log.warning("CustomerModel(%s): --keep-column %s: not used as a feature (%s), so not "
                     "recorded as kept", model.task, shlex.quote(col), why)
    model.kept_columns_ = tuple(c for c in kept if c in read)
