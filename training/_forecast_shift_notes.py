"""Notes on the end of the history as the forecaster reads it: unmarked drops (a tracking
outage, a site-wide one among them) and level shifts of the last weeks, with the clip settings
they are read with (``clip_settings``). Part of ``_forecast_notes`` (``series_notes`` gathers
them); split out to keep that module readable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features._calendar import is_aggregate, normalize_calendar, series_channel

from ._forecast_base import Panel, SeriesGrid, steps_per_day
from ._forecast_outages import sitewide_drops
from ._forecast_panel import started_panel
from ._forecast_phases import _zero_share
from ._forecast_starts import start_windows
from ._forecast_text import listed, period_text
from ._forecast_zone import clock_change_text, local_days, skipped_hour_zone

__all__ = ["clip_settings", "level_shift_note", "unmarked_drop_note"]


def _covered_days(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every day of each window ``start`` .. ``end`` (datetime64[ns] days, inclusive) at once:
    the row each day comes from and the day. A ``pd.date_range`` per row had cost 2.2 s of CPU
    for a 13,000-event calendar of 200 stores, read three times by ``series_notes``."""
    day = np.timedelta64(1, "D").astype("timedelta64[ns]")
    a = np.asarray(start, dtype="datetime64[ns]")
    b = np.asarray(end, dtype="datetime64[ns]")
    n = np.where(b >= a, (b - a) // day + 1, 0).astype(np.int64)
    row = np.repeat(np.arange(len(a)), n)
    first = np.r_[0, np.cumsum(n)[:-1]].astype(np.int64)
    k = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(first, n)
    return row, a[row] + k * day


def _event_days(calendar: pd.DataFrame | None) -> Callable[[str], np.ndarray]:
    """For series ids, the sorted days inside the window of a calendar event that applies to
    them (normalized calendar), by the rule of ``features._calendar.applies_to``: events
    without a channel apply to every series, a channel's events to its series and to the
    aggregates. The days of every event are laid out at once (``_covered_days``) and grouped
    per channel, not per series."""

    none = np.array([], dtype="datetime64[ns]")
    if calendar is None or calendar.empty:
        return lambda sid: none
    row, days = _covered_days(calendar["start"].to_numpy(), calendar["end"].to_numpy())
    chan = calendar["channel"]
    has = chan.notna().to_numpy(dtype=bool)
    everywhere = np.unique(days[~has[row]])
    every = np.unique(days)
    by_channel: dict[str, np.ndarray] = {}
    on = has[row]
    if on.any():
        names = chan.to_numpy(dtype=object)[row[on]].astype(str)
        codes, uniq = pd.factorize(names)
        # one sort by (channel, day), then one slice per channel
        order = np.lexsort((days[on].view(np.int64), codes))
        c_sorted, d_sorted = codes[order], days[on][order]
        cuts = np.flatnonzero(np.diff(c_sorted)) + 1
        for c, part in zip(c_sorted[np.r_[0, cuts]], np.split(d_sorted, cuts), strict=True):
            by_channel[str(uniq[c])] = np.union1d(everywhere, part)

    def days_of(sid: str) -> np.ndarray:
        if is_aggregate(sid):
            return every
        return by_channel.get(str(series_channel(sid)), everywhere)

    return days_of


def clip_settings(model: object | None = None) -> tuple[float, float]:
    """The ``clip_sd`` and ``level_shift_days`` a forecaster fits with (the LightGBM
    forecaster's defaults for None or a model without them; an ensemble's, those of its
    first member that has them): the notes read a drop or a shift as that forecaster does.
    With the defaults only, a fit at ``clip_sd=10`` had a 3-day dip to 0.45x in every series,
    inside its own bound, named a site-wide outage."""
    from ._forecast_gbm import LightGBMForecaster

    source = next((m for m in [model, *(getattr(model, "members_", None) or [])]
                   if hasattr(m, "clip_sd")), None)
    defaults = LightGBMForecaster()
    return (float(getattr(source, "clip_sd", defaults.clip_sd)),
            float(getattr(source, "level_shift_days", defaults.level_shift_days)))


def level_shift_note(panel: Panel, recent_days: int = 14, before_days: int = 56,
                     ratio: float = 1.5, calendar: pd.DataFrame | None = None,
                     model: object | None = None) -> str | None:
    """The note for series whose last ``recent_days`` run at ``ratio`` times (or 1/``ratio``)
    their level of the ``before_days`` before (medians), else None.

    The LightGBM forecaster takes a run of 4 of 5 days beyond its clipping bounds as a new
    level (``level_shift_days``); in a check, traffic doubled 7 days before the origin covered
    87% of the 80% band and 95% at 14 days, 69% at 5 days, but 2% at 3 days, too young to tell
    from a spike. Calendar event days and closures that ended (which the forecaster cleans)
    are left out of the medians, and so are sparse series (a quarter of their days at 0). A
    closure still running at the origin, missing from the calendar, is taken as a new level.
    """

    from ._forecast_gbm import _winsorize  # the forecaster's own reading

    clip_sd, shift_days = clip_settings(model)
    panel = started_panel(panel, calendar)[0]  # as the forecaster reads a series before it started

    event_days = _event_days(normalize_calendar(calendar) if calendar is not None else None)
    launched = start_windows(panel, calendar)  # as the forecaster: no drop against a launch
    spd = steps_per_day(panel.freq)
    cut = recent_days * spd
    span = (recent_days + before_days) * spd
    moved = []
    for sid, g in panel.series.items():
        y = g.y.astype(float)
        # days the calendar explains, and closures that ended (the forecaster cleans those),
        # are not a shift
        _, _, _, ended, _ = _winsorize(panel.fwd(y), 7 * spd, clip_sd,
                                       shift_run=round(shift_days * spd),
                                       reg=g.regressors, unusual=launched.get(sid), ds=g.ds)
        windows = _windows(g, ended, cut, span, 0, event_days(sid))
        if windows is None:
            continue
        now_y, then_y = windows
        if _zero_share(then_y, spd) >= 0.25:
            continue  # a sparse series (orders of a small channel): its median jumps to 0
        now, then = float(np.nanmedian(now_y)), float(np.nanmedian(then_y))
        # small counts (a niche product's 2 or 3 a day) move by 1.5x on noise alone
        if max(now, then) >= 10 and min(now, then) >= 0 and (
                min(now, then) == 0 or max(now / then, then / now) >= ratio):
            year = _year_before_ratio(g, ended, cut, span, spd, event_days(sid))
            moved.append((sid, now, then, _moved_columns(g.regressors, cut, span),
                          year if _seasonal(now, then, year) else None))
    if not moved:
        return None
    shown = listed([f"{sid!r} ({now:,.4g} against {then:,.4g}"
                    + "".join(f"; its {c!r} {a:,.4g} against {b:,.4g}" for c, a, b in cols)
                    + (f"; the same weeks a year before: x{year:.2f}" if year else "") + ")"
                    for sid, now, then, cols, year in moved])
    verb = "runs" if len(moved) == 1 else "run"
    text = (f"{len(moved)} series {verb} at another level in their last {recent_days} days "
            f"than in the {before_days} before (medians, calendar event days left out): "
            f"{shown}. ")
    explained = [sid for sid, _, _, cols, _ in moved if cols]
    if explained:
        # a budget that moved with the visits is no closure or promotion to mark: the
        # forecast reads the column's planned values (it had told a planner whose paid
        # visits followed a doubled spend to mark a closure or a promotion)
        named = listed([repr(s) for s in explained])
        text += (f"Where a known-in-advance column moved with it ({named}"
                 "), the forecast follows that column's values in --future, not the new level "
                 "alone. ")
    seasonal = [sid for sid, _, _, cols, year in moved if year and not cols]
    if seasonal:
        # an autumn fall that the same weeks a year before showed too is (partly) the
        # season: the note had told a bike-rental planner to mark a closure or a promotion
        text += (f"Where the same weeks a year before moved the same way ("
                 f"{listed([repr(s) for s in seasonal])}), it is at least partly the season, "
                 "which the forecast reads from the year before: nothing to mark for that "
                 "part. ")
    if len(explained) + len(seasonal) == len(moved):
        return text.rstrip()
    return text + (
        "The forecast takes 4 or more days in 5 beyond the usual range as the new level and "
        "starts from it; a shift younger than that is not followed yet (in a check, traffic "
        "doubled 3 days before the origin covered 2% of the 80% band, 69% at 5 days and 87% "
        "at 7). If it is a closure or a promotion still running, mark it in the calendar "
        "(kind 'closed', or the promotion's kind), or the forecast will carry it on")


YEAR_DAYS = 364
"""Days back to the same weeks (and weekdays) a year before, for ``level_shift_note``."""


def _windows(g: SeriesGrid, ended: np.ndarray, cut: int, span: int, back: int,
             event_days: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The last ``cut`` periods and the ``span - cut`` before them, ending ``back`` periods
    before the series' end, with event days and ended closures as NaN (the recent ones may be
    shorter: a young series), or None where the history has no such windows ``back`` periods
    earlier or either window has too few values."""
    if back and len(g.y) < span + back:
        return None
    end = len(g.y) - back
    start = max(end - span, 0)
    y = np.where(ended, np.nan, g.y.astype(float))[start:end]
    ds = g.ds[start:end]
    y = np.where(np.isin(local_days(ds), event_days), np.nan, y)
    now_y, then_y = y[-cut:], y[:-cut]
    if np.isfinite(now_y).sum() < cut // 2 or np.isfinite(then_y).sum() < cut:
        return None
    return now_y, then_y


def _year_before_ratio(g: SeriesGrid, ended: np.ndarray, cut: int, span: int, spd: int,
                       event_days: np.ndarray) -> float | None:
    """The ratio of the medians of the same ``cut`` and ``span - cut`` periods ``YEAR_DAYS``
    before (``_windows``, as for the recent windows), or None."""
    windows = _windows(g, ended, cut, span, YEAR_DAYS * spd, event_days)
    if windows is None:
        return None
    now, then = float(np.nanmedian(windows[0])), float(np.nanmedian(windows[1]))
    return now / then if now > 0 and then > 0 else None


def _seasonal(now: float, then: float, year: float | None) -> bool:
    """Whether a move from ``then`` to ``now`` is at least partly the season: the same weeks a
    year before moved the same way by at least ``_YEARLY_STEP_SHARE`` of its size on the log
    scale (the share ``_forecast_clip._rebase_offsets`` asks of a yearly step, which it leaves
    to the features)."""
    from ._forecast_clip import _YEARLY_STEP_SHARE

    if year is None or now <= 0 or then <= 0:
        return False
    size, before = np.log(now / then), np.log(year)
    return bool(np.sign(size) == np.sign(before) and abs(before) >= _YEARLY_STEP_SHARE * abs(size))


def _moved_columns(reg: dict[str, np.ndarray], cut: int, span: int
                   ) -> list[tuple[str, float, float]]:
    """Known-in-advance columns that stepped between the ``span - cut`` periods before the
    last ``cut`` and those (the forecaster's test, ``_forecast_clip.column_stepped``: a 0/1 flag
    on half the days had 'moved' from a median of 0 to 1 on chance, and the note had said the
    forecast follows it): (name, now, then), medians (means where those are equal)."""
    from ._forecast_clip import column_stepped

    out = []
    for name, vals in reg.items():
        v = np.asarray(vals, dtype=float)[-span:]
        now_v, then_v = v[-cut:], v[:-cut]
        if not column_stepped(then_v, now_v):
            continue
        now, then = float(np.nanmedian(now_v)), float(np.nanmedian(then_v))
        if now == then:
            now, then = float(np.nanmean(now_v)), float(np.nanmean(then_v))
        out.append((name, now, then))
    return out


def unmarked_drop_note(panel: Panel, calendar: pd.DataFrame | None = None,
                       show: int = 3, model: object | None = None) -> str | None:
    """The note for drops the LightGBM forecaster takes as unmarked closures or outages that
    ended (runs of periods far below the usual level that came back, mostly outside the
    calendar's event days), else None: it leaves them out of learning, which is right for a
    tracking outage and hides a real closure that will recur. Runs at the same periods in
    several series (an outage of the whole site) are named once with their series.

    A 4-day tracking outage of 0 visits in every channel had been cleaned without a word: the
    planner could not tell whether it was recognised. ``model``: the forecaster whose
    ``clip_sd`` and ``level_shift_days`` the drops are read with (``clip_settings``)."""

    from ._forecast_gbm import _winsorize  # the forecaster's own reading

    clip_sd, shift_days = clip_settings(model)
    # as the forecaster reads a series exported at 0 before it existed: its 0s shrank the
    # clipping scale, and ordinary weeks of a page (408-589 views against the usual 430-600)
    # were named outages
    panel = started_panel(panel, calendar)[0]
    event_days = _event_days(normalize_calendar(calendar) if calendar is not None else None)
    # the reference reads no launch window, as the forecaster's (``start_windows``): a page's
    # settled level two weeks after its window had been named a drop against the launch days
    launched = start_windows(panel, calendar)
    spd = steps_per_day(panel.freq)
    runs: dict[tuple[pd.Timestamp, pd.Timestamp, int], list[str]] = {}
    # the forecaster's scale: log1p unless a value is negative (``prepare_panel``'s "auto")
    ys = [g.y for g in panel.series.values() if np.isfinite(g.y).any()]
    log = bool(ys) and min(float(np.nanmin(y)) for y in ys) >= 0
    # short drops on the same periods in (nearly) every series (a site-wide tracking outage
    # of 3 days, under the 4 in 5 days the per-series rule needs): cleaned by the event model
    site = sitewide_drops(panel, clip_sd, shift_days) if round(shift_days * spd) > 1 else {}
    site_days = {d for sid, mask in site.items() for d in panel.series[sid].ds[mask]}
    for sid, g in panel.series.items():
        y = g.y.astype(float)
        drop = _winsorize(np.log1p(y) if log else y, 7 * spd, clip_sd,
                          shift_run=round(shift_days * spd),
                          reg=g.regressors, unusual=launched.get(sid), ds=g.ds)[3]
        if sid in site:
            drop = drop | site[sid]
        if not drop.any():
            continue
        marked = np.isin(local_days(g.ds), event_days(str(sid)))
        edges = np.flatnonzero(np.diff(np.concatenate([[0], drop.astype(int), [0]])))
        starts, ends = edges[::2], edges[1::2]
        # runs a period or a day apart are one (Christmas Eve to Boxing Day, and a day
        # before them)
        near = np.flatnonzero(starts[1:] - ends[:-1] > spd)
        starts, ends = np.r_[starts[:1], starts[1:][near]], np.r_[ends[:-1][near], ends[-1:]]
        for a, b in zip(starts, ends, strict=True):
            if marked[a:b].mean() > 0.5:
                continue  # the calendar's own event (a holiday) explains most of it
            runs.setdefault((g.ds[a], g.ds[b - 1], int(b - a)), []).append(str(sid))
    clock = ""
    if runs and panel.freq != "D":
        # naive local times read without --tz (an events log summed per hour): the hour the
        # clocks skip in spring is 0 in every series. It had been named "most likely a
        # site-wide tracking outage"; the forecaster still leaves it out of learning (right:
        # the hour does not exist)
        ones = pd.DatetimeIndex(sorted({a for (a, _, n), sids in runs.items()
                                        if n == 1 and len(sids) >= max(1, len(panel.series)
                                                                       // 2)}))
        found_zone = skipped_hour_zone(ones)
        if found_zone is not None:
            zone, hit = found_zone
            skipped = set(ones[hit])
            runs = {k: v for k, v in runs.items() if not (k[2] == 1 and k[0] in skipped)}
            clock = clock_change_text(sorted(skipped), zone, "at 0 in every series" if len(
                panel.series) > 1 else "at 0")
    if not runs:
        return clock or None
    unit = "days" if panel.freq == "D" else "hours"

    def span(a: pd.Timestamp, b: pd.Timestamp, n: int) -> str:
        return f"{period_text(a)} .. {period_text(b)} ({n} {unit if n != 1 else unit[:-1]})"

    # runs that overlap are one drop: a site-wide outage's runs start a day early in the few
    # series whose day before it was low by chance (Poisson counts: 1,000 stores' one outage
    # had been named as 5 drops); each is told by its most common extent. A run joins a drop
    # only when it shares a period with every run of it: a chain of closures that each overlap
    # the next only (a store's Oct 23-28, another's Oct 27-Nov 5, a third's Nov 4-9) had been
    # "1 drop, Oct 23-28, in" all three stores
    clusters: list[tuple[pd.Timestamp, pd.Timestamp, dict[tuple[pd.Timestamp, pd.Timestamp,
                                                               int], list[str]]]] = []
    common_end: pd.Timestamp | None = None  # the last period every run of the drop holds
    for (a, b, n), sids in sorted(runs.items()):
        if clusters and common_end is not None and a <= common_end:
            first, last, members = clusters[-1]
            members[(a, b, n)] = sids
            clusters[-1] = (first, max(last, b), members)
            common_end = min(common_end, b)
        else:
            clusters.append((a, b, {(a, b, n): sids}))
            common_end = b
    parts = []
    for first, last, members in clusters:
        (a, b, n), most = max(members.items(), key=lambda kv: len(kv[1]))
        sids = list(dict.fromkeys([*most, *(s for group in members.values() for s in group)]))
        wider = (f", in some of them {period_text(first)} .. {period_text(last)}"
                 if (first, last) != (a, b) else "")
        parts.append(f"{span(a, b, n)}{wider} in {listed([repr(s) for s in sids])}")
    shown = listed(parts, show)
    one = len(clusters) == 1
    wide = [f"{period_text(first)} .. {period_text(last)}" for first, last, _ in clusters
            if any(first <= d <= last for d in site_days)]
    site_text = ""
    if wide:
        site_text = (f". {listed(wide)} hit (nearly) every series on the same "
                     f"{'days' if panel.freq == 'D' else 'hours'}: most likely a site-wide "
                     "tracking outage, or holidays the calendar does not mark (Easter, "
                     "Christmas: give them in --calendar, kind 'holiday', so they are learned "
                     "and forecast); for an outage, remove those rows from the file (missing "
                     "periods are not learned from) or mark them in the calendar as one event "
                     "with the channel empty (kind 'outage')")
    return (f"{clock}. " if clock else "") + (
            f"{len(clusters)} drop{'' if one else 's'} far below the usual level that came back, "
            f"not in the calendar, {'is' if one else 'are'} taken as unmarked outages or "
            "closures and left out of learning "
            f"(their periods are replaced by the usual level, and no event lift is measured "
            f"on them): {shown}{site_text}. Right for a tracking outage; if one was a real "
            "closure that will recur, mark it in the calendar (kind 'closed') so it is learned "
            "and forecast")
