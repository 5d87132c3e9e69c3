"""Where a series starts: the one rule every reader of a series' start shares.

A series' *first live value* is its first value that is finite and not 0. Its first live
value *starts* a planned event when the event is on the series' own channel
(``series_channel``), the value's day lies in the event's window or the ``lead_days`` before
its first day (a soft launch the day before the announced one), and, of several such events,
it began nearest that day (the first in the calendar's order on a tie). The periods before the
first live value are history the series did not have yet, not a business at 0, and are cut
off (``cut``) when

- its first live value starts a planned event of its own channel, whatever their number (a
  page exported 3 or 20 days before its launch: those zeros had fed the trees' lags, rolling
  means and the level as if they were its past); or
- they span ``LEADING_ZEROS_DAYS`` days or more (a store exported at 0 months before it
  opened, with no opening in the calendar): a few days at 0 with no planned start may be a
  business closed, so they stay.

Readers: ``started_panel`` (the panel the forecaster fits on), ``live_history`` (the MASE
scale: with no calendar, the run of zeros alone), ``_forecast_starts`` (which series started
with an event: they need a first live value after the data's first period, else they were live
from the start), ``fold_start`` (a start inside a backtest fold: the events begun in the fold),
the peak notes' once-per-series kinds and the event baselines' "no level of its own".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features._calendar import series_channel

__all__ = ["LEADING_ZEROS_DAYS", "START_LEAD_DAYS", "LiveStart", "first_live", "live_start",
           "live_starts", "start_event"]

LEADING_ZEROS_DAYS = 28
"""A series whose first this many days (or more) are all 0 (or missing) before its first other
value had not started yet, with or without a planned start event (``live_start``)."""

START_LEAD_DAYS = 2
"""Days before an event's first day whose first live value still starts it, where no model
says otherwise (``EventEffects``' default ``pre_days``; the backtest's start scores)."""


def first_live(y: np.ndarray) -> int | None:
    """Index of the first value of ``y`` that is finite and not 0 (None: there is none)."""
    live = np.flatnonzero(np.isfinite(np.asarray(y, dtype=float)) & (np.asarray(y) != 0))
    return int(live[0]) if len(live) else None


def start_event(at: pd.Timestamp, starts: np.ndarray, ends: np.ndarray,
                lead_days: int = START_LEAD_DAYS) -> int | None:
    """Which of a series' own channel's events (their first and last days, ``starts`` and
    ``ends``, in the calendar's order) a first live value at ``at`` starts: the position of
    the one whose window, or the ``lead_days`` before it, holds its day and that began nearest
    to it (the first on a tie), or None."""
    if not len(starts):
        return None
    day = np.datetime64(pd.Timestamp(at).normalize().to_datetime64())
    s = np.asarray(starts, dtype="datetime64[ns]")
    e = np.asarray(ends, dtype="datetime64[ns]")
    ok = (s - np.timedelta64(int(lead_days), "D") <= day) & (day <= e)
    if not ok.any():
        return None
    gap = np.abs((s - day).astype("timedelta64[ns]").astype(np.int64)).astype(float)
    return int(np.argmin(np.where(ok, gap, np.inf)))


@dataclass(frozen=True)
class LiveStart:
    """Where one series starts (``live_start``).

    Attributes:
        first: index of its first live value (None: zeros or missing only).
        event: position among the events passed of the planned event its first live value
            starts (None: none does, or it was live from the data's first period).
        cut: index its own history starts at: ``first`` when ``event`` is set or the periods
            before ``first`` span ``LEADING_ZEROS_DAYS`` days or more, else 0.
    """

    first: int | None
    event: int | None
    cut: int


def live_start(y: np.ndarray, periods_per_day: int, ds: pd.DatetimeIndex | None = None,
               starts: np.ndarray | None = None, ends: np.ndarray | None = None,
               lead_days: int = START_LEAD_DAYS, after: pd.Timestamp | None = None,
               days: float = LEADING_ZEROS_DAYS) -> LiveStart:
    """Where a series on its regular grid (``y``, ``periods_per_day``; ``ds`` its periods,
    needed with events) starts, given its own channel's events (``starts``, ``ends``): see the
    module docstring. ``after``: the data's first period; a first live value there or before
    starts no event (the series was live from the start)."""
    first = first_live(y)
    if first is None:
        return LiveStart(None, None, 0)
    event = None
    if ds is not None and starts is not None and ends is not None and (
            after is None or ds[first] > after):
        event = start_event(ds[first], starts, ends, lead_days)
    cut = first if event is not None or first >= days * periods_per_day else 0
    return LiveStart(first, event, cut)


def live_starts(series: dict[str, tuple[pd.DatetimeIndex, np.ndarray]], periods_per_day: int,
                calendar: pd.DataFrame | None, lead_days: int = START_LEAD_DAYS,
                after: pd.Timestamp | None = None,
                days: float = LEADING_ZEROS_DAYS) -> dict[str, tuple[LiveStart, pd.Series | None]]:
    """``live_start`` of each series (id -> its periods and values), with the calendar row
    (a normalized calendar's: ``start``, ``end``, ``kind``, ``channel``, ``intensity``) of
    the event it started with (None: none). One pass over the calendar, grouped by channel."""
    own: dict[str, np.ndarray] = {}
    cal = pd.DataFrame()
    if calendar is not None and len(calendar) and "channel" in calendar.columns:
        cal = calendar[calendar["channel"].notna().to_numpy(dtype=bool)]
        own = {str(c): np.asarray(at) for c, at in
               cal.groupby(cal["channel"].astype(str), sort=False).indices.items()}
    starts = cal["start"].to_numpy(dtype="datetime64[ns]") if len(cal) else None
    ends = cal["end"].to_numpy(dtype="datetime64[ns]") if len(cal) else None
    out: dict[str, tuple[LiveStart, pd.Series | None]] = {}
    for sid, (ds, y) in series.items():
        chan = series_channel(str(sid))
        at = own.get(str(chan)) if chan is not None else None
        if at is None or starts is None or ends is None:
            out[sid] = (live_start(y, periods_per_day, days=days), None)
            continue
        found = live_start(y, periods_per_day, ds, starts[at], ends[at], lead_days, after, days)
        out[sid] = (found, None if found.event is None else cal.iloc[int(at[found.event])])
    return out
