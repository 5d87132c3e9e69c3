"""From a long frame to a ``Panel``: checks, frequency, regular grids, transform, live starts.

``prepare_panel`` validates a long frame (``series_id``, ``ds``, ``y`` and known-in-advance
columns; a zoned ``ds`` on its local wall clock: ``training._forecast_zone``), infers its
frequency (daily or hourly) and puts each series on a regular grid; ``started_panel`` cuts
each series to where its own history starts (``training._forecast_live``), and
``live_history`` reads one series' values the same way.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar

from ._forecast_base import Panel, SeriesGrid, steps_per_day
from ._forecast_ids import _names
from ._forecast_live import LEADING_ZEROS_DAYS, START_LEAD_DAYS, live_start, live_starts
from ._forecast_zone import _zoned_times, local_frame

__all__ = [
    "live_history",
    "negative_values_note",
    "prepare_panel",
    "series_freq",
    "started_panel",
]

# the forecasters' logger: records keep the name they had while this code was part of
# ``training._forecast_base`` (a logging setup filtering on it still sees them)
_log = logging.getLogger("training._forecast_base")


def _freq_label(step: pd.Timedelta) -> str:
    if step == pd.Timedelta(days=1):
        return "daily"
    if step == pd.Timedelta(hours=1):
        return "hourly"
    return f"every {step}"


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


def _reject_duplicates(frame: pd.DataFrame, source: str, fix: str,
                       input: str | None = None) -> None:
    """Error naming the count and first duplicate (series_id, ds) row of ``frame``: a
    ``ForecastInputError`` about ``input`` when it is given (a forecast's input, e.g.
    ``"future_regressors"``), else a ``ValueError`` (the training series)."""
    from ._forecast_input import ForecastInputError

    dup = frame.duplicated(["series_id", "ds"])
    if dup.any():
        first = frame.loc[dup, ["series_id", "ds"]].iloc[0].tolist()
        msg = f"{source}: {int(dup.sum())} duplicate (series_id, ds) rows (first {first}); {fix}"
        if input is not None:
            raise ForecastInputError(msg, input=input)
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
            _log.warning("%s", note)
    elif transform in ("log", "log1p"):
        log = True
    elif transform in ("none", "identity"):
        log = False
    else:
        msg = f"transform must be 'auto', 'log1p' or 'none', received {transform!r}"
        raise ValueError(msg)
    return Panel(freq=freq, series=grids, regressor_names=extra, log=log, tz=tz)
