"""Weekdays (hours of the week, hourly) a series has been closed on in all its recent weeks:
their forecast is exactly 0.

A store closed every Sunday (rows with y = 0) had Sunday forecasts of 0.01-0.08 (P50) and
about 1 (P90) from the LightGBM forecaster: it models log1p(y) and the trees' mean of zeros
is a little above 0 once transformed back. sMAPE counts each such day as 200% (a zero actual
against a forecast that is not exactly 0), and a planner reads the store as open. Now a phase
(weekday for daily series, weekday and hour for hourly ones) whose every value in the last
``CLOSED_WEEKS`` weeks is exactly 0 (``CLOSED_MIN_SEEN`` of them at least, gaps and the
series' event days left out), on
a series whose other phases there have a median above 0 (a sparse count series has zeros by
chance, and is left alone), gets P10 = P50 = P90 = 0, unless the calendar marks an event on
that day, applying to the series, of a kind the series was open on (y > 0) on that phase
before: a Sunday shopping event (kind ``sunday_shopping``) on a store that opened on its
earlier ones keeps its forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import applies_to

from ._forecast_base import Panel, SeriesGrid, steps_per_day

__all__ = ["CLOSED_MIN_SEEN", "CLOSED_WEEKS", "closed_periods"]

CLOSED_WEEKS = 8
"""Recent weeks (back from the series' last period) a phase must have been 0 in throughout."""

CLOSED_MIN_SEEN = 6
"""Fewest of those weeks with a value (not a gap) on the phase."""


def _phase(ds: pd.DatetimeIndex, spd: int) -> np.ndarray:
    dow = np.asarray(ds.day_of_week)
    return dow if spd == 1 else dow * 24 + np.asarray(ds.hour)


def closed_phases(g: SeriesGrid, spd: int,
                  event_days: pd.DatetimeIndex | None = None) -> np.ndarray:
    """The phases (weekday, or weekday * 24 + hour) the series has been 0 on in every one of
    its last ``CLOSED_WEEKS`` weeks, the days of its events (``event_days``) left out (a
    Sunday shopping event opens a Sunday, it does not make Sundays open); empty when none
    (or the series is sparse or dormant)."""
    y = np.asarray(g.y, dtype=float)
    if spd not in (1, 24) or not len(y):
        return np.array([], dtype=int)
    recent = g.ds > g.ds[-1] - pd.Timedelta(weeks=CLOSED_WEEKS)
    ph, v = _phase(g.ds[recent], spd), y[recent]
    ok = np.isfinite(v)
    if event_days is not None and len(event_days):
        ok &= ~pd.DatetimeIndex(g.ds[recent]).normalize().isin(event_days)
    n = 7 * spd
    seen = np.bincount(ph[ok], minlength=n)
    nonzero = np.bincount(ph[ok & (v != 0)], minlength=n)
    closed = np.flatnonzero((seen >= CLOSED_MIN_SEEN) & (nonzero == 0))
    if not len(closed):
        return closed
    other = ok & ~np.isin(ph, closed)
    if not other.any() or float(np.median(v[other])) <= 0:
        return np.array([], dtype=int)
    return closed


def _open_kinds(g: SeriesGrid, spd: int, closed: np.ndarray, days: pd.DataFrame) -> set[str]:
    """Kinds of the events (``days``: ``date``, ``kind``) on whose days the series had a value
    above 0 on a phase it is now closed on."""
    y = np.asarray(g.y, dtype=float)
    on = np.isin(_phase(g.ds, spd), closed) & np.isfinite(y) & (y > 0)
    if not on.any():
        return set()
    opened = pd.DatetimeIndex(g.ds[on]).normalize().unique()
    return set(days.loc[days["date"].isin(opened), "kind"].astype(str))


def _event_days(cal: pd.DataFrame, sid: str) -> pd.DataFrame:
    rows = cal[applies_to(cal, sid)] if len(cal) else cal
    if not len(rows):
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "kind": pd.Series(dtype=object)})
    length = ((rows["end"] - rows["start"]) // pd.Timedelta(days=1)).astype(int) + 1
    rep = rows.loc[rows.index.repeat(length)]
    off = rep.groupby(level=0).cumcount().to_numpy()
    return pd.DataFrame({"date": (rep["start"] + pd.to_timedelta(off, unit="D")).to_numpy(),
                         "kind": rep["kind"].astype(str).to_numpy()})


def closed_periods(panel: Panel, sid: str, idx: pd.DatetimeIndex,
                   cal: pd.DataFrame | None) -> np.ndarray:
    """Mask over the forecast periods ``idx`` of series ``sid`` that fall on a phase it has
    been closed on in all its recent weeks (``closed_phases``) and that no event of the
    (normalized) calendar ``cal`` opens: one applying to the series on that day, of a kind
    the series was open on (on such a phase) before."""
    g = panel.series.get(sid)
    spd = steps_per_day(panel.freq)
    if g is None or not len(idx):
        return np.zeros(len(idx), dtype=bool)
    days = _event_days(cal, sid) if cal is not None and len(cal) else None
    closed = closed_phases(g, spd, None if days is None else pd.DatetimeIndex(days["date"]))
    if not len(closed):
        return np.zeros(len(idx), dtype=bool)
    mask = np.isin(_phase(idx, spd), closed)
    if mask.any() and days is not None and len(days):
        kinds = _open_kinds(g, spd, closed, days)
        if kinds:
            opened = days.loc[days["kind"].isin(kinds), "date"]
            mask &= ~pd.DatetimeIndex(idx).normalize().isin(pd.DatetimeIndex(opened))
    return mask
