"""What a forecaster tells the user about the data it was given: notes, not errors.

Each function looks at the series (or the prepared ``Panel``) and returns a sentence, or None
when there is nothing to say: negative or extreme values, known-in-advance columns that look
like the outcome, look-alike series ids, gaps, sparse or short histories, missing weekdays,
unmarked drops and level shifts at the end of the history. ``brain forecast`` and ``brain data
validate --series`` print them before fitting (``series_notes`` gathers them all).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar

from ._forecast_base import Panel, steps_per_day
from ._forecast_ids import _names
from ._forecast_live import LEADING_ZEROS_DAYS
from ._forecast_outages import bot_day_note, lone_spikes
from ._forecast_panel import negative_values_note, prepare_panel, started_panel
from ._forecast_shift_notes import (
    _event_days,
    _zero_share,
    clip_settings,
    level_shift_note,
    unmarked_drop_note,
)
from ._forecast_spike_share import spike_share_note
from ._forecast_text import listed, period_text
from ._forecast_zone import (
    clock_change_text,
    nonexistent_local,
    repeated_hour_note,
    skipped_hour_zone,
)

__all__ = [
    "clip_settings",
    "ended_series",
    "ended_series_note",
    "extreme_values_note",
    "leading_zeros_note",
    "level_shift_note",
    "missing_phase_notes",
    "series_notes",
    "short_history_note",
    "similar_ids_note",
    "sparse_series_note",
    "spike_share_note",
    "unmarked_drop_note",
]



OUTCOME_LIKE_RHO = 0.9
"""Rank correlation with ``y`` (over periods with traffic) above which a known-in-advance
column is named as a likely same-period outcome."""


def regressor_notes(series: pd.DataFrame) -> list[str]:
    """Which extra columns the forecasters read as known in advance (every column besides
    ``series_id``, ``ds``, ``y``), and a warning for any that rises and falls with ``y`` almost
    one for one (Spearman above ``OUTCOME_LIKE_RHO`` over the periods with ``y`` above 0, so a
    closure flag that is 0 exactly when the shop is shut does not count): such a column is
    usually an outcome of the period (customers, orders, visits), whose actual future values
    the backtest reads. A check found a Rossmann file's ``Customers`` column taken this way
    without a word: backtest MASE 0.19 against 0.27 without it, and the model became
    champion."""
    extra = [c for c in series.columns if c not in ("series_id", "ds", "y")]
    if not extra:
        return []
    notes = [f"known-in-advance columns: {', '.join(repr(c) for c in extra)}: the forecasters "
             "read them for every period they forecast (backtests from this file), so "
             "'brain forecast predict' needs their future values (--future FILE; the spend "
             "read by --spend: --spend-plan FILE); drop any that is not planned in advance"]
    y = pd.to_numeric(series["y"], errors="coerce")
    busy = (y > 0).to_numpy()
    for col in extra:
        x = pd.to_numeric(series[col], errors="coerce")
        ok = busy & x.notna().to_numpy()
        if ok.sum() < 30 or x[ok].nunique() < 3:
            continue
        rho = float(y[ok].rank().corr(x[ok].rank()))
        if np.isfinite(rho) and abs(rho) >= OUTCOME_LIKE_RHO:
            notes.append(
                f"column {col!r} rises and falls with y almost one for one (rank correlation "
                f"{rho:.2f} over {int(ok.sum()):,} periods with y above 0): if it is only known "
                "once a period is over (customers, orders, visits), the backtest reads its "
                "actual future values and scores better than any real forecast can, and "
                "'brain forecast predict' cannot be given it; drop it from the series file "
                "unless it is set in advance")
    return notes


def extreme_values_note(series: pd.DataFrame, ratio: float = 100.0) -> str | None:
    """The note for values ``ratio`` times above the series' 99th percentile (a logging
    glitch such as 1e7 views), else None. Fits clip them, but a backtest scores them."""
    y = pd.to_numeric(series["y"], errors="coerce")
    p99 = y.groupby(series["series_id"]).transform("quantile", 0.99)
    far = (p99 > 0) & (y > ratio * p99)
    if not far.any():
        return None
    rows = series.loc[far].head(3)
    first = ", ".join(f"{sid} {period_text(ds)}: {v:g} ({v / q:,.0f}x)" for sid, ds, v, q in
                      zip(rows["series_id"], rows["ds"], y[far].head(3), p99[far].head(3),
                          strict=True))
    return (f"series: {int(far.sum())} y values are more than {ratio:g}x their series' 99th "
            f"percentile (first {first}); the LightGBM forecaster clips such outliers in its "
            "history, but a backtest window that holds one is scored against it; correct them "
            "if they are glitches")


def series_notes(series: pd.DataFrame, calendar: pd.DataFrame | None = None,
                 tz: str | None = None, model: object | None = None) -> list[str]:
    """What ``brain forecast`` says about a series file's values before fitting (``data validate
    --series`` says the same): negative values, far-out values, short histories, level shifts
    (calendar event days left out), unmarked drops, lone one-day spikes on one series (a bot
    day), recurring large one-day spikes (``spike_share_note``), sparse series, weekdays or
    hours never seen. ``tz``: the time zone hourly series were
    read in (their ``ds`` are its naive local times). ``model``: the forecaster whose
    ``clip_sd`` and ``level_shift_days`` the drop, spike and shift notes read
    (``clip_settings``; None: the LightGBM forecaster's defaults)."""
    notes = [n for n in (negative_values_note(series), extreme_values_note(series),
                         similar_ids_note(series), leading_zeros_note(series)) if n]
    notes += regressor_notes(series)
    # numeric known-in-advance columns too: a level shift that one of them explains (a paid
    # channel's budget) is told as such
    known = [c for c in series.columns if c not in ("series_id", "ds", "y")
             and pd.api.types.is_numeric_dtype(series[c])]
    panel = prepare_panel(series[["series_id", "ds", "y", *known]], "none")
    # history and recent zeros as the forecaster reads them: from a series' start, its weeks
    # exported at 0 before it left out (a page live 5 days after 300 at 0 had no short-history
    # note here, while predict, reading the model's panel, gave one)
    started = started_panel(panel, calendar)[0]
    cal = normalize_calendar(calendar) if calendar is not None else None
    # drops on the forecaster's scale (log1p unless a value is negative, ``prepare_panel``'s
    # "auto"): the site-wide check reads the panel's scale, and on raw values ordinary weeks
    # after a page's launches, read against the launch days, were named site-wide outages
    # while the real 3-day outage the forecaster cleans was not (an independent check's pages)
    ys = [g.y for g in panel.series.values() if np.isfinite(g.y).any()]
    scaled = dataclasses.replace(
        panel, log=bool(ys) and min(float(np.nanmin(y)) for y in ys) >= 0)
    extra = [n for n in (short_history_note(started),
                         level_shift_note(panel, calendar=calendar, model=model),
                         unmarked_drop_note(scaled, calendar, model=model),
                         bot_day_note(lone_spikes(started, clip_settings(model)[0],
                                                  event_days=_event_days(cal))),
                         spike_share_note(started, clip_settings(model)[0]),
                         sparse_series_note(started),
                         ended_series_note(started),
                         gap_note(panel, tz=tz), repeated_hour_note(series, tz)) if n]
    return notes + extra + missing_phase_notes(panel)


def similar_ids_note(series: pd.DataFrame) -> str | None:
    """The note for series ids that differ only in case, spaces, '_' or '-' ('Store_003' and
    'store_003'): they are separate series. An export whose store ids changed case on
    2025-03-30 had split one store into a history ending seven weeks early and a 50-day
    'new' store, without a word."""
    from features._io import spelling_groups

    groups = spelling_groups(list(series["series_id"].astype(str).unique()))
    if not groups:
        return None
    ds = pd.to_datetime(series["ds"])
    sid = series["series_id"].astype(str)

    def span(one: str) -> str:
        d = ds[sid == one]
        return f"{one!r} ({period_text(d.min())} .. {period_text(d.max())}, {len(d):,} rows)"

    shown = "; ".join(" and ".join(span(i) for i in g) for g in groups[:3])
    more = f"; +{len(groups) - 3} more groups" if len(groups) > 3 else ""
    return (f"{len(groups)} group(s) of series ids differ only in case, spaces, '_' or '-' and "
            f"are forecast as separate series: {shown}{more}. If they are one series, write its "
            "id one way in the file")



def sparse_series_note(panel: Panel, weeks: int = 8, share: float = 0.2,
                       skip_zeros: bool = True) -> str | None:
    """The note for series with at least ``share`` zero periods in their last ``weeks`` (among
    weekdays or hours that are usually open, ``_zero_share``): their P50 is a median, and the
    sum of medians understates the total of a period. ``skip_zeros``: leave out the series of
    zeros only, which other notes name (``leading_zeros_note`` in training, ``start_notes``
    for a model that forecasts starts); a model that does not (a seasonal naive, an ensemble,
    a LightGBM forecaster saved before 2026-12-05) has no other note naming them."""
    spd = steps_per_day(panel.freq)
    sparse = []
    ended = ended_series(panel)  # stopped, not sparse: ``ended_series_note`` names them
    for sid, g in panel.series.items():
        if skip_zeros and not (np.nan_to_num(g.y) != 0).any():
            continue  # no live history at all: not sparse (``leading_zeros_note``, ``start_notes``)
        if sid in ended:
            continue
        zero = _zero_share(g.y[-weeks * 7 * spd:].astype(float), spd)
        if zero >= share:
            sparse.append((sid, zero))
    if not sparse:
        return None
    shown = listed([f"{sid!r} ({z:.0%})" for sid, z in sparse])
    verb = "has" if len(sparse) == 1 else "have"
    return (f"{len(sparse)} series {verb} many periods at 0 in their last {weeks} weeks: "
            f"{shown}. P50 is the median of each period, so summing P50 over the horizon "
            "understates their total (in a check, a small channel's revenue with 47% days at 0 "
            "summed to 10% of its actual 60-day total, its orders to 68%). Plan totals from a "
            "denser series (the total over channels) split by the channels' recent shares")


def ended_series(panel: Panel, days: float = LEADING_ZEROS_DAYS
                 ) -> dict[str, tuple[pd.Timestamp, int, float]]:
    """Series whose history ends in a run of ``days`` or more at 0 (or missing), at least twice
    as long as any earlier run of zeros, after values above 0: series id -> (first period of the
    run, its length in periods, the median of the four weeks before it). The counterpart of
    ``leading_zeros_note``: a channel that stopped (discontinued, renamed, no longer tracked)
    keeps a row per period once series are built from an events log, at 0 from its last
    visit to the end of the data."""
    spd = steps_per_day(panel.freq)
    found: dict[str, tuple[pd.Timestamp, int, float]] = {}
    for sid, g in panel.series.items():
        y = np.asarray(g.y, dtype=float)
        zero = ~(np.isfinite(y) & (y != 0))
        live = np.flatnonzero(~zero)
        if not len(live):
            continue
        run = len(y) - 1 - int(live[-1])
        if run < days * spd:
            continue
        # from the first value above 0: zeros before it are a series not yet started (a
        # channel launched later; ``leading_zeros_note``), not its usual silence
        before = zero[live[0]:live[-1] + 1]
        edges = np.flatnonzero(np.diff(np.concatenate([[0], before.astype(int), [0]])))
        longest = int((edges[1::2] - edges[::2]).max()) if len(edges) else 0
        if run < 2 * longest:
            continue  # a sparse series' usual silence, only longer
        last = y[max(0, int(live[-1]) + 1 - 28 * spd):int(live[-1]) + 1]
        found[str(sid)] = (pd.Timestamp(g.ds[int(live[-1]) + 1]), run,
                           float(np.nanmedian(last)))
    return found


def ended_series_note(panel: Panel, days: float = LEADING_ZEROS_DAYS) -> str | None:
    """The note for series that end in ``days`` or more at 0 after values above 0
    (``ended_series``), else None. An independent check's display channel, discontinued 47
    days before the end of an events log (about 30 visits a day before), was named a sparse
    series (84% of its last 8 weeks at 0, summed P50 said to understate its total) and
    forecast at a P50 of 0.2 a day with a P90 of 9 .. 23 for 75 days, without a word that it
    had stopped."""
    found = ended_series(panel, days)
    if not found:
        return None
    unit = "days" if panel.freq == "D" else "hours"
    per = "a day" if unit == "days" else "an hour"
    shown = listed([f"{sid!r} (0 since {period_text(at)}, {n:,} {unit}; about {level:,.4g} "
                    f"{per} before)" for sid, (at, n, level) in found.items()], 4)
    verb = "has" if len(found) == 1 else "have"
    return (f"{len(found)} series {verb} been at 0 for the last {days} days or more after "
            f"values above 0: {shown}. A channel that stopped (discontinued, renamed, no longer "
            "tracked)? It is forecast from its zeros, with a P90 that keeps part of its old "
            "level; if it stopped, leave it out (--only); if it goes on under another name, "
            "rename its rows to that name")


def short_history_note(panel: Panel) -> str | None:
    """The note for series with under two weeks of observed history, else None.

    Such a series (a product launched days ago) is forecast from the other series' patterns
    around its few values: the check that found this measured 60-63% coverage of the 80%
    interval for 2-7-day-old copies of a series. A series with one observed period is its
    value repeated with a wide band.
    """
    two_weeks = 14 * steps_per_day(panel.freq)
    short = {sid: int(np.isfinite(g.y).sum()) for sid, g in panel.series.items()
             if int(np.isfinite(g.y).sum()) < two_weeks}
    if not short:
        return None
    unit = "day" if panel.freq == "D" else "hour"
    shown = listed([f"{sid!r} ({n} {unit}{'s' if n != 1 else ''})"
                    for sid, n in sorted(short.items(), key=lambda kv: kv[1])])
    verb = "has" if len(short) == 1 else "have"
    return (f"{len(short)} series {verb} under two weeks of history: {shown}. Their "
            "forecasts lean on the other series' patterns and their intervals are too narrow "
            "(60-63% coverage of the 80% interval for 2-7-day-old series in a check); a "
            "series with one value is that value repeated with a wide band. Backtests leave "
            "them out of MASE and pinball")


_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def missing_phase_notes(panel: Panel) -> list[str]:
    """Notes for weekdays (daily) or hours of the day (hourly) a series never has a value on.

    Such periods (closed days left out of the file) are forecast like the series' other days,
    which is rarely meant. One note per distinct set of missing phases, naming the series.
    """
    groups: dict[str, list[str]] = {}
    for sid, g in panel.series.items():
        seen = g.ds[np.isfinite(g.y)]
        if panel.freq == "D":
            if len(g.ds) < 14:
                continue
            missing = sorted(set(range(7)) - set(seen.day_of_week))
            label = ", ".join(_WEEKDAYS[d] for d in missing)
        else:
            if len(g.ds) < 48:
                continue
            missing = sorted(set(range(24)) - set(seen.hour))
            label = "hours " + ", ".join(f"{h:02d}:00" for h in missing)
        if missing:
            groups.setdefault(label, []).append(sid)
    notes = []
    for label, sids in groups.items():
        what = (f"series {_names(sids)}" if len(sids) < 6
                else f"{len(sids)} series ({_names(sids, 3)})")
        verb = "has" if len(sids) == 1 else "have"
        notes.append(
            f"{what} never {verb} a value on {label} in their history: those periods are "
            "forecast as normal periods. If nothing happens then (closed days), give them as "
            "rows with y=0 so the model learns it, or leave their forecasts out of your use")
    return notes


OUTAGE_SHARE = 0.8
"""Share of the series live on a period (inside their history, on a weekday or hour they have
values on) that must miss it for the period to be named as missing in (nearly) every series:
an export outage rather than each series' own gaps."""


def _runs_text(stamps: list[pd.Timestamp], step: pd.Timedelta, first: int = 4) -> str:
    """Consecutive periods as ranges ('2024-02-12 .. 2024-02-16, 2025-06-02'), the first
    ``first`` runs, then "and N more"."""
    runs: list[list[pd.Timestamp]] = []
    for t in stamps:
        if runs and t - runs[-1][-1] == step:
            runs[-1].append(t)
        else:
            runs.append([t])
    return listed([period_text(r[0]) if len(r) == 1
                   else f"{period_text(r[0])} .. {period_text(r[-1])}" for r in runs], first)


def gap_note(panel: Panel, show: int = 3, tz: str | None = None,
             share: float = OUTAGE_SHARE) -> str | None:
    """The note for series with missing periods inside their history (on weekdays or hours
    they otherwise have values on: ``missing_phase_notes`` names the others), else None.

    A check's store with 21 days missing mid-history got no word; missing periods are not
    learned from and not filled, which is right for a data outage and wrong for a closure.
    With ``tz``, an hourly grid's hours the clocks skip there (02:00 on the spring-forward
    day in Europe/Berlin) are not missing: they do not exist, and no row can be given.

    Periods missing in at least two series and in ``share`` or more of the series live on
    them are said first, once, as a likely export outage with their ranges (an independent
    check's export had lost 7 days on every channel: the note listed three series' gaps and
    "and 3 more", without a word that the days were the same); each series' other gaps
    follow as before. Series built from an events log have no gaps (a day without events is a
    0): their site-wide outages are ``unmarked_drop_note``'s."""
    gaps: dict[str, tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]] = {}
    for sid, g in panel.series.items():
        ok = np.isfinite(g.y)
        seen = set(g.ds[ok].day_of_week if panel.freq == "D" else g.ds[ok].hour)
        phase = g.ds.day_of_week if panel.freq == "D" else g.ds.hour
        live = np.isin(phase, list(seen))
        if tz and panel.freq != "D" and not ok.all():
            live &= ~nonexistent_local(pd.DatetimeIndex(g.ds), tz)
        gaps[str(sid)] = (pd.DatetimeIndex(g.ds), ~ok & live, live)
    if not any(gap.any() for _, gap, _ in gaps.values()):
        return None
    clock = ""
    if not tz or str(tz).upper() == "UTC":
        # naive local times read without --tz: the hour the clocks skip in spring is missing
        # in every series. It had been named "likely an export outage: re-export that hour"
        missed = pd.DatetimeIndex(sorted({t for ds, gap, _ in gaps.values() for t in ds[gap]}))
        found_zone = skipped_hour_zone(missed)
        if found_zone is not None:
            zone, hit = found_zone
            # only an hour every series live on it misses: one series' own gap stays one
            skipped = pd.DatetimeIndex([t for t in missed[hit] if all(
                bool(gap[ds.get_loc(t)]) for ds, gap, live in gaps.values()
                if t in ds and bool(live[ds.get_loc(t)]))])
        if found_zone is not None and len(skipped):
            gaps = {sid: (ds, gap & ~ds.isin(skipped), live)
                    for sid, (ds, gap, live) in gaps.items()}
            clock = clock_change_text(list(skipped), zone, "missing in every series"
                                      if len(gaps) > 1 else "missing")
            if not any(gap.any() for _, gap, _ in gaps.values()):
                return clock
    # per period: how many series miss it, how many are live on it (two series with gaps at
    # least: a period one series misses is its own gap)
    counts = pd.DataFrame({"gap": [], "live": []}, dtype=int)
    if sum(bool(gap.any()) for _, gap, _ in gaps.values()) >= 2:
        counts = pd.concat([pd.DataFrame({"gap": gap, "live": live}, index=ds)
                            for ds, gap, live in gaps.values()]).groupby(level=0).sum()
    hit = counts[(counts["gap"] >= 2) & (counts["gap"] >= share * counts["live"])]
    shared = pd.DatetimeIndex(hit.index)
    found = []
    for sid, (ds, gap, _) in gaps.items():
        own = gap & ~ds.isin(shared)
        if not own.any():
            continue
        # longest run of consecutive missing periods
        edges = np.flatnonzero(np.diff(np.concatenate([[0], own.astype(int), [0]])))
        starts, ends = edges[::2], edges[1::2]
        k = int(np.argmax(ends - starts))
        found.append((sid, int(own.sum()), int(ends[k] - starts[k]), ds[starts[k]]))
    unit = "days" if panel.freq == "D" else "hours"
    tail = ("Missing periods are not learned from and not filled (right for a data outage); if "
            "the business was closed, give those periods as rows with y=0 so the model learns it")
    parts = []
    if len(shared):
        n, one = len(panel.series), len(shared) == 1
        miss, live = hit["gap"].astype(int), hit["live"].astype(int)
        lo, hi = int(miss.min()), int(miss.max())
        span = f"{lo}" if lo == hi else f"{lo} to {hi}"
        runs = _runs_text(list(shared), panel.step)
        them = "it" if one else "them"
        if (miss == live).all() and (live == n).all():
            where = f"{'both' if n == 2 else f'all {n}'} series ({runs})"
        elif (miss == live).all():
            where = (f"every series live on {them} ({span} of the {n} series on "
                     f"{'it' if one else 'each'}: {runs})")
        else:
            where = (f"{span} of the {n} series ({share:.0%} or more of those live on "
                     f"{them}: {runs})")
        what = f"the same {unit[:-1]} is" if one else f"the same {len(shared):,} {unit} are"
        those = f"that {unit[:-1]}" if one else f"those {unit}"
        days = pd.DatetimeIndex(shared)
        md = days.strftime("%m-%d")
        yearly = panel.freq == "D" and all(
            days[md == m].year.nunique() >= 2 for m in md)
        if yearly:  # 25 December missing every year: a closure, not an outage to re-export
            same = ", ".join(dict.fromkeys(md))
            parts.append(f"{what} missing inside the history of {where}: the same day every "
                         f"year ({same}): likely a yearly closure the export leaves out; give "
                         f"{those} as rows with y=0 and the coming ones as a 'closed' event in "
                         "the calendar, or, if it was an outage, re-export them")
        else:
            parts.append(f"{what} missing inside the history of {where}: likely an export "
                         f"outage: re-export {those} from the source system")
    if found:
        shown = listed([f"{sid!r} ({k} {unit if k != 1 else unit[:-1]} missing; longest run "
                        f"{run} from {period_text(at)})" for sid, k, run, at in found], show)
        one = len(found) == 1
        text = (f"{len(found)} series {'has' if one else 'have'} periods missing inside "
                f"{'its' if one else 'their'} history: {shown}")
        if parts:
            text = f"Besides {'it' if len(shared) == 1 else 'them'}, {text}"
        parts.append(text)
    return (f"{clock}. " if clock else "") + ". ".join(parts) + ". " + tail


def leading_zeros_note(series: pd.DataFrame, days: int = LEADING_ZEROS_DAYS) -> str | None:
    """The note for series that start with ``days`` or more of 0 before their first value (a
    product page exported at 0 before its launch, a store before it opened). The LightGBM
    forecaster reads those periods as before the series existed (``started_panel``: as if the
    rows were left out); other models read them as a business at 0, for which the launch is a
    step from nothing (in an independent check of 12 pages the LightGBM P90 of pages launched
    3-11 months before the origin had reached 2x to 10x their P50). A series of zeros only is
    named too: it has nothing to forecast from."""
    frame = pd.DataFrame({"series_id": series["series_id"].to_numpy(),
                          "ds": pd.to_datetime(series["ds"]).to_numpy(),
                          "y": pd.to_numeric(series["y"], errors="coerce").to_numpy(float)})
    found = []
    for sid, g in frame.sort_values(["series_id", "ds"]).groupby("series_id", sort=False):
        stamps = g["ds"].to_numpy()
        vals = g["y"].to_numpy()
        live = np.flatnonzero(np.isfinite(vals) & (vals != 0))
        start = pd.Timestamp(stamps[0])
        first = pd.Timestamp(stamps[live[0]]) if len(live) else None
        end = first if first is not None else pd.Timestamp(stamps[-1])
        span = (end - start) / pd.Timedelta(days=1)
        if span >= days:
            found.append((str(sid), start, first))
    if not found:
        return None
    shown = listed([f"{sid!r} (0 from {period_text(a)}"
                    + (f" until {period_text(b)})" if b is not None else ", never above)")
                    for sid, a, b in found], 4)
    return (f"{len(found)} series start with {days} days or more at 0 before their first value: "
            f"{shown}. The LightGBM forecaster reads them as days before the series existed (a "
            "page before its launch, a store before it opened) and starts each at its first "
            "value, as if those rows were left out; other models read them as a business at 0 "
            "(the start a step from nothing, the bands of the months after it far too wide): "
            "leave those rows out for them. A series of zeros only has nothing to forecast from")
