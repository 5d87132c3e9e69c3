"""Each unit's exposure from an exposure column, and the outcome rows dated before it.

Without an exposure column, a unit's first dated row is taken as its exposure
(``experiments._time``). An export with pre-period events (a purchase a week before the user
saw the test) then counts those as outcomes of the unit's arm, and moves its exposure day
earlier. ``exposure_col`` names a column with each unit's exposure timestamp (on every row of
the unit, or on some of them with the others empty): the unit's exposure is its earliest
value, and its rows dated before it are left out of the outcome sums (the unit stays in the
analysis: it was assigned and exposed), with a note counting them.

A row is before the exposure when its calendar day is before the exposure's day; when the time
column carries times of day (some value not at midnight), when its timestamp is before the
exposure's. Rows of the exposure day in a date-only time column are kept: their order within
the day is unknown. When both columns give a time zone on every value (an offset, ``Z``, a
``UTC`` / ``GMT`` word, or a zone-aware column), the timestamps are compared as instants: an
order at 07:30Z is after an exposure at 09:00+02:00 (07:00Z), which their local clock times
(each zone dropped, as for calendar days) had read as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows
from experiments._metrics import Metric

__all__ = ["Exposure", "resolve_exposure"]


@dataclass(frozen=True)
class Exposure:
    """Per row (positions of the frame as given): ``at``, its unit's exposure timestamp;
    ``before``, whether the row is dated before it; ``notes`` for the result's warnings."""

    at: pd.Series
    before: np.ndarray
    notes: tuple[str, ...]


def _units(n: int, unit_col: str, verb: str = "have") -> str:
    """``"1 unit of 'user_id' has"`` / ``"3 units of 'user_id' have"`` (``verb``: the plural
    form, "have" or "are"; empty for none)."""
    one = {"have": "has", "are": "is"}.get(verb, verb)
    return (f"{n:,} unit{'' if n == 1 else 's'} of {unit_col!r}"
            + (f" {one if n == 1 else verb}" if verb else ""))


def _examples(values: pd.Index, shown: int = 5) -> str:
    out = ", ".join(repr(str(v)) for v in values[:shown])
    return out + (", ..." if len(values) > shown else "")


_ZONE = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$",
                   re.IGNORECASE)
"""A time of day followed by a time zone (as ``experiments._time.parse_times`` drops it)."""


def _instants(frame: pd.DataFrame, col: str) -> pd.Series | None:
    """``col`` as UTC timestamps (zone-naive) when every value present gives its time zone,
    else ``None`` (local clock times are all there is to compare)."""
    raw = frame[col].reset_index(drop=True)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype) or pd.api.types.is_numeric_dtype(
            raw.dtype):
        return None
    text = raw.astype("string").str.strip()
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    if not present.any() or not text[present].str.contains(_ZONE).all():
        return None
    text = text.str.replace(r"\s*(?:UTC|GMT)$", "+00:00", regex=True, case=False)
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if parsed[present].isna().any():
        return None
    return parsed.dt.tz_localize(None)


def resolve_exposure(frame: pd.DataFrame, unit_col: str | None, time_col: str | None,
                     exposure_col: str, metrics: list[Metric], source: str) -> Exposure:
    """Each row's unit exposure and whether the row is before it (see the module docstring).

    Raises ``ExperimentInputError`` without ``unit_col`` or ``time_col`` (the exposure is a
    unit's, compared with each row's date), for a missing column, values that are not dates,
    or units without any exposure value (never dropped silently)."""
    from experiments._time import parse_times

    if unit_col is None or time_col is None:
        raise ExperimentInputError(
            Param("exposure_col"), f" {exposure_col!r} gives each unit's exposure, to leave "
            "out its outcome rows dated before it; that needs the unit id column and each "
            "row's date. Fix: pass ", Param("unit_col"), " and ", Param("time_col"),
            " too, or drop ", Param("exposure_col"), "."
        )
    frame = frame.reset_index(drop=True)
    times = parse_times(frame, time_col, source)
    exposed = parse_times(frame, exposure_col, source, param="exposure_col",
                          allow_missing=True)
    ids = frame[unit_col]
    per_unit = exposed.groupby(ids.to_numpy(), sort=False)
    first = per_unit.min()
    none = first.index[first.isna().to_numpy()]
    if len(none):
        raise ExperimentInputError(
            f"{source}: {_units(len(none), unit_col)} no value in the exposure "
            f"column {exposure_col!r} on any row (e.g. {_examples(none)}); a unit's rows "
            "cannot be compared with an exposure it does not have. Fix: fill their exposure "
            "timestamp, or remove those units explicitly (units assigned but never exposed do "
            "not belong in an analysis of exposed units)."
        )
    at = pd.Series(first.reindex(ids.to_numpy()).to_numpy(), name=exposure_col)
    timed = bool((times != times.dt.normalize()).any())
    if timed:
        t_utc, e_utc = _instants(frame, time_col), _instants(frame, exposure_col)
        if t_utc is not None and e_utc is not None:  # both zoned: compare instants
            at_utc = e_utc.groupby(ids.to_numpy(), sort=False).min().reindex(ids.to_numpy())
            before = (t_utc.to_numpy() < at_utc.to_numpy())
        else:
            before = (times < at).to_numpy()
    else:
        before = (times.dt.normalize() < at.dt.normalize()).to_numpy()
    notes = []
    several = per_unit.nunique()
    several = several.index[several.to_numpy() > 1]
    if len(several):
        notes.append(f"exposure column {exposure_col!r}: {_units(len(several), unit_col)} "
                     f"several exposure timestamps (e.g. {_examples(several)}); each "
                     "unit's earliest is its exposure")
    if before.any():
        where = np.flatnonzero(before)
        units = ids[before].nunique()
        cols = list(dict.fromkeys(c for m in metrics for c in (m.column, m.denominator) if c))
        totals = [f"{c!r} {pd.to_numeric(frame.loc[before, c], errors='coerce').sum():,.6g}"
                  for c in cols if c in frame.columns]
        rows = f"{where.size:,} rows" if where.size > 1 else "1 row"
        resolution = ("timestamp" if timed else "calendar day")
        notes.append(
            f"exposure column {exposure_col!r}: {rows} of {_units(units, unit_col, '')} "
            f"{'is' if where.size == 1 else 'are'} dated ({time_col!r}) before their unit's "
            f"exposure (compared by {resolution}; "
            f"first {first_rows(source, where)}), holding {', '.join(totals)}: pre-period "
            "events left in the export? They are left out of the outcome sums and the time "
            "view; the units stay in the analysis, with their rows from the exposure on")
    return Exposure(at, before, tuple(notes))
