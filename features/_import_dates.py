"""The day/month order of an order export's dates, when the user says it (``--date-format``).

A short export (a first fortnight, a month's invoices) may have no day above 12: day-first and
month-first read every value, differently, and ``orders_to_events`` stops with an error naming
both readings. Its fix points here: ``date_format`` (CLI ``--date-format``) gives the format,
and the column is read with it, every value that does not read being an error row.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ._contracts import Problem, problem_rows
from ._parse import _blank

AMBIGUOUS = "has dates whose day/month order is ambiguous"
"""The start of ``_parse_time``'s rule for a column read equally well both ways."""


def _date_order_fix(problem: Problem, col: str) -> Problem:
    """``problem`` with a fix naming ``--date-format`` for both readings when it is the
    ambiguous day/month order of ``col``; any other problem unchanged."""
    if problem.column != col or not problem.rule.startswith(AMBIGUOUS):
        return problem
    shown = [part.strip(" ()") for part in problem.rule.split("read as ")[-1].split(" or ")]
    if len(shown) != 2 or not all("%m" in s and "%d" in s for s in shown):
        return problem
    first = ["month first" if s.index("%m") < s.index("%d") else "day first" for s in shown]
    fix = (f"say which it is: --date-format '{shown[0]}' ({first[0]}) or --date-format "
           f"'{shown[1]}' ({first[1]}) (Python date_format=), or write the dates as ISO "
           "8601, e.g. 2024-11-11")
    return dataclasses.replace(problem, fix=fix)


def _given_format(raw: pd.Series, col: str, fmt: str, probs: list[Problem],
                  tz: str = "UTC") -> pd.Series:
    """Times of ``raw`` read with the given ``strftime`` format; values that do not read are
    a problem naming their rows (missing ones are left to the caller). Times with a UTC offset
    (``%z`` in the format, or a zoned datetime column) are converted to ``tz``, as without a
    format."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.astype("datetime64[ns]")
    text = raw.astype("string").str.strip()
    try:
        # with offsets, read on UTC (several offsets in one column, summer and winter time)
        ts = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)
    except ValueError as exc:
        raise ValueError(f"--date-format {fmt!r} is not a date format ({exc}); give it as "
                         "strftime codes, e.g. '%m/%d/%Y %H:%M' for 12/31/2024 20:15") from None
    bad = (ts.isna() & ~_blank(raw)).to_numpy()
    if bad.any():
        n, rows, ex = problem_rows(bad, raw)
        probs.append(Problem(col, f"has values that do not read as --date-format {fmt}", n,
                             rows, ex, fix="check the format against these values, or leave "
                                           "--date-format out to have the format found"))
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert(tz).dt.tz_localize(None)
    return ts.astype("datetime64[ns]")
