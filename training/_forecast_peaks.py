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

from features._calendar import applies_to, is_aggregate, normalize_calendar, series_channel

from ._forecast_base import BaseForecaster, listed, nonexistent_local, period_text, steps_per_day
from ._forecast_event_days import BACKGROUND_DAYS
from ._forecast_live import START_LEAD_DAYS, live_start
from ._forecast_peak_overlaps import (
    _copies,
    _event_key,
    aggregate_events,
    event_label,
    event_reach,
    forecasts_without,
    overlap_note,
)
from ._forecast_starts import dormant_series

__all__ = ["BEYOND_HISTORY", "LIFT_FLOOR", "PEAK_COLUMNS", "PeakForecast", "background_events",
           "beyond_history_note",
           "calendar_novelty_notes", "channel_scope_note", "event_reach", "forecast_with_peaks",
           "forecasts_without", "overlap_note", "peak_summary", "series_levels",
           "time_zone_note", "withheld_lift_note"]

PEAK_COLUMNS: tuple[str, ...] = (
    "series_id", "window", "start", "end", "peak_ds", "peak_p10", "peak_p50", "peak_p90",
    "baseline_p50", "lift_pct")
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
              floor: float = 0.0, own: pd.Series | None = None) -> dict:
    i = int(np.argmax(g["p50"].to_numpy()))
    row = g.iloc[i]
    if own is not None:
        base = own  # the forecast without this event, the others kept: what it adds
    elif under is not None and bg_base is not None and not under.empty:
        day = row["ds"].normalize()  # events cover whole days, whatever their times
        if ((under["start"].dt.normalize() <= day) & (under["end"].dt.normalize() >= day)).any():
            base = bg_base  # the event's own lift, over its background event
    b = _day_peak(base, row["ds"]) if base is not None else np.nan
    lift = (100 * (row["p50"] / b - 1) if b and np.isfinite(b) and b > 0 and b >= floor
            else np.nan)
    return {"series_id": sid, "window": window, "start": g["ds"].min(), "end": g["ds"].max(),
            "peak_ds": row["ds"], "peak_p10": float(row["p10"]), "peak_p50": float(row["p50"]),
            "peak_p90": float(row["p90"]), "baseline_p50": b, "lift_pct": float(lift)}


def peak_summary(
    forecast: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    baseline: pd.DataFrame | None = None,
    background: pd.DataFrame | None = None,
    levels: dict[str, float] | None = None,
    without: dict[tuple, pd.DataFrame] | None = None,
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
        rows.append(_peak_row(str(sid), "horizon", g, base, floor=floor))
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
                                  alone))
    return pd.DataFrame(rows, columns=list(PEAK_COLUMNS))


def channel_scope_note(calendar: pd.DataFrame | None, series_id: str) -> str | None:
    """Name the events with a channel when none of them applies to ``series_id``, or None.

    Such events change nothing on the series and have no peak row there; an API client that
    sent e-mail newsletters for the social channel's series would otherwise not learn why
    (``POST /forecast_traffic`` adds it to its notes). When at least one channel event applies,
    the others are taken as meant for other series (a store calendar lists every store's
    promotions) and nothing is said.
    """
    cal = normalize_calendar(calendar)
    cal = cal[cal["channel"].notna()].reset_index(drop=True)
    if cal.empty or applies_to(cal, str(series_id)).any():
        return None
    shown = listed([f"{ev.name!r} (channel {ev.channel!r})"
                    for ev in cal.itertuples(index=False)])
    return (f"{len(cal)} calendar event(s) with a channel do not apply to series "
            f"{str(series_id)!r}, so they change nothing on it and have no peak row: "
            f"{shown}. An event with a channel applies to that channel's series and to the "
            "aggregate series (total) only; leave channel empty for an event that concerns "
            "every series.")


def calendar_novelty_notes(model: BaseForecaster, calendar: pd.DataFrame | None,
                           begin: pd.Timestamp, end: pd.Timestamp,
                           series: list[str] | None = None) -> list[str]:
    """Notes for planned events (between ``begin`` and ``end``) the history cannot size.

    - a kind the training calendar never had: no lift is learned for it, so it is forecast
      as a normal day with a wider band (an independent check's first 'collab' drop came out
      at half its true mean, silently);
    - an intensity above the largest its kind had: the lift of the largest seen is used, with
      the band widened on the side the lift points to;
    - an event that runs past the last forecast period: its peak row covers part of it;
    - a kind the history had, planned on a series whose own history never had it (a channel
      launched after the last sale): its lift is borrowed from the other series. ``series``
      limits this to the series asked for (the API's one), default every series of the model.
    """
    cal = normalize_calendar(calendar)
    cal = cal[(cal["end"] >= begin.normalize()) & (cal["start"] <= end)]
    if cal.empty:
        return []
    own = normalize_calendar(getattr(model, "calendar_", None))
    notes = []
    # kinds with an occurrence in the history: a future event of the training calendar of a
    # kind never seen before is as unknown as one passed at predict time
    known = set(own.loc[own["start"] < begin.normalize(), "kind"].astype(str))
    new = cal[~cal["kind"].astype(str).isin(known)]
    if len(new):
        shown = listed([f"{r.name!r} (kind {r.kind!r}, {r.start:%Y-%m-%d})"
                        for r in new.itertuples(index=False)])
        seen = ", ".join(repr(k) for k in sorted(known)[:8]) or "none"
        notes.append(f"{len(new)} planned event(s) are of a kind the history never had: "
                     f"{shown}. No lift is learned for them, so their days are forecast "
                     "as normal days with a wider band; if one is like a past kind, give it "
                     f"that kind (the history has {seen})")
    past = cal[cal["end"] > end.normalize()]
    if len(past):
        shown = listed([f"{r.name!r} (to {r.end:%Y-%m-%d})"
                        for r in past.itertuples(index=False)])
        notes.append(f"{len(past)} planned event(s) run past the forecast's last period "
                     f"{end:%Y-%m-%d}: {shown}; their peak rows cover the days up to it only")
    # the LightGBM forecaster's learned caps, or an ensemble member's
    caps: dict[str, float] = {}
    for holder in (model, *getattr(model, "members_", [])):
        caps = caps or getattr(getattr(holder, "effects_", None), "max_intensity_", None) or {}
    above = [r for r in cal.itertuples(index=False)
             if str(r.kind) in caps and float(r.intensity) > caps[str(r.kind)] + 1e-9]
    if above:
        shown = listed([f"{r.name!r} ({r.intensity:g} against {caps[str(r.kind)]:g} for "
                        f"kind {r.kind!r})" for r in above])
        notes.append(f"{len(above)} planned event(s) have an intensity above the largest their "
                     f"kind had in the history: {shown}. They are forecast at the lift of the "
                     "largest intensity seen, with the band widened towards a bigger effect; "
                     "the history cannot say how much bigger")
    unseen = _kinds_new_to_series(model, own, cal[cal["kind"].astype(str).isin(known)], begin,
                                  series)
    # a series with no live history and a planned start is forecast from the other series'
    # first weeks, not with a borrowed lift (``start_notes`` says so)
    starting = {sid for sid, ev in (dormant_series(model, cal, begin, end, series) or {}).items()
                if ev is not None}
    unseen = [u for u in unseen if u[0] not in starting]
    if unseen:
        shown = listed([f"{sid!r} (history from {first:%Y-%m-%d}: "
                        f"{listed([repr(n) for n in names])})"
                        for sid, first, names in unseen])
        notes.append(f"{len(unseen)} series never had a past event of the kind of some planned "
                     f"events: {shown}. Their lift there is borrowed from the other series' "
                     "events of that kind (a new channel may respond otherwise); read those "
                     "peaks as a guess, not as this series' own history")
    return notes


def _kinds_new_to_series(model: BaseForecaster, own: pd.DataFrame, planned: pd.DataFrame,
                         begin: pd.Timestamp, series: list[str] | None
                         ) -> list[tuple[str, pd.Timestamp, list[str]]]:
    """Per series (of ``series``, default the model's), its first period and the planned
    events that apply to it whose kind no past event applying to it had within its history."""
    panel = getattr(model, "panel_", None)
    if panel is None or planned.empty:
        return []
    past = own[own["start"] < begin.normalize()]

    def by_channel(cal: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        """Rows with a channel per channel, and the rows without one (which apply to every
        series)."""
        none = cal["channel"].isna().to_numpy(dtype=bool)
        rest = cal[~none]
        return ({str(c): g for c, g in rest.groupby(rest["channel"].astype(str), sort=False)},
                cal[none])

    # per series, only the rows of its own channel and those without one (an aggregate: all
    # rows), looked up by channel rather than a pass over the whole calendar per series
    # (1,000 stores with a 40,000-row calendar had cost 2.6-25 s per predict)
    past_chan, past_common = by_channel(past)
    plan_chan, plan_common = by_channel(planned)
    common_kinds: dict[pd.Timestamp, set[str]] = {}
    out = []
    for sid in series if series is not None else list(panel.series):
        grid = panel.series.get(sid)
        if grid is None or not len(grid.ds):
            continue
        first = pd.Timestamp(grid.ds[0]).normalize()
        if is_aggregate(str(sid)):
            mine, plan = past, planned
        else:
            chan = series_channel(str(sid))
            mine = past_chan.get(str(chan), past.iloc[:0]) if chan is not None else past.iloc[:0]
            plan = (pd.concat([plan_common, plan_chan[str(chan)]]) if chan is not None
                    and str(chan) in plan_chan else plan_common)
        if first not in common_kinds:
            common_kinds[first] = set(
                past_common["kind"][past_common["end"] >= first].astype(str))
        had = set(mine["kind"][mine["end"] >= first].astype(str))
        had |= common_kinds[first] if not is_aggregate(str(sid)) else set()
        new = plan[~plan["kind"].astype(str).isin(had).to_numpy()]
        if len(new):
            out.append((str(sid), first, [str(n) for n in new["name"]]))
    return out


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
    without = forecasts_without(
        cal, fc, lambda c, jobs: model.predict_without(horizon, c, jobs, future_regressors),
        event_reach(model), batched=not model.cheap_without)
    return PeakForecast(fc, base, peak_summary(fc, cal, base, None, series_levels(model),
                                               without))


def unplanned_kinds_notes(model: BaseForecaster, calendar: pd.DataFrame,
                          begin: pd.Timestamp, end: pd.Timestamp,
                          longer: str = "raise --horizon to include it",
                          add: str = "add it with --calendar FILE",
                          series: Sequence[str] | None = None) -> list[str]:
    """Note the event kinds the model learned a sizeable lift for (10% or more on event days)
    that no calendar event in the forecast periods has: a promotion plan left out of
    ``--calendar`` silently gives a no-promotion forecast. ``longer`` and ``add`` say how to
    ask for a longer horizon and how to add an event (the CLI's options; the API's fields: the
    planner's page showed a forecast without the stores' planned closures, or without any
    promotion, without a word, where ``brain forecast predict`` named them). ``series``: the
    series forecast (the API's one); a kind none of whose events in the model's history
    applies to any of them (an e-mail newsletter for 'channel=organic') is left out: it
    never moved them, so it is missing from none of their forecasts."""
    notes: list[str] = []
    effects = getattr(model, "effects_", None)
    learned = getattr(effects, "kind_window_", {}) or {}
    if not getattr(getattr(model, "panel_", None), "log", False):
        return notes  # lifts on the original scale: no common yardstick for "sizeable"
    # lifts are per unit of intensity: judged and shown at the kind's usual (median) intensity
    own = getattr(model, "calendar_", None)
    usual = (own["intensity"].astype(float).replace(0.0, 1.0)  # 0 = not given, as in the fit
             .groupby(own["kind"].astype(str)).median()
             if own is not None and not own.empty else pd.Series(dtype=float))
    big = {kind: est.mean * float(usual.get(kind, 1.0)) for kind, est in learned.items()}
    big = {kind: v for kind, v in big.items() if abs(np.expm1(v)) >= 0.1}
    if series is not None and own is not None and "channel" in own.columns:
        here = np.zeros(len(own), bool)
        for sid in series:
            here |= applies_to(own, str(sid))
        kinds_here = set(own.loc[here, "kind"].astype(str))
        big = {kind: v for kind, v in big.items() if kind in kinds_here}
    # a start or an end (a launch, a retirement) happens once per series: one that had it
    # will not have it again, and its lift is measured against the level after it (a
    # retirement's '+391%' against the ~0 that followed); asking whether one is planned
    # named a launch for a launched page and a retirement for the whole model
    big = {kind: v for kind, v in big.items() if not _once_per_series(model, kind, series)}
    if not big:
        return notes
    inside = calendar[(calendar["end"] >= begin.normalize()) & (calendar["start"] <= end)]
    missing = sorted(set(big) - set(inside["kind"].astype(str)))
    if not missing:
        return notes
    # a kind whose next event is in the calendar but starts after the last forecast period is
    # planned, just beyond the horizon: say when, instead of asking for it in --calendar
    later = calendar[(calendar["start"] > end) & calendar["kind"].astype(str).isin(missing)]
    later = later.sort_values("start").drop_duplicates("kind")
    longest = getattr(model, "max_horizon_days", None)
    reach = begin + pd.Timedelta(days=float(longest)) if longest else None
    for row in later.itertuples():
        advice = (longer if reach is not None and row.start < reach
                  else f"if another is planned before it, {add}")
        notes.append(f"the next '{row.kind}' event in the calendar, {row.name} "
                     f"({period_text(row.start)}), starts after the last forecast period "
                     f"({period_text(end)}), so its learned lift "
                     f"({np.expm1(big[str(row.kind)]):+.0%} on event days) is not in this "
                     f"forecast; {advice}")
    missing = [k for k in missing if k not in set(later["kind"].astype(str))]
    if not missing:
        return notes
    lifts = ", ".join(f"'{k}' ({np.expm1(big[k]):+.0%})" for k in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    notes.append(f"no event of kind {lifts}{more} (learned lift on event days) falls in the "
                 f"forecast periods, so none is forecast; if one is planned, {add}")
    return notes


ONCE_DAYS = 28
"""Days before and after an event that ``_once_per_series`` compares to call it an end."""
ONCE_END_SHARE = 0.1
"""An event is a series' end when the series' median over ``ONCE_DAYS`` after it is under
this share of its median over ``ONCE_DAYS`` before it (or it has no value after it)."""


def _once_per_series(model: BaseForecaster, kind: str,
                     series: Sequence[str] | None = None) -> bool:
    """Whether every series of ``series`` (None: the model's) that an event of ``kind`` in
    the model's calendar applies to had exactly one, its own channel's, and that one was its
    start or its end (a launch, a retirement): a kind none of them will have again.

    A start: the series' first value other than 0 starts the event (``live_start``: in its
    window or the model's ``pre_days`` before it), after the first period of the data. An
    end: the median over ``ONCE_DAYS`` after the window is under ``ONCE_END_SHARE`` of the
    median over ``ONCE_DAYS`` before it.
    An aggregate (``total``) takes every page's launch and has the kind as often as pages
    launched: not once for it."""
    own = getattr(model, "calendar_", None)
    panel = getattr(model, "panel_", None)
    if own is None or own.empty or panel is None or "channel" not in own.columns:
        return False
    events = own[own["kind"].astype(str) == kind]
    if events.empty or events["channel"].isna().any():
        return False
    grids = panel.series
    first_of_data = panel.data_start  # before a series was cut at its start (``Panel.start``)
    lead = int(getattr(getattr(model, "effects_", None), "pre_days", START_LEAD_DAYS))
    span = pd.Timedelta(days=ONCE_DAYS)
    seen = 0
    for sid in (list(series) if series is not None else list(grids)):
        mine = events[applies_to(events, str(sid))]
        if mine.empty:
            continue
        g = grids.get(str(sid))
        if len(mine) > 1 or g is None or series_channel(str(sid)) != mine["channel"].iloc[0]:
            return False
        ev = mine.iloc[0]
        y = np.asarray(g.y, dtype=float)
        began = live_start(y, steps_per_day(panel.freq), g.ds, np.array([ev["start"]]),
                           np.array([ev["end"]]), lead, first_of_data)
        if began.first is None:
            return False
        start = began.event is not None
        before = y[(g.ds >= ev["start"] - span) & (g.ds < ev["start"])]
        after = y[(g.ds > ev["end"] + pd.Timedelta(days=1))
                  & (g.ds <= ev["end"] + pd.Timedelta(days=1) + span)]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        ended = len(before) > 0 and (not len(after) or float(np.median(after))
                                     < ONCE_END_SHARE * float(np.median(before)))
        if not (start or ended):
            return False
        seen += 1
    return seen > 0


def known_in_advance_lift_note(names: list[str]) -> str | None:
    """What a peak's lift leaves out for a model with known-in-advance columns ``names``
    (None without): ``brain forecast predict`` and ``POST /forecast_traffic`` say the same."""
    if not names:
        return None
    return (f"lift_pct is over the forecast without the calendar's events, with the same "
            f"known-in-advance values ({', '.join(map(repr, names))}): what those columns "
            "add (a promo flag's uplift) is inside baseline_p50, not in the lift; give a "
            "promotion as a calendar event to see its lift")


def _covers(calendar: pd.DataFrame, series_id: str, first: pd.Timestamp,
            last: pd.Timestamp) -> bool:
    """Whether an event of ``calendar`` that applies to ``series_id`` covers a day from
    ``first`` to ``last`` (event windows are whole days)."""
    sub = calendar[applies_to(calendar, series_id)]
    return bool(((sub["start"].dt.normalize() <= pd.Timestamp(last).normalize())
                 & (sub["end"].dt.normalize() >= pd.Timestamp(first).normalize())).any())


def withheld_lift_note(peaks: pd.DataFrame) -> str | None:
    """The note for peak rows whose lift is left out (baseline under ``LIFT_FLOOR`` of the
    series' average), else None."""
    gone = peaks[peaks["lift_pct"].isna() & (peaks["baseline_p50"] > 0)]
    if gone.empty:
        return None
    names = listed([repr(s) for s in sorted(set(gone["series_id"].astype(str)))], 5)
    return (f"no lift_pct for {names}: the no-event baseline at the peak is under "
            f"{LIFT_FLOOR:.0%} of the series' average (for a series with no history above 0, "
            "of its forecast's average), "
            "and a percentage of almost nothing says nothing; compare peak_p50 with "
            "baseline_p50")


BEYOND_HISTORY = 5.0
"""A forecast P50 this many times the series' largest value so far is named
(``beyond_history_note``)."""


def beyond_history_note(model: BaseForecaster, forecast: pd.DataFrame,
                        ratio: float = BEYOND_HISTORY) -> str | None:
    """The note for series whose forecast P50 exceeds ``ratio`` times the largest value in
    their history, else None: such a forecast may be right (a sale bigger than any before)
    but is more often an input problem (an intensity in other units, a closure in the history
    read as a normal day), and one went out at 3,000x the history without a word."""
    panel = getattr(model, "panel_", None)
    if panel is None or forecast.empty:
        return None
    rows = []
    for sid, g in forecast.groupby("series_id", sort=True):
        grid = panel.series.get(str(sid))
        if grid is None:
            continue
        y = grid.y[np.isfinite(grid.y)]
        top = float(y.max()) if len(y) else np.nan
        i = int(np.argmax(g["p50"].to_numpy()))
        p50 = float(g["p50"].iloc[i])
        if np.isfinite(top) and top > 0 and p50 > ratio * top:
            rows.append((p50 / top, str(sid), p50, g["ds"].iloc[i], top))
    if not rows:
        return None
    rows.sort(reverse=True)
    shown = listed([f"{sid!r} P50 {p50:,.0f} on {period_text(ds)}, {k:,.0f}x its largest "
                    f"value so far ({top:,.4g})" for k, sid, p50, ds, top in rows], 3)
    return (f"the forecast goes far beyond anything in the history for {len(rows)} series: "
            f"{shown}; check the calendar's intensities (the same units as at training, e.g. "
            "0.3 for 30% off) and the history around the events before planning on it")


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


def time_zone_note(model: BaseForecaster, horizon: int,
                   series_id: str | None = None) -> str | None:
    """Which clock the forecast's times are on, for a model trained with a business time zone
    (``--tz``), and which hours of the horizon that clock skips (no rows: a day when clocks go
    forward has 23); None for UTC or an older model without one. ``series_id``: the one series
    answered (the API), else every series of the model (the CLI writes them all).

    The times carry no offset, so without it an API client took Berlin hours for UTC and put
    the evening peak an hour or two off.
    """
    tz = getattr(model, "time_zone_", None)
    panel = getattr(model, "panel_", None)
    if not tz or str(tz).upper() == "UTC" or panel is None:
        return None
    skipped: set[pd.Timestamp] = set()
    # one series for one answer: every series cost the API 0.15 ms each per request (73 ms
    # with 500 hourly series) and named skipped hours outside the answer's own periods
    which = list(panel.series) if series_id is None else [series_id]
    for sid in (which if panel.step < pd.Timedelta(days=1) else ()):
        idx = panel.future_index(sid, horizon)
        skipped.update(idx[nonexistent_local(idx, tz)])
    gap = (f"; {', '.join(period_text(t) for t in sorted(skipped)[:3])} "
           f"{'do' if len(skipped) > 1 else 'does'} not exist there (clocks go forward) and "
           "has no row" if skipped else "")
    return f"times are local {tz} time, the business time zone the model was trained in{gap}"
