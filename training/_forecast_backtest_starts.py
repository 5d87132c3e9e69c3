"""Backtest scores of the series that start inside a fold: a page launched, a store opened.

A series with only zeros (or missing values) before a fold's origin has no in-sample error to
scale MASE by, so the live-series metrics cannot judge its forecast; yet that is the forecast a
launch plan needs (``training._forecast_starts``). A (fold, series) is a *start* when the series
has rows before the origin, all of them 0 (or missing), a value other than 0 inside the fold's
window, and the calendar holds an event of the series' own channel (``series_channel``) that
begins inside the window (on or after the origin's day) and whose window, or the ``LEAD_DAYS``
before it, holds that first value (of several, the one that began nearest to it). The set is
read from the data and the calendar only, never from a model, so every forecaster is scored on
the same (fold, series). Its *start window* runs from the earlier of the event's first period
and the first value other than 0 to the end of the fold; on it, with ``S`` the sum of the
actuals (scale-free: a new store's orders and its revenue weigh the same):

* ``start_sum_err_pct``: 100 |sum P50 - S| / S, what a planner sizing the opening's stock reads;
* ``start_bias_pct``: 100 (sum P50 - S) / S, its sign;
* ``start_pinball``: the mean pinball loss over P10/P50/P90 divided by the actuals' mean
  (the level and the band; the champion rule's tie-break, see ``training._forecast_champion``);
* ``start_coverage80_pct``: the share of actuals inside [P10, P90].

A series that goes from 0 to live inside a window with no such event is not scored as a start
(no forecaster can know when it starts); ``start_notes`` names it.

An export that lists a page or a store only from its first day (Google Analytics, a till
system) has no rows before such a launch: ``launch_pads`` gives the fold the rows at 0 that
the same series exported with its empty days holds, so it is scored alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar, series_channel

from ._forecast_live import START_LEAD_DAYS, first_live, start_event
from ._forecast_text import listed, period_text

__all__ = ["LEAD_DAYS", "START_METRICS", "fold_start", "launch_pads", "start_metrics",
           "start_notes"]

START_METRICS: tuple[str, ...] = ("start_sum_err_pct", "start_bias_pct", "start_pinball",
                                  "start_coverage80_pct")
"""Metric names of the series that start inside a fold, in report order."""

LEAD_DAYS = START_LEAD_DAYS
"""A first value up to this many days before its event's first day still starts with it (as in
``training._forecast_starts``: a soft launch the day before the announced one)."""


def fold_start(series_id: str, history_y: np.ndarray, window: pd.DataFrame,
               calendar: pd.DataFrame | None, origin: pd.Timestamp, end: pd.Timestamp
               ) -> tuple[pd.Timestamp, pd.Series | None] | None:
    """Whether ``series_id`` starts inside the fold: None when it does not (it has a value other
    than 0 before the origin, no rows there, or only zeros in the window); else its first value
    other than 0 in the window and the planned event it started with (None: no event of its own
    channel began in the window at that time; ``training._forecast_live.start_event`` on the
    events that began in the fold).

    Args:
        history_y: the series' values before the origin.
        window: its rows of the fold (``ds``, ``y``), the window from the origin to ``end``.
    """
    hy = np.asarray(history_y, dtype=float)
    if not len(hy) or first_live(hy) is not None:
        return None
    w = window.sort_values("ds")
    live = first_live(w["y"].to_numpy(float))
    if live is None:
        return None
    first = pd.Timestamp(w["ds"].iloc[live])
    chan = series_channel(series_id)
    cal = normalize_calendar(calendar)
    if chan is None or cal.empty:
        return first, None
    own = cal[(cal["channel"] == chan).fillna(value=False).to_numpy(dtype=bool)
              & (cal["start"] >= origin.normalize()).to_numpy(dtype=bool)
              & (cal["start"] < end).to_numpy(dtype=bool)]
    at = start_event(first, own["start"].to_numpy(), own["end"].to_numpy(), LEAD_DAYS)
    return first, None if at is None else own.iloc[at]


def launch_pads(frame: pd.DataFrame, calendar: pd.DataFrame | None, origin: pd.Timestamp,
                end: pd.Timestamp, step: pd.Timedelta) -> pd.DataFrame:
    """Rows at 0 for the series of ``frame`` whose first row falls inside the fold's window
    (``origin`` .. ``end``) and whose first value other than 0 starts an event of their own
    channel that begins in the window (``fold_start``'s test), from the data's first period to
    the period before that first row, one per ``step``; known-in-advance columns take the
    series' first row's values. Empty when no series is such.

    Such a series, exported only from its launch (a page in a Google Analytics export, a
    store in a till system's), had been left out of the fold's scores ("no rows before the
    origin"): with these rows it is the start the same page exported with its days at 0 is,
    fitted and scored alike."""
    cal = normalize_calendar(calendar)
    columns = list(frame.columns)
    if cal.empty:
        return frame.iloc[:0]
    cal = cal[cal["channel"].notna().to_numpy(dtype=bool)
              & (cal["start"] >= origin.normalize()).to_numpy(dtype=bool)
              & (cal["start"] < end).to_numpy(dtype=bool)]
    begin = pd.Timestamp(frame["ds"].min())
    parts = []
    for sid, g in frame.groupby("series_id", sort=True):
        first_row = pd.Timestamp(g["ds"].min())
        chan = series_channel(str(sid))
        if chan is None or not origin <= first_row < end or first_row <= begin:
            continue
        g = g.sort_values("ds")
        live = first_live(g["y"].to_numpy(float))
        if live is None:
            continue
        own = cal[(cal["channel"] == chan).to_numpy(dtype=bool)]
        at = pd.Timestamp(g["ds"].iloc[live])
        if start_event(at, own["start"].to_numpy(), own["end"].to_numpy(), LEAD_DAYS) is None:
            continue
        ds = pd.date_range(begin, first_row, freq=step, inclusive="left")
        pad = pd.DataFrame({"series_id": sid, "ds": ds, "y": 0.0})
        for col in columns:
            if col not in pad:
                pad[col] = g[col].iloc[0]
        parts.append(pad[columns])
    return pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]


def start_metrics(rows: pd.DataFrame, begin: pd.Timestamp) -> dict[str, float]:
    """``START_METRICS`` of one start's forecast (``ds``, ``y``, ``p10``, ``p50``, ``p90``) over
    its periods from ``begin`` on that have an actual and a forecast, with ``periods``,
    ``sum_p50`` and ``sum_y``; every metric NaN when their actuals sum to 0 or less."""
    a = rows[rows["ds"] >= begin].dropna(subset=["y", "p50"])
    y = a["y"].to_numpy(float)
    total = float(y.sum())
    out: dict[str, float] = {"periods": float(len(a)), "sum_p50": float(a["p50"].sum()),
                             "sum_y": total}
    if not len(a) or total <= 0:
        return out | dict.fromkeys(START_METRICS, np.nan)
    diff = float(a["p50"].sum()) - total
    losses = []
    for col, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        d = y - a[col].to_numpy(float)
        losses.append(float(np.mean(np.maximum(q * d, (q - 1) * d))))
    inside = (y >= a["p10"].to_numpy(float)) & (y <= a["p90"].to_numpy(float))
    return out | {
        "start_sum_err_pct": 100 * abs(diff) / total,
        "start_bias_pct": 100 * diff / total,
        "start_pinball": float(np.mean(losses)) / float(np.mean(y)),
        "start_coverage80_pct": float(100 * np.mean(inside)),
    }


UNLEARNED_BIAS_PCT = -90.0
"""A start forecast this far below its actual total (``start_bias_pct``), with no earlier
start of its event's kind to learn from, is named by ``_unlearned_starts``."""


def _unlearned_starts(starts: pd.DataFrame, calendar: pd.DataFrame | None,
                      started_before: pd.DataFrame) -> str | None:
    """The note on the starts forecast at about 0 (``start_bias_pct`` at most
    ``UNLEARNED_BIAS_PCT``) whose event's kind no series had started with before the fold's
    origin (``started_before``: ``series_id``, ``kind``, ``start``), else None.

    The forecasters forecast a new series from the first weeks of series that started with an
    event of the same kind; with none, a launch is forecast at about 0, and the start scores
    read -100% without a word on why (a page launch in a web export whose other pages were
    all live from its first day)."""
    if not len(starts):
        return None
    cal = normalize_calendar(calendar)
    before = started_before if len(started_before) else pd.DataFrame(columns=["kind", "start"])
    hits = []
    for r in starts.itertuples(index=False):
        if not float(getattr(r, "start_bias_pct", np.nan)) <= UNLEARNED_BIAS_PCT:
            continue
        ev = cal[(cal["name"].astype(str) == str(r.event)).to_numpy(dtype=bool)
                 & (cal["start"] == pd.Timestamp(r.event_start)).to_numpy(dtype=bool)]
        if ev.empty:
            continue
        kind = str(ev["kind"].iloc[0])
        seen = before[(before["kind"].astype(str) == kind).to_numpy(dtype=bool)
                      & (pd.to_datetime(before["start"]) < pd.Timestamp(r.origin)).to_numpy(
                          dtype=bool)]
        if seen.empty:
            hits.append(f"{r.series_id!r} ('{r.event}' {period_text(r.event_start)}, kind "
                        f"'{kind}')")
    if not hits:
        return None
    return (f"{len(hits)} start(s) were forecast at about 0: {listed(hits, 3)}; no series of "
            "the data started with an event of that kind before the fold's origin, and a new "
            "series is forecast from the first weeks of the series that did. Until the "
            "history holds such a start, size the launch by hand (e.g. from a comparable "
            "page's or store's first weeks); later launches of that kind are forecast from "
            "this one")


def start_notes(starts: pd.DataFrame, unplanned: dict[str, list[str]],
                calendar: pd.DataFrame | None, origins: Sequence[pd.Timestamp],
                started_before: pd.DataFrame, data_end: pd.Timestamp) -> list[str]:
    """What the caller should know about the start scores: the series that started inside a
    fold with no planned event of their channel (not scored), and, when no fold holds a start
    but the calendar plans one after the data, that the start scores say nothing (with an
    origin before the latest start in the history, ``started_before``: ``series_id``,
    ``start``)."""
    notes = []
    if unplanned:
        shown = listed([f"{sid!r} (fold origin(s) {', '.join(when)})"
                        for sid, when in unplanned.items()], 4)
        notes.append(f"{len(unplanned)} series went from only zeros to live inside a fold with "
                     f"no event of their own channel beginning there: {shown}; they are not "
                     "scored as starts (no forecaster can know when such a series starts; "
                     "put its launch in the calendar on its channel to have it scored)")
    unlearned = _unlearned_starts(starts, calendar, started_before)
    if unlearned is not None:
        notes.append(unlearned)
    if len(starts) or not len(origins):
        return notes
    cal = normalize_calendar(calendar)
    planned = cal[(cal["start"] > data_end).to_numpy(dtype=bool)
                  & cal["channel"].notna().to_numpy(dtype=bool)]
    kinds = set(started_before.get("kind", pd.Series(dtype=str)).astype(str))
    planned = planned[planned["kind"].astype(str).isin(kinds).to_numpy(dtype=bool)]
    if planned.empty:
        return notes
    latest = pd.Timestamp(started_before["start"].max())
    shown = listed([f"{str(r.name)!r} ({period_text(r.start)})"
                    for r in planned.itertuples(index=False)], 3)
    notes.append(f"the calendar plans {len(planned)} start(s) of a kind series started with in "
                 f"the history ({shown}), but no fold's window holds a series' start: the start "
                 "scores (start_*) are empty and say nothing about how well a start is "
                 f"forecast; add an origin before one, e.g. --origins "
                 f"{period_text(latest - pd.Timedelta(days=7))} (the latest start in the "
                 f"history began {period_text(latest)}; library: origins=)")
    return notes
