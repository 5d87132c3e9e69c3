"""Peak summaries of a forecast: for the whole horizon and for each event window.

Each series gets a row for the horizon and one for the window of every event that applies to it
(``features._calendar.applies_to``): an event without a channel applies to every series, an
event with a channel to that channel's series and the aggregate series (``total``). On other
series the event has no effect, so it has no row there (``channel_scope_note`` says so). Copies
of one event on several channels are one event, and on an aggregate so are the rows of one kind
and days entered per channel (``aggregate_events``): one row, read without all of them.

An event window's lift is what that event adds: the P50 at the window's peak over the largest
P50 on the peak's day (on daily series: the same period) of the same model's forecast without
that event, the calendar's other events kept (``forecasts_without``). Where no other event of
the series reaches the window's days (its window or shoulder days), that is the no-event
forecast, made once for all rows; the horizon row is read over the no-event forecast too. Read
over the no-event forecast, two events that share a day had each been credited with both: an
hourly shop's newsletter on an Autumn sale day read +115%, the sale's lift, where the
newsletter adds a few percent; and a sale inside an always-on campaign (until 2026-12-04) the
sale and the campaign together. On hourly series the two peaks can fall at different hours: a
holiday that runs like a Sunday peaks at midday, where a working day is in its lull, so the
same hour had shown a holiday that cuts the day's peak by a quarter as +39%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features._calendar import (
    applies_to,
    expand_store_channels,
    is_aggregate,
    normalize_calendar,
)

from ._forecast_backtest_zone import zoned_column
from ._forecast_base import BaseForecaster
from ._forecast_event_days import BACKGROUND_DAYS
from ._forecast_peak_overlaps import (
    _copies,
    _event_key,
    aggregate_events,
    event_label,
    event_reach,
    forecasts_without,
    overlap_note,
)
from ._forecast_window_bands import WindowBands, on_schedule, window_interval
from ._forecast_zone import local_calendar

__all__ = ["LIFT_FLOOR", "PEAK_COLUMNS", "PeakForecast", "background_events", "event_reach",
           "forecast_with_peaks", "forecasts_without", "overlap_note", "peak_summary",
           "series_levels"]

PEAK_COLUMNS: tuple[str, ...] = (
    "series_id", "window", "start", "end", "peak_ds", "peak_p10", "peak_p50", "peak_p90",
    "baseline_p50", "lift_pct", "window_p10", "window_p50", "window_p90", "window_baseline_p50",
    "window_lift_pct")
"""Columns of a peak summary.

window: 'horizon' or the name of an event that applies to the series, one row per event (its
copies on several channels are one; on an aggregate, so are the rows of one kind and days
entered for several channels, named after the first and counted: ``event_label``); start/end:
the span searched (event days inside the horizon); peak_ds: period of the largest P50;
peak_p10/p50/p90: forecast interval at that period; baseline_p50: the largest value on the
peak's day (daily series: at that period; hourly: the day's peak, which may be at another hour;
NaN when no baseline was given) of the forecast without the row's event: for the horizon row
and an event no other event of the series reaches, the no-event forecast; for an event that
shares days with others (their windows or shoulder days), the forecast with those others but
without it (``forecasts_without``), so lift_pct is what the event adds to the day; lift_pct: 100 *
(peak_p50 / baseline_p50 - 1), left out (NaN) where the baseline is under
``LIFT_FLOOR`` of the series' average (for a series whose history is all 0, of its forecast's
average over the horizon): a percentage of almost nothing (+31,085% on a baseline of 0.0009
returns a day) says nothing.
window_p50: the P50 summed over the row's periods (start .. end); window_baseline_p50: the same
periods summed in the forecast without the row's event (the forecast baseline_p50 reads, period
by period; NaN when no baseline was given); window_lift_pct: 100 * (window_p50 /
window_baseline_p50 - 1), what the event does to the window's total, left out (NaN) under the
same floor (``LIFT_FLOOR`` of the average, per period). lift_pct is the peak's, one period's: a
six-week school holiday that takes 10% off its window peaks on the day of a sale inside it, and
its lift_pct is the holiday's effect on that one day. window_p10/window_p90 (since 2026-12-07):
the 80% interval of the window's total, calibrated on the model's backtest of window totals
(``training._forecast_window_bands``; summing the periods' P10/P90 would give an interval as
wide as if every period missed the same way at once); NaN for windows over ``MAX_DAYS`` days
and for models without that backtest.
"""

LIFT_FLOOR = 0.05
"""Share of a series' average (its mean history) a no-event baseline needs for a lift_pct."""


def _days(cal: pd.DataFrame) -> np.ndarray:
    return ((cal["end"].dt.normalize() - cal["start"].dt.normalize()).dt.days + 1).to_numpy()


def background_events(calendar: pd.DataFrame | None) -> pd.DataFrame:
    """The calendar's background events (windows of ``BACKGROUND_DAYS`` days or more), when a
    shorter event overlaps one of them (else an empty frame: no other baseline is needed)."""
    cal = normalize_calendar(calendar)
    if cal.empty:
        return cal
    long = _days(cal) >= BACKGROUND_DAYS
    bg, short = cal[long], cal[~long]
    overlaps = any(((short["start"] <= ev.end) & (short["end"] >= ev.start)).any()
                   for ev in bg.itertuples(index=False))
    return bg.reset_index(drop=True) if overlaps else cal.iloc[:0]


def _day_peak(base: pd.Series, ds: pd.Timestamp) -> float:
    """The largest value of ``base`` on the day of ``ds`` (the value at ``ds`` on daily series).

    An event's lift compares peaks: on hourly series the event's peak hour can be one where
    the no-event day is low (a holiday's midday against a working day's evening peak), and
    the value at the same hour had turned a holiday that lowers the day's peak into a lift.
    """
    day = ds.normalize()
    idx = base.index
    same = base.to_numpy()[(idx >= day) & (idx < day + pd.Timedelta(days=1))]
    same = same[np.isfinite(same)]
    return float(same.max()) if len(same) else np.nan


def _peak_row(sid: str, window: str, g: pd.DataFrame, base: pd.Series | None,
              under: pd.DataFrame | None = None, bg_base: pd.Series | None = None,
              floor: float = 0.0, own: pd.Series | None = None,
              bands: WindowBands | None = None) -> dict:
    i = int(np.argmax(g["p50"].to_numpy()))
    row = g.iloc[i]
    base_all = base
    if own is not None:
        base = own  # the forecast without this event, the others kept: what it adds
    elif under is not None and bg_base is not None and not under.empty:
        day = row["ds"].normalize()  # events cover whole days, whatever their times
        if ((under["start"].dt.normalize() <= day) & (under["end"].dt.normalize() >= day)).any():
            base = bg_base  # the event's own lift, over its background event
    b = _day_peak(base, row["ds"]) if base is not None else np.nan
    lift = (100 * (row["p50"] / b - 1) if b and np.isfinite(b) and b > 0 and b >= floor
            else np.nan)
    total = float(np.sum(g["p50"].to_numpy(dtype=float)))
    p10s = g["p10"].to_numpy(dtype=float)
    p90s = g["p90"].to_numpy(dtype=float)
    # periods off the series' schedule (weekdays its file never has: omitted closed days)
    # count at their P50 in the band, as its backtest calibration counted them
    on = on_schedule(bands, sid, g["ds"])
    p50s = g["p50"].to_numpy(dtype=float)
    w_lo, w_hi = window_interval(bands, len(g), float(np.sum(np.where(on, p10s, p50s))), total,
                                 float(np.sum(np.where(on, p90s, p50s))),
                                 0.0 if (p10s >= 0).all() else None)
    total_base = _window_baseline(g["ds"], own if own is not None else base_all, under, bg_base)
    window_lift = (100 * (total / total_base - 1) if np.isfinite(total_base) and total_base > 0
                   and total_base >= floor * len(g) else np.nan)
    return {"series_id": sid, "window": window, "start": g["ds"].min(), "end": g["ds"].max(),
            "peak_ds": row["ds"], "peak_p10": float(row["p10"]), "peak_p50": float(row["p50"]),
            "peak_p90": float(row["p90"]), "baseline_p50": b, "lift_pct": float(lift),
            "window_p10": w_lo, "window_p50": total, "window_p90": w_hi,
            "window_baseline_p50": total_base,
            "window_lift_pct": float(window_lift)}


def _window_baseline(ds: pd.Series, base: pd.Series | None, under: pd.DataFrame | None,
                     bg_base: pd.Series | None) -> float:
    """The baseline summed over the periods ``ds``: ``base`` (the forecast without the row's
    event), on the days a background event covers its forecast alone (``bg_base``) where one
    is given (callers before ``forecasts_without``); NaN where a period has no baseline."""
    if base is None:
        return np.nan
    periods = pd.DatetimeIndex(ds)
    vals = base.reindex(periods).to_numpy(dtype=float)
    if under is not None and bg_base is not None and not under.empty:
        day = periods.normalize()
        inside = np.zeros(len(day), dtype=bool)
        for ev in under.itertuples(index=False):
            inside |= (day >= ev.start.normalize()) & (day <= ev.end.normalize())
        vals = np.where(inside, bg_base.reindex(periods).to_numpy(dtype=float), vals)
    return float(vals.sum()) if len(vals) and np.isfinite(vals).all() else np.nan


def peak_summary(
    forecast: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    baseline: pd.DataFrame | None = None,
    background: pd.DataFrame | None = None,
    levels: dict[str, float] | None = None,
    without: dict[tuple, pd.DataFrame] | None = None,
    bands: WindowBands | None = None,
) -> pd.DataFrame:
    """Peak date, magnitude with interval and lift, per series for the horizon and the window
    of each event that applies to the series (``applies_to``).

    Args:
        forecast: frame with ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``.
        calendar: events whose windows (intersected with the horizon) get their own row in
            each series they apply to.
        baseline: the no-event forecast (same columns) for the lift; None leaves lift NaN.
        background: the forecast with the background events only (``background_events``):
            the baseline of a shorter event whose peak lies inside one of them, where
            ``without`` has no forecast for the event (callers before ``without``).
        levels: each series' average (mean history); no lift_pct from a baseline under
            ``LIFT_FLOOR`` of it (of the forecast's average for a series whose average is 0).
        without: ``forecasts_without``: per event that shares days with other events of a
            series, the forecast without it (the others kept), its row's baseline there.
    """
    cal = normalize_calendar(calendar)
    copies = _copies(cal)
    chain = aggregate_events(cal, copies)
    rows = []
    own = without or {}

    def p50(frame: pd.DataFrame | None, sid: object) -> pd.Series | None:
        if frame is None:
            return None
        f = frame[frame["series_id"] == sid]
        return pd.Series(f["p50"].to_numpy(), index=pd.to_datetime(f["ds"]))

    for sid, g in forecast.groupby("series_id", sort=True):
        g = g.sort_values("ds").reset_index(drop=True)
        base, bg_base = p50(baseline, sid), p50(background, sid)
        level = (levels or {}).get(str(sid), np.nan)
        # a series of zeros only (a page before its launch, forecast from how others
        # started) has no history to judge a baseline by: its no-event baseline is about 0
        # (1.6e-05) and the lift over it had read +25,569,879,963%. Its forecast's average
        # judges instead: a sale after the launch keeps its lift over the launched page
        # (+46% over 2,669), which had been left out with the launch's
        if level == 0:
            level = float(np.nanmean(g["p50"].to_numpy(dtype=float))) if len(g) else 0.0
            level = level if np.isfinite(level) and level > 0 else 0.0
        floor = (LIFT_FLOOR * level if np.isfinite(level) and level > 0
                 else np.inf if level == 0 else 0.0)
        rows.append(_peak_row(str(sid), "horizon", g, base, floor=floor, bands=bands))
        sub = cal[applies_to(cal, str(sid))] if not cal.empty else cal
        day = g["ds"].dt.normalize()
        # only events with a day in the horizon can have a row or hold a peak (a store's two
        # years of past promotions had been filtered against the forecast one by one)
        sub = sub[(sub["start"].dt.normalize() <= day.max()) & (sub["end"] >= day.min())]
        long = _days(sub) >= BACKGROUND_DAYS
        # one row per event: its copies on other channels are one event, and on an aggregate
        # so are the rows of one kind and days entered per channel (``aggregate_events``)
        event = (chain if is_aggregate(str(sid)) else copies)[cal.index.get_indexer(sub.index)]
        for e in dict.fromkeys(event.tolist()):
            mine = np.flatnonzero(event == e)
            evs = sub.iloc[mine]
            on = np.zeros(len(g), dtype=bool)
            for ev in evs.itertuples(index=False):
                on |= ((day >= ev.start) & (day <= ev.end)).to_numpy()
            inside = g[on]
            if inside.empty:
                continue
            # the forecast without it, where it shares days with others on this series
            alone = None
            for ev in evs.itertuples(index=False):
                found = p50(own.get(_event_key(ev.name, ev.start, ev.channel)), sid)
                if found is not None and len(found):
                    alone = found
                    break
            label = (str(evs["name"].iloc[0]) if len(mine) == 1
                     else event_label(cal, cal.index.get_indexer(evs.index)))
            rows.append(_peak_row(str(sid), label, inside, base,
                                  None if long[mine].all() else sub[long], bg_base, floor,
                                  alone, bands))
    return pd.DataFrame(rows, columns=list(PEAK_COLUMNS))


@dataclass(frozen=True)
class PeakForecast:
    """A forecast with its no-event baseline and peak summary.

    Attributes:
        forecast: P10/P50/P90 per series and period with the calendar's events.
        baseline: the same model's forecast with no events.
        peaks: ``peak_summary`` of ``forecast`` (columns ``PEAK_COLUMNS``).
    """

    forecast: pd.DataFrame
    baseline: pd.DataFrame
    peaks: pd.DataFrame


def forecast_with_peaks(
    model: BaseForecaster,
    horizon: int,
    future_calendar: pd.DataFrame | None = None,
    future_regressors: pd.DataFrame | None = None,
    series: Sequence[str] | None = None,
) -> PeakForecast:
    """Forecast, forecast again without events (and without each event that shares days with
    others, ``forecasts_without``), and summarise peaks and lifts.

    ``series``: forecast and summarise only these series (None: all); each series' rows are
    the same as in the summary of every series (each series' forecast reads only its own
    history and events). The forecasts without an event are made for the series where it
    shares days with another event only: the peak table reads them nowhere else.
    """
    fc = model.predict(horizon, future_calendar, future_regressors, series=series)
    empty = normalize_calendar(None)
    base = model.predict(horizon, empty, future_regressors, series=series)
    cal = future_calendar if future_calendar is not None else getattr(model, "calendar_", None)
    # a series given with a zone: its calendar, forecasts and peaks read on its local days
    # (as ``predict`` reads them), the peaks' times given back in the zone; it had stopped
    # with "Invalid comparison between dtype=datetime64[ns] and Timestamp" until 2026-12-06
    zone = getattr(getattr(model, "panel_", None), "tz", None)
    cal = local_calendar(cal, zone)
    # a store's channel ('store_nbr_01' on series 'store_nbr_01 / GROCERY I') read on each
    # series of the store, as ``predict`` and ``predict_without`` read it: until 2026-12-07 the
    # rows left out and the peak rows were read on the calendar as given, so "without event X"
    # left out another row after a store's row, and the store's event had no peak rows
    panel = getattr(model, "panel_", None)
    if panel is not None and cal is not None:
        cal = expand_store_channels(normalize_calendar(cal), [str(s) for s in panel.series])[0]
    without = forecasts_without(
        cal, _local(fc, zone),
        lambda c, jobs: [_local(f, zone) for f in model.predict_without(horizon, c, jobs,
                                                                         future_regressors)],
        event_reach(model), batched=not model.cheap_without)
    peaks = peak_summary(_local(fc, zone), cal, _local(base, zone), None, series_levels(model),
                         without, getattr(model, "window_bands_", None))
    if zone is not None:
        for col in ("start", "end", "peak_ds"):
            peaks[col] = zoned_column(peaks[col], zone)
    return PeakForecast(fc, base, peaks)


def _local(forecast: pd.DataFrame, zone: str | None) -> pd.DataFrame:
    """A forecast answered in ``zone`` on its naive local periods (the hour repeated in
    autumn, given twice with the same quantiles, once); as given without a zone."""
    if zone is None or getattr(forecast["ds"].dtype, "tz", None) is None:
        return forecast
    local = forecast.assign(ds=forecast["ds"].dt.tz_convert(zone).dt.tz_localize(None))
    return local.drop_duplicates(["series_id", "ds"]).reset_index(drop=True)


def series_levels(model: BaseForecaster) -> dict[str, float]:
    """Each series' mean history (the scale a lift's baseline is judged against)."""
    panel = getattr(model, "panel_", None)
    if panel is None:
        return {}
    out = {}
    for sid, g in panel.series.items():
        y = g.y[np.isfinite(g.y)]
        if len(y):
            out[str(sid)] = float(np.mean(y))
    return out
