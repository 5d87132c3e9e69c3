"""Which columns of a customer frame are features, and the features derived from them.

``CustomerModel`` reads numbers and text as features and skips ids, other labels and dates
(``split_columns``); adds the ``DERIVED`` differences and ratios trees cannot form themselves
(``add_derived``); and trusts the features the event pipeline computed before each cutoff
(``point_in_time``) when it looks for leakage.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from training._customer_bgnbd import BGNBD_COLUMNS

__all__ = ["DATE_REASON", "DERIVED", "DERIVED_VERSION", "ID_COLUMNS", "RATE_FLOOR_DAYS",
           "SHARE_PREFIXES", "add_derived", "as_float", "outcome_dates", "point_in_time",
           "split_columns"]

ID_COLUMNS: tuple[str, ...] = ("user_id", "cutoff", "asof")
DATE_REASON = "datetime column (a date is read as days since the snapshot date)"
"""A date column's reason in ``split_columns``; ``training._customer_dates`` derives
``days_since_<col>`` from those columns when the snapshot date is known, or rewrites it."""
SHARE_PREFIXES: tuple[str, ...] = ("cat_share_", "purchase_cat_share_", "ch_share_")
"""Feature columns named after the data's vocabulary (``features/_catalogue.py``): a category or
channel absent from a scoring frame means share 0, so missing ones are filled with 0 and unknown
extra ones are ignored."""

DERIVED: dict[str, tuple[str, ...]] = {
    "purchase_span_days": ("days_since_first_purchase", "days_since_last_purchase"),
    "order_rate_30d": ("orders_total", "days_since_first_purchase"),
    "recency_share": ("days_since_last_purchase", "tenure_days"),
}
"""Features derived from ``features.user_features`` columns when those are present (trees cannot
form differences and ratios themselves): the purchase span (first to last order, BG/NBD's t_x),
orders per 30 days since the first purchase (a first order under 30 days ago counts as one
month: see ``RATE_FLOOR_DAYS``), and recency as a share of tenure."""

RATE_FLOOR_DAYS: dict[int, int] = {1: 1, 2: 30}
"""Days ``order_rate_30d`` divides by at least, per version of the derived features. Version 1
(models fitted before 2026-12-06) divided by the days since the first order, so a customer whose
only order was yesterday read 30 orders a month; version 2 counts under 30 days as a month. A
fitted model keeps the version it was trained with (``CustomerModel.derived_version_``), so a
registered model scores on the inputs it learnt from."""
DERIVED_VERSION = max(RATE_FLOOR_DAYS)


def as_float(values: pd.Series) -> np.ndarray:
    """``values`` as float64, anything that is not a number as NaN (``pd.to_numeric(...,
    errors="coerce")``). A numeric (or boolean) column is taken as it is: ``to_numeric`` costs
    about 0.1 ms a column whatever the rows, and scoring one live row reads each of ~100
    feature columns several times."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def point_in_time(frame: pd.DataFrame, features: list[str]) -> set[str]:
    """The ``features`` known to be computed before the cutoff: those ``build_training_set``
    marks (``attrs["point_in_time_features"]``), the derived ones made of them only, and the
    BG/NBD ones when their inputs are marked."""
    marked = set(frame.attrs.get("point_in_time_features", ()))
    out = {f for f in features if f in marked}
    out |= {f for f, inputs in DERIVED.items() if f in features and set(inputs) <= marked}
    if set(BGNBD_COLUMNS) <= marked:
        out |= {f for f in features if f.startswith("bgnbd_")}
    return out


def add_derived(frame: pd.DataFrame, version: int = DERIVED_VERSION) -> pd.DataFrame:
    """``frame`` plus the ``DERIVED`` columns whose inputs it has (a copy; never in place),
    as defined in ``version`` of them (``RATE_FLOOR_DAYS``)."""
    have = set(frame.columns)
    new: dict[str, pd.Series] = {}
    if {"days_since_first_purchase", "days_since_last_purchase"} <= have:
        new["purchase_span_days"] = (frame["days_since_first_purchase"]
                                     - frame["days_since_last_purchase"])
    if {"orders_total", "days_since_first_purchase"} <= have:
        new["order_rate_30d"] = 30 * frame["orders_total"] / frame[
            "days_since_first_purchase"].clip(lower=RATE_FLOOR_DAYS[version])
    if {"days_since_last_purchase", "tenure_days"} <= have:
        new["recency_share"] = frame["days_since_last_purchase"] / frame["tenure_days"].clip(
            lower=1)
    new = {k: v for k, v in new.items() if k not in have}
    if not new:
        return frame
    # all at once: inserting them one by one (``assign``) into a frame typed column by column
    # (a CSV table) made pandas warn, once per scoring batch, that the frame is fragmented
    out = pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)
    out.attrs = copy.deepcopy(frame.attrs)  # concat keeps attrs only when all frames agree
    return out


def split_columns(frame: pd.DataFrame, label_col: str,
                   exclude: tuple[str, ...]) -> tuple[list[str], list[str], dict[str, str]]:
    numeric: list[str] = []
    categorical: list[str] = []
    skipped: dict[str, str] = {}
    for col in frame.columns:
        dtype = frame[col].dtype
        if col in ID_COLUMNS or col == label_col or col in exclude:
            continue
        if col.startswith("label_"):
            skipped[col] = "another label column"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            skipped[col] = DATE_REASON
        elif pd.api.types.is_timedelta64_dtype(dtype):
            skipped[col] = "timedelta column (derive a number of days instead)"
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            numeric.append(col)
        else:
            categorical.append(col)
    return numeric, categorical, skipped


def outcome_dates(frame: pd.DataFrame, y: np.ndarray, skipped: dict[str, str], kind: str,
                  threshold: float, min_class: int = 10) -> dict[str, str]:
    """``skipped`` with the reason of each date column whose mere presence nearly determines
    the label rewritten: a ``cancellation_date`` filled for the churners only is the outcome's
    date, not a feature, and "derive a number of days instead" would build the leak.

    The presence (filled or empty) is read as a score of the label (classifiers: 1; value:
    revenue above 0); its AUC, read either way, at or above ``threshold`` (the leakage scan's)
    marks the column. Needs ``min_class`` rows of each class, as the scan does.
    """
    target = np.asarray(y, dtype=float) > (0.5 if kind == "classifier" else 0.0)
    n1, n0 = int(target.sum()), int((~target).sum())
    if min(n1, n0) < min_class:
        return skipped
    out = dict(skipped)
    for col in skipped:
        if col not in frame.columns or not (
                pd.api.types.is_datetime64_any_dtype(frame[col].dtype)
                or pd.api.types.is_timedelta64_dtype(frame[col].dtype)):
            continue
        filled = frame[col].notna().to_numpy()
        f1, f0 = float(filled[target].mean()), float(filled[~target].mean())
        if 0.5 + abs(f1 - f0) / 2 >= threshold:
            who = "label 1" if kind == "classifier" else "revenue above 0"
            out[col] = (f"date column filled for {f1:.0%} of the rows with {who} and {f0:.0%} of "
                        "the others: it looks like the date of the outcome, known only after "
                        "it; not a feature, and a number derived from it would leak the label")
    return out
