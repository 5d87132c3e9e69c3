"""A customer table's date columns as days since the snapshot date (since 2026-12-07).

A date (``last_purchase_date``, ``signup_date``, ``contract_end``) is no feature by itself: the
same date is recent in one export and long ago in the next. When the table says when it was
taken (its ``cutoff`` column, one date per row, or an ``asof`` column: ``--asof DATE`` for every
row; ``cutoff`` wins), each date column that is not the outcome's own date
(``training._customer_columns.outcome_dates``) becomes ``days_since_<col>`` = snapshot - date in
days (negative for a date after the snapshot, such as a contract end; missing stays missing).
The fitted model keeps the columns it derived (``CustomerModel.date_days_``) and derives them
again at scoring, where a table without a snapshot date is an error naming ``--asof``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

__all__ = ["DAYS_PREFIX", "NO_SNAPSHOT_REASON", "SNAPSHOT_COLUMNS", "add_days_since",
           "check_snapshot_date", "date_candidates", "days_since", "future_note",
           "snapshot_date_problems", "snapshot_date_warning", "snapshot_dates"]

_log = logging.getLogger("training._customer_models")  # the customer model's own logger

DAYS_PREFIX = "days_since_"
SNAPSHOT_COLUMNS: tuple[str, ...] = ("cutoff", "asof")
"""Where a row's snapshot date is read from, first found first: a table's ``cutoff`` column
wins over the ``asof`` column that ``--asof`` fills."""

NO_SNAPSHOT_REASON = ("date column: pass --asof with the date the table was exported (or a "
                      "cutoff column) to use it as days since")
"""Why a date column is not used when the training table does not say when it was taken."""

FUTURE_SHARE = 0.5
"""A date column with dates after the snapshot in fewer than this share of its filled rows
gets the leak note: a column of past dates (a last purchase) with a few later ones was written
after the snapshot; a column mostly in the future (a contract end) is what it is."""

ROWS_SHOWN = 3


def check_snapshot_date(frame: pd.DataFrame, cols: list[str], task: str) -> None:
    """Raise the error naming ``--asof`` when a model reads date columns (``cols``) as days
    since the snapshot and ``frame`` does not say when that was (``SNAPSHOT_COLUMNS``)."""
    if cols and snapshot_dates(frame) is None:
        raise ValueError(
            f"CustomerModel({task}): this model reads the date column"
            f"{'s' if len(cols) > 1 else ''} {', '.join(map(repr, cols))} as days since the "
            "date the table was taken, and the table does not say when that was (no 'cutoff' "
            "column, no --asof). Fix: pass --asof DATE with the date the table was exported "
            "(or give it a 'cutoff' column of dates; through the API or the MLflow model, an "
            "'asof' column)")


def snapshot_dates(frame: pd.DataFrame) -> pd.Series | None:
    """Each row's snapshot date (tz-naive day) from ``SNAPSHOT_COLUMNS``; None without one."""
    for col in SNAPSHOT_COLUMNS:
        if col in frame.columns:
            snap = pd.to_datetime(frame[col])
            if isinstance(snap.dtype, pd.DatetimeTZDtype):
                snap = snap.dt.tz_convert("UTC").dt.tz_localize(None)
            return snap.astype("datetime64[ns]").dt.normalize()
    return None


def date_candidates(frame: pd.DataFrame, skipped: dict[str, str]) -> list[str]:
    """The skipped columns that are dates (not durations) and not flagged as the outcome's
    date by ``outcome_dates`` (their reason is still the plain one)."""
    from training._customer_columns import DATE_REASON

    return [c for c, why in skipped.items() if why == DATE_REASON and c in frame.columns
            and pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]


def _as_dates(values: pd.Series, col: str, source: str, fmt: str | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.astype("datetime64[ns]").dt.normalize()
    from features._tables import parse_table_dates

    return parse_table_dates(values, col, source, fmt)


def days_since(frame: pd.DataFrame, cols: list[str], source: str = "table",
               formats: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """``days_since_<col>`` for each of ``cols`` (float days, index of ``frame``) and, per
    column with dates after the snapshot in a minority of rows, the leak note
    (``future_note``). ``frame`` must have a snapshot column. ``formats``: the format each
    column was read with at training (``CustomerModel.date_formats_``), for text cells."""
    snap = snapshot_dates(frame)
    assert snap is not None
    out: dict[str, pd.Series] = {}
    notes: dict[str, str] = {}
    for col in cols:
        dates = _as_dates(frame[col], col, source, (formats or {}).get(col))
        days = (snap.to_numpy() - dates.to_numpy()) / np.timedelta64(1, "D")
        out[DAYS_PREFIX + col] = pd.Series(days.astype("float64"), index=frame.index)
        note = future_note(col, days)
        if note:
            notes[col] = note
    return pd.DataFrame(out, index=frame.index), notes


def future_note(col: str, days: np.ndarray) -> str | None:
    """The leak note for a date column with dates after the snapshot in a few of its rows
    (count, first rows counted from 1), None otherwise."""
    filled = ~np.isnan(days)
    future = filled & (days < 0)
    n, n_filled = int(future.sum()), int(filled.sum())
    if not n or n >= FUTURE_SHARE * n_filled:
        return None
    rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(future)[:ROWS_SHOWN])
    return (f"column {col!r}: {n:,} of {n_filled:,} dates are after the row's snapshot date "
            f"(first at row{'s' if n > 1 else ''} {rows}): a date written after the snapshot "
            "leaks what happened next (was the table exported later than its --asof or "
            f"cutoff?); {DAYS_PREFIX}{col} is negative there. Check the export date, or blank "
            "those dates")


def add_days_since(frame: pd.DataFrame, cols: list[str], task: str,
                   source: str = "table", formats: dict[str, str] | None = None
                   ) -> pd.DataFrame:
    """``frame`` plus the ``days_since_<col>`` of a fitted model's date columns (a copy), the
    leak notes logged; a frame without a snapshot date is an error naming ``--asof``."""
    check_snapshot_date(frame, cols, task)
    days, notes = days_since(frame, cols, source, formats)
    for note in notes.values():
        _log.warning("CustomerModel(%s): %s", task, note)
    out = pd.concat([frame.drop(columns=[c for c in days.columns if c in frame.columns]),
                     days], axis=1)
    out.attrs = dict(frame.attrs)
    return out


def snapshot_date_problems(model: object, frame: pd.DataFrame) -> list[dict[str, object]]:
    """Per date column of ``model`` whose days since the snapshot date (``--asof``, or the
    rows' ``cutoff`` / ``asof`` column) do not fit training's, what is wrong; empty when they
    fit. The one check behind ``brain score --table``'s warning, the API's ``snapshot_date``
    warning on live rows and the pyfunc's logged warning (``snapshot_date_warning``):

    - ``kind`` 'after_snapshot': most of the column's dates come after the snapshot, where the
      model learned them as dates before it (a last purchase: training's typical
      ``days_since_<col>`` at least 0). An ``--asof`` typed 2020-01-01 for 2026-06-30 had
      scored every customer with days since the last order of -2,272 in the median against a
      typical 97, and reasons reading "days since last_order is low (-2362 ...)", without a
      word (2026-12-07). A column of dates mostly after the snapshot at training too (a
      contract end) is what it is;
    - ``kind`` 'past_training': most rows lie more days after the column's dates than any row
      fitted on (``CustomerModel.date_days_max_``): an ``--asof`` of 2030-01-01 gave a median
      of 1,381 days since the last order, where training's most was 199; the trees score every
      such row as the most they saw.

    Each: ``column``, ``kind``, ``rows`` (how many), ``of`` (rows with a date), ``positions``
    (the first ``ROWS_SHOWN``, counted from 0), ``median_days`` (days since, negative after),
    ``training_days`` (the typical or the most at training). Until 2026-12-08 only ``brain
    score --table`` checked: rows sent to the API with a wrong ``asof`` and the MLflow model
    scored such days in silence."""
    cols = [c for c in getattr(model, "date_days_", ()) or () if c in frame.columns]
    typical: dict[str, float] = getattr(model, "typical_", None) or {}
    most: dict[str, float] = getattr(model, "date_days_max_", None) or {}
    snap_cols = [c for c in SNAPSHOT_COLUMNS if c in frame.columns]
    if not cols or not snap_cols:
        return []
    formats = getattr(model, "date_formats_", None) or {}
    out: list[dict[str, object]] = []
    for col in cols:
        usual, top = typical.get(DAYS_PREFIX + col), most.get(col)
        try:
            days, _ = days_since(frame[[col, *snap_cols]], [col], formats=formats)
        except (ValueError, TypeError, OverflowError):
            return []  # a cell that is no date: scoring stops with the error naming it
        d = days[DAYS_PREFIX + col].to_numpy(dtype=float)
        filled = ~np.isnan(d)
        n_filled = int(filled.sum())
        after = filled & (d < 0)
        past = filled & (d > top) if top is not None else np.zeros_like(filled)
        for kind, mask, enough, known in (("after_snapshot", after, usual is not None
                                           and usual >= 0, usual),
                                          ("past_training", past, True, top)):
            n = int(mask.sum())
            if not enough or not n or n < FUTURE_SHARE * n_filled:
                continue  # a few after the snapshot: the leak note (``future_note``) names them
            out.append({"column": col, "kind": kind, "rows": n, "of": n_filled,
                        "positions": [int(i) for i in np.flatnonzero(mask)[:ROWS_SHOWN]],
                        "median_days": float(np.median(d[mask])),
                        "training_days": float(known) if known is not None else None})
            break
    return out


_SNAPSHOT_WORDS = {
    "cli": ("the snapshot date (--asof, or the table's cutoff column)", "score again with the "
            "export date"),
    "rows": ("the rows' snapshot date (their 'asof', or 'cutoff')", "send the export date as "
             "each row's 'asof'"),
    "pyfunc": ("the snapshot date (the table's 'asof' or 'cutoff' column)", "score again with "
               "the export date in 'asof'"),
}
"""How each caller names the snapshot date and the fix (``snapshot_date_warning``)."""


def snapshot_date_warning(model: object, frame: pd.DataFrame, caller: str = "cli"
                          ) -> str | None:
    """The warning for a scored table whose snapshot date does not fit its dates as
    training's did (``snapshot_date_problems``), else None. ``caller``: 'cli' (rows counted
    from 1, as a file's, and ``--asof``), 'rows' (the API's live rows, ``rows[i]`` counted
    from 0, their ``asof``) or 'pyfunc' (rows counted from 0, the ``asof`` column)."""
    problems = snapshot_date_problems(model, frame)
    if not problems:
        return None
    what, fix = _SNAPSHOT_WORDS[caller]
    parts = []
    for p in problems:
        n, pos = int(p["rows"]), list(p["positions"])  # type: ignore[call-overload]
        if caller == "rows":
            where = "first at " + ", ".join(f"rows[{i}]" for i in pos)
        else:
            base = 1 if caller == "cli" else 0
            where = (f"first at row{'s' if n > 1 else ''} "
                     + ", ".join(str(i + base) for i in pos))
        median, known = float(p["median_days"]), p["training_days"]  # type: ignore[arg-type]
        if p["kind"] == "after_snapshot":
            parts.append(
                f"column {p['column']!r}: {n:,} of {p['of']:,} dates are after the row's "
                f"snapshot date ({where}; a median of {-median:,.0f} days after), where the "
                f"model learned from dates a typical {known:,.0f} days before it")
        else:
            parts.append(
                f"column {p['column']!r}: {n:,} of {p['of']:,} rows are more days after their "
                f"date than any row the model learned from ({where}; a median of "
                f"{median:,.0f} days since it, at most {known:,.0f} at training): the trees "
                "read each of them as that most")
    return ("; ".join(parts) + f". Is {what} the date the table was exported? The scores and "
            f"reasons rest on those days: {fix}")
