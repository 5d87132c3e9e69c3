"""Notes beside a forecast's peak table: what the planner should know about the calendar and
the model before reading the peaks.

Events with a channel that reach none of a series (``channel_scope_note``), kinds or names the
series never had (``calendar_novelty_notes``, ``unplanned_kinds_notes``), lifts withheld on a
baseline of almost nothing (``withheld_lift_note``), known-in-advance columns read as lift
(``known_in_advance_lift_note``), a forecast far beyond anything in the history
(``beyond_history_note``) and the clock the times are on (``time_zone_note``). The CLI prints
them and ``POST /forecast_traffic`` answers them in its ``notes``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features._calendar import (
    applies_to,
    base_names,
    is_aggregate,
    normalize_calendar,
    series_channel,
)

from ._forecast_base import BaseForecaster, steps_per_day
from ._forecast_live import START_LEAD_DAYS, live_start
from ._forecast_peaks import LIFT_FLOOR
from ._forecast_starts import dormant_series
from ._forecast_text import listed, period_text
from ._forecast_zone import nonexistent_local

__all__ = ["BEYOND_HISTORY", "beyond_history_note", "calendar_novelty_notes",
           "channel_scope_note", "closed_kind_note", "known_in_advance_lift_note",
           "time_zone_note", "unplanned_kinds_notes", "withheld_lift_note"]


def channel_scope_note(calendar: pd.DataFrame | None, series_id: str, *,
                       whole: pd.DataFrame | None = None) -> str | None:
    """Name the events with a channel when no event applies to ``series_id``, or None.

    Such events change nothing on the series and have no peak row there; an API client that
    sent e-mail newsletters for the social channel's series would otherwise not learn why
    (``POST /forecast_traffic`` adds it to its notes). A shared calendar, one with an event
    that applies to the series (one without a channel, or one of its own channel), lists other
    channels' events as a matter of course (a store calendar lists every store's promotions,
    a marketing calendar its e-mail newsletters beside the holidays): nothing is said then,
    as the note had come on every other series' answer. ``whole``: the request's whole
    calendar, whose events outside the forecast periods count for that too (default
    ``calendar``).
    """
    cal = normalize_calendar(calendar)
    every = cal if whole is None else normalize_calendar(whole)
    cal = cal[cal["channel"].notna()].reset_index(drop=True)
    if cal.empty or applies_to(every, str(series_id)).any():
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
    closed = closed_kind_note(model, cal[cal["kind"].astype(str).isin(known)], begin)
    if closed:
        notes.append(closed)
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


CLOSED_SHARE = 0.5
"""A past event is read as a closure by ``closed_kind_note`` when the series were at 0 on at
least this share of its series-days."""


def closed_kind_note(model: BaseForecaster, planned: pd.DataFrame, begin: pd.Timestamp
                     ) -> str | None:
    """Name planned events whose name (without its year) the history never had, of a kind
    whose past events include closures (``CLOSED_SHARE`` or more of the series-days at 0):
    such an event takes its kind's lift, which the closures pull towards -100%, so a new
    holiday the business is open on is forecast as closed. A grocery check's stores, closed
    on New Year's Day only, learned kind 'holiday' at -93% and forecast a first-seen holiday
    -82.6% without a word on why. None when there is nothing to say."""
    panel = getattr(model, "panel_", None)
    own = normalize_calendar(getattr(model, "calendar_", None))
    if panel is None or planned.empty or own.empty:
        return None
    past = own[own["start"] < begin.normalize()].reset_index(drop=True)
    planned = normalize_calendar(planned)
    new = planned[~base_names(planned["name"]).isin(set(base_names(past["name"])))]
    kinds = set(new["kind"].astype(str))
    past = past[past["kind"].astype(str).isin(kinds)]
    if new.empty or past.empty:
        return None
    daily = []
    for g in panel.series.values():
        y = pd.Series(np.asarray(g.y, dtype=float), index=pd.DatetimeIndex(g.ds).normalize())
        daily.append(y[np.isfinite(y.to_numpy())].groupby(level=0).sum())
    table = pd.concat(daily, axis=1, ignore_index=True, sort=True)  # day x series, NaN: no row
    closures: dict[str, dict[str, None]] = {}
    for r, base in zip(past.itertuples(index=False), base_names(past["name"]), strict=True):
        days = pd.date_range(r.start.normalize(), r.end.normalize(), freq="D")
        got = table.reindex(days).to_numpy().ravel()
        got = got[np.isfinite(got)]
        if len(got) and float(np.mean(got == 0)) >= CLOSED_SHARE:
            closures.setdefault(str(r.kind), {})[str(base)] = None
    hit = new[new["kind"].astype(str).isin(set(closures))]
    if hit.empty:
        return None
    shown = listed([f"{r.name!r} (kind {r.kind!r}, {r.start:%Y-%m-%d})"
                    for r in hit.itertuples(index=False)])
    closed = listed([f"{n!r}" for k in dict.fromkeys(hit["kind"].astype(str))
                     for n in closures[k]])
    return (f"{len(hit)} planned event(s) have a name the history never had: {shown}. They "
            f"take their kind's lift, and that kind's past events include closures (the "
            f"series at 0 on {closed}), which pull it towards -100%: a new one the business is "
            "open on is forecast as closed. Give the closures the kind 'closed' and train "
            "again, or give the event the name of a like past one")


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
