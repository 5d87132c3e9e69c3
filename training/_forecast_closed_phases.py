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

The same holds for a calendar event on which the series has been exactly 0 on every day of
every past occurrence (a store closed on a public holiday the calendar marks: y = 0 on each
earlier Neujahr), pooled by name without its year (``features._calendar.base_names``): its
forecast days are exactly 0 too (``closed_event_days``). They had been forecast at a P50 near
0.08, not 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import base_names, is_aggregate, series_channel

from ._forecast_base import Panel, SeriesGrid, steps_per_day

__all__ = ["CLOSED_MIN_SEEN", "CLOSED_WEEKS", "closed_event_days", "closed_masks"]

CLOSED_WEEKS = 8
"""Recent weeks (back from the series' last period) a phase must have been 0 in throughout."""

CLOSED_MIN_SEEN = 6
"""Fewest of those weeks with a value (not a gap) on the phase."""


def _phase(ds: pd.DatetimeIndex | np.ndarray, spd: int) -> np.ndarray:
    """Weekday (Monday 0), or weekday * 24 + hour, of naive times, in numpy (pandas'
    accessors had cost a millisecond a series)."""
    t = np.asarray(ds, dtype="datetime64[h]").astype(np.int64)
    dow = (t // 24 + 3) % 7  # 1970-01-01 was a Thursday
    return dow if spd == 1 else dow * 24 + t % 24


def _days(ds: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    return np.asarray(ds, dtype="datetime64[D]")


def closed_phases(g: SeriesGrid, spd: int, event_days: pd.DatetimeIndex | np.ndarray | None = None,
                  candidates: bool = False) -> np.ndarray:
    """The phases (weekday, or weekday * 24 + hour) the series has been 0 on in every one of
    its last ``CLOSED_WEEKS`` weeks, the days of its events (``event_days``) left out (a
    Sunday shopping event opens a Sunday, it does not make Sundays open); empty when none
    (or the series is sparse or dormant). ``candidates``: the phases with enough zeros for
    that, read without the events."""
    y = np.asarray(g.y, dtype=float)
    if spd not in (1, 24) or not len(y):
        return np.array([], dtype=int)
    stamps = np.asarray(g.ds, dtype="datetime64[ns]")
    first = int(np.searchsorted(stamps, stamps[-1] - np.timedelta64(7 * CLOSED_WEEKS, "D"),
                                side="right"))
    ds = stamps[first:]
    ph, v = _phase(ds, spd), y[first:]
    ok = np.isfinite(v)
    n = 7 * spd
    if candidates:  # phases with enough zeros that event days might leave them all 0
        zeros = np.bincount(ph[ok & (v == 0)], minlength=n)
        return np.flatnonzero(zeros >= CLOSED_MIN_SEEN)
    if event_days is not None and len(event_days):
        ok &= ~np.isin(_days(ds), _days(event_days))
    seen = np.bincount(ph[ok], minlength=n)
    nonzero = np.bincount(ph[ok & (v != 0)], minlength=n)
    closed = np.flatnonzero((seen >= CLOSED_MIN_SEEN) & (nonzero == 0))
    if not len(closed):
        return closed
    other = ok & ~np.isin(ph, closed)
    if not other.any() or float(np.median(v[other])) <= 0:
        return np.array([], dtype=int)
    return closed


def _open_kinds(g: SeriesGrid, spd: int, closed: np.ndarray,
                days: tuple[np.ndarray, np.ndarray]) -> set[str]:
    """Kinds of the events (``days``: their days and kinds) on whose days the series had a
    value above 0 on a phase it is now closed on."""
    y = np.asarray(g.y, dtype=float)
    on = np.isin(_phase(g.ds, spd), closed) & np.isfinite(y) & (y > 0)
    if not on.any():
        return set()
    hit = np.isin(days[0], np.unique(_days(g.ds[on])))
    return {str(k) for k in days[1][hit]}


def _expand(cal: pd.DataFrame | None) -> pd.DataFrame:
    """Every day of every event of the (normalized) calendar: ``date``, ``kind``, ``channel``
    (NA: every series), expanded once for all series."""
    if cal is None or not len(cal):
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "kind": pd.Series(dtype=object),
                             "channel": pd.Series(dtype=object),
                             "name": pd.Series(dtype=object)})
    length = ((cal["end"] - cal["start"]) // pd.Timedelta(days=1)).astype(int) + 1
    rep = cal.loc[cal.index.repeat(length)]
    off = rep.groupby(level=0).cumcount().to_numpy()
    return pd.DataFrame({"date": (rep["start"] + pd.to_timedelta(off, unit="D")).to_numpy(),
                         "kind": rep["kind"].astype(str).to_numpy(),
                         "channel": rep["channel"].to_numpy(),
                         "name": base_names(rep["name"]).to_numpy(dtype=object)})


class _EventDays:
    """The calendar's event days per series (``applies_to``'s rule: an event without a
    channel applies to every series, one with a channel to that channel's series and to the
    aggregates), from one expansion of the calendar, as numpy arrays of days and kinds: a
    calendar of per-store promotions read once per store had cost seconds on 200 stores."""

    def __init__(self, cal: pd.DataFrame | None) -> None:
        days = _expand(cal)
        self.all = (_days(days["date"].to_numpy()), days["kind"].to_numpy(dtype=object))
        self.names = days["name"].to_numpy(dtype=object)
        chan = days["channel"]
        free = chan.isna().to_numpy(dtype=bool)
        self.free = np.flatnonzero(free)
        self.everyone = (self.all[0][free], self.all[1][free])
        self.by_channel: dict[str, np.ndarray] = {}
        if (~free).any():
            text = chan[~free].astype(str).to_numpy()
            rows = np.flatnonzero(~free)
            order = np.argsort(text, kind="stable")
            keys, first = np.unique(text[order], return_index=True)
            for key, part in zip(keys, np.split(rows[order], first[1:]), strict=True):
                self.by_channel[str(key)] = part

    def of(self, sid: str) -> tuple[np.ndarray, np.ndarray]:
        """The days (``datetime64[D]``) and kinds of the events applying to ``sid``."""
        chan = series_channel(sid)
        if chan is None and is_aggregate(sid):
            return self.all
        own = self.by_channel.get(str(chan)) if chan is not None else None
        if own is None:
            return self.everyone
        return (np.concatenate([self.everyone[0], self.all[0][own]]),
                np.concatenate([self.everyone[1], self.all[1][own]]))

    def named(self, sid: str) -> tuple[np.ndarray, np.ndarray]:
        """The days and names (without their year) of the events applying to ``sid``."""
        chan = series_channel(sid)
        if chan is None and is_aggregate(sid):
            return self.all[0], self.names
        own = self.by_channel.get(str(chan)) if chan is not None else None
        rows = self.free if own is None else np.concatenate([self.free, own])
        return self.all[0][rows], self.names[rows]


def closed_event_days(g: SeriesGrid, idx: pd.DatetimeIndex,
                      named: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Mask over the forecast periods ``idx`` on a day of an event (``named``: the days and
    names of the events applying to the series) whose every earlier occurrence found the
    series at exactly 0: each of its periods on those days with a value was 0, one such
    period at least, on a series whose values have a median above 0 (a sparse count series
    has zeros by chance); periods before the series' first value above 0 (a launch) do not
    count, and one of the periods at 0 at least is on a weekday (hour of the week) the series
    is usually open on (a median above 0): an event seen only on closed Sundays is not read as
    a closure."""
    out = np.zeros(len(idx), dtype=bool)
    days, names = named
    y = np.asarray(g.y, dtype=float)
    ok = np.isfinite(y)
    if not len(days) or not len(idx) or not (ok & (y == 0)).any():
        return out
    ahead = _days(idx)
    coming = np.isin(days, ahead)
    if not coming.any():
        return out
    seen = _days(g.ds)
    past = days < ahead.min()
    # from the series' first value above 0: the zeros before a launch are no closure
    ok[: int(np.argmax(ok & (y > 0)))] = False
    if not (ok & (y > 0)).any() or float(np.median(y[ok])) <= 0:
        return out
    # the periods of a phase (weekday, hour of the week) the series is usually open on: an
    # event whose earlier days all fell on a closed Sunday tells nothing of the event
    spd = 1 if len(g.ds) < 2 else max(1, round(pd.Timedelta(days=1) / (g.ds[1] - g.ds[0])))
    phase = _phase(g.ds, spd if spd in (1, 24) else 1)
    usual = pd.Series(y[ok]).groupby(phase[ok]).median()
    live = np.isin(phase, usual.index[usual.to_numpy() > 0])
    for name in pd.unique(names[coming]):
        before = np.isin(seen, days[past & (names == name)]) & ok
        if (before & live).any() and not (y[before] != 0).any():
            out |= np.isin(ahead, days[coming & (names == name)])
    return out


def closed_masks(panel: Panel, periods: dict[str, pd.DatetimeIndex],
                 cal: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Per series of ``periods`` (its forecast periods), the mask of those forecast at exactly
    0, the calendar expanded once: the days of events it was closed on at every earlier
    occurrence (``closed_event_days``), and the periods on a phase it has been closed on in
    all its recent weeks (``closed_phases``) that no event of the (normalized) calendar
    ``cal`` opens: one applying to the series on that day, of a kind the series was open on
    (on such a phase) before."""
    spd = steps_per_day(panel.freq)
    out: dict[str, np.ndarray] = {}
    index: _EventDays | None = None
    for sid, idx in periods.items():
        g = panel.series.get(sid)
        out[sid] = np.zeros(len(idx), dtype=bool)
        if g is None or not len(idx) or spd not in (1, 24):
            continue
        if cal is not None and len(cal) and (np.asarray(g.y) == 0).any():
            if index is None:
                index = _EventDays(cal)
            out[sid] = closed_event_days(g, idx, index.named(sid))
        # a phase can be closed only if it has enough zeros: most series need no calendar
        if not len(closed_phases(g, spd, None, candidates=True)):
            continue
        if index is None:
            index = _EventDays(cal)
        days = index.of(sid)
        closed = closed_phases(g, spd, days[0])
        if not len(closed):
            continue
        mask = np.isin(_phase(idx, spd), closed)
        if mask.any() and len(days[0]):
            kinds = _open_kinds(g, spd, closed, days)
            if kinds:
                opened = days[0][np.isin(days[1], list(kinds))]
                mask &= ~np.isin(_days(idx), opened)
        out[sid] = out[sid] | mask
    return out

