"""The unit of analysis: one row per randomised unit, or rows aggregated to one per unit.

Statistics treat rows as independent units. A session- or event-level export breaks that: a
user's sessions are correlated, so intervals come out too narrow (3.8x in an independent
check, with a 21.5% false-positive rate in A/A tests). ``aggregate_units`` sums the metric
columns per unit (the randomisation unit id); ratio metrics then use per-unit sums of
numerator and denominator, which is what the delta method needs (Deng, Knoblich & Lu 2018).
A unit found in more than one arm is an error: its outcome cannot be credited to either arm,
and it means assignment leaked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows
from experiments._metrics import Metric, _numeric

__all__ = ["aggregate_units", "copied_rows_warning", "repeated_unit_warning"]

_ID_LIKE = re.compile(r"^(user|customer|visitor|member|unit)([ _-]?id)?$"
                      r"|^(client|account|device|cookie|session)[ _-]?id$", re.IGNORECASE)
"""Names of unit-id columns; 'device', 'client' or 'account' alone are usually attributes
(mobile/desktop, account type: a segment column), so those need the 'id'."""


def _examples(ids: pd.Index, limit: int = 5) -> str:
    shown = [str(v) for v in ids[:limit]]
    return ", ".join(repr(v) for v in shown) + (", ..." if len(ids) > limit else "")


def aggregate_units(frame: pd.DataFrame, unit_col: str, variant_col: str,
                    metrics: Sequence[Metric], segment_col: str | None, source: str
                    ) -> tuple[pd.DataFrame, str | None]:
    """One row per unit of ``unit_col``, and a note when rows were aggregated.

    Metric columns (and ratio denominators) are summed per unit; CUPED covariates and the
    segment column are per-unit attributes and must be the same on every row of a unit. Raises
    ``ExperimentInputError`` for a missing column, missing unit ids, a unit in several arms, or a
    covariate / segment that varies within a unit.
    """
    if unit_col not in frame.columns:
        raise ExperimentInputError(
            f"{source}: unit column {unit_col!r} is missing; received columns "
            f"{list(frame.columns)}. Fix: pass ", Param("unit_col"),
            " with the randomisation unit's id column (e.g. user_id)."
        )
    ids = frame[unit_col]
    if ids.isna().any():
        rows = first_rows(source, np.flatnonzero(ids.isna().to_numpy()))
        raise ExperimentInputError(
            f"{source}: unit column {unit_col!r} has {int(ids.isna().sum())} missing ids (first "
            f"{rows}); every row must belong to a unit. Fix: fill or drop those rows "
            "explicitly."
        )
    arms = frame.groupby(ids, sort=True)[variant_col].nunique(dropna=False)
    mixed = arms.index[arms.to_numpy() > 1]
    if len(mixed):
        first = frame[ids.isin(mixed[:5])].groupby(unit_col)[variant_col].unique()
        detail = "; ".join(f"{k!r}: {sorted(map(str, v))}" for k, v in first.items())
        raise ExperimentInputError(
            f"{source}: {len(mixed)} units of {unit_col!r} appear in more than one arm of "
            f"{variant_col!r} (e.g. {detail}); their outcomes cannot be credited to one arm and "
            "assignment leaked. Fix: find why (e.g. logged-out sessions, shared devices) and "
            "remove those units explicitly before the analysis."
        )
    summed = list(dict.fromkeys(c for m in metrics for c in (m.column, m.denominator) if c))
    fixed = list(dict.fromkeys([*(m.covariate for m in metrics if m.covariate),
                                *([segment_col] if segment_col else [])]))
    work = pd.DataFrame({unit_col: ids.to_numpy(), variant_col: frame[variant_col].to_numpy()})
    for col in summed:
        work[col] = _numeric(frame, col, variant_col, source)
    for col in fixed:
        if col in frame.columns and col not in work.columns:
            work[col] = frame[col].to_numpy()
    for col in dict.fromkeys(m.covariate for m in metrics if m.covariate):
        if col in frame.columns and col not in summed:
            # checked on the rows as given: after aggregation a missing value would be named by
            # its unit's position, not its row (the API's rows[30] for rows[60] and rows[61])
            _numeric(frame, col, variant_col, source)
    grouped = work.groupby(unit_col, sort=True)
    for col in fixed:
        if col in work.columns:
            varying = grouped[col].nunique(dropna=False)
            bad = varying.index[varying.to_numpy() > 1]
            if len(bad):
                raise ExperimentInputError(
                    f"{source}: column {col!r} (a CUPED covariate or segment, i.e. a per-unit "
                    f"attribute) varies within {len(bad)} units of {unit_col!r} (e.g. "
                    f"{_examples(bad)}). Fix: give each unit one value on all its rows."
                )
    if grouped.ngroups == len(work):
        return frame, None
    agg = {variant_col: "first", **dict.fromkeys(summed, "sum"),
           **{c: "first" for c in fixed if c in work.columns and c not in summed
              and c != unit_col}}  # a segment that is the unit column: the index below
    out = grouped.agg(agg).reset_index()
    note = (f"{len(work)} rows were aggregated to {len(out)} units by {unit_col!r}: metric "
            "columns (and ratio denominators) summed per unit, so a 0/1 column becomes a count "
            "per unit; covariates and segments taken per unit")
    return out, note


def repeated_unit_warning(frame: pd.DataFrame, variant_col: str,
                          segment_col: str | None = None) -> str | None:
    """A warning when a column named like a unit id (user_id, customer_id, visitor_id, unit...)
    repeats: rows are then not independent units and the unit column should be given. A column
    with few distinct values (under 20, or under 1% of the rows) is an attribute, not an id."""
    for col in frame.columns:
        if col in (variant_col, segment_col) or not _ID_LIKE.match(str(col)):
            continue
        ids = frame[col]
        if ids.nunique() < max(20, 0.01 * len(frame)):
            continue
        counts = ids.value_counts(dropna=True)
        repeated = counts.index[counts.to_numpy() > 1]
        if not len(repeated):
            continue
        arms = frame.groupby(ids)[variant_col].nunique()
        mixed = int((arms > 1).sum())
        return (f"column {col!r} looks like a unit id and {len(repeated)} of its values appear "
                f"on more than one row (e.g. {_examples(repeated)})"
                + (f", {mixed} of them in more than one arm" if mixed else "")
                + ": every row is treated as an independent unit, which makes intervals too "
                "narrow when rows are sessions or events of one unit. Fix: give it as the unit "
                f"column (--unit-col {col} in brain ab analyze, unit_col={col!r} in Python) to "
                "analyse one row per unit")
    return None


def copied_rows_warning(frame: pd.DataFrame, unit_col: str, variant_col: str,
                        metrics: Sequence[Metric], source: str) -> str | None:
    """A warning when rows to be summed per unit include exact copies of other rows that look
    like a duplicated export: among the distinct rows, the unit (one row per unit) or a column
    of ids (text or integers, not a metric: a session or event id) is unique, so a second
    identical row is a copy, not a second session. Rows alike on every column are no evidence
    by themselves (a user's sessions without an order on one day are alike), so those get no
    warning."""
    if unit_col not in frame.columns:
        return None
    copied = frame.duplicated(keep="first").to_numpy()
    if not copied.any():
        return None
    distinct = frame[~copied]
    summed = {c for m in metrics for c in (m.column, m.denominator) if c}
    ids = [str(c) for c in frame.columns
           if c not in (unit_col, variant_col) and c not in summed
           and not pd.api.types.is_float_dtype(frame[c].dtype)
           and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    key = unit_col if distinct[unit_col].is_unique else next(
        (c for c in ids if distinct[c].is_unique), None)
    if key is None:
        return None
    n = int(copied.sum())
    units = frame.loc[copied, unit_col].nunique()
    rows = f"{n:,} rows are exact copies" if n > 1 else "1 row is an exact copy"
    where = first_rows(source, np.flatnonzero(copied))
    return (f"{source}: {rows} of an earlier row (first {where}, {units:,} units of "
            f"{unit_col!r}), while the other rows are one per {key!r}: a "
            "duplicated export? They are summed as given, so those units' outcomes count twice "
            "or more. Fix: if they are copies, drop them before the analysis (pandas "
            "drop_duplicates()); if not, check the export")
