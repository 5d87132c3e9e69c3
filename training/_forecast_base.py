"""Shared plumbing of the traffic forecasters: input checks, regular grids, transforms, output.

Every forecaster takes a long frame ``series_id`` (str), ``ds`` (datetime64, daily or hourly;
with a time zone, modelled on its local wall clock and answered in it: ``local_frame``),
``y`` (float) plus optional known-in-advance numeric columns (regressors such as a promo flag),
and a calendar (``features._calendar.normalize_calendar`` columns). ``predict`` returns one row per
(series, future period): ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``model``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from features._calendar import (
    normalize_calendar,
    series_channel,
)

from ._forecast_ids import _names, check_calendar_channels, unknown_series_text
from ._forecast_live import LEADING_ZEROS_DAYS, START_LEAD_DAYS, live_start, live_starts

__all__ = [
    "FORECAST_COLUMNS",
    "LEADING_ZEROS_DAYS",
    "BaseForecaster",
    "Panel",
    "SeriesGrid",
    "kind_intensities",
    "listed",
    "live_history",
    "local_calendar",
    "local_days",
    "local_frame",
    "negative_values_note",
    "period_text",
    "prepare_panel",
    "series_freq",
    "started_panel",
    "steps_per_day",
    "zoned_periods",
]

FORECAST_COLUMNS: tuple[str, ...] = ("series_id", "ds", "p10", "p50", "p90", "model")
"""Columns of every forecast frame."""

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
_Z80 = 1.2815515655446004
"""The standard normal's 90% quantile: P10 and P90 lie this many standard deviations out."""
_FREQ_DELTA = {"D": pd.Timedelta(days=1), "h": pd.Timedelta(hours=1)}
_OFFSET_END = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}:?\d{2})$")
"""A time of day followed by a UTC offset (``00:00+02:00``, ``22:00Z``)."""


def steps_per_day(freq: str) -> int:
    """Number of periods in one day for ``freq`` ('D' -> 1, 'h' -> 24)."""
    return 24 if freq == "h" else 1


@dataclass
class SeriesGrid:
    """One series on a regular grid (gaps become NaN, never dropped).

    Attributes:
        series_id: the series name.
        ds: regular timestamps from the first to the last observation.
        y: observed values on the original scale (NaN where the input had no row).
        regressors: known-in-advance columns on the same grid (name -> values).
    """

    series_id: str
    ds: pd.DatetimeIndex
    y: np.ndarray
    regressors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Panel:
    """All series of one fit, their frequency and the value transform.

    Attributes:
        freq: 'D' or 'h'.
        series: series id -> grid.
        regressor_names: known-in-advance columns, in input order.
        log: whether values are modelled as log1p(y) (all y >= 0) or as is.
        start: the data's first period before ``started_panel`` cut any series (None: a
            panel not returned by it, whose series' first periods are the data's).
        tz: the time zone of a ``ds`` given with one (``local_frame``): the grids are its
            naive local wall-clock times, and forecasts are given back in it (None: ``ds``
            had no zone, and the grids are its times as given).
    """

    freq: str
    series: dict[str, SeriesGrid]
    regressor_names: list[str]
    log: bool
    start: pd.Timestamp | None = None
    tz: str | None = None

    @property
    def data_start(self) -> pd.Timestamp | None:
        """The data's first period: ``start`` when ``started_panel`` cut the panel (a page cut
        at its launch began after it), else its series' earliest (None: no series has one)."""
        given = getattr(self, "start", None)  # absent in panels saved before 2026-12-06
        if given is not None:
            return pd.Timestamp(given)
        return min((g.ds[0] for g in self.series.values() if len(g.ds)), default=None)

    def fwd(self, y: np.ndarray) -> np.ndarray:
        """Values on the modelling scale."""
        return np.log1p(np.maximum(y, 0.0)) if self.log else np.asarray(y, dtype=float)

    def inv(self, z: np.ndarray) -> np.ndarray:
        """Values back on the original scale."""
        return np.maximum(np.expm1(z), 0.0) if self.log else np.asarray(z, dtype=float)

    @property
    def step(self) -> pd.Timedelta:
        """Length of one period."""
        return _FREQ_DELTA[self.freq]

    def future_index(self, series_id: str, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` periods following the series' last observation."""
        last = self.series[series_id].ds[-1]
        return pd.date_range(last + self.step, periods=horizon, freq=self.freq)


def _count_series(panel: Panel | None) -> set[str]:
    """Series whose history holds non-negative numbers, at least 99% of them whole (orders,
    visits; an hour repeated when clocks go back, read in local time, is the mean of two
    counts, 1.5)."""
    if panel is None:
        return set()
    out = set()
    for sid, g in panel.series.items():
        y = g.y[np.isfinite(g.y)]
        if len(y) and (y >= 0).all() and (y == np.round(y)).mean() >= 0.99:
            out.add(str(sid))
    return out


def _freq_label(step: pd.Timedelta) -> str:
    if step == pd.Timedelta(days=1):
        return "daily"
    if step == pd.Timedelta(hours=1):
        return "hourly"
    return f"every {step}"


def listed(items: list[str], first: int = 5) -> str:
    """The first ``first`` items joined by commas, then "and N more" when there are more."""
    more = f" and {len(items) - first} more" if len(items) > first else ""
    return ", ".join(items[:first]) + more


def _infer_freq(ds: pd.Series, ids: pd.Series) -> str:
    diffs = ds.groupby(ids).diff()
    if diffs.dropna().empty:
        msg = ("series: cannot infer the frequency: every series has a single row; "
               "a forecaster needs at least two periods per series")
        raise ValueError(msg)
    per_series = diffs.groupby(ids).min().dropna()
    sub_daily = per_series < pd.Timedelta(days=1)
    if sub_daily.any() and not sub_daily.all():  # daily and hourly series in one panel
        groups: dict[str, list[str]] = {}
        for sid, step in per_series.items():
            groups.setdefault(_freq_label(step), []).append(str(sid))
        found = "; ".join(f"{label}: {_names(sids)}" for label, sids in groups.items())
        msg = (f"series: the series do not share one frequency ({found}); one file holds "
               "either daily or hourly series: forecast them in separate files, or aggregate "
               "the hourly series to days")
        raise ValueError(msg)
    step = per_series.min()
    week = pd.Timedelta(days=7)
    # a series of 8+ rows all whole weeks apart is weekly (a sparse daily series without its
    # zero rows is that by chance with odds of (1/7)^7)
    has = diffs.notna().to_numpy()
    on_weeks = pd.DataFrame({"sid": ids.to_numpy()[has],
                             "wk": (diffs[has] % week == pd.Timedelta(0)).to_numpy()}
                            ).groupby("sid")["wk"].agg(["all", "size"])
    weekly = per_series[(per_series >= week)
                        & on_weeks["all"].reindex(per_series.index, fill_value=False)
                        & (on_weeks["size"].reindex(per_series.index, fill_value=0) >= 7)]
    if step == pd.Timedelta(days=1) and len(weekly):  # daily series and weekly ones in one file
        daily = [str(sid) for sid in per_series.index if sid not in weekly.index]
        msg = (f"series: the series do not share one frequency (daily: {_names(daily)}; one row "
               f"every 7 days or more: {_names([str(s) for s in weekly.index])}); a series "
               "with one row a week (weekly totals) would be forecast as that value on every "
               "day, seven times its weekly total over a week. The forecaster takes daily or "
               "hourly series only: give those series' daily values or leave them out of the "
               "file (a daily series with values on one weekday only: give its other days as "
               "rows with y=0)")
        raise ValueError(msg)
    if step == pd.Timedelta(days=1):
        return "D"
    if step == pd.Timedelta(hours=1):
        return "h"
    if step > pd.Timedelta(days=1):
        what = ("one row a week: weekly data" if step == week
                else f"one row every {_step_text(step)}")
        msg = (f"series: periods must be daily or hourly; the rows are at least "
               f"{_step_text(step)} apart ({what}). The forecaster does not take such series "
               "and cannot split totals of several days into days: give the daily values they "
               "were summed from")
        raise ValueError(msg)
    msg = (f"series: periods must be daily or hourly; the smallest gap between rows is "
           f"{_step_text(step)}. Aggregate the series to hours (or days) first")
    raise ValueError(msg)


def _step_text(step: pd.Timedelta) -> str:
    """``7 days``, ``30 minutes``, ``2 hours``: a gap between rows as a planner writes it."""
    for unit, size in (("day", pd.Timedelta(days=1)), ("hour", pd.Timedelta(hours=1)),
                       ("minute", pd.Timedelta(minutes=1))):
        if step >= size and step % size == pd.Timedelta(0):
            n = int(step / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return str(step)


def series_freq(series: pd.DataFrame) -> str:
    """'D' or 'h': the frequency of a long frame (raises like ``prepare_panel``)."""
    frame = series[["series_id", "ds"]].assign(series_id=series["series_id"].astype(str),
                                               ds=pd.to_datetime(series["ds"]))
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    return _infer_freq(frame["ds"], frame["series_id"])


def negative_values_note(series: pd.DataFrame) -> str | None:
    """The note for negative ``y`` values (they switch every series off log1p), else None."""
    y = pd.to_numeric(series["y"], errors="coerce")
    neg = y < 0
    if not neg.any():
        return None
    rows = series.loc[neg].head(3)
    first = ", ".join(f"{sid} {pd.Timestamp(ds)}: {v:g}" for sid, ds, v in
                      zip(rows["series_id"], rows["ds"], y[neg].head(3), strict=True))
    return (f"series: {int(neg.sum())} negative y values (first {first}): models are fitted on "
            "the original scale instead of log1p, for every series; fix or drop those values "
            "if they are errors (counts and revenue are never negative)")


def kind_intensities(forecaster: object, by: str = "kind") -> dict[str, float]:
    """A fitted forecaster's usual intensity per event kind: the median over its training
    calendar's events, an intensity of 0 read as 1.0 as the event model reads it ("not
    given"). ``validate_calendar`` gives planned events without an intensity these.

    ``by="name"``: per event name without its year (``features._calendar.base_names``: the
    name the event model pools, 'Black Friday' for 'Black Friday 2024'), which
    ``validate_calendar`` takes before the kind's: a planned 'Black Friday 2025' is a Black
    Friday like the past ones (0.5 off), not the kind's usual sale (0.2 off, 47% of its lift).
    """
    from features._calendar import base_names

    cal = getattr(forecaster, "calendar_", None)
    if cal is None or not len(cal) or not {by, "intensity"} <= set(cal.columns):
        return {}
    i = pd.to_numeric(cal["intensity"], errors="coerce")
    i = i.where(i != 0, 1.0)
    keys = base_names(cal["name"]) if by == "name" else cal[by].astype(str)
    med = i.groupby(keys.to_numpy()).median().dropna()
    return {str(k): float(v) for k, v in med.items()}


def nonexistent_local(ds: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Which naive local times of ``ds`` do not exist in ``tz`` (the hour skipped when clocks
    go forward, 02:00 on the last Sunday of March in Europe/Berlin)."""
    if ds.tz is not None or len(ds) == 0 or str(tz).upper() == "UTC":
        return np.zeros(len(ds), dtype=bool)
    local = ds.tz_localize(tz, ambiguous=np.zeros(len(ds), dtype=bool), nonexistent="NaT")
    return np.asarray(local.isna())


def zoned_periods(out: pd.DataFrame, tz: str, *, hourly: bool = True) -> pd.DataFrame:
    """A forecast frame's naive local ``ds`` (``local_frame``'s grid) as times in ``tz``.

    An hour the clocks skip in spring has no row (it does not exist: no traffic, as a model
    trained with ``--tz`` writes none). The hour repeated in autumn, one period of the local
    grid (the mean of its two real hours), gets a row for each of them, first the summer
    offset, with the same quantiles: neither real hour is left without a forecast, and a
    day's sum counts its 25 hours. So an hourly horizon counts local wall-clock hours: 48
    from the Saturday before the autumn change gives 49 rows, before the spring change 47.
    A daily period at a local midnight the clocks skip (a zone changing at midnight) is the
    first time of that day."""
    if not len(out):
        return out.assign(ds=pd.DatetimeIndex(out["ds"]).tz_localize(tz))
    local = pd.DatetimeIndex(out["ds"])
    if not hourly:
        return out.assign(ds=local.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                               nonexistent="shift_forward"))
    either = np.asarray(local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna())
    twice = np.asarray(local.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
                       .isna())  # the repeated hour
    gone = either & ~twice  # the skipped one
    first = local.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
    order = np.arange(len(out), dtype=float)
    parts = [out.assign(ds=first, order_=order)[~gone]]
    if twice.any():
        again = local[twice].tz_localize(tz, ambiguous=np.zeros(int(twice.sum()), dtype=bool))
        parts.append(out[twice].assign(ds=again, order_=order[twice] + 0.5))
    both = pd.concat(parts, ignore_index=True).sort_values("order_", kind="stable")
    return both.drop(columns="order_").reset_index(drop=True)
def local_days(ds: pd.DatetimeIndex) -> np.ndarray:
    """The day of each period of ``ds`` on its own clock (naive ``datetime64[ns]``), as a
    calendar's days are written: on a time-zone-aware grid the local date, not the instant,
    which compares with no naive day (a calendar event's days had marked no period of a grid
    in Europe/Berlin, and a spike or drop on them was named "on no calendar event day")."""
    days = ds.tz_localize(None) if ds.tz is not None else ds
    return np.asarray(days.normalize().to_numpy(), dtype="datetime64[ns]")


def period_text(ds: Any) -> str:
    """A period as people write it: the date for a day, date and time for an hour."""
    t = pd.Timestamp(ds)
    if t == t.normalize():
        return str(t.date())
    whole_minute = t.second == 0 and t.microsecond == 0
    return t.strftime("%Y-%m-%d %H:%M" if whole_minute else "%Y-%m-%d %H:%M:%S")


def _zero_share(y: np.ndarray, spd: int) -> float:
    """Share of zero periods among those whose phase (weekday, hour of the week) is open: a
    shop closed on Sundays, or at night, is not sparse for it.

    A phase is closed when it is above 0 on under half as many of its periods as the busiest
    phase: a closed Sunday is nearly always 0 where the weekdays are not, while a sparse
    series (returns on 14% of days) is 0 as often on every weekday. (Taking the phases whose
    median is 0 as closed had called such a series 0% sparse.)
    """
    ok = np.isfinite(y)
    if not ok.any():
        return 0.0
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return 1.0
    active = ok & (busy[phase] >= 0.5 * busy.max())
    return float((y[active] == 0).mean()) if active.any() else 0.0


def closed_phases(y: np.ndarray, spd: int) -> np.ndarray:
    """Per period, whether its phase (weekday, hour of the week) is closed: above 0 on under
    half as many of its periods as the busiest phase (the rule ``_zero_share`` uses): a shop's
    Sundays, or its nights. A sparse series (0-2 orders a day) has no closed phase."""
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return np.zeros(len(y), dtype=bool)
    return busy[phase] < 0.5 * busy.max()


def _phase_busy(y: np.ndarray, spd: int) -> tuple[np.ndarray, np.ndarray]:
    """Each period's phase (weekday, hour of the week, counted back from the last period) and
    per phase the share of its observed periods above 0."""
    m = 7 * spd
    ok = np.isfinite(y)
    phase = (np.arange(len(y)) - len(y)) % m
    busy = np.zeros(m)
    for p in range(m):
        v = y[(phase == p) & ok]
        busy[p] = float((v != 0).mean()) if len(v) else 0.0
    return phase, busy


def _reject_duplicates(frame: pd.DataFrame, source: str, fix: str) -> None:
    """Error naming the count and first duplicate (series_id, ds) row of ``frame``."""
    dup = frame.duplicated(["series_id", "ds"])
    if dup.any():
        first = frame.loc[dup, ["series_id", "ds"]].iloc[0].tolist()
        msg = f"{source}: {int(dup.sum())} duplicate (series_id, ds) rows (first {first}); {fix}"
        raise ValueError(msg)


def live_history(y: np.ndarray, periods_per_day: int, days: float = LEADING_ZEROS_DAYS,
                 *, ds: pd.DatetimeIndex | None = None, series_id: str | None = None,
                 calendar: pd.DataFrame | None = None,
                 lead_days: int = START_LEAD_DAYS) -> np.ndarray:
    """``y`` (a series on its regular grid) from where it starts (``live_start``), as
    ``started_panel`` reads it: with its periods ``ds``, its id and a ``calendar``
    (normalized), from its first value other than 0 when that value starts a planned event of
    its own channel, whatever the zeros before it; else (or with no calendar) from that value
    when it follows ``days`` days or more at 0 (or missing). The days before a page's launch
    are no part of its week-to-week variation. A history of zeros only is returned whole.

    The MASE scales of the backtest and of ``brain forecast check`` read it: 640 days of 0
    before a page launched five weeks before an origin had shrunk its scale about tenfold (an
    independent check's page scored MASE 1.49 in the backtest against 0.15 on its live days,
    and 1.28 against 0.28 in the check 13 weeks after its launch). Until 2026-12-06 both read
    the 28-day rule alone: a page exported under 28 days before its launch in the calendar
    was scaled with those zeros, while the forecaster had cut them."""
    y = np.asarray(y, dtype=float)
    if ds is None or series_id is None or calendar is None or not len(calendar):
        return y[live_start(y, periods_per_day, days=days).cut:]
    found = live_starts({series_id: (pd.DatetimeIndex(ds), y)}, periods_per_day, calendar,
                        lead_days, days=days)
    return y[found[series_id][0].cut:]


def started_panel(panel: Panel, calendar: pd.DataFrame | None = None,
                  lead_days: int = START_LEAD_DAYS, days: float = LEADING_ZEROS_DAYS
                  ) -> tuple[Panel, dict[str, pd.Timestamp]]:
    """``panel`` with each series starting where ``live_start`` says its own history starts
    (``training._forecast_live``): at its first value other than 0 when that value starts a
    planned event of its own channel in ``calendar`` (normalized; its window or the
    ``lead_days`` before it), whatever the zeros (or missing values) before it, or when those
    span ``days`` days or more (a product page exported at 0 before its launch, a store before
    it opened), as if the rows before it had been left out: history the series did not have
    yet, not a business at 0. A series of zeros only is kept whole (there is nothing else to
    forecast from).

    Read as a business at 0, the start was a step from nothing: the zeros shrank the outlier
    scale (ordinary weeks of a page clipped and named outages), and the bands of pages launched
    3-11 months before the origin reached 2x to 10x their P50 in an independent check. Under 28
    days of zeros before a launch in the calendar had been kept, and fed the trees' lags,
    rolling means and level: a page exported 20 days before its launch ran 1.4x high.

    Returns the panel and, per series started later, its first period kept.
    """
    grids: dict[str, SeriesGrid] = {}
    started: dict[str, pd.Timestamp] = {}
    data_start = panel.data_start
    found = live_starts({sid: (g.ds, g.y) for sid, g in panel.series.items()},
                        steps_per_day(panel.freq),
                        None if calendar is None else normalize_calendar(calendar), lead_days,
                        data_start, days)
    for sid, g in panel.series.items():
        a = found[sid][0].cut
        if not a:
            grids[sid] = g
            continue
        grids[sid] = SeriesGrid(series_id=g.series_id, ds=g.ds[a:], y=g.y[a:],
                                regressors={k: v[a:] for k, v in g.regressors.items()})
        started[sid] = pd.Timestamp(g.ds[a])
    return Panel(freq=panel.freq, series=grids, regressor_names=panel.regressor_names,
                 log=panel.log, start=data_start, tz=getattr(panel, "tz", None)), started


def _zoned_times(values: pd.Series, source: str, column: str) -> pd.Series:
    """``values`` as datetimes, keeping a zone they carry; times with UTC offsets that switch
    (text like ``+01:00`` beside ``+02:00``, which names no zone) are a ValueError naming the
    fix, as is a column mixing times with and without a zone."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    try:
        return pd.to_datetime(values)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        if "timezone" not in text.lower() and "tz-" not in text.lower():
            raise
    msg = (f"{source}: column {column!r} mixes UTC offsets (or times with and without one), "
           "which name no time zone; give it as times in the zone (pandas: "
           "pd.to_datetime(ds, utc=True).dt.tz_convert('Europe/Berlin')) or as naive local "
           "times (.dt.tz_localize(None) after that conversion)")
    raise ValueError(msg)


def _local_midnights(local: pd.Series, tz: str) -> pd.Series:
    """Naive local times of a daily grid at midnight: a day whose midnight the clocks skip (a
    zone changing at 00:00, America/Santiago, Africa/Cairo) starts at 01:00, and its row is
    that day's period (``zoned_periods`` gives it back at that time). Any other time off
    midnight (an hourly grid) leaves the times as they are. Before, such a daily series
    stopped with 'periods must be daily or hourly; the smallest gap between rows is 23
    hours'."""
    day = local.dt.normalize()
    off = (local != day).to_numpy() & local.notna().to_numpy()
    if not off.any() or off.all():
        return local
    days = day[off]
    skipped = days.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna()
    starts = days.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    first = starts.dt.tz_localize(None) == local[off]
    if not (skipped & first).all():
        return local
    return local.where(~off, day)


def local_frame(series: pd.DataFrame, source: str = "series") -> tuple[pd.DataFrame, str | None]:
    """A long frame whose ``ds`` has a time zone as naive local wall-clock times in it, and
    the zone (None, and the frame as it was, for a ``ds`` without one).

    The rule of ``brain forecast --tz`` (``features._series_io``): a series is modelled on the
    clock people live by, so a shop that opens at 09:00 opens at the same hour of the grid all
    year; the hour the clocks skip in spring is a gap; the two rows of one series in the hour
    repeated in autumn (two real hours under one wall-clock label) are averaged into one, every
    numeric column (a count's two hours become their mean: the local hour's usual level, as
    ``--tz`` reads a file). Before 2026-12-06 a zoned ``ds`` was modelled in absolute hours:
    the LightGBM forecaster's lags and hour features were an hour off for half the year, and
    its forecast came back in naive UTC times. ``predict`` gives the periods back in the zone
    (``BaseForecaster._frame``).
    """
    if "ds" not in series.columns:
        return series, None
    ds = _zoned_times(series["ds"], source, "ds")
    tz = getattr(ds.dt, "tz", None)
    if tz is None:
        return series, None
    frame = series.copy()
    frame["ds"] = _local_midnights(ds.dt.tz_localize(None), str(tz))
    # rows of one series at one local time but two instants: the repeated autumn hour (rows
    # at the same instant are duplicates, left for the caller's duplicate check)
    key = frame["series_id"].astype(str)
    local = frame.duplicated(["series_id", "ds"], keep=False).to_numpy()
    same = pd.DataFrame({"k": key, "t": ds}).duplicated(keep=False).to_numpy()
    twice = local & ~same & frame["ds"].notna().to_numpy()
    if twice.any():
        rows = frame[twice]
        values = [c for c in rows.columns if c not in ("series_id", "ds")]
        numeric = rows[values].apply(pd.to_numeric, errors="coerce")
        merged = numeric.groupby([rows["series_id"], rows["ds"]], sort=False).mean()
        merged = merged.reset_index()
        logging.getLogger(__name__).info(
            "%s: %d rows fall in the hour repeated when clocks go back in %s: rows of one "
            "series at the same local time are averaged into one", source, int(twice.sum()), tz)
        frame = pd.concat([frame[~twice], merged[frame.columns]], ignore_index=True)
    return frame, str(tz)


def local_calendar(calendar: pd.DataFrame | None, tz: str | None) -> pd.DataFrame | None:
    """``calendar`` with start and end times that carry a zone (a zoned column, text with UTC
    offsets) read in ``tz``, the zone of a panel's series (``Panel.tz``): a local midnight
    written in UTC (``2024-05-14T22:00Z`` for Berlin's 15 May) is the local day it falls on.
    Naive dates are that zone's local days already. Without ``tz`` (a series without a zone)
    the calendar is left to ``normalize_calendar``, which reads a zoned time as the day
    written."""
    if calendar is None or tz is None or not len(calendar):
        return calendar
    out = calendar.copy()
    for col in ("start", "end"):
        if col not in out.columns:
            continue
        values = out[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[col] = values.dt.tz_convert(tz).dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.astype("string").str.strip()
            zoned = text.str.contains(_OFFSET_END, na=False)
            if zoned.any():
                moved = pd.to_datetime(text[zoned], utc=True, format="ISO8601",
                                       errors="coerce").dt.tz_convert(tz).dt.tz_localize(None)
                out[col] = values.astype(object).where(~zoned, moved.astype(object))
    out.attrs = dict(calendar.attrs)
    return out


def prepare_panel(series: pd.DataFrame, transform: str = "auto", *,
                  local: bool = False) -> Panel:
    """Validate a long frame and put each series on a regular grid.

    ``local``: a ``ds`` with a time zone is put on its local wall clock (``local_frame``; the
    forecasters' rule, recorded as ``Panel.tz``); else (the data notes) on absolute times.

    Raises:
        ValueError: missing columns, duplicate (series_id, ds), non-numeric regressors, or an
            irregular frequency; the message names the column and the fix.
    """
    for col in ("series_id", "ds", "y"):
        if col not in series.columns:
            msg = (f"series: required column {col!r} is missing (columns received: "
                   f"{list(series.columns)}); pass a long frame with series_id, ds, y")
            raise ValueError(msg)
    frame = series.copy()
    frame["series_id"] = frame["series_id"].astype(str)
    frame["ds"] = _zoned_times(frame["ds"], "series", "ds")
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    _reject_duplicates(frame, "series", "aggregate duplicates before forecasting")
    extra = [c for c in frame.columns if c not in ("series_id", "ds", "y")]
    for col in extra:
        vals = pd.to_numeric(frame[col], errors="coerce")
        if vals.isna().sum() > frame[col].isna().sum():
            msg = (f"series: known-in-advance column {col!r} has non-numeric values; "
                   "regressors must be numbers (encode flags as 0/1); drop the column if it "
                   "is not known in advance for the forecast periods (a store name, a label)")
            raise ValueError(msg)
        frame[col] = vals.astype(float)
    tz = None
    if local:
        frame, tz = local_frame(frame)
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    freq = _infer_freq(frame["ds"], frame["series_id"])
    grids: dict[str, SeriesGrid] = {}
    for sid, g in frame.groupby("series_id", sort=True):
        g = g.set_index("ds")
        idx = pd.date_range(g.index.min(), g.index.max(), freq=freq)
        g = g.reindex(idx)
        grids[str(sid)] = SeriesGrid(
            series_id=str(sid), ds=idx, y=g["y"].to_numpy(dtype=float),
            regressors={c: g[c].to_numpy(dtype=float) for c in extra})
    if transform == "auto":
        log = bool(np.nanmin(frame["y"].to_numpy()) >= 0) if frame["y"].notna().any() else False
        note = negative_values_note(frame)
        if note:  # one bad value changes the model for every series: say so
            logging.getLogger(__name__).warning("%s", note)
    elif transform in ("log", "log1p"):
        log = True
    elif transform in ("none", "identity"):
        log = False
    else:
        msg = f"transform must be 'auto', 'log1p' or 'none', received {transform!r}"
        raise ValueError(msg)
    return Panel(freq=freq, series=grids, regressor_names=extra, log=log, tz=tz)


class BaseForecaster:
    """Common interface: ``fit(series, calendar) -> self``; ``predict(horizon, ...) -> frame``.

    ``predict(horizon, future_calendar=None)`` uses the calendar given to ``fit`` (which may
    already hold future events); pass an empty frame to forecast with no events at all.
    """

    model_name: ClassVar[str] = "base"

    def get_params(self) -> dict[str, Any]:
        """Constructor settings (for logging)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Learn from ``series`` (long frame) and ``calendar``; returns self."""
        raise NotImplementedError

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """P10/P50/P90 for the ``horizon`` periods after each series' last observation.

        ``series``: forecast only these series (None: all). Each series' forecast reads only
        its own history, calendar events and known-in-advance values, so its rows are the
        same as in a forecast of every series (``future_regressors`` need only cover them).
        """
        raise NotImplementedError

    @property
    def cheap_without(self) -> bool:
        """Whether ``predict_without`` costs little per job (no forecast each), so that
        ``forecasts_without`` gives each event a job of its own instead of batching them."""
        return False

    def predict_without(
        self,
        horizon: int,
        calendar: pd.DataFrame | None,
        jobs: Sequence[tuple[Sequence[int], Sequence[str] | None]],
        future_regressors: pd.DataFrame | None = None,
    ) -> list[pd.DataFrame]:
        """For each ``(rows, series)`` of ``jobs``: ``predict(horizon, calendar without
        rows, future_regressors, series=series)``, ``rows`` being positions in the calendar as
        the model reads it, ``self._read_calendar(calendar)`` (for a calendar without zoned
        times, or a series without a zone, ``normalize_calendar(calendar)``; the forecasts
        without each event that shares days with others: ``forecasts_without``). Here one
        ``predict`` per job; the LightGBM forecaster, whose calendar enters after trees that
        read none, shares one pass of them and of the calendar between the jobs."""
        cal = self._read_calendar(calendar)
        return [self.predict(horizon, cal.drop(index=cal.index[list(rows)]).reset_index(
            drop=True), future_regressors, series=series) for rows, series in jobs]

    def _series_asked(self, series: Sequence[str] | None) -> list[str]:
        """The series ids ``predict`` forecasts, in the model's own order: every series for
        None, else those of ``series`` (an id the model does not know is a ValueError)."""
        own = list(self.panel_.series)  # type: ignore[attr-defined]
        if series is None:
            return own
        asked = {str(s) for s in series}
        if not asked:
            msg = "predict: series is empty; give the series ids to forecast, or None for all"
            raise ValueError(msg)
        unknown = sorted(asked - set(own))
        if unknown:
            raise ValueError(f"predict: {unknown_series_text(unknown, own)}")
        return [s for s in own if s in asked]

    def _read_calendar(self, calendar: pd.DataFrame | None) -> pd.DataFrame:
        """``calendar`` normalized as ``predict`` reads it: times with a zone in the series'
        zone (``local_calendar``), so ``predict_without`` drops the rows ``predict`` reads
        (until 2026-12-06 it read them as the day written: a Berlin midnight written in UTC,
        ``2025-01-09T23:00Z``, was 9 January there and 10 January in ``predict``)."""
        panel = getattr(self, "panel_", None)
        return normalize_calendar(local_calendar(calendar, getattr(panel, "tz", None)))

    def _fit_calendar(self, calendar: pd.DataFrame | None) -> pd.DataFrame:
        """The training calendar, normalized and checked against the panel's channels; times
        with a zone read in the series' zone (``local_calendar``).

        A calendar already checked against every series of the data (``calendar_for_series``:
        ``--only total,channel=paid_search`` keeps the e-mail newsletters for the total) is
        taken as it is, and its channels are recorded (``calendar_channels_``): a later
        calendar with them is accepted too (``calendar_only_channels``). Until 2026-12-06 the
        model's own calendar was refused when the model was logged, and ``brain forecast
        train --only`` failed after its whole backtest."""
        panel = self.panel_  # type: ignore[attr-defined]
        cal = check_calendar_channels(local_calendar(calendar, getattr(panel, "tz", None)),
                                      [str(s) for s in panel.series],
                                      self.calendar_only_channels())
        if calendar is not None and calendar.attrs.get("channels_checked") and len(cal):
            seen = set(getattr(self, "calendar_channels_", ()))
            self.calendar_channels_ = tuple(sorted(seen | set(
                cal["channel"].dropna().astype(str))))
        return cal

    def calendar_only_channels(self) -> list[str]:
        """The channels of the checked training calendar that have no series of their own
        (their events concern the totals: ``--only total,channel=paid_search`` keeps the
        e-mail newsletters), which a calendar at predict time may name too, here and in ``POST
        /forecast_traffic``; none for a model saved before they were recorded."""
        have = {series_channel(str(s)) for s in self.panel_.series}  # type: ignore[attr-defined]
        return [c for c in getattr(self, "calendar_channels_", ()) if c not in have]

    def _local_future(self, future_regressors: pd.DataFrame | None) -> pd.DataFrame | None:
        """Known-in-advance rows whose ``ds`` has a zone on the local clock of a series given
        with one (``local_frame``: the repeated autumn hour's two rows averaged), as the
        model's periods are; other rows as given."""
        zone = getattr(getattr(self, "panel_", None), "tz", None)
        if (future_regressors is None or zone is None or "ds" not in future_regressors
                or "series_id" not in future_regressors):
            return future_regressors
        ds = _zoned_times(future_regressors["ds"], "future_regressors", "ds")
        if getattr(ds.dt, "tz", None) is None:
            return future_regressors
        return local_frame(future_regressors.assign(ds=ds.dt.tz_convert(zone)),
                           "future_regressors")[0]

    def _calendar_for_predict(self, future_calendar: pd.DataFrame | None) -> pd.DataFrame:
        if future_calendar is None:
            return self.calendar_  # type: ignore[attr-defined]
        return self._fit_calendar(future_calendar)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            msg = f"{type(self).__name__}: call fit(series, calendar) before predict"
            raise RuntimeError(msg)

    @staticmethod
    def _check_horizon(horizon: int) -> int:
        if int(horizon) < 1:
            msg = f"predict: horizon must be a positive number of periods, received {horizon}"
            raise ValueError(msg)
        return int(horizon)

    def _frame(self, parts: list[pd.DataFrame], extra: tuple[str, ...] = ()) -> pd.DataFrame:
        """``parts`` as one forecast frame (``FORECAST_COLUMNS``, and the ``extra`` columns of
        ``parts``): quantiles ordered, a count's P10/P90 whole numbers, the model's name, and
        no row for an hour the business time zone's clocks skip; for a series given with a
        zoned ``ds``, the periods back in its zone (``zoned_periods``)."""
        out = pd.concat(parts, ignore_index=True)
        # quantiles are ordered: p10 <= p50 <= p90
        q = np.sort(out[["p10", "p50", "p90"]].to_numpy(dtype=float), axis=1)
        counts = _count_series(getattr(self, "panel_", None))
        if counts:
            # a count's quantiles are whole numbers: P10 down, P90 up (P50 stays the central
            # estimate). A shop selling 0-5 orders a day had P10 at 0.07-0.26, so every day
            # without an order fell outside its 80% interval (coverage 53%)
            on = out["series_id"].astype(str).isin(counts).to_numpy()
            q[on, 0] = np.floor(q[on, 0] + 1e-9)
            q[on, 2] = np.ceil(q[on, 2] - 1e-9)
        out[["p10", "p50", "p90"]] = q
        out["model"] = self.model_name
        tz = getattr(self, "time_zone_", None)  # set by train_and_register; older models: None
        panel = getattr(self, "panel_", None)
        zone = getattr(panel, "tz", None)  # a ds given with a zone: back in it
        if zone and panel is not None and getattr(out["ds"].dtype, "tz", None) is None:
            out = zoned_periods(out, zone, hourly=panel.step < pd.Timedelta(days=1))
        elif tz and len(out) and panel is not None and panel.step < pd.Timedelta(days=1):
            # an hour the clocks skip in the business time zone has no traffic: no row
            gone = nonexistent_local(pd.DatetimeIndex(out["ds"]), tz)
            out = out[~gone].reset_index(drop=True)
        return out[[*FORECAST_COLUMNS, *extra]]
